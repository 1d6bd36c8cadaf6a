//! Syntax highlighting for the code blocks lessons use, done once on the server.
//!
//! Only YAML and shell sessions are coloured: they are what the course shows. The output is
//! escaped HTML with `<span class="tok-…">` around tokens; unknown languages are escaped only.

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape_into(&mut out, text);
    out
}

pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn span(out: &mut String, class: &str, text: &str) {
    if text.is_empty() {
        return;
    }
    out.push_str("<span class=\"tok-");
    out.push_str(class);
    out.push_str("\">");
    escape_into(out, text);
    out.push_str("</span>");
}

/// Highlights `code` written in `lang` (the fenced block's info string, first word).
pub(crate) fn highlight(lang: &str, code: &str) -> String {
    match lang {
        "yaml" | "yml" => code.split_inclusive('\n').map(yaml_line).collect(),
        "console" | "sh" | "shell" | "bash" => code
            .split_inclusive('\n')
            .map(|line| shell_line(line, lang == "console"))
            .collect(),
        _ => escape(code),
    }
}

fn yaml_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    let (content, newline) = match line.strip_suffix('\n') {
        Some(c) => (c, "\n"),
        None => (line, ""),
    };
    let indent_len = content.len() - content.trim_start().len();
    let (indent, mut rest) = content.split_at(indent_len);
    out.push_str(indent);
    if rest.trim_end() == "---" {
        span(&mut out, "punct", rest);
        out.push_str(newline);
        return out;
    }
    if rest.starts_with('#') {
        span(&mut out, "comment", rest);
        out.push_str(newline);
        return out;
    }
    while let Some(after) = rest.strip_prefix("- ") {
        span(&mut out, "punct", "-");
        out.push(' ');
        rest = after;
    }
    if rest == "-" {
        span(&mut out, "punct", "-");
        out.push_str(newline);
        return out;
    }
    let (value_part, comment) = split_comment(rest);
    match key_split(value_part) {
        Some((key, value)) => {
            span(&mut out, "key", key);
            out.push(':');
            yaml_value(&mut out, value);
        }
        None => yaml_value(&mut out, value_part),
    }
    span(&mut out, "comment", comment);
    out.push_str(newline);
    out
}

/// Splits `key: value` at the first `:` that is followed by a space or the end of the line and
/// is not inside quotes.
fn key_split(text: &str) -> Option<(&str, &str)> {
    if text.starts_with('"') || text.starts_with('\'') {
        return None;
    }
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
            let key = &text[..i];
            if key.contains(' ') && !key.starts_with('[') {
                return None;
            }
            return Some((key, &text[i + 1..]));
        }
    }
    None
}

/// Splits off a trailing ` # comment` that is not inside quotes.
fn split_comment(text: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && prev == ' ' => return (&text[..i], &text[i..]),
            None => {}
        }
        prev = c;
    }
    (text, "")
}

fn yaml_value(out: &mut String, value: &str) {
    let trimmed = value.trim();
    let lead = &value[..value.len() - value.trim_start().len()];
    let trail = &value[lead.len() + trimmed.len()..];
    out.push_str(lead);
    let class = if trimmed.starts_with('"') || trimmed.starts_with('\'') {
        "string"
    } else if matches!(
        trimmed,
        "true" | "false" | "null" | "~" | "|" | ">" | "|-" | ">-"
    ) || trimmed.parse::<f64>().is_ok()
    {
        "literal"
    } else {
        "value"
    };
    span(out, class, trimmed);
    out.push_str(trail);
}

fn shell_line(line: &str, is_session: bool) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    let (content, newline) = match line.strip_suffix('\n') {
        Some(c) => (c, "\n"),
        None => (line, ""),
    };
    if let Some(command) = content.strip_prefix("$ ") {
        span(&mut out, "prompt", "$");
        out.push(' ');
        span(&mut out, "command", command);
    } else if content.trim_start().starts_with('#') {
        span(&mut out, "comment", content);
    } else if is_session {
        span(&mut out, "output", content);
    } else {
        span(&mut out, "command", content);
    }
    out.push_str(newline);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn yaml_keys_values_and_comments() {
        assert_eq!(
            highlight("yaml", "  name: mysql # the db\n"),
            "  <span class=\"tok-key\">name</span>: <span class=\"tok-value\">mysql</span> <span class=\"tok-comment\"># the db</span>\n"
        );
        assert_eq!(
            highlight("yaml", "- containerPort: 3306"),
            "<span class=\"tok-punct\">-</span> <span class=\"tok-key\">containerPort</span>: <span class=\"tok-literal\">3306</span>"
        );
        assert_eq!(
            highlight("yaml", "image: \"mysql:8.0\""),
            "<span class=\"tok-key\">image</span>: <span class=\"tok-string\">&quot;mysql:8.0&quot;</span>"
        );
    }

    #[test]
    fn urls_in_values_are_not_split_as_keys() {
        assert_eq!(
            highlight("yaml", "image: mysql:8.0"),
            "<span class=\"tok-key\">image</span>: <span class=\"tok-value\">mysql:8.0</span>"
        );
    }

    #[test]
    fn console_prompts_and_output() {
        assert_eq!(
            highlight("console", "$ kubectl get pods\nNAME <x>\n"),
            "<span class=\"tok-prompt\">$</span> <span class=\"tok-command\">kubectl get pods</span>\n<span class=\"tok-output\">NAME &lt;x&gt;</span>\n"
        );
    }

    #[test]
    fn unknown_languages_are_only_escaped() {
        assert_eq!(highlight("text", "<b>"), "&lt;b&gt;");
    }
}
