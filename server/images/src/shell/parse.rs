//! Shell syntax: words (quoting kept raw for later expansion), operators, and the command tree.

/// A shell token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A word as written, quotes included (expansion removes them).
    Word(String),
    /// `;` `&&` `||` `|` `&` `(` `)` and newline (`\n`).
    Op(&'static str),
    /// A redirection operator with its file descriptor.
    Redir(u8, RedirOp),
}

/// Redirection kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirOp {
    /// `>`
    Out,
    /// `>>`
    Append,
    /// `<`
    In,
    /// `>&N` (target word is the fd)
    Dup,
    /// `<<EOF` here-document (target is the body; `$` expanded).
    HereDoc,
    /// `<<'EOF'` here-document (body taken literally).
    HereDocLiteral,
}

/// One redirection: `2>&1`, `> /data/log`, `< in`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redir {
    pub fd: u8,
    pub op: RedirOp,
    pub target: String,
}

/// A command tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Simple {
        assigns: Vec<(String, String)>,
        words: Vec<String>,
        redirs: Vec<Redir>,
    },
    Pipeline {
        negate: bool,
        stages: Vec<Node>,
    },
    AndOr {
        first: Box<Node>,
        rest: Vec<(bool, Node)>, // true = &&, false = ||
    },
    /// Commands in sequence; `true` marks a background (`&`) command.
    List(Vec<(Node, bool)>),
    If {
        branches: Vec<(Node, Node)>,
        otherwise: Option<Box<Node>>,
    },
    Loop {
        until: bool,
        cond: Box<Node>,
        body: Box<Node>,
    },
    For {
        var: String,
        words: Option<Vec<String>>,
        body: Box<Node>,
    },
    Group(Box<Node>),
    Subshell(Box<Node>),
    Redirected(Box<Node>, Vec<Redir>),
}

/// A syntax error, worded like busybox ash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("syntax error: unexpected {0}")]
    Unexpected(String),
    #[error("syntax error: unterminated quoted string")]
    Unterminated,
    #[error("syntax error: unexpected end of file (expecting \"{0}\")")]
    Eof(String),
}

