//! `metadata.managedFields` and server-side apply: field ownership per manager (FieldsV1),
//! conflicts between managers, and removal of fields a manager stopped applying.

use super::error::ApiError;
use super::patch::{merge_key, strategic_merge};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Separator of path components (cannot appear in JSON keys we produce).
const SEP: char = '\u{1}';

type FieldSet = BTreeSet<String>;

/// Leaf field paths of an object (identity fields and, unless `status_only`, status excluded).
pub fn fields_of(obj: &Value, status_only: bool) -> FieldSet {
    let mut out = FieldSet::new();
    if let Some(m) = obj.as_object() {
        for (k, v) in m {
            let skip = match k.as_str() {
                "apiVersion" | "kind" => true,
                "status" => !status_only,
                _ => status_only,
            };
            if skip {
                continue;
            }
            if k == "metadata" {
                if let Some(md) = v.as_object() {
                    for (mk, mv) in md {
                        if matches!(
                            mk.as_str(),
                            "labels" | "annotations" | "finalizers" | "ownerReferences"
                        ) {
                            collect(mv, mk, format!("f:metadata{SEP}f:{mk}"), &mut out);
                        }
                    }
                }
                continue;
            }
            collect(v, k, format!("f:{k}"), &mut out);
        }
    }
    out
}

fn collect(v: &Value, field: &str, prefix: String, out: &mut FieldSet) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, cv) in m {
                collect(cv, k, format!("{prefix}{SEP}f:{k}"), out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let elems: Vec<&Value> = a.iter().collect();
            match merge_key(field, &elems) {
                Some(key) if a.iter().all(|e| e.get(key).is_some()) => {
                    for e in a {
                        let kp = format!("{prefix}{SEP}k:{}", json!({ key: e[key] }));
                        out.insert(format!("{kp}{SEP}."));
                        if let Some(m) = e.as_object() {
                            for (k, cv) in m {
                                collect(cv, k, format!("{kp}{SEP}f:{k}"), out);
                            }
                        }
                    }
                }
                _ => {
                    out.insert(prefix);
                }
            }
        }
        _ => {
            out.insert(prefix);
        }
    }
}

/// FieldSet → nested FieldsV1 JSON.
fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut cur = &mut root;
        for comp in path.split(SEP) {
            let e = cur.entry(comp.to_string()).or_insert_with(|| json!({}));
            let Value::Object(m) = e else { break };
            cur = m;
        }
    }
    Value::Object(root)
}

/// Nested FieldsV1 JSON → FieldSet (leaves only).
fn from_fields_v1(v: &Value) -> FieldSet {
    fn walk(v: &Value, prefix: &str, out: &mut FieldSet) {
        match v.as_object() {
            Some(m) if !m.is_empty() => {
                for (k, cv) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}{SEP}{k}")
                    };
                    walk(cv, &p, out);
                }
            }
            _ => {
                if !prefix.is_empty() {
                    out.insert(prefix.to_string());
                }
            }
        }
    }
    let mut out = FieldSet::new();
    walk(v, "", &mut out);
    out
}

/// The value at a field path (None when absent).
fn value_at<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = obj;
    for comp in path.split(SEP) {
        if comp == "." {
            return Some(cur);
        }
        if let Some(f) = comp.strip_prefix("f:") {
            cur = cur.get(f)?;
        } else if let Some(k) = comp.strip_prefix("k:") {
            let key: Value = serde_json::from_str(k).ok()?;
            let km = key.as_object()?;
            cur = cur
                .as_array()?
                .iter()
                .find(|e| km.iter().all(|(kk, kv)| e.get(kk) == Some(kv)))?;
        } else {
            return None;
        }
    }
    Some(cur)
}

/// Remove the field at a path (list entries are removed for `k:…/.` paths).
fn remove_at(obj: &mut Value, path: &str) {
    let comps: Vec<&str> = path.split(SEP).collect();
    let (last, parents) = match comps.as_slice() {
        [p @ .., k, "."] if k.starts_with("k:") => (*k, p.to_vec()),
        [p @ .., l] => (*l, p.to_vec()),
        [] => return,
    };
    let mut cur = obj;
    for comp in parents {
        let next = if let Some(f) = comp.strip_prefix("f:") {
            cur.get_mut(f)
        } else if let Some(k) = comp.strip_prefix("k:") {
            let Ok(Value::Object(km)) = serde_json::from_str::<Value>(k) else {
                return;
            };
            cur.as_array_mut().and_then(|a| {
                a.iter_mut()
                    .find(|e| km.iter().all(|(kk, kv)| e.get(kk) == Some(kv)))
            })
        } else {
            None
        };
        let Some(n) = next else { return };
        cur = n;
    }
    if let Some(f) = last.strip_prefix("f:") {
        if let Some(m) = cur.as_object_mut() {
            m.remove(f);
        }
    } else if let Some(k) = last.strip_prefix("k:")
        && let (Ok(Value::Object(km)), Some(a)) =
            (serde_json::from_str::<Value>(k), cur.as_array_mut())
    {
        a.retain(|e| !km.iter().all(|(kk, kv)| e.get(kk) == Some(kv)));
    }
}

