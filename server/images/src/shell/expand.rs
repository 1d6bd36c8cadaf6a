//! Word expansion: quotes, `$VAR`/`${VAR}`/`${VAR:-x}`, `$?`, `$(...)`, backticks, `$((...))`,
//! `~`, field splitting of unquoted expansions, and globbing.

use super::Shell;

/// Characters of an expanded word, each marked quoted or not (for splitting and globbing).
struct Fields {
    fields: Vec<String>,
    cur: String,
    /// The current field exists even if empty (`""`).
    started: bool,
    glob: bool,
    globs: Vec<bool>,
}

impl Fields {
    fn new() -> Fields {
        Fields {
            fields: Vec::new(),
            cur: String::new(),
            started: false,
            glob: false,
            globs: Vec::new(),
        }
    }

    fn push_quoted(&mut self, s: &str) {
        self.cur.push_str(s);
        self.started = true;
    }

    fn push_literal(&mut self, c: char) {
        if matches!(c, '*' | '?') {
            self.glob = true;
        }
        self.cur.push(c);
        self.started = true;
    }

    /// An unquoted expansion: split on whitespace.
    fn push_split(&mut self, s: &str) {
        let mut first = true;
        let starts_ws = s.starts_with(char::is_whitespace);
        let pieces: Vec<&str> = s.split_whitespace().collect();
        if starts_ws && self.started {
            self.end_field();
        }
        for p in &pieces {
            if !first {
                self.end_field();
            }
            self.cur.push_str(p);
            self.started = true;
            first = false;
        }
        if s.ends_with(char::is_whitespace) && !pieces.is_empty() {
            self.end_field();
        }
    }

    fn end_field(&mut self) {
        if self.started {
            self.fields.push(std::mem::take(&mut self.cur));
            self.globs.push(self.glob);
        }
        self.started = false;
        self.glob = false;
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Index just past the `)` matching the `(` at `open`.
fn close_paren(chars: &[char], open: usize) -> usize {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    let mut i = open;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    chars.len()
}

impl Shell {
    /// Expand a word into fields.
    pub(super) async fn expand_word(&mut self, raw: &str) -> Vec<String> {
        let mut f = Fields::new();
        self.expand_into(raw, &mut f, true).await;
        f.end_field();
        let mut out = Vec::new();
        for (field, glob) in f.fields.into_iter().zip(f.globs) {
            if glob {
                let matches = self.glob(&field);
                if !matches.is_empty() {
                    out.extend(matches);
                    continue;
                }
            }
            out.push(field);
        }
        out
    }

    /// Expand without splitting (assignments, here the whole word is one string).
    pub(super) async fn expand_str(&mut self, raw: &str) -> String {
        let mut f = Fields::new();
        self.expand_into(raw, &mut f, false).await;
        f.end_field();
        f.fields.join(" ")
    }

    /// Expand a here-document body: `$VAR`, `$(...)`, backslash before `$`, `` ` `` and `\\`;
    /// quotes are plain characters.
    pub(super) async fn expand_heredoc(&mut self, body: &str) -> String {
        let chars: Vec<char> = body.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' && matches!(chars.get(i + 1), Some('$' | '`' | '\\')) {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            if c == '$' || c == '`' {
                let (value, next) = self.dollar(&chars, i).await;
                match value {
                    Some(v) => out.push_str(&v),
                    None => out.push('$'),
                }
                i = next;
                continue;
            }
            out.push(c);
            i += 1;
        }
        out
    }

