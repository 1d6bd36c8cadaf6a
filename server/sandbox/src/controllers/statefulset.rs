//! StatefulSet controller: stable pod identities `<set>-<ordinal>`, claims per ordinal,
//! OrderedReady / Parallel pod management, RollingUpdate (with partition) / OnDelete updates,
//! ControllerRevisions and status, following `stateful_set_control.go` in spirit.

mod claims;
mod revisions;

use super::common::{
    MANAGER, adopt, adopters, controller_name, controller_ref, controller_uid, is_pod_available,
    is_pod_finished, is_running_and_ready, is_terminating, pod_from_template, selects,
};
use super::{Controller, Cx, EventType, Key, Requeue};
use crate::admission::meta;
use crate::registry::ids;
use crate::store::Event;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

pub(crate) const SOURCE: &str = "statefulset-controller";
const REVISION_LABEL: &str = "controller-revision-hash";

/// The StatefulSet controller.
pub struct StatefulSets;

impl Controller for StatefulSets {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn keys_for(&self, cx: &Cx, ev: &Event, out: &mut Vec<Key>) {
        let r = ev.resource;
        if r == *ids::STATEFULSETS {
            out.push(Key::new(&ev.namespace, meta::name_of(&ev.object)));
        } else if r == *ids::PODS || r == *ids::CONTROLLERREVISIONS {
            if let Some(s) = controller_name(&ev.object, "StatefulSet") {
                out.push(Key::new(&ev.namespace, s));
            } else if r == *ids::PODS {
                for s in adopters(cx, *ids::STATEFULSETS, &ev.namespace, &ev.object) {
                    out.push(Key::new(&ev.namespace, s));
                }
            }
        } else if r == *ids::PVCS {
            // A claim of a set went away (or changed) while its pod waits for it.
            let pvc = meta::name_of(&ev.object);
            for set in cx.list(*ids::STATEFULSETS, Some(&ev.namespace)) {
                let set_name = meta::name_of(&set);
                if claims::templates(&set).iter().any(|t| {
                    pvc.strip_prefix(meta::name_of(t))
                        .and_then(|rest| rest.strip_prefix('-'))
                        .and_then(|rest| rest.strip_prefix(set_name))
                        .is_some_and(|rest| rest.starts_with('-'))
                }) {
                    out.push(Key::new(&ev.namespace, set_name));
                }
            }
        }
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for s in cx.list(*ids::STATEFULSETS, None) {
            out.push(Key::new(meta::namespace_of(&s), meta::name_of(&s)));
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        let Some(set) = cx.get(*ids::STATEFULSETS, &key.namespace, &key.name) else {
            return Requeue::Done;
        };
        if is_terminating(&set) {
            return Requeue::Done;
        }
        let Some(revs) = revisions::sync(cx, &set) else {
            return Requeue::After(Duration::from_secs(1));
        };
        let requeue = sync_pods(cx, &set, &revs);
        update_status(cx, &set, &revs);
        requeue
    }
}

/// Ordinal of `pod` in `set` (`<set>-<n>`).
fn ordinal_of(set: &Value, pod: &Value) -> Option<i64> {
    meta::name_of(pod)
        .strip_prefix(meta::name_of(set))?
        .strip_prefix('-')?
        .parse()
        .ok()
}

fn revision_of(pod: &Value) -> &str {
    pod["metadata"]["labels"][REVISION_LABEL]
        .as_str()
        .unwrap_or_default()
}

/// The set's pods by ordinal, adopting orphans with a matching name and labels (e.g. after
/// `kubectl delete sts --cascade=orphan` and a re-create).
fn owned_pods(cx: &Cx, set: &Value) -> BTreeMap<i64, Arc<Value>> {
    let uid = meta::uid_of(set);
    cx.list(*ids::PODS, Some(meta::namespace_of(set)))
        .into_iter()
        .filter_map(|p| {
            let o = ordinal_of(set, &p)?;
            match controller_uid(&p) {
                Some(u) if u == uid => Some((o, p)),
                None if !is_terminating(&p) && selects(&set["spec"]["selector"], &p) => {
                    adopt(cx, *ids::PODS, &p, set).map(|p| (o, p))
                }
                _ => None,
            }
        })
        .collect()
}

struct Spec {
    start: i64,
    replicas: i64,
    monotonic: bool,
    on_delete: bool,
    partition: i64,
}

fn spec_of(set: &Value) -> Spec {
    let s = &set["spec"];
    Spec {
        start: s["ordinals"]["start"].as_i64().unwrap_or(0).max(0),
        replicas: s["replicas"].as_i64().unwrap_or(1).max(0),
        monotonic: s["podManagementPolicy"] != "Parallel",
        on_delete: s["updateStrategy"]["type"] == "OnDelete",
        partition: s["updateStrategy"]["rollingUpdate"]["partition"]
            .as_i64()
            .unwrap_or(0)
            .max(0),
    }
}

/// One pass of `updateStatefulSet`: replace failed pods, create missing ones, delete
/// condemned ones, then roll pods to the update revision.
fn sync_pods(cx: &Cx, set: &Value, revs: &revisions::Revisions) -> Requeue {
    let sp = spec_of(set);
    let ns = meta::namespace_of(set);
    let set_name = meta::name_of(set);
    let pods = owned_pods(cx, set);
    let end = sp.start + sp.replicas;
    let in_range = |o: i64| o >= sp.start && o < end;
    for (o, p) in &pods {
        claims::update_owner_refs(cx, set, *o, Some(p), !in_range(*o));
    }
    for o in sp.start..end {
        let Some(pod) = pods.get(&o) else {
            if !claims::create_missing(cx, set, o) {
                if sp.monotonic {
                    return Requeue::After(Duration::from_secs(1));
                }
                continue;
            }
            let use_current = !sp.on_delete && o - sp.start < sp.partition;
            let (tpl, rev) = if use_current {
                (&revs.current_template, revs.current.as_str())
            } else {
                (&revs.update_template, revs.update.as_str())
            };
            create_pod(cx, set, o, tpl, rev);
            if sp.monotonic {
                return Requeue::Done;
            }
            continue;
        };
        if is_pod_finished(pod) && !is_terminating(pod) {
            cx.event(
                set,
                EventType::Warning,
                "RecreatingFailedPod",
                &format!(
                    "StatefulSet {ns}/{set_name} is recreating failed Pod {}",
                    meta::name_of(pod)
                ),
                SOURCE,
            );
            delete_pod(cx, set, pod);
            if sp.monotonic {
                return Requeue::Done;
            }
            continue;
        }
        let pending = pod["status"]["phase"]
            .as_str()
            .is_none_or(|p| p == "Pending");
        if pending && !is_terminating(pod) {
            claims::create_missing(cx, set, o);
        }
        ensure_identity(cx, set, pod, o);
        if sp.monotonic && !is_running_and_ready(pod) {
            return Requeue::Done;
        }
    }
    // Condemned pods go from the highest ordinal down.
    for (_, pod) in pods.iter().rev().filter(|(o, _)| !in_range(**o)) {
        if is_terminating(pod) {
            if sp.monotonic {
                return Requeue::Done;
            }
            continue;
        }
        delete_pod(cx, set, pod);
        if sp.monotonic {
            return Requeue::Done;
        }
    }
    if sp.on_delete {
        return Requeue::Done;
    }
    // RollingUpdate: highest ordinal first, one at a time, each back to Running and Ready
    // before the next; ordinals below the partition stay at the current revision.
    for o in (sp.start + sp.partition..end).rev() {
        let Some(pod) = pods.get(&o) else {
            return Requeue::Done;
        };
        if revision_of(pod) != revs.update && !is_terminating(pod) {
            let name = meta::name_of(pod).to_string();
            cx.delete(*ids::PODS, ns, &name, "Background");
            cx.event(
                set,
                EventType::Normal,
                "SuccessfulDelete",
                &format!("delete Pod {name} in StatefulSet {set_name} successful"),
                SOURCE,
            );
            return Requeue::Done;
        }
        if !is_running_and_ready(pod) {
            return Requeue::Done;
        }
    }
    Requeue::Done
}

fn delete_pod(cx: &Cx, set: &Value, pod: &Value) {
    let name = meta::name_of(pod).to_string();
    cx.delete(*ids::PODS, meta::namespace_of(set), &name, "Background");
    cx.event(
        set,
        EventType::Normal,
        "SuccessfulDelete",
        &format!(
            "delete Pod {name} in StatefulSet {} successful",
            meta::name_of(set)
        ),
        SOURCE,
    );
}

/// Labels every pod of a set carries (`updateIdentity`).
fn identity_labels(name: &str, ordinal: i64) -> [(&'static str, String); 2] {
    [
        ("statefulset.kubernetes.io/pod-name", name.to_string()),
        ("apps.kubernetes.io/pod-index", ordinal.to_string()),
    ]
}

fn ensure_identity(cx: &Cx, set: &Value, pod: &Value, ordinal: i64) {
    let name = meta::name_of(pod);
    let labels = identity_labels(name, ordinal);
    if labels
        .iter()
        .all(|(k, v)| pod["metadata"]["labels"][*k] == v.as_str())
    {
        return;
    }
    cx.update(*ids::PODS, meta::namespace_of(set), name, |p| {
        meta::object_field(meta_value(p), "labels");
        for (k, v) in labels {
            p["metadata"]["labels"][k] = json!(v);
        }
    });
}

fn meta_value(v: &mut Value) -> &mut Value {
    meta::metadata(v);
    &mut v["metadata"]
}

fn create_pod(cx: &Cx, set: &Value, ordinal: i64, template: &Value, revision: &str) {
    let ns = meta::namespace_of(set);
    let set_name = meta::name_of(set);
    let name = format!("{set_name}-{ordinal}");
    let mut pod = pod_from_template(template);
    let md = meta::metadata(&mut pod);
    md.insert("name".into(), json!(name));
    md.insert("ownerReferences".into(), json!([controller_ref(set)]));
    meta::object_field(meta_value(&mut pod), "labels");
    for (k, v) in identity_labels(&name, ordinal) {
        pod["metadata"]["labels"][k] = json!(v);
    }
    pod["metadata"]["labels"][REVISION_LABEL] = json!(revision);
    pod["spec"]["hostname"] = json!(name);
    if let Some(svc) = set["spec"]["serviceName"]
        .as_str()
        .filter(|s| !s.is_empty())
    {
        pod["spec"]["subdomain"] = json!(svc);
    }
    let mut volumes: Vec<Value> = pod["spec"]["volumes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for t in claims::templates(set) {
        let vol = meta::name_of(&t).to_string();
        volumes.retain(|v| v["name"] != vol.as_str());
        volumes.push(json!({
            "name": vol,
            "persistentVolumeClaim": {"claimName": claims::claim_name(&t, set, ordinal)}
        }));
    }
    if !volumes.is_empty() {
        pod["spec"]["volumes"] = Value::Array(volumes);
    }
    match cx.create(*ids::PODS, Some(ns), pod, MANAGER) {
        Ok(created) => {
            claims::update_owner_refs(cx, set, ordinal, Some(&created), false);
            cx.event(
                set,
                EventType::Normal,
                "SuccessfulCreate",
                &format!("create Pod {name} in StatefulSet {set_name} successful"),
                SOURCE,
            );
        }
        Err(e) => cx.event(
            set,
            EventType::Warning,
            "FailedCreate",
            &format!("create Pod {name} in StatefulSet {set_name} failed error: {e}"),
            SOURCE,
        ),
    }
}

fn update_status(cx: &Cx, set: &Value, revs: &revisions::Revisions) {
    let sp = spec_of(set);
    let min_ready = set["spec"]["minReadySeconds"].as_i64().unwrap_or(0);
    let pods = owned_pods(cx, set);
    let mut replicas = 0;
    let mut ready = 0;
    let mut available = 0;
    let mut current = 0;
    let mut updated = 0;
    for p in pods.values() {
        replicas += 1;
        if is_running_and_ready(p) {
            ready += 1;
            if is_pod_available(p, min_ready) {
                available += 1;
            }
        }
        if !is_terminating(p) {
            if revision_of(p) == revs.current {
                current += 1;
            }
            if revision_of(p) == revs.update {
                updated += 1;
            }
        }
    }
    let mut current_rev = revs.current.clone();
    if !sp.on_delete && updated == replicas && ready == replicas {
        current_rev = revs.update.clone();
        current = updated;
    }
    let generation = set["metadata"]["generation"].clone();
    let update_rev = revs.update.clone();
    cx.update(
        *ids::STATEFULSETS,
        meta::namespace_of(set),
        meta::name_of(set),
        |v| {
            let collision = v["status"]["collisionCount"].as_i64().unwrap_or(0);
            let mut st = json!({
                "observedGeneration": generation,
                "replicas": replicas,
                "availableReplicas": available,
                "currentRevision": current_rev,
                "updateRevision": update_rev,
                "collisionCount": collision
            });
            for (k, n) in [
                ("readyReplicas", ready),
                ("currentReplicas", current),
                ("updatedReplicas", updated),
            ] {
                if n > 0 {
                    st[k] = json!(n);
                }
            }
            if let Some(c) = v["status"].get("conditions") {
                st["conditions"] = c.clone();
            }
            v["status"] = st;
        },
    );
}
