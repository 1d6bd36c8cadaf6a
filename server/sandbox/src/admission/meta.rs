//! Object metadata the server owns: uid, creationTimestamp, generation, kind/apiVersion.

use crate::registry::ResourceDef;
use serde_json::{Value, json};

/// RFC 3339 timestamp with second precision, like `metav1.Time`.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// RFC 3339 with microseconds, like `metav1.MicroTime` (events.k8s.io, leases).
pub fn now_micro() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// A fresh object uid.
pub fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Make sure `obj` is an object with an object `metadata` and return the metadata map.
pub fn metadata(obj: &mut Value) -> &mut serde_json::Map<String, Value> {
    object_field(obj, "metadata")
}

/// Make sure `obj` is an object whose field `key` is an object, and return that field.
pub fn object_field<'a>(obj: &'a mut Value, key: &str) -> &'a mut serde_json::Map<String, Value> {
    if !obj.is_object() {
        *obj = json!({});
    }
    let Value::Object(map) = obj else {
        unreachable!("just made an object")
    };
    let field = map.entry(key.to_string()).or_insert_with(|| json!({}));
    if !field.is_object() {
        *field = json!({});
    }
    let Value::Object(m) = field else {
        unreachable!("just made an object")
    };
    m
}

/// Fill server-owned fields of a newly created object.
pub fn stamp_create(obj: &mut Value, def: &ResourceDef, namespace: Option<&str>) {
    if !obj.is_object() {
        *obj = json!({});
    }
    obj["apiVersion"] = json!(def.api_version());
    obj["kind"] = json!(def.kind);
    let tracks = def.tracks_generation();
    let md = metadata(obj);
    if let Some(ns) = namespace {
        md.insert("namespace".into(), json!(ns));
    } else {
        md.remove("namespace");
    }
    md.insert("uid".into(), json!(new_uid()));
    md.insert("creationTimestamp".into(), json!(now()));
    md.remove("deletionTimestamp");
    md.remove("deletionGracePeriodSeconds");
    md.remove("resourceVersion");
    md.remove("selfLink");
    if tracks {
        md.insert("generation".into(), json!(1));
    } else {
        md.remove("generation");
    }
}

/// The object's name (empty when missing).
pub fn name_of(obj: &Value) -> &str {
    obj["metadata"]["name"].as_str().unwrap_or_default()
}

/// The object's namespace (empty when missing or cluster-scoped).
pub fn namespace_of(obj: &Value) -> &str {
    obj["metadata"]["namespace"].as_str().unwrap_or_default()
}

/// The object's uid.
pub fn uid_of(obj: &Value) -> &str {
    obj["metadata"]["uid"].as_str().unwrap_or_default()
}