    async fn expand_into(&mut self, raw: &str, f: &mut Fields, split: bool) {
        let chars: Vec<char> = raw.chars().collect();
        let mut i = 0;
        let mut in_dq = false;
        if chars.first() == Some(&'~') && (chars.len() == 1 || chars[1] == '/') {
            f.push_quoted(&self.lookup_var("HOME").unwrap_or_else(|| "/root".into()));
            i = 1;
        }
        while i < chars.len() {
            let c = chars[i];
            if !in_dq && c == '\'' {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&x| x == '\'')
                    .map_or(chars.len(), |p| i + 1 + p);
                let s: String = chars[i + 1..end].iter().collect();
                f.push_quoted(&s);
                i = end + 1;
                continue;
            }
            if c == '"' {
                in_dq = !in_dq;
                f.started = true;
                i += 1;
                continue;
            }
            if c == '\\' {
                if let Some(&n) = chars.get(i + 1) {
                    if in_dq && !matches!(n, '"' | '\\' | '$' | '`') {
                        f.push_quoted("\\");
                    }
                    f.push_quoted(&n.to_string());
                }
                i += 2;
                continue;
            }
            if c == '$' || c == '`' {
                let (value, next) = self.dollar(&chars, i).await;
                match value {
                    Some(v) if in_dq || !split => f.push_quoted(&v),
                    Some(v) => f.push_split(&v),
                    None => f.push_literal('$'),
                }
                i = next;
                continue;
            }
            if in_dq {
                f.push_quoted(&c.to_string());
            } else {
                f.push_literal(c);
            }
            i += 1;
        }
    }

    /// Expand the `$…` (or backtick) at `i`: its value and the index after it. None when the `$`
    /// is literal.
    async fn dollar(&mut self, chars: &[char], i: usize) -> (Option<String>, usize) {
        if chars[i] == '`' {
            let end = chars[i + 1..]
                .iter()
                .position(|&x| x == '`')
                .map_or(chars.len(), |p| i + 1 + p);
            let script: String = chars[i + 1..end].iter().collect();
            return (Some(Box::pin(self.substitute(&script)).await), end + 1);
        }
        match chars.get(i + 1) {
            Some('(') if chars.get(i + 2) == Some(&'(') => {
                let end = close_paren(chars, i + 1);
                let expr: String = chars[i + 3..end.saturating_sub(2).max(i + 3)]
                    .iter()
                    .collect();
                let expanded = Box::pin(self.expand_str(&expr)).await;
                let value = match arith(&expanded, &|n| self.lookup_var(n)) {
                    Some(v) => v.to_string(),
                    None => "0".into(),
                };
                (Some(value), end)
            }
            Some('(') => {
                let end = close_paren(chars, i + 1);
                let script: String = chars[i + 2..end.saturating_sub(1).max(i + 2)]
                    .iter()
                    .collect();
                (Some(Box::pin(self.substitute(&script)).await), end)
            }
            Some('{') => {
                let end = chars[i..]
                    .iter()
                    .position(|&x| x == '}')
                    .map_or(chars.len(), |p| i + p);
                let inner: String = chars[i + 2..end].iter().collect();
                let value = self.braced(&inner).await;
                (Some(value), end + 1)
            }
            Some(&c) if matches!(c, '?' | '$' | '#' | '@' | '*' | '!') || c.is_ascii_digit() => (
                Some(self.lookup_var(&c.to_string()).unwrap_or_default()),
                i + 2,
            ),
            Some(&c) if is_name_char(c) => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&x| !is_name_char(x))
                    .map_or(chars.len(), |p| i + 1 + p);
                let name: String = chars[i + 1..end].iter().collect();
                (Some(self.lookup_var(&name).unwrap_or_default()), end)
            }
            _ => (None, i + 1),
        }
    }

    async fn braced(&mut self, inner: &str) -> String {
        if let Some(name) = inner.strip_prefix('#') {
            return self
                .lookup_var(name)
                .unwrap_or_default()
                .chars()
                .count()
                .to_string();
        }
        let name_end = inner
            .find(|c: char| !is_name_char(c) && !"?#@*".contains(c))
            .unwrap_or(inner.len());
        let (name, op) = inner.split_at(name_end);
        let value = self.lookup_var(name);
        let set_nonempty = value.as_deref().is_some_and(|v| !v.is_empty());
        for (prefix, colon) in [
            (":-", true),
            ("-", false),
            (":=", true),
            ("=", false),
            (":+", true),
            ("+", false),
        ] {
            if let Some(word) = op.strip_prefix(prefix) {
                let use_value = if colon { set_nonempty } else { value.is_some() };
                let word = Box::pin(self.expand_str(word)).await;
                return match prefix.trim_start_matches(':') {
                    "-" => {
                        if use_value {
                            value.unwrap_or_default()
                        } else {
                            word
                        }
                    }
                    "=" => {
                        if use_value {
                            value.unwrap_or_default()
                        } else {
                            self.set_var(name, &word);
                            word
                        }
                    }
                    _ => {
                        if use_value {
                            word
                        } else {
                            String::new()
                        }
                    }
                };
            }
        }
        value.unwrap_or_default()
    }

    fn glob(&self, pattern: &str) -> Vec<String> {
        let absolute = pattern.starts_with('/');
        let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
        let mut paths: Vec<String> = vec![if absolute { "/".into() } else { String::new() }];
        for part in parts {
            let mut next = Vec::new();
            for base in &paths {
                let dir = if base.is_empty() {
                    self.ctx.cwd.clone()
                } else {
                    crate::normalize(&self.ctx.cwd, base)
                };
                let join = |name: &str| {
                    if base.is_empty() {
                        name.to_string()
                    } else if base.ends_with('/') {
                        format!("{base}{name}")
                    } else {
                        format!("{base}/{name}")
                    }
                };
                if part.contains(['*', '?']) {
                    if let Ok(entries) = self.ctx.fs.list("/", &dir) {
                        for e in entries {
                            if (!e.name.starts_with('.') || part.starts_with('.'))
                                && wildcard(part, &e.name)
                            {
                                next.push(join(&e.name));
                            }
                        }
                    }
                } else if self.ctx.fs.exists("/", &crate::normalize(&dir, part)) {
                    next.push(join(part));
                }
            }
            paths = next;
        }
        paths.sort();
        paths
    }
}

