//! Field paths into an object: `spec.template.spec.volumes[*].persistentVolumeClaim.claimName`.
//! `[*]` fans out over every element, `[2]` picks one; a key may be quoted for dots and slashes
//! (`metadata.labels["app.kubernetes.io/name"]`).

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
    All,
}

/// A path that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad path `{path}`: {reason}")]
pub struct PathError {
    pub path: String,
    pub reason: String,
}

/// Parses a path.
///
/// # Errors
/// [`PathError`] for empty segments, unclosed brackets or bad indexes.
pub fn parse(path: &str) -> Result<Vec<Segment>, PathError> {
    let err = |reason: &str| PathError {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    let mut out = Vec::new();
    let mut chars = path.chars().peekable();
    let mut key = String::new();
    // Whether the previous segment ended with `]` (then a `.` or `[` must follow, not a key).
    let mut after_bracket = false;
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if key.is_empty() && !after_bracket {
                    return Err(err("empty segment"));
                }
                if !key.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut key)));
                }
                after_bracket = false;
                if chars.peek().is_none() {
                    return Err(err("ends with `.`"));
                }
            }
            '[' => {
                if !key.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut key)));
                } else if out.is_empty() && !after_bracket {
                    return Err(err("starts with `[`"));
                }
                let mut inner = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == ']' {
                        closed = true;
                        break;
                    }
                    inner.push(c);
                }
                if !closed {
                    return Err(err("unclosed `[`"));
                }
                let inner = inner.trim();
                if inner == "*" {
                    out.push(Segment::All);
                } else if let Some(q) = inner
                    .strip_prefix('"')
                    .and_then(|s| s.strip_suffix('"'))
                    .or_else(|| inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                {
                    out.push(Segment::Key(q.to_string()));
                } else {
                    let i = inner.parse().map_err(|_| {
                        err(&format!(
                            "`[{inner}]` is not `[*]`, an index or a quoted key"
                        ))
                    })?;
                    out.push(Segment::Index(i));
                }
                after_bracket = true;
            }
            ']' => return Err(err("`]` without `[`")),
            c if after_bracket => {
                return Err(err(&format!("`{c}` after `]` (expected `.` or `[`)")));
            }
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        out.push(Segment::Key(key));
    }
    if out.is_empty() {
        return Err(err("empty path"));
    }
    Ok(out)
}

/// Every value the path reaches (none when a step is missing).
pub fn select<'a>(root: &'a Value, path: &[Segment]) -> Vec<&'a Value> {
    let mut current = vec![root];
    for seg in path {
        let mut next = Vec::new();
        for v in current {
            match (seg, v) {
                (Segment::Key(k), Value::Object(m)) => next.extend(m.get(k)),
                (Segment::Index(i), Value::Array(a)) => next.extend(a.get(*i)),
                (Segment::All, Value::Array(a)) => next.extend(a.iter()),
                (Segment::All, Value::Object(m)) => next.extend(m.values()),
                _ => {}
            }
        }
        current = next;
    }
    current.into_iter().filter(|v| !v.is_null()).collect()
}

/// Parses and selects in one go; a bad path selects nothing.
pub fn lookup<'a>(root: &'a Value, path: &str) -> Vec<&'a Value> {
    parse(path).map(|p| select(root, &p)).unwrap_or_default()
}

/// The first string at a path.
pub fn str_at<'a>(root: &'a Value, path: &str) -> Option<&'a str> {
    lookup(root, path).into_iter().find_map(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod() -> Value {
        json!({
            "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "web"}},
            "spec": {"volumes": [
                {"name": "a", "persistentVolumeClaim": {"claimName": "data"}},
                {"name": "b", "emptyDir": {}},
                {"name": "c", "persistentVolumeClaim": {"claimName": "logs"}}
            ]}
        })
    }

    #[test]
    fn wildcards_fan_out_and_skip_missing() {
        let p = pod();
        let got = lookup(&p, "spec.volumes[*].persistentVolumeClaim.claimName");
        assert_eq!(got, vec![&json!("data"), &json!("logs")]);
        assert_eq!(lookup(&p, "spec.volumes[1].name"), vec![&json!("b")]);
        assert!(lookup(&p, "spec.volumes[9].name").is_empty());
        assert!(lookup(&p, "spec.nothing.here").is_empty());
        assert_eq!(lookup(&p, "spec.volumes[*].emptyDir").len(), 1);
    }

    #[test]
    fn quoted_keys_hold_dots_and_slashes() {
        let p = pod();
        assert_eq!(
            str_at(&p, r#"metadata.labels["app.kubernetes.io/name"]"#),
            Some("web")
        );
    }

    #[test]
    fn bad_paths_are_rejected_with_a_reason() {
        for bad in ["", "a..b", "a.", "a[", "a[x]", "[0]", "a]", "a[0]b", ".a"] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
        assert_eq!(
            parse("a[*].b[0]").expect("parses"),
            vec![
                Segment::Key("a".into()),
                Segment::All,
                Segment::Key("b".into()),
                Segment::Index(0)
            ]
        );
    }
}
