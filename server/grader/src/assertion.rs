//! Comparisons of the values found at a path (or a probe's output) against what a check expects.
//! A wildcard path may reach several values: value comparisons pass when any value passes
//! (`not_equals` when none is equal); `count` compares how many were found.

use crate::model::Op;
use serde_json::Value;

/// Why an assertion cannot be evaluated as written (a lab authoring error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("`{op}` needs a value")]
    MissingValue { op: &'static str },
    #[error("`{op}` needs {what}")]
    WrongValue {
        op: &'static str,
        what: &'static str,
    },
    #[error("bad regex: {0}")]
    Regex(String),
}

/// Checks `found` against `op` and `expected`. `Ok(Ok(()))` passes; `Ok(Err(why))` fails with a
/// description of what was found.
///
/// # Errors
/// [`AssertionError`] when the expected value does not fit the operator.
pub fn assert_values(
    found: &[&Value],
    op: Op,
    expected: Option<&Value>,
) -> Result<Result<(), String>, AssertionError> {
    let shown = show(found);
    let need = |name: &'static str| expected.ok_or(AssertionError::MissingValue { op: name });
    let verdict = match op {
        Op::Exists => (!found.is_empty())
            .then_some(())
            .ok_or_else(|| "nothing is set there".to_string()),
        Op::Missing => found
            .is_empty()
            .then_some(())
            .ok_or_else(|| format!("it is set: {shown}")),
        Op::Equals => {
            let want = need("equals")?;
            found
                .iter()
                .any(|v| loosely_equal(v, want))
                .then_some(())
                .ok_or_else(|| format!("expected {}, found {shown}", show_one(want)))
        }
        Op::NotEquals => {
            let want = need("not_equals")?;
            (!found.iter().any(|v| loosely_equal(v, want)))
                .then_some(())
                .ok_or_else(|| format!("expected anything but {}, found {shown}", show_one(want)))
        }
        Op::OneOf => {
            let want = need("one_of")?;
            let options = want.as_array().ok_or(AssertionError::WrongValue {
                op: "one_of",
                what: "a list",
            })?;
            found
                .iter()
                .any(|v| options.iter().any(|o| loosely_equal(v, o)))
                .then_some(())
                .ok_or_else(|| format!("expected one of {}, found {shown}", show_one(want)))
        }
        Op::Matches => {
            let pattern = need("matches")?
                .as_str()
                .ok_or(AssertionError::WrongValue {
                    op: "matches",
                    what: "a regex string",
                })?;
            let re =
                regex::Regex::new(pattern).map_err(|e| AssertionError::Regex(e.to_string()))?;
            found
                .iter()
                .any(|v| re.is_match(&text(v)))
                .then_some(())
                .ok_or_else(|| format!("expected a match for /{pattern}/, found {shown}"))
        }
        Op::Gt | Op::Ge | Op::Lt | Op::Le => {
            let name = match op {
                Op::Gt => "gt",
                Op::Ge => "ge",
                Op::Lt => "lt",
                _ => "le",
            };
            let bound = number(need(name)?).ok_or(AssertionError::WrongValue {
                op: name,
                what: "a number",
            })?;
            let ok = found.iter().filter_map(|v| number(v)).any(|n| match op {
                Op::Gt => n > bound,
                Op::Ge => n >= bound,
                Op::Lt => n < bound,
                _ => n <= bound,
            });
            ok.then_some(())
                .ok_or_else(|| format!("expected a number {name} {bound}, found {shown}"))
        }
        Op::Count | Op::CountAtLeast => {
            let name = if op == Op::Count {
                "count"
            } else {
                "count_at_least"
            };
            let n = number(need(name)?).ok_or(AssertionError::WrongValue {
                op: name,
                what: "a number",
            })?;
            let len = found.len() as f64;
            let ok = if op == Op::Count { len == n } else { len >= n };
            ok.then_some(()).ok_or_else(|| {
                format!(
                    "expected {name} {n}, found {} value(s): {shown}",
                    found.len()
                )
            })
        }
    };
    Ok(verdict)
}

/// Whether an operator needs a `value`.
pub fn needs_value(op: Op) -> bool {
    !matches!(op, Op::Exists | Op::Missing)
}

/// Equal as JSON, or as numbers, or as text (`"3"` equals `3`: templated values are strings).
fn loosely_equal(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return x == y;
    }
    match (a, b) {
        (Value::String(_), _) | (_, Value::String(_)) => text(a) == text(b),
        _ => false,
    }
}

/// A number, also from a string holding one (SQL output, templated values).
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn show_one(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn show(found: &[&Value]) -> String {
    if found.is_empty() {
        return "nothing".to_string();
    }
    found
        .iter()
        .map(|v| show_one(v))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(found: &[Value], op: Op, want: Option<Value>) -> Result<(), String> {
        let refs: Vec<&Value> = found.iter().collect();
        assert_values(&refs, op, want.as_ref()).expect("well-formed assertion")
    }

    #[test]
    fn equality_is_any_and_loose_about_numbers_in_strings() {
        let found = [json!("/data"), json!("/var/lib/mysql")];
        assert!(check(&found, Op::Equals, Some(json!("/var/lib/mysql"))).is_ok());
        assert!(check(&found, Op::NotEquals, Some(json!("/var/lib/mysql"))).is_err());
        assert!(check(&[json!(3)], Op::Equals, Some(json!("3"))).is_ok());
        assert!(check(&[json!("3\n")], Op::Equals, Some(json!(3))).is_ok());
        let err = check(&found, Op::Equals, Some(json!("/srv"))).expect_err("fails");
        assert!(err.contains("`/data`, `/var/lib/mysql`"), "{err}");
    }

    #[test]
    fn one_of_matches_numbers_exists_and_counts() {
        let found = [json!("Bound")];
        assert!(check(&found, Op::OneOf, Some(json!(["Pending", "Bound"]))).is_ok());
        assert!(check(&found, Op::OneOf, Some(json!(["Lost"]))).is_err());
        assert!(check(&found, Op::Matches, Some(json!("^Bo"))).is_ok());
        assert!(check(&found, Op::Matches, Some(json!("^X"))).is_err());
        assert!(check(&[json!(2)], Op::Gt, Some(json!(1))).is_ok());
        assert!(check(&[json!(2)], Op::Ge, Some(json!(2))).is_ok());
        assert!(check(&[json!(2)], Op::Lt, Some(json!(2))).is_err());
        assert!(check(&[json!("1")], Op::Le, Some(json!(1))).is_ok());
        assert!(check(&[], Op::Exists, None).is_err());
        assert!(check(&[], Op::Missing, None).is_ok());
        assert!(check(&found, Op::Missing, None).is_err());
        assert!(check(&[json!(1), json!(2)], Op::Count, Some(json!(2))).is_ok());
        assert!(check(&[json!(1)], Op::Count, Some(json!(2))).is_err());
        assert!(check(&[json!(1), json!(2)], Op::CountAtLeast, Some(json!(1))).is_ok());
    }

    #[test]
    fn malformed_assertions_are_errors_not_failures() {
        let v = json!("x");
        assert!(assert_values(&[&v], Op::Equals, None).is_err());
        assert!(assert_values(&[&v], Op::OneOf, Some(&json!("x"))).is_err());
        assert!(assert_values(&[&v], Op::Matches, Some(&json!("("))).is_err());
        assert!(assert_values(&[&v], Op::Gt, Some(&json!("many"))).is_err());
    }
}
