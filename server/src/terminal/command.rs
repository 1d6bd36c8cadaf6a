//! What a submitted line may run: kubectl (or its alias `k`) and the terminal's own `clear`,
//! `help` and `history`. There is no shell: the line is split into words like a shell would
//! (quotes, backslashes) and anything a shell would have interpreted is refused with a reason.

/// A line the terminal accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Nothing but spaces.
    Empty,
    /// `kubectl ARGS…` (or `k ARGS…`): the arguments after the program name.
    Kubectl(Vec<String>),
    Clear,
    Help,
    History,
}

/// Why a line does not run: one sentence for the learner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("{0}: this line has an unfinished quote")]
    Unbalanced(String),
    #[error(
        "`{0}` needs a shell, and this terminal has none: it runs kubectl directly, so pipes, redirection, `;`, `&&`, `&` and `$(...)` are not available"
    )]
    ShellSyntax(char),
    #[error(
        "`${0}`: there are no shell variables here; write the value itself, or use it inside `kubectl exec ... -- sh -c '...'`"
    )]
    Variable(String),
    #[error(
        "{0}: command not available here; this terminal runs only kubectl (or k), clear, help and history"
    )]
    NotAllowed(String),
    #[error(transparent)]
    Path(#[from] super::paths::PathRefusal),
}

/// Parses a submitted line.
pub(crate) fn parse(line: &str) -> Result<Command, Refusal> {
    check_no_shell_syntax(line)?;
    let words = shell_words::split(line).map_err(|_| Refusal::Unbalanced(line.trim().into()))?;
    let Some((program, args)) = words.split_first() else {
        return Ok(Command::Empty);
    };
    match program.as_str() {
        "kubectl" | "k" => {
            super::paths::check(args)?;
            Ok(Command::Kubectl(args.to_vec()))
        }
        "clear" if args.is_empty() => Ok(Command::Clear),
        "help" if args.is_empty() => Ok(Command::Help),
        "history" if args.is_empty() => Ok(Command::History),
        _ => Err(Refusal::NotAllowed(program.clone())),
    }
}

/// Refuses the characters a shell would interpret outside quotes (and `$` inside double quotes,
/// which a shell expands there too), so the learner learns why the line did not do what a shell
/// would have done instead of kubectl receiving a stray `|` as an argument.
fn check_no_shell_syntax(line: &str) -> Result<(), Refusal> {
    #[derive(PartialEq)]
    enum Quote {
        None,
        Single,
        Double,
    }
    let mut quote = Quote::None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (&quote, c) {
            (Quote::Single, '\'') => quote = Quote::None,
            (Quote::Single, _) => {}
            (_, '\\') => {
                chars.next();
            }
            (Quote::None, '\'') => quote = Quote::Single,
            (Quote::None, '"') => quote = Quote::Double,
            (Quote::Double, '"') => quote = Quote::None,
            (Quote::None, '|' | ';' | '&' | '<' | '>' | '`') | (Quote::Double, '`') => {
                return Err(Refusal::ShellSyntax(c));
            }
            (_, '$') => match chars.peek() {
                Some('(') => return Err(Refusal::ShellSyntax('$')),
                Some(&next) if next == '{' || next == '_' || next.is_ascii_alphabetic() => {
                    let name: String = chars
                        .clone()
                        .take_while(|c| *c == '{' || *c == '_' || c.is_ascii_alphanumeric())
                        .collect();
                    return Err(Refusal::Variable(name));
                }
                _ => {}
            },
            _ => {}
        }
    }
    Ok(())
}

/// The text of `help`.
pub(crate) const HELP: &str = "\
This terminal runs kubectl against your own lab cluster.\r
  kubectl ARGS   (or k ARGS)   e.g. kubectl get pods, kubectl describe pod mysql\r
  clear          clear the screen (or Ctrl-L)\r
  history        the commands you ran\r
  help           this text\r
Keys: Up/Down for history, Ctrl-C stops a running command, Ctrl-D ends the session.\r
There is no shell: no pipes, redirection or variables. For a shell inside a pod use\r
  kubectl exec -it POD -- sh\r
";