/// Split a script into tokens.
///
/// # Errors
/// Unterminated quotes or `$(`.
pub fn tokenize(src: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    // Here-documents whose body starts after the current line: (token index, delimiter, strip tabs).
    let mut heredocs: Vec<(usize, String, bool)> = Vec::new();
    macro_rules! flush {
        () => {
            if in_word {
                out.push(Token::Word(std::mem::take(&mut word)));
                in_word = false;
            }
        };
    }
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' => {
                flush!();
                i += 1;
            }
            '\n' => {
                flush!();
                out.push(Token::Op("\n"));
                i += 1;
                for (idx, delim, strip) in heredocs.drain(..) {
                    let mut body = String::new();
                    loop {
                        if i >= chars.len() {
                            break;
                        }
                        let end = chars[i..]
                            .iter()
                            .position(|&c| c == '\n')
                            .map_or(chars.len(), |p| i + p);
                        let line: String = chars[i..end].iter().collect();
                        i = (end + 1).min(chars.len().max(end));
                        let line = if strip {
                            line.trim_start_matches('\t').to_string()
                        } else {
                            line
                        };
                        if line == delim {
                            break;
                        }
                        body.push_str(&line);
                        body.push('\n');
                    }
                    if let Some(Token::Word(w)) = out.get_mut(idx) {
                        *w = body;
                    }
                }
            }
            '#' if !in_word => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\'' => {
                in_word = true;
                word.push(c);
                i += 1;
                loop {
                    let Some(&d) = chars.get(i) else {
                        return Err(SyntaxError::Unterminated);
                    };
                    word.push(d);
                    i += 1;
                    if d == '\'' {
                        break;
                    }
                }
            }
            '"' => {
                in_word = true;
                word.push(c);
                i += 1;
                loop {
                    let Some(&d) = chars.get(i) else {
                        return Err(SyntaxError::Unterminated);
                    };
                    if d == '\\' {
                        word.push(d);
                        if let Some(&e) = chars.get(i + 1) {
                            word.push(e);
                        }
                        i += 2;
                        continue;
                    }
                    if d == '$' && chars.get(i + 1) == Some(&'(') {
                        let end = skip_paren(&chars, i + 1)?;
                        word.extend(&chars[i..end]);
                        i = end;
                        continue;
                    }
                    word.push(d);
                    i += 1;
                    if d == '"' {
                        break;
                    }
                }
            }
            '\\' => {
                in_word = true;
                if chars.get(i + 1) == Some(&'\n') {
                    i += 2;
                    continue;
                }
                word.push(c);
                if let Some(&e) = chars.get(i + 1) {
                    word.push(e);
                }
                i += 2;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                in_word = true;
                let end = skip_paren(&chars, i + 1)?;
                word.extend(&chars[i..end]);
                i = end;
            }
            '$' if chars.get(i + 1) == Some(&'{') => {
                in_word = true;
                let end = chars[i..]
                    .iter()
                    .position(|&x| x == '}')
                    .map(|p| i + p + 1)
                    .ok_or(SyntaxError::Unterminated)?;
                word.extend(&chars[i..end]);
                i = end;
            }
            '`' => {
                in_word = true;
                let end = chars[i + 1..]
                    .iter()
                    .position(|&x| x == '`')
                    .map(|p| i + 1 + p + 1)
                    .ok_or(SyntaxError::Unterminated)?;
                word.extend(&chars[i..end]);
                i = end;
            }
            ';' | '&' | '|' | '(' | ')' => {
                flush!();
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let op: &'static str = match two.as_str() {
                    "&&" => "&&",
                    "||" => "||",
                    ";;" => ";;",
                    _ => match c {
                        ';' => ";",
                        '&' => "&",
                        '|' => "|",
                        '(' => "(",
                        _ => ")",
                    },
                };
                if op == "&" && chars.get(i + 1) == Some(&'>') {
                    // `&>file`: stdout and stderr.
                    // fd 9 stands for "stdout and stderr".
                    out.push(Token::Redir(9, RedirOp::Out));
                    i += 2;
                    continue;
                }
                out.push(Token::Op(op));
                i += op.len();
            }
            '>' | '<' => {
                let fd = if in_word && !word.is_empty() && word.chars().all(|d| d.is_ascii_digit())
                {
                    let fd = word.parse::<u8>().unwrap_or(1);
                    word.clear();
                    in_word = false;
                    fd
                } else {
                    flush!();
                    if c == '<' { 0 } else { 1 }
                };
                let next = chars.get(i + 1).copied();
                if c == '<' && next == Some('<') {
                    let mut j = i + 2;
                    let strip = chars.get(j) == Some(&'-');
                    if strip {
                        j += 1;
                    }
                    while chars.get(j) == Some(&' ') {
                        j += 1;
                    }
                    let start = j;
                    while j < chars.len()
                        && !chars[j].is_whitespace()
                        && !";&|<>()".contains(chars[j])
                    {
                        j += 1;
                    }
                    let raw: String = chars[start..j].iter().collect();
                    let literal = raw.contains(['\'', '"', '\\']);
                    let delim: String = raw
                        .chars()
                        .filter(|c| !matches!(c, '\'' | '"' | '\\'))
                        .collect();
                    if delim.is_empty() {
                        return Err(SyntaxError::Unexpected("newline".into()));
                    }
                    out.push(Token::Redir(
                        0,
                        if literal {
                            RedirOp::HereDocLiteral
                        } else {
                            RedirOp::HereDoc
                        },
                    ));
                    heredocs.push((out.len(), delim, strip));
                    out.push(Token::Word(String::new()));
                    i = j;
                    continue;
                }
                let (op, len) = match (c, next) {
                    ('>', Some('>')) => (RedirOp::Append, 2),
                    ('>', Some('&')) => (RedirOp::Dup, 2),
                    ('>', _) => (RedirOp::Out, 1),
                    (_, Some('&')) => (RedirOp::Dup, 2),
                    _ => (RedirOp::In, 1),
                };
                out.push(Token::Redir(fd, op));
                i += len;
            }
            _ => {
                in_word = true;
                word.push(c);
                i += 1;
            }
        }
    }
    if in_word {
        out.push(Token::Word(word));
    }
    if let Some((_, delim, _)) = heredocs.first() {
        // A here-document on the last line never gets its body.
        return Err(SyntaxError::Eof(delim.clone()));
    }
    Ok(out)
}

