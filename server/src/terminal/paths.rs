//! The local files a kubectl line may name. kubectl runs on the server, so `-f /etc/passwd`,
//! `kubectl cp pod:/x /tmp/y` or `--kubeconfig ~/.kube/config` would read or write the
//! server's files. The only local files a learner may use are those in their session's working
//! directory (the lab's manifests): a plain file name, no directory, no `..`.

/// Why a kubectl line names a local file it may not: one sentence for the learner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PathRefusal {
    #[error(
        "`{0}`: only the lab's own files can be used here; name one of them without a directory (type help to list them)"
    )]
    NotHere(String),
    #[error(
        "`{0}`: this terminal does not fetch manifests from URLs; the lab's files are here already (type help to list them)"
    )]
    Url(String),
    #[error("`{0}`: this terminal is already connected to your lab cluster, with its own settings")]
    Fixed(String),
}

/// Flags whose value is a local file or directory (`--flag VALUE` or `--flag=VALUE`).
const FILE_FLAGS: &[&str] = &[
    "-f",
    "--filename",
    "-k",
    "--kustomize",
    "--from-file",
    "--from-env-file",
    "--template",
];

/// Flags that would point kubectl at other credentials, or make it write files.
const FIXED_FLAGS: &[&str] = &[
    "--kubeconfig",
    "--cache-dir",
    "--certificate-authority",
    "--client-certificate",
    "--client-key",
    "--log-file",
    "--log-dir",
    "--output-directory",
];

/// `-o` formats that read a template from a local file.
const FILE_FORMATS: &[&str] = &["jsonpath-file=", "go-template-file=", "template-file="];

/// Checks every local file named by kubectl `args` (the words after `kubectl`); the words
/// after `--` go to a container, not to kubectl, and are not local.
pub(crate) fn check(args: &[String]) -> Result<(), PathRefusal> {
    let ours = args.split(|a| a == "--").next().unwrap_or_default();
    let mut words = ours.iter().peekable();
    // NB: any word `cp` makes the plain words checked; for other commands they are names of
    // objects, which are plain anyway.
    let copy = ours.iter().any(|a| a == "cp");
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) if flag.starts_with('-') => (flag, Some(value)),
            _ => (word.as_str(), None),
        };
        if FIXED_FLAGS.contains(&flag) {
            return Err(PathRefusal::Fixed(flag.to_owned()));
        }
        if FILE_FLAGS.contains(&flag) {
            let value = match inline {
                Some(v) => Some(v),
                None => words.next().map(String::as_str),
            };
            if let Some(value) = value {
                check_value(flag, value)?;
            }
            continue;
        }
        // `-fbare-pod.yaml`: a short flag with its value attached.
        if let Some(value) = word.strip_prefix("-f").or_else(|| word.strip_prefix("-k"))
            && !word.starts_with("--")
            && !value.is_empty()
        {
            check_value(&word[..2], value)?;
            continue;
        }
        if matches!(flag, "-o" | "--output") {
            let value = match inline {
                Some(v) => Some(v),
                None => words.next().map(String::as_str),
            };
            if let Some(file) =
                value.and_then(|v| FILE_FORMATS.iter().find_map(|f| v.strip_prefix(f)))
            {
                plain_name(file)?;
            }
            continue;
        }
        if let Some(format) = word.strip_prefix("-o")
            && let Some(file) = FILE_FORMATS.iter().find_map(|f| format.strip_prefix(f))
        {
            plain_name(file)?;
            continue;
        }
        // `kubectl cp SRC DEST`: the side without `pod:` is a local path.
        if copy && !word.starts_with('-') && word != "cp" && !word.contains(':') {
            plain_name(word)?;
        }
    }
    Ok(())
}

fn check_value(flag: &str, value: &str) -> Result<(), PathRefusal> {
    if value.starts_with("http://") || value.starts_with("https://") {
        return Err(PathRefusal::Url(value.to_owned()));
    }
    // `-f -` reads the manifest from the terminal.
    if (flag == "-f" || flag == "--filename") && value == "-" {
        return Ok(());
    }
    // `--template` is the template itself unless it looks like a path.
    if flag == "--template" && !value.starts_with(['/', '~', '.']) {
        return Ok(());
    }
    // `--from-file=key=path`: the path is after the key.
    let path = if flag == "--from-file" {
        value.split_once('=').map_or(value, |(_, p)| p)
    } else {
        value
    };
    plain_name(path)
}

/// A file directly in the working directory: no `/`, not `.`/`..`, not `~`, not empty.
pub(crate) fn is_plain_name(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('/')
        && !path.contains('\\')
        && path != "."
        && path != ".."
        && !path.starts_with('~')
}

fn plain_name(path: &str) -> Result<(), PathRefusal> {
    if is_plain_name(path) {
        Ok(())
    } else {
        Err(PathRefusal::NotHere(path.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    fn allowed(line: &str) -> bool {
        check(&words(line)).is_ok()
    }

    #[test]
    fn the_labs_files_may_be_named() {
        assert!(allowed("apply -f bare-pod.yaml"));
        assert!(allowed("apply --filename=bare-pod.yaml"));
        assert!(allowed("apply -fbare-pod.yaml"));
        assert!(allowed("delete -f bare-pod.yaml --wait=false"));
        assert!(allowed("apply -f -"));
        assert!(allowed("create configmap c --from-file=my.cnf=mysql.cnf"));
        assert!(allowed("get pods -o jsonpath-file=fields.txt"));
        assert!(allowed("cp mysql:/etc/hostname hostname.txt"));
        assert!(allowed("get --raw /api/v1/namespaces"));
        assert!(allowed("get pods -l app=mysql"));
        assert!(allowed(
            "get pods -o go-template --template {{.metadata.name}}/{{.kind}}"
        ));
    }

    #[test]
    fn the_servers_files_may_not() {
        for line in [
            "apply -f /etc/passwd",
            "apply -f ../kubeconfig",
            "apply --filename=/etc/passwd",
            "apply -f/etc/passwd",
            "apply -k .",
            "apply -k ..",
            "create secret generic s --from-file=/etc/shadow",
            "create secret generic s --from-file=key=/etc/shadow",
            "create configmap c --from-env-file ~/.env",
            "get pods -o go-template-file=/etc/passwd",
            "get pods -ojsonpath-file=/etc/passwd",
            "get pods -o template --template /etc/passwd",
            "cp mysql:/var/lib/mysql /tmp/dump",
            "cp /etc/passwd mysql:/tmp/passwd",
        ] {
            assert!(
                matches!(check(&words(line)), Err(PathRefusal::NotHere(_))),
                "{line}"
            );
        }
    }

    #[test]
    fn urls_and_other_credentials_are_refused() {
        assert_eq!(
            check(&words("apply -f https://example.com/x.yaml")),
            Err(PathRefusal::Url("https://example.com/x.yaml".into()))
        );
        assert_eq!(
            check(&words("get pods --kubeconfig=/root/.kube/config")),
            Err(PathRefusal::Fixed("--kubeconfig".into()))
        );
        assert_eq!(
            check(&words("get pods --log-file x")),
            Err(PathRefusal::Fixed("--log-file".into()))
        );
    }

    #[test]
    fn words_for_the_container_are_not_local() {
        assert!(allowed("exec mysql -- cat /etc/passwd"));
        assert!(allowed("exec mysql -- mysql -f /tmp/x"));
        assert!(!allowed("apply -f /etc/passwd -- x"));
    }
}