#[cfg(test)]
mod tests {
    use super::*;

    fn kubectl(args: &[&str]) -> Result<Command, Refusal> {
        Ok(Command::Kubectl(
            args.iter().map(|a| a.to_string()).collect(),
        ))
    }

    #[test]
    fn kubectl_may_name_only_the_labs_own_files() {
        assert_eq!(
            parse("kubectl apply -f bare-pod.yaml"),
            kubectl(&["apply", "-f", "bare-pod.yaml"])
        );
        assert!(matches!(
            parse("kubectl apply -f /etc/passwd"),
            Err(Refusal::Path(_))
        ));
    }

    #[test]
    fn kubectl_and_its_alias_are_split_like_a_shell() {
        assert_eq!(parse("kubectl get pods"), kubectl(&["get", "pods"]));
        assert_eq!(
            parse("  k   get  pods -w "),
            kubectl(&["get", "pods", "-w"])
        );
        assert_eq!(
            parse(r#"kubectl exec mysql -- sh -c 'mysql -p"$PW" -e "SELECT 1; SELECT 2"'"#),
            kubectl(&[
                "exec",
                "mysql",
                "--",
                "sh",
                "-c",
                r#"mysql -p"$PW" -e "SELECT 1; SELECT 2""#
            ])
        );
        assert_eq!(
            parse(r#"kubectl get pods -o "jsonpath={.items[*].metadata.name}""#),
            kubectl(&["get", "pods", "-o", "jsonpath={.items[*].metadata.name}"])
        );
    }

    #[test]
    fn the_terminals_own_commands_and_empty_lines() {
        assert_eq!(parse(""), Ok(Command::Empty));
        assert_eq!(parse("   "), Ok(Command::Empty));
        assert_eq!(parse("clear"), Ok(Command::Clear));
        assert_eq!(parse("help"), Ok(Command::Help));
        assert_eq!(parse("history"), Ok(Command::History));
    }

    #[test]
    fn other_programs_are_refused_by_name() {
        assert_eq!(parse("ls -la"), Err(Refusal::NotAllowed("ls".into())));
        assert_eq!(
            parse("/usr/bin/kubectl get pods"),
            Err(Refusal::NotAllowed("/usr/bin/kubectl".into()))
        );
        assert_eq!(
            parse("KUBECONFIG=x kubectl get pods"),
            Err(Refusal::NotAllowed("KUBECONFIG=x".into()))
        );
        let message = parse("bash").expect_err("refused").to_string();
        assert!(message.contains("only kubectl"), "{message}");
    }

    #[test]
    fn shell_syntax_is_refused_with_the_reason() {
        assert_eq!(
            parse("kubectl get pods | grep mysql"),
            Err(Refusal::ShellSyntax('|'))
        );
        assert_eq!(
            parse("kubectl get pods > pods.txt"),
            Err(Refusal::ShellSyntax('>'))
        );
        assert_eq!(
            parse("kubectl get pods; ls"),
            Err(Refusal::ShellSyntax(';'))
        );
        assert_eq!(
            parse("kubectl get pods && ls"),
            Err(Refusal::ShellSyntax('&'))
        );
        assert_eq!(
            parse("kubectl logs $(kubectl get pods -o name)"),
            Err(Refusal::ShellSyntax('$'))
        );
        assert_eq!(
            parse("kubectl get pod \"$POD\""),
            Err(Refusal::Variable("POD".into()))
        );
        // Quoted or escaped, the same characters are plain arguments.
        assert_eq!(
            parse(r"kubectl get pods \| x"),
            kubectl(&["get", "pods", "|", "x"])
        );
        assert_eq!(
            parse("kubectl get pods '$5'"),
            kubectl(&["get", "pods", "$5"])
        );
        assert!(
            parse("k get pods | x")
                .expect_err("refused")
                .to_string()
                .contains("pipes")
        );
    }

    #[test]
    fn an_unfinished_quote_is_explained() {
        assert_eq!(
            parse("kubectl exec mysql -- sh -c 'ls"),
            Err(Refusal::Unbalanced(
                "kubectl exec mysql -- sh -c 'ls".into()
            ))
        );
    }
}
