//! Patches: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch for
//! built-in kinds (merge keys, `$patch: delete|replace|merge`, `$retainKeys`,
//! `$deleteFromPrimitiveList/…`; `$setElementOrder/…` is accepted and ignored).

use super::error::{ApiError, ApiResult};
use serde_json::{Map, Value};

/// Patch content types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Json,
    Merge,
    Strategic,
    Apply,
}

impl PatchKind {
    /// From a Content-Type header.
    ///
    /// # Errors
    /// 415 for unknown patch types.
    pub fn from_content_type(ct: &str) -> ApiResult<Self> {
        let base = ct.split(';').next().unwrap_or_default().trim();
        match base {
            "application/json-patch+json" => Ok(PatchKind::Json),
            "application/merge-patch+json" => Ok(PatchKind::Merge),
            "application/strategic-merge-patch+json" => Ok(PatchKind::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => Ok(PatchKind::Apply),
            _ => Err(ApiError::UnsupportedMediaType(
                "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
                    .into(),
            )),
        }
    }
}

/// Apply a JSON patch document.
///
/// # Errors
/// BadRequest when the patch is malformed, 422 when it does not apply.
pub fn json_patch(target: &Value, patch: &Value) -> ApiResult<Value> {
    let p: json_patch::Patch = serde_json::from_value(patch.clone())
        .map_err(|e| ApiError::BadRequest(format!("error decoding patch: {e}")))?;
    let mut doc = target.clone();
    json_patch::patch(&mut doc, &p).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    Ok(doc)
}

/// Apply a JSON merge patch.
///
/// # Errors
/// BadRequest when the patch is not an object.
pub fn merge_patch(target: &Value, patch: &Value) -> ApiResult<Value> {
    if !patch.is_object() {
        return Err(ApiError::BadRequest(
            "json: cannot unmarshal into Go value of type map[string]interface {}".into(),
        ));
    }
    let mut doc = target.clone();
    json_patch::merge(&mut doc, patch);
    Ok(doc)
}

/// The merge key of a list field, by field name (and element shape for `ports`).
pub fn merge_key(field: &str, elems: &[&Value]) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims"
        | "args_never" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" | "addresses" => "type",
        "ownerReferences" => "uid",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "ports" => {
            if elems.iter().any(|e| e.get("containerPort").is_some()) {
                "containerPort"
            } else {
                "port"
            }
        }
        _ => return None,
    })
}

/// Lists of primitives that merge as sets.
fn primitive_merge(field: &str) -> bool {
    field == "finalizers"
}

/// Apply a strategic merge patch.
///
/// # Errors
/// BadRequest when the patch is not an object or uses an unknown directive.
pub fn strategic_merge(target: &Value, patch: &Value) -> ApiResult<Value> {
    let Some(p) = patch.as_object() else {
        return Err(ApiError::BadRequest(
            "json: cannot unmarshal into Go value of type map[string]interface {}".into(),
        ));
    };
    let mut doc = target.clone();
    if !doc.is_object() {
        doc = Value::Object(Map::new());
    }
    if let Value::Object(t) = &mut doc {
        merge_map(t, p)?;
    }
    Ok(doc)
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

fn merge_map(t: &mut Map<String, Value>, p: &Map<String, Value>) -> ApiResult<()> {
    match p.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            *t = strip_directives(&Value::Object(p.clone()))
                .as_object()
                .cloned()
                .unwrap_or_default();
            return Ok(());
        }
        Some("delete") => {
            t.clear();
            return Ok(());
        }
        Some("merge") | None => {}
        Some(other) => return Err(ApiError::BadRequest(format!("Unknown patch type: {other}"))),
    }
    if let Some(keys) = p.get("$retainKeys").and_then(Value::as_array) {
        let keep: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
        t.retain(|k, _| keep.contains(&k.as_str()));
    }
    for (k, pv) in p {
        if k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Some(del)) = (t.get_mut(field), pv.as_array()) {
                list.retain(|x| !del.contains(x));
            }
            continue;
        }
        if k.starts_with('$') {
            return Err(ApiError::BadRequest(format!("unknown directive {k}")));
        }
        match pv {
            Value::Null => {
                t.remove(k);
            }
            Value::Object(pm) => match pm.get("$patch").and_then(Value::as_str) {
                Some("delete") => {
                    t.remove(k);
                }
                Some("replace") => {
                    t.insert(k.clone(), strip_directives(pv));
                }
                _ => {
                    let entry = t
                        .entry(k.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if !entry.is_object() {
                        *entry = Value::Object(Map::new());
                    }
                    if let Value::Object(tm) = entry {
                        merge_map(tm, pm)?;
                    }
                }
            },
            Value::Array(pa) => {
                let merged = merge_list(k, t.get(k), pa)?;
                t.insert(k.clone(), merged);
            }
            other => {
                t.insert(k.clone(), other.clone());
            }
        }
    }
    Ok(())
}

