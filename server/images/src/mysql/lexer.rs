//! Tokens of the MySQL dialect: enough to classify statements and rewrite them for SQLite.

/// One token with its byte span in the statement text.
#[derive(Debug, Clone, PartialEq)]
pub struct Tok {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// An unquoted word: keyword, identifier or function name.
    Word(String),
    /// A `backtick` identifier.
    Quoted(String),
    /// A '…' or "…" string (MySQL treats double quotes as strings), escapes resolved.
    Str(String),
    Num(String),
    /// `@@name` or `@name` (with the `@`s).
    Var(String),
    /// Operators and punctuation.
    Punct(String),
}

impl Tok {
    /// The word in upper case, if this is a word.
    pub fn upper(&self) -> Option<String> {
        match &self.kind {
            Kind::Word(w) => Some(w.to_ascii_uppercase()),
            _ => None,
        }
    }

    /// Is this the (case-insensitive) keyword `kw`?
    pub fn is(&self, kw: &str) -> bool {
        matches!(&self.kind, Kind::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    /// Is this the punctuation `p`?
    pub fn is_punct(&self, p: &str) -> bool {
        matches!(&self.kind, Kind::Punct(x) if x == p)
    }

    /// An identifier (word or backtick-quoted), as written.
    pub fn ident(&self) -> Option<&str> {
        match &self.kind {
            Kind::Word(w) | Kind::Quoted(w) => Some(w),
            _ => None,
        }
    }

    /// A name given as identifier or string (`'app'@'%'`, `shop`, `` `shop` ``).
    pub fn name(&self) -> Option<&str> {
        match &self.kind {
            Kind::Word(w) | Kind::Quoted(w) | Kind::Str(w) => Some(w),
            _ => None,
        }
    }
}

/// Why the text could not be tokenised: the offset where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError(pub usize);

/// Split a statement into tokens (comments and whitespace dropped).
///
/// # Errors
/// [`LexError`] on an unterminated string or identifier.
pub fn lex(sql: &str) -> Result<Vec<Tok>, LexError> {
    let b = sql.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'#' || (c == b'-' && b.get(i + 1) == Some(&b'-')) {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            match sql[i + 2..].find("*/") {
                Some(p) => i = i + 2 + p + 2,
                None => return Err(LexError(start)),
            }
            continue;
        }
        if c == b'\'' || c == b'"' {
            let mut s = Vec::new();
            i += 1;
            loop {
                let Some(&d) = b.get(i) else {
                    return Err(LexError(start));
                };
                if d == b'\\' {
                    let e = b.get(i + 1).copied().ok_or(LexError(start))?;
                    s.push(match e {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'r' => b'\r',
                        b'0' => 0,
                        other => other,
                    });
                    i += 2;
                } else if d == c {
                    if b.get(i + 1) == Some(&c) {
                        s.push(c);
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                } else {
                    s.push(d);
                    i += 1;
                }
            }
            out.push(Tok {
                kind: Kind::Str(String::from_utf8_lossy(&s).into_owned()),
                start,
                end: i,
            });
            continue;
        }
        if c == b'`' {
            let Some(p) = sql[i + 1..].find('`') else {
                return Err(LexError(start));
            };
            out.push(Tok {
                kind: Kind::Quoted(sql[i + 1..i + 1 + p].to_string()),
                start,
                end: i + 2 + p,
            });
            i += 2 + p;
            continue;
        }
        if c == b'@' {
            i += 1;
            if b.get(i) == Some(&b'@') {
                i += 1;
            }
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            out.push(Tok {
                kind: Kind::Var(sql[start..i].to_string()),
                start,
                end: i,
            });
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            let text = &sql[start..i];
            let kind = if text.bytes().all(|x| x.is_ascii_digit() || x == b'.') {
                Kind::Num(text.to_string())
            } else {
                Kind::Word(text.to_string())
            };
            out.push(Tok {
                kind,
                start,
                end: i,
            });
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80 {
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$' || b[i] >= 0x80)
            {
                i += 1;
            }
            out.push(Tok {
                kind: Kind::Word(sql[start..i].to_string()),
                start,
                end: i,
            });
            continue;
        }
        let two = sql.get(i..i + 2).unwrap_or_default();
        let three = sql.get(i..i + 3).unwrap_or_default();
        let len = if three == "<=>" {
            3
        } else if matches!(two, "<=" | ">=" | "<>" | "!=" | "||" | "&&" | ":=") {
            2
        } else {
            // One character (whole UTF-8 char).
            sql[i..].chars().next().map_or(1, char::len_utf8)
        };
        out.push(Tok {
            kind: Kind::Punct(sql[i..i + len].to_string()),
            start,
            end: i + len,
        });
        i += len;
    }
    Ok(out)
}

/// Split a script into statements on `;` outside quotes and comments (the client does this).
pub fn split_statements(script: &str) -> Vec<String> {
    split_with_lines(script)
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

/// Like [`split_statements`], with the 1-based line each statement starts on (the client's
/// `ERROR ... at line N`).
pub fn split_with_lines(script: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = script.chars().peekable();
    let mut line = 1;
    let mut start_line = 1;
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
        }
        if cur.trim().is_empty() && !c.is_whitespace() {
            start_line = line;
        }
        match quote {
            Some(q) => {
                cur.push(c);
                if c == '\\' && q != '`' {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => {
                    quote = Some(c);
                    cur.push(c);
                }
                '#' => {
                    for n in chars.by_ref() {
                        if n == '\n' {
                            line += 1;
                            cur.push('\n');
                            break;
                        }
                    }
                }
                '-' if chars.peek() == Some(&'-') => {
                    for n in chars.by_ref() {
                        if n == '\n' {
                            line += 1;
                            cur.push('\n');
                            break;
                        }
                    }
                }
                ';' => {
                    if !cur.trim().is_empty() {
                        out.push((start_line, cur.trim().to_string()));
                    }
                    cur.clear();
                }
                _ => cur.push(c),
            },
        }
    }
    if !cur.trim().is_empty() {
        out.push((start_line, cur.trim().to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexes_mysql_quoting() {
        let toks =
            lex("SELECT `a b`, 'it''s', \"x\\ty\", @@hostname FROM t -- c\n# d\n").expect("lex");
        let kinds: Vec<Kind> = toks.into_iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Kind::Word("SELECT".into()),
                Kind::Quoted("a b".into()),
                Kind::Punct(",".into()),
                Kind::Str("it's".into()),
                Kind::Punct(",".into()),
                Kind::Str("x\ty".into()),
                Kind::Punct(",".into()),
                Kind::Var("@@hostname".into()),
                Kind::Word("FROM".into()),
                Kind::Word("t".into()),
            ]
        );
        assert!(lex("SELECT 'oops").is_err());
    }

    #[test]
    fn splits_scripts_on_semicolons_outside_quotes() {
        assert_eq!(
            split_statements("USE shop; INSERT INTO t VALUES ('a;b'); -- x;\nSELECT 1"),
            vec!["USE shop", "INSERT INTO t VALUES ('a;b')", "SELECT 1"]
        );
        let lines: Vec<usize> = split_with_lines("SELECT 1; SELECT 2;\n\n-- c\nSELECT 3")
            .into_iter()
            .map(|(l, _)| l)
            .collect();
        assert_eq!(lines, vec![1, 1, 4]);
    }
}