/// `*` and `?` matching.
pub fn wildcard(pattern: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('*') => (0..=s.len()).any(|i| go(&p[1..], &s[i..])),
            Some('?') => !s.is_empty() && go(&p[1..], &s[1..]),
            Some(c) => s.first() == Some(c) && go(&p[1..], &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    go(&p, &s)
}

/// Integer arithmetic for `$((...))`: + - * / % and parentheses, comparisons, variables.
pub fn arith(expr: &str, var: &dyn Fn(&str) -> Option<String>) -> Option<i64> {
    let toks: Vec<String> = {
        let mut t = Vec::new();
        let chars: Vec<char> = expr.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_whitespace() {
                i += 1;
            } else if c.is_ascii_alphanumeric() || c == '_' {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                t.push(chars[start..i].iter().collect());
            } else {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                if matches!(two.as_str(), "==" | "!=" | "<=" | ">=") {
                    t.push(two);
                    i += 2;
                } else {
                    t.push(c.to_string());
                    i += 1;
                }
            }
        }
        t
    };
    let mut pos = 0;
    let v = cmp_expr(&toks, &mut pos, var)?;
    (pos == toks.len()).then_some(v)
}

fn cmp_expr(t: &[String], p: &mut usize, var: &dyn Fn(&str) -> Option<String>) -> Option<i64> {
    let mut v = add_expr(t, p, var)?;
    while let Some(op) = t.get(*p).map(String::as_str) {
        let f: fn(i64, i64) -> bool = match op {
            "==" => |a, b| a == b,
            "!=" => |a, b| a != b,
            "<" => |a, b| a < b,
            ">" => |a, b| a > b,
            "<=" => |a, b| a <= b,
            ">=" => |a, b| a >= b,
            _ => break,
        };
        *p += 1;
        let r = add_expr(t, p, var)?;
        v = i64::from(f(v, r));
    }
    Some(v)
}

fn add_expr(t: &[String], p: &mut usize, var: &dyn Fn(&str) -> Option<String>) -> Option<i64> {
    let mut v = mul_expr(t, p, var)?;
    while let Some(op) = t.get(*p).map(String::as_str) {
        match op {
            "+" | "-" => {
                *p += 1;
                let r = mul_expr(t, p, var)?;
                v = if op == "+" {
                    v.wrapping_add(r)
                } else {
                    v.wrapping_sub(r)
                };
            }
            _ => break,
        }
    }
    Some(v)
}

fn mul_expr(t: &[String], p: &mut usize, var: &dyn Fn(&str) -> Option<String>) -> Option<i64> {
    let mut v = atom(t, p, var)?;
    while let Some(op) = t.get(*p).map(String::as_str) {
        match op {
            "*" | "/" | "%" => {
                *p += 1;
                let r = atom(t, p, var)?;
                v = match op {
                    "*" => v.wrapping_mul(r),
                    "/" => v.checked_div(r)?,
                    _ => v.checked_rem(r)?,
                };
            }
            _ => break,
        }
    }
    Some(v)
}

fn atom(t: &[String], p: &mut usize, var: &dyn Fn(&str) -> Option<String>) -> Option<i64> {
    let tok = t.get(*p)?.clone();
    *p += 1;
    match tok.as_str() {
        "(" => {
            let v = cmp_expr(t, p, var)?;
            if t.get(*p).map(String::as_str) != Some(")") {
                return None;
            }
            *p += 1;
            Some(v)
        }
        "-" => atom(t, p, var).map(|v| -v),
        "+" => atom(t, p, var),
        s if s.chars().all(|c| c.is_ascii_digit()) => s.parse().ok(),
        name => Some(var(name).and_then(|v| v.trim().parse().ok()).unwrap_or(0)),
    }
}