fn entries(obj: &Value) -> Vec<Value> {
    obj["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn entry_matches(e: &Value, manager: &str, operation: &str, subresource: Option<&str>) -> bool {
    e["manager"] == manager
        && e["operation"] == operation
        && e["subresource"].as_str() == subresource
}

fn set_entries(obj: &mut Value, list: Vec<Value>) {
    if let Some(md) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            md.remove("managedFields");
        } else {
            md.insert("managedFields".into(), Value::Array(list));
        }
    }
}

fn make_entry(
    manager: &str,
    operation: &str,
    api_version: &str,
    subresource: Option<&str>,
    set: &FieldSet,
) -> Value {
    let mut e = json!({
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": crate::admission::meta::now(),
        "fieldsType": "FieldsV1",
        "fieldsV1": to_fields_v1(set),
    });
    if let Some(s) = subresource {
        e["subresource"] = json!(s);
    }
    e
}

/// Record an Update-operation write by `manager`: it takes ownership of every field that is
/// new or changed between `old` and `new` (all fields on create).
pub fn record_update(
    new: &mut Value,
    old: Option<&Value>,
    manager: &str,
    api_version: &str,
    subresource: Option<&str>,
) {
    let status_only = subresource == Some("status");
    let new_fields = fields_of(new, status_only);
    let changed: FieldSet = new_fields
        .iter()
        .filter(|p| old.is_none_or(|o| value_at(o, p) != value_at(new, p)))
        .cloned()
        .collect();
    if let Some(o) = old {
        let removed = fields_of(o, status_only)
            .iter()
            .any(|p| !new_fields.contains(p));
        if changed.is_empty() && !removed {
            // A no-op write keeps managedFields (and their timestamps) as they were.
            let list = entries(o);
            set_entries(new, list);
            return;
        }
    }
    let mut list = old.map(entries).unwrap_or_else(|| entries(new));
    let mut mine = FieldSet::new();
    list.retain_mut(|e| {
        let mut set = from_fields_v1(&e["fieldsV1"]);
        if entry_matches(e, manager, "Update", subresource) {
            mine = set;
            return false;
        }
        let before = set.len();
        set.retain(|p| !changed.contains(p) && new_fields.contains(p));
        if set.len() != before {
            e["fieldsV1"] = to_fields_v1(&set);
        }
        !set.is_empty()
    });
    mine.retain(|p| new_fields.contains(p));
    mine.extend(changed);
    if !mine.is_empty() {
        list.push(make_entry(
            manager,
            "Update",
            api_version,
            subresource,
            &mine,
        ));
    }
    set_entries(new, list);
}

