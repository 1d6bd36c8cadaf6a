//! PersistentVolumeClaims of a StatefulSet: one per claim template and ordinal
//! (`<claim>-<set>-<ordinal>`), and their ownerReferences per
//! `persistentVolumeClaimRetentionPolicy` (see `isClaimOwnerUpToDate` upstream).

use super::SOURCE;
use crate::admission::meta;
use crate::controllers::common::{MANAGER, is_terminating};
use crate::controllers::{Cx, EventType};
use crate::registry::ids;
use serde_json::{Value, json};

/// `<claim>-<set>-<ordinal>`.
pub fn claim_name(template: &Value, set: &Value, ordinal: i64) -> String {
    format!(
        "{}-{}-{ordinal}",
        meta::name_of(template),
        meta::name_of(set)
    )
}

/// The claim templates of a set.
pub fn templates(set: &Value) -> Vec<Value> {
    set["spec"]["volumeClaimTemplates"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Create the missing claims of pod `<set>-<ordinal>`. Returns false when a claim cannot be
/// used yet (creation failed or the claim is being deleted), so the pod must wait.
pub fn create_missing(cx: &Cx, set: &Value, ordinal: i64) -> bool {
    let ns = meta::namespace_of(set);
    let set_name = meta::name_of(set);
    let pod_name = format!("{set_name}-{ordinal}");
    let mut ok = true;
    for t in templates(set) {
        let name = claim_name(&t, set, ordinal);
        if let Some(existing) = cx.get(*ids::PVCS, ns, &name) {
            if is_terminating(&existing) {
                cx.event(
                    set,
                    EventType::Warning,
                    "FailedCreate",
                    &format!(
                        "create Claim {name} for Pod {pod_name} in StatefulSet {set_name} failed error: pvc {name} is being deleted"
                    ),
                    SOURCE,
                );
                ok = false;
            }
            continue;
        }
        let mut labels = t["metadata"]["labels"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        if let Some(m) = set["spec"]["selector"]["matchLabels"].as_object() {
            for (k, v) in m {
                labels.insert(k.clone(), v.clone());
            }
        }
        let mut md = json!({"name": name, "labels": labels});
        if let Some(a) = t["metadata"]["annotations"].as_object() {
            md["annotations"] = Value::Object(a.clone());
        }
        if when_deleted(set) == "Delete" {
            md["ownerReferences"] = json!([set_ref(set)]);
        }
        let pvc = json!({
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": md,
            "spec": t["spec"].clone()
        });
        match cx.create(*ids::PVCS, Some(ns), pvc, MANAGER) {
            Ok(_) => cx.event(
                set,
                EventType::Normal,
                "SuccessfulCreate",
                &format!("create Claim {name} Pod {pod_name} in StatefulSet {set_name} success"),
                SOURCE,
            ),
            Err(e) => {
                ok = false;
                cx.event(
                    set,
                    EventType::Warning,
                    "FailedCreate",
                    &format!(
                        "create Claim {name} for Pod {pod_name} in StatefulSet {set_name} failed error: {e}"
                    ),
                    SOURCE,
                );
            }
        }
    }
    ok
}

fn when_deleted(set: &Value) -> &str {
    set["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"]
        .as_str()
        .unwrap_or("Retain")
}

fn when_scaled(set: &Value) -> &str {
    set["spec"]["persistentVolumeClaimRetentionPolicy"]["whenScaled"]
        .as_str()
        .unwrap_or("Retain")
}

fn set_ref(set: &Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": meta::name_of(set),
        "uid": meta::uid_of(set),
        "controller": true,
        "blockOwnerDeletion": true
    })
}

fn pod_ref(pod: &Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "name": meta::name_of(pod),
        "uid": meta::uid_of(pod)
    })
}

/// Bring the ownerReferences of pod `<set>-<ordinal>`'s claims in line with the retention
/// policy. `condemned` = the ordinal is outside the replica range (being scaled away).
pub fn update_owner_refs(cx: &Cx, set: &Value, ordinal: i64, pod: Option<&Value>, condemned: bool) {
    let ns = meta::namespace_of(set);
    let set_uid = meta::uid_of(set).to_string();
    let set_name = meta::name_of(set).to_string();
    let want_set = when_deleted(set) == "Delete" && !condemned;
    // NB: a condemned claim keeps no set ref under Delete/Delete either: the pod ref takes over.
    let want_pod = when_scaled(set) == "Delete" && condemned;
    for t in templates(set) {
        let name = claim_name(&t, set, ordinal);
        let Some(pvc) = cx.get(*ids::PVCS, ns, &name) else {
            continue;
        };
        // Claims whose controller is something else (or another incarnation of the set)
        // are left alone.
        let foreign = pvc["metadata"]["ownerReferences"]
            .as_array()
            .is_some_and(|refs| {
                refs.iter().any(|r| {
                    (r["kind"] == "StatefulSet"
                        && r["name"] == set_name.as_str()
                        && r["uid"] != set_uid.as_str())
                        || (r["controller"] == true && r["uid"] != set_uid.as_str())
                })
            });
        if foreign {
            continue;
        }
        let pod_uid = pod.map(|p| meta::uid_of(p).to_string());
        let set_r = set_ref(set);
        let pod_r = pod.map(pod_ref);
        cx.update(*ids::PVCS, ns, &name, |v| {
            let md = meta::metadata(v);
            let mut refs: Vec<Value> = md
                .get("ownerReferences")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            refs.retain(|r| {
                let is_set = r["uid"] == set_uid.as_str();
                let is_pod = r["kind"] == "Pod";
                let keep_set = !is_set || want_set;
                let this_pod = pod_uid.as_deref() == r["uid"].as_str();
                let keep_pod = !is_pod || (want_pod && this_pod);
                keep_set && keep_pod
            });
            if want_set && !refs.iter().any(|r| r["uid"] == set_uid.as_str()) {
                refs.push(set_r);
            }
            if want_pod
                && let Some(pr) = pod_r
                && !refs.iter().any(|r| r["uid"] == pr["uid"])
            {
                refs.push(pr);
            }
            if refs.is_empty() {
                md.remove("ownerReferences");
            } else {
                md.insert("ownerReferences".into(), Value::Array(refs));
            }
        });
    }
}