fn merge_list(field: &str, target: Option<&Value>, patch: &[Value]) -> ApiResult<Value> {
    let current: Vec<Value> = target
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // `{"$patch": "replace"}` as an element replaces the whole list.
    if patch
        .iter()
        .any(|e| e.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        return Ok(Value::Array(
            patch
                .iter()
                .filter(|e| e.get("$patch").is_none())
                .map(strip_directives)
                .collect(),
        ));
    }
    if primitive_merge(field) {
        let mut out = current;
        for e in patch {
            if !out.contains(e) {
                out.push(e.clone());
            }
        }
        return Ok(Value::Array(out));
    }
    let elems: Vec<&Value> = patch.iter().chain(current.iter()).collect();
    let Some(key) = merge_key(field, &elems) else {
        return Ok(Value::Array(patch.iter().map(strip_directives).collect()));
    };
    let mut out = current;
    for e in patch {
        let Some(em) = e.as_object() else {
            return Err(ApiError::BadRequest(format!(
                "the list of {field} must contain objects"
            )));
        };
        let kv = em.get(key).cloned().unwrap_or(Value::Null);
        let pos = out
            .iter()
            .position(|x| x.get(key) == Some(&kv) && !kv.is_null());
        if em.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(i) = pos {
                out.remove(i);
            }
            continue;
        }
        match pos {
            Some(i) => {
                if let Some(Value::Object(tm)) = out.get_mut(i) {
                    merge_map(tm, em)?;
                }
            }
            None => out.push(strip_directives(e)),
        }
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strategic_merge_uses_merge_keys() {
        let pod = json!({"spec": {"containers": [
            {"name": "a", "image": "nginx:1", "ports": [{"containerPort": 80}], "env": [{"name": "X", "value": "1"}]},
            {"name": "b", "image": "busybox"}
        ]}});
        let patch = json!({"spec": {"containers": [
            {"name": "a", "image": "nginx:2", "env": [{"name": "Y", "value": "2"}]},
            {"name": "b", "$patch": "delete"}
        ], "$setElementOrder/containers": [{"name": "a"}]}});
        let out = strategic_merge(&pod, &patch).expect("patch");
        let cs = out["spec"]["containers"].as_array().expect("list");
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0]["image"], "nginx:2");
        assert_eq!(cs[0]["ports"][0]["containerPort"], 80);
        assert_eq!(cs[0]["env"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn replace_and_delete_directives() {
        let obj = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"x": 1}});
        let out = strategic_merge(
            &obj,
            &json!({"metadata": {"labels": {"$patch": "replace", "c": "3"}}, "spec": {"x": null}}),
        )
        .expect("patch");
        assert_eq!(out["metadata"]["labels"], json!({"c": "3"}));
        assert_eq!(out["spec"], json!({}));
    }

    #[test]
    fn json_patch_errors_are_unprocessable() {
        let err =
            json_patch(&json!({}), &json!([{"op": "remove", "path": "/nope"}])).expect_err("fails");
        assert_eq!(err.code(), 422);
        assert_eq!(
            json_patch(&json!({}), &json!({"op": 1}))
                .expect_err("bad")
                .code(),
            400
        );
    }
}