/// Server-side apply of `config` by `manager` onto `live` (None: create).
///
/// # Errors
/// 409 Conflict listing fields owned by other managers with different values, unless `force`.
pub fn apply(
    live: Option<&Value>,
    config: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
    subresource: Option<&str>,
    conflict: impl Fn(String) -> ApiError,
) -> Result<Value, ApiError> {
    let status_only = subresource == Some("status");
    let applied = fields_of(config, status_only);
    let base = live.cloned().unwrap_or_else(|| json!({}));
    let mut list = entries(&base);
    // Conflicts: another manager owns a field we set, with a different live value.
    let mut conflicts = Vec::new();
    for e in &list {
        if entry_matches(e, manager, "Apply", subresource) {
            continue;
        }
        let owned = from_fields_v1(&e["fieldsV1"]);
        for p in applied.intersection(&owned) {
            // NB: the live object is defaulted, so an applied value that is a subset of the
            // live one (same fields, defaults added) is not a change.
            let same = match (value_at(config, p), value_at(&base, p)) {
                (Some(c), Some(l)) => subset(c, l),
                (None, None) => true,
                _ => false,
            };
            if !same && !p.ends_with(&format!("{SEP}.")) {
                conflicts.push((
                    e["manager"].as_str().unwrap_or_default().to_string(),
                    p.clone(),
                ));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        let lines: Vec<String> = conflicts
            .iter()
            .map(|(m, p)| {
                format!(
                    "conflict with \"{m}\" using {api_version}: {}",
                    render_path(p)
                )
            })
            .collect();
        let msg = if lines.len() == 1 {
            format!("Apply failed with 1 conflict: {}", lines[0])
        } else {
            format!(
                "Apply failed with {} conflicts: {}",
                lines.len(),
                lines.join("\n")
            )
        };
        return Err(conflict(msg));
    }
    let previous = list
        .iter()
        .find(|e| entry_matches(e, manager, "Apply", subresource))
        .map(|e| from_fields_v1(&e["fieldsV1"]))
        .unwrap_or_default();
    let mut merged = strategic_merge(&base, &strip_identity(config))?;
    // Fields this manager applied before but not now, and nobody else owns, are removed.
    let others: FieldSet = list
        .iter()
        .filter(|e| !entry_matches(e, manager, "Apply", subresource))
        .flat_map(|e| from_fields_v1(&e["fieldsV1"]))
        .collect();
    for p in previous.difference(&applied) {
        if !others.contains(p) {
            remove_at(&mut merged, p);
        }
    }
    // Ownership moves to the applier.
    list.retain_mut(|e| {
        if entry_matches(e, manager, "Apply", subresource) {
            return false;
        }
        let mut set = from_fields_v1(&e["fieldsV1"]);
        let before = set.len();
        set.retain(|p| !applied.contains(p));
        if set.len() != before {
            e["fieldsV1"] = to_fields_v1(&set);
        }
        !set.is_empty()
    });
    list.push(make_entry(
        manager,
        "Apply",
        api_version,
        subresource,
        &applied,
    ));
    set_entries(&mut merged, list);
    Ok(merged)
}

/// Whether every field of `a` is present with an equal value in `b` (arrays: same length,
/// element-wise subset).
fn subset(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x
            .iter()
            .all(|(k, v)| v.is_null() || y.get(k).is_some_and(|w| subset(v, w))),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| subset(v, w))
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn strip_identity(config: &Value) -> Value {
    let mut c = config.clone();
    if let Some(md) = c.get_mut("metadata").and_then(Value::as_object_mut) {
        md.remove("managedFields");
        md.remove("resourceVersion");
        md.remove("uid");
        md.remove("creationTimestamp");
    }
    c
}

/// `.spec.containers[name="nginx"].image`, the form kube-apiserver prints in conflicts.
fn render_path(p: &str) -> String {
    let mut out = String::new();
    for comp in p.split(SEP) {
        if let Some(f) = comp.strip_prefix("f:") {
            out.push('.');
            out.push_str(f);
        } else if let Some(k) = comp.strip_prefix("k:")
            && let Ok(Value::Object(m)) = serde_json::from_str::<Value>(k)
        {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push_str(&format!("[{}]", parts.join(",")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict(m: String) -> ApiError {
        ApiError::Conflict {
            resource: "x".into(),
            group: String::new(),
            name: "n".into(),
            message: m,
        }
    }

    #[test]
    fn apply_then_drop_field_removes_it() {
        let cfg1 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"x": "1", "y": "2"}});
        let obj = apply(None, &cfg1, "mgr", false, "v1", None, conflict).expect("create");
        assert_eq!(obj["data"]["y"], "2");
        let cfg2 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1"}});
        let obj = apply(Some(&obj), &cfg2, "mgr", false, "v1", None, conflict).expect("update");
        assert!(obj["data"].get("y").is_none(), "{obj}");
        assert!(
            obj["metadata"]
                .get("labels")
                .is_none_or(|l| l.get("a").is_none()),
            "{obj}"
        );
        assert_eq!(obj["metadata"]["managedFields"][0]["manager"], "mgr");
    }

    #[test]
    fn conflicting_managers_get_409_unless_forced() {
        let cfg = json!({"metadata": {"name": "c"}, "data": {"x": "1"}});
        let obj = apply(None, &cfg, "a", false, "v1", None, conflict).expect("create");
        let cfg_b = json!({"metadata": {"name": "c"}, "data": {"x": "2"}});
        let err =
            apply(Some(&obj), &cfg_b, "b", false, "v1", None, conflict).expect_err("conflict");
        assert_eq!(
            err.to_string(),
            "Apply failed with 1 conflict: conflict with \"a\" using v1: .data.x"
        );
        let obj = apply(Some(&obj), &cfg_b, "b", true, "v1", None, conflict).expect("forced");
        assert_eq!(obj["data"]["x"], "2");
        let managers: Vec<&str> = obj["metadata"]["managedFields"]
            .as_array()
            .expect("mf")
            .iter()
            .filter_map(|e| e["manager"].as_str())
            .collect();
        assert_eq!(managers, vec!["b"]);
    }

    #[test]
    fn update_records_changed_fields() {
        let mut obj = json!({"metadata": {"name": "c"}, "data": {"x": "1"}});
        record_update(&mut obj, None, "kubectl-create", "v1", None);
        let old = obj.clone();
        let mut new = obj.clone();
        new["data"]["y"] = json!("2");
        record_update(&mut new, Some(&old), "kubectl-edit", "v1", None);
        assert_eq!(
            new["metadata"]["managedFields"].as_array().map(Vec::len),
            Some(2)
        );
    }
}