/// Index just past the `)` matching the `(` at `open`, honouring quotes.
fn skip_paren(chars: &[char], open: usize) -> Result<usize, SyntaxError> {
    let mut depth = 0;
    let mut i = open;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) => {
                if c == '\\' && q == '"' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '\\' => i += 1,
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i + 1);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    Err(SyntaxError::Eof(")".into()))
}

const RESERVED: &[&str] = &[
    "if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in", "{", "}", "!",
    "case", "esac",
];

struct Parser {
    toks: Vec<Token>,
    pos: usize,
}

/// Parse a script.
///
/// # Errors
/// [`SyntaxError`] like busybox reports it.
pub fn parse(src: &str) -> Result<Node, SyntaxError> {
    let mut p = Parser {
        toks: tokenize(src)?,
        pos: 0,
    };
    let list = p.list(&[])?;
    if let Some(t) = p.peek() {
        return Err(SyntaxError::Unexpected(describe(t)));
    }
    Ok(list)
}

fn describe(t: &Token) -> String {
    match t {
        Token::Word(w) => format!("\"{w}\""),
        Token::Op("\n") => "newline".into(),
        Token::Op(o) => format!("\"{o}\""),
        Token::Redir(..) => "redirection".into(),
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn peek_word(&self) -> Option<&str> {
        match self.peek() {
            Some(Token::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Some(Token::Op("\n"))) {
            self.pos += 1;
        }
    }

    fn expect_word(&mut self, w: &str) -> Result<(), SyntaxError> {
        self.skip_newlines();
        match self.peek() {
            Some(Token::Word(x)) if x == w => {
                self.pos += 1;
                Ok(())
            }
            Some(t) => Err(SyntaxError::Unexpected(describe(t))),
            None => Err(SyntaxError::Eof(w.to_string())),
        }
    }

    fn list(&mut self, terminators: &[&str]) -> Result<Node, SyntaxError> {
        let mut items = Vec::new();
        loop {
            while matches!(self.peek(), Some(Token::Op("\n" | ";"))) {
                self.pos += 1;
            }
            match self.peek() {
                None | Some(Token::Op(")")) => break,
                Some(Token::Word(w)) if terminators.contains(&w.as_str()) => break,
                _ => {}
            }
            let node = self.and_or()?;
            let bg = matches!(self.peek(), Some(Token::Op("&")));
            match self.peek() {
                Some(Token::Op(";" | "\n" | "&")) => self.pos += 1,
                None | Some(Token::Op(")")) => {}
                Some(Token::Word(w)) if terminators.contains(&w.as_str()) => {}
                Some(t) => return Err(SyntaxError::Unexpected(describe(t))),
            }
            items.push((node, bg));
        }
        Ok(Node::List(items))
    }

    fn and_or(&mut self) -> Result<Node, SyntaxError> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        while let Some(Token::Op(op @ ("&&" | "||"))) = self.peek() {
            let and = *op == "&&";
            self.pos += 1;
            self.skip_newlines();
            rest.push((and, self.pipeline()?));
        }
        if rest.is_empty() {
            return Ok(first);
        }
        Ok(Node::AndOr {
            first: Box::new(first),
            rest,
        })
    }

    fn pipeline(&mut self) -> Result<Node, SyntaxError> {
        let negate = self.peek_word() == Some("!");
        if negate {
            self.pos += 1;
        }
        let mut stages = vec![self.command()?];
        while let Some(Token::Op("|")) = self.peek() {
            self.pos += 1;
            self.skip_newlines();
            stages.push(self.command()?);
        }
        if stages.len() == 1 && !negate {
            return Ok(stages.remove(0));
        }
        Ok(Node::Pipeline { negate, stages })
    }

    fn redirs(&mut self) -> Result<Vec<Redir>, SyntaxError> {
        let mut out = Vec::new();
        while let Some(Token::Redir(fd, op)) = self.peek().cloned() {
            self.pos += 1;
            match self.peek().cloned() {
                Some(Token::Word(target)) => {
                    self.pos += 1;
                    out.push(Redir { fd, op, target });
                }
                Some(t) => return Err(SyntaxError::Unexpected(describe(&t))),
                None => return Err(SyntaxError::Unexpected("newline".into())),
            }
        }
        Ok(out)
    }

    fn with_redirs(&mut self, node: Node) -> Result<Node, SyntaxError> {
        let r = self.redirs()?;
        if r.is_empty() {
            Ok(node)
        } else {
            Ok(Node::Redirected(Box::new(node), r))
        }
    }

    fn command(&mut self) -> Result<Node, SyntaxError> {
        match self.peek().cloned() {
            Some(Token::Op("(")) => {
                self.pos += 1;
                let body = self.list(&[])?;
                match self.peek() {
                    Some(Token::Op(")")) => self.pos += 1,
                    _ => return Err(SyntaxError::Eof(")".into())),
                }
                let node = Node::Subshell(Box::new(body));
                self.with_redirs(node)
            }
            Some(Token::Word(w)) => match w.as_str() {
                "if" => {
                    self.pos += 1;
                    let mut branches = Vec::new();
                    let mut otherwise = None;
                    loop {
                        let cond = self.list(&["then"])?;
                        self.expect_word("then")?;
                        let body = self.list(&["elif", "else", "fi"])?;
                        branches.push((cond, body));
                        match self.peek_word() {
                            Some("elif") => self.pos += 1,
                            Some("else") => {
                                self.pos += 1;
                                otherwise = Some(Box::new(self.list(&["fi"])?));
                                self.expect_word("fi")?;
                                break;
                            }
                            _ => {
                                self.expect_word("fi")?;
                                break;
                            }
                        }
                    }
                    let node = Node::If {
                        branches,
                        otherwise,
                    };
                    self.with_redirs(node)
                }
                "while" | "until" => {
                    self.pos += 1;
                    let cond = self.list(&["do"])?;
                    self.expect_word("do")?;
                    let body = self.list(&["done"])?;
                    self.expect_word("done")?;
                    let node = Node::Loop {
                        until: w == "until",
                        cond: Box::new(cond),
                        body: Box::new(body),
                    };
                    self.with_redirs(node)
                }
                "for" => {
                    self.pos += 1;
                    let var = match self.peek_word() {
                        Some(v) if is_name(v) => v.to_string(),
                        _ => {
                            return Err(SyntaxError::Unexpected(
                                self.peek().map_or("end of file".into(), describe),
                            ));
                        }
                    };
                    self.pos += 1;
                    let mut words = None;
                    self.skip_newlines();
                    if self.peek_word() == Some("in") {
                        self.pos += 1;
                        let mut ws = Vec::new();
                        while let Some(Token::Word(x)) = self.peek().cloned() {
                            if x == "do" {
                                break;
                            }
                            ws.push(x);
                            self.pos += 1;
                        }
                        words = Some(ws);
                    }
                    if matches!(self.peek(), Some(Token::Op(";"))) {
                        self.pos += 1;
                    }
                    self.expect_word("do")?;
                    let body = self.list(&["done"])?;
                    self.expect_word("done")?;
                    let node = Node::For {
                        var,
                        words,
                        body: Box::new(body),
                    };
                    self.with_redirs(node)
                }
                "{" => {
                    self.pos += 1;
                    let body = self.list(&["}"])?;
                    self.expect_word("}")?;
                    let node = Node::Group(Box::new(body));
                    self.with_redirs(node)
                }
                other if RESERVED.contains(&other) && other != "!" => {
                    Err(SyntaxError::Unexpected(format!("\"{other}\"")))
                }
                _ => self.simple(),
            },
            Some(Token::Redir(..)) => self.simple(),
            Some(t) => Err(SyntaxError::Unexpected(describe(&t))),
            None => Err(SyntaxError::Unexpected("end of file".into())),
        }
    }

    fn simple(&mut self) -> Result<Node, SyntaxError> {
        let mut assigns = Vec::new();
        let mut words: Vec<String> = Vec::new();
        let mut redirs = Vec::new();
        loop {
            match self.peek().cloned() {
                Some(Token::Word(w)) => {
                    if words.is_empty()
                        && let Some((name, value)) = w.split_once('=')
                        && is_name(name)
                    {
                        assigns.push((name.to_string(), value.to_string()));
                    } else {
                        words.push(w);
                    }
                    self.pos += 1;
                }
                Some(Token::Redir(..)) => redirs.extend(self.redirs()?),
                _ => break,
            }
        }
        if assigns.is_empty() && words.is_empty() && redirs.is_empty() {
            return Err(SyntaxError::Unexpected(
                self.peek().map_or("end of file".into(), describe),
            ));
        }
        Ok(Node::Simple {
            assigns,
            words,
            redirs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_quotes_redirects_and_substitutions() {
        let toks =
            tokenize("echo \"a b\" 'c;d' $(echo x; echo y) >> /data/log 2>&1").expect("tokens");
        assert_eq!(
            toks,
            vec![
                Token::Word("echo".into()),
                Token::Word("\"a b\"".into()),
                Token::Word("'c;d'".into()),
                Token::Word("$(echo x; echo y)".into()),
                Token::Redir(1, RedirOp::Append),
                Token::Word("/data/log".into()),
                Token::Redir(2, RedirOp::Dup),
                Token::Word("1".into()),
            ]
        );
    }

    #[test]
    fn parses_loops_and_lists() {
        let n = parse("while true; do date >> /data/log; sleep 5; done").expect("parse");
        let Node::List(items) = n else {
            panic!("list expected");
        };
        assert!(matches!(items[0].0, Node::Loop { until: false, .. }));
        assert!(parse("for x in a b; do echo $x; done && echo ok || echo no").is_ok());
        assert!(parse("if [ -f /x ]; then echo y; elif true; then :; else echo n; fi").is_ok());
        assert_eq!(
            parse("do echo").expect_err("error").to_string(),
            "syntax error: unexpected \"do\""
        );
        assert_eq!(
            parse("while true; do echo").expect_err("error").to_string(),
            "syntax error: unexpected end of file (expecting \"done\")"
        );
        let n = parse("cat <<EOF > /f\nhello $X\nEOF\necho done").expect("heredoc");
        let Node::List(items) = n else {
            panic!("list expected");
        };
        assert_eq!(
            items[0].0,
            Node::Simple {
                assigns: vec![],
                words: vec!["cat".into()],
                redirs: vec![
                    Redir {
                        fd: 0,
                        op: RedirOp::HereDoc,
                        target: "hello $X\n".into()
                    },
                    Redir {
                        fd: 1,
                        op: RedirOp::Out,
                        target: "/f".into()
                    },
                ],
            }
        );
        assert_eq!(items.len(), 2);
        assert_eq!(
            parse("echo 'oops").expect_err("error").to_string(),
            "syntax error: unterminated quoted string"
        );
    }
}
