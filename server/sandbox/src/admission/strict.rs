//! Decoding of request bodies into the typed schema, and strict field validation: any path in
//! the input that does not survive a round trip through the k8s-openapi type is unknown.

use crate::registry::ResourceDef;
use serde_json::Value;

/// How unknown fields are treated (`fieldValidation` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    /// Reject unknown and duplicate fields (kubectl's default).
    #[default]
    Strict,
    /// Accept, drop and warn.
    Warn,
    /// Accept and drop silently.
    Ignore,
}

/// A body the schema cannot hold.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DecodeError {
    /// Wrong types: `Pod in version "v1" cannot be handled as a Pod: ...`.
    #[error("{kind} in version \"{version}\" cannot be handled as a {kind}: {detail}")]
    Schema {
        kind: String,
        version: String,
        detail: String,
    },
    /// A required field is missing (reported as 422 Invalid, like the real validation).
    #[error("{field}: Required value")]
    Missing { field: String },
    /// Unknown fields under Strict.
    #[error("{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}", .fields.iter().map(|f| format!("unknown field \"{f}\"")).collect::<Vec<_>>().join(", "))]
    Unknown {
        kind: String,
        version: String,
        fields: Vec<String>,
    },
}

/// Type-check `input` against the kind's schema. Returns the normalised object (unknown fields
/// dropped) and the unknown field paths found (an error under Strict).
///
/// # Errors
/// [`DecodeError`] when the body does not fit the schema.
pub fn decode(
    def: &ResourceDef,
    input: &Value,
    mode: FieldValidation,
) -> Result<(Value, Vec<String>), DecodeError> {
    let out = (def.round_trip)(input).map_err(|e| {
        if let Some(f) = e
            .message
            .strip_prefix("missing field `")
            .and_then(|m| m.split('`').next())
        {
            let field = if e.path.is_empty() {
                f.to_string()
            } else {
                format!("{}.{f}", e.path)
            };
            return DecodeError::Missing { field };
        }
        let detail = if e.path.is_empty() {
            e.message
        } else {
            format!("{}: {}", e.path, e.message)
        };
        DecodeError::Schema {
            kind: def.kind.into(),
            version: def.version.into(),
            detail,
        }
    })?;
    let mut unknown = Vec::new();
    diff(input, &out, "", &mut unknown);
    if mode == FieldValidation::Strict && !unknown.is_empty() {
        return Err(DecodeError::Unknown {
            kind: def.kind.into(),
            version: def.version.into(),
            fields: unknown,
        });
    }
    Ok((out, unknown))
}

fn diff(input: &Value, out: &Value, path: &str, unknown: &mut Vec<String>) {
    match (input, out) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match b.get(k) {
                    Some(bv) => diff(v, bv, &p, unknown),
                    None if v.is_null() => {}
                    None => unknown.push(p),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
                diff(x, y, &format!("{path}[{i}]"), unknown);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{def, ids};
    use serde_json::json;

    #[test]
    fn unknown_fields_are_reported_with_paths() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "nginx", "imagePullPolice": "Always"}], "foo": 1}});
        let err =
            decode(def(*ids::PODS), &pod, FieldValidation::Strict).expect_err("unknown fields");
        assert_eq!(
            err.to_string(),
            "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].imagePullPolice\", unknown field \"spec.foo\""
        );
        let (out, unknown) =
            decode(def(*ids::PODS), &pod, FieldValidation::Ignore).expect("ignore");
        assert_eq!(unknown.len(), 2);
        assert!(out["spec"].get("foo").is_none());
    }

    #[test]
    fn wrong_types_are_schema_errors() {
        let pod = json!({"metadata": {"name": 5}});
        assert!(matches!(
            decode(def(*ids::PODS), &pod, FieldValidation::Strict),
            Err(DecodeError::Schema { .. })
        ));
    }
}
