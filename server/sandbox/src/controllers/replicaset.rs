//! ReplicaSet controller: keeps `spec.replicas` pods matching the selector, adopts orphans,
//! releases pods that stopped matching, and reports status.

use super::common::{
    MANAGER, controller_ref, controller_uid, is_pod_available, is_pod_finished, is_pod_ready,
    is_terminating, pod_from_template, random_suffix, selects,
};
use super::{Controller, Cx, EventType, Key, Requeue};
use crate::admission::meta;
use crate::api::selector::label_selector_matches;
use crate::registry::ids;
use crate::store::Event;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const SOURCE: &str = "replicaset-controller";

/// The ReplicaSet controller.
pub struct ReplicaSets;

impl Controller for ReplicaSets {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn keys_for(&self, cx: &Cx, ev: &Event, out: &mut Vec<Key>) {
        if ev.resource == *ids::REPLICASETS {
            out.push(Key::new(&ev.namespace, meta::name_of(&ev.object)));
        } else if ev.resource == *ids::PODS {
            for pod in [Some(&ev.object), ev.prev.as_ref()].into_iter().flatten() {
                match super::common::controller_name(pod, "ReplicaSet") {
                    Some(rs) => out.push(Key::new(&ev.namespace, rs)),
                    None if controller_uid(pod).is_none() => {
                        // An orphan: every ReplicaSet that selects it may adopt it.
                        for rs in cx.list(*ids::REPLICASETS, Some(&ev.namespace)) {
                            if selects(&rs["spec"]["selector"], pod) {
                                out.push(Key::new(&ev.namespace, meta::name_of(&rs)));
                            }
                        }
                    }
                    None => {}
                }
            }
        }
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for rs in cx.list(*ids::REPLICASETS, None) {
            out.push(Key::new(meta::namespace_of(&rs), meta::name_of(&rs)));
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        let Some(rs) = cx.get(*ids::REPLICASETS, &key.namespace, &key.name) else {
            return Requeue::Done;
        };
        if is_terminating(&rs) {
            return Requeue::Done;
        }
        let pods = claim_pods(cx, &rs);
        let active: Vec<&Arc<Value>> = pods
            .iter()
            .filter(|p| !is_terminating(p) && !is_pod_finished(p))
            .collect();
        let want = rs["spec"]["replicas"].as_i64().unwrap_or(1).max(0);
        let have = i64::try_from(active.len()).unwrap_or(i64::MAX);
        if have < want {
            for _ in have..want {
                create_pod(cx, &rs);
            }
        } else if have > want {
            let mut ranked = active.clone();
            ranked.sort_by_key(|p| deletion_rank(p));
            for p in ranked
                .iter()
                .take(usize::try_from(have - want).unwrap_or(0))
            {
                let name = meta::name_of(p).to_string();
                cx.delete(*ids::PODS, &key.namespace, &name, "Background");
                cx.event(
                    &rs,
                    EventType::Normal,
                    "SuccessfulDelete",
                    &format!("Deleted pod: {name}"),
                    SOURCE,
                );
            }
        }
        let requeue = update_status(cx, &rs);
        requeue.map_or(Requeue::Done, Requeue::After)
    }
}

/// Pods this ReplicaSet controls after adopting matching orphans and releasing its pods that no
/// longer match the selector.
fn claim_pods(cx: &Cx, rs: &Value) -> Vec<Arc<Value>> {
    let ns = meta::namespace_of(rs);
    let uid = meta::uid_of(rs);
    let selector = &rs["spec"]["selector"];
    let mut out = Vec::new();
    for pod in cx.list(*ids::PODS, Some(ns)) {
        let name = meta::name_of(&pod).to_string();
        let matches = selects(selector, &pod);
        match controller_uid(&pod) {
            Some(u) if u == uid => {
                if matches {
                    out.push(pod);
                } else if !is_terminating(&pod) {
                    cx.update(*ids::PODS, ns, &name, |p| {
                        if let Some(refs) = p["metadata"]["ownerReferences"].as_array_mut() {
                            refs.retain(|r| r["uid"] != uid);
                        }
                    });
                }
            }
            None if matches && !is_terminating(&pod) => {
                let owner = controller_ref(rs);
                if let Some(p) = cx.update(*ids::PODS, ns, &name, |p| {
                    if controller_uid(p).is_some() {
                        return;
                    }
                    let md = meta::metadata(p);
                    let refs = md.entry("ownerReferences").or_insert_with(|| json!([]));
                    if let Some(a) = refs.as_array_mut() {
                        a.push(owner);
                    }
                }) && controller_uid(&p) == Some(uid)
                {
                    out.push(p);
                }
            }
            _ => {}
        }
    }
    out
}

/// Lower ranks are deleted first: unscheduled before scheduled, pending before running,
/// not ready before ready, newer before older (like `ActivePodsWithRanks`, roughly).
fn deletion_rank(pod: &Value) -> (u8, u8, u8, std::cmp::Reverse<String>) {
    let scheduled = u8::from(!pod["spec"]["nodeName"].is_null());
    let running = u8::from(pod["status"]["phase"] == "Running");
    let ready = u8::from(is_pod_ready(pod));
    let created = pod["metadata"]["creationTimestamp"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (scheduled, running, ready, std::cmp::Reverse(created))
}

fn create_pod(cx: &Cx, rs: &Value) {
    let rs_name = meta::name_of(rs);
    let ns = meta::namespace_of(rs);
    let mut pod = pod_from_template(&rs["spec"]["template"]);
    // NB: a random suffix may collide with an existing pod; try a few like generateName does.
    for _ in 0..8 {
        let name = format!("{rs_name}-{}", random_suffix(5));
        if cx.get(*ids::PODS, ns, &name).is_some() {
            continue;
        }
        let md = meta::metadata(&mut pod);
        md.insert("name".into(), json!(name));
        md.insert("generateName".into(), json!(format!("{rs_name}-")));
        md.insert("ownerReferences".into(), json!([controller_ref(rs)]));
        match cx.create(*ids::PODS, Some(ns), pod, MANAGER) {
            Ok(_) => cx.event(
                rs,
                EventType::Normal,
                "SuccessfulCreate",
                &format!("Created pod: {name}"),
                SOURCE,
            ),
            Err(e) => cx.event(
                rs,
                EventType::Warning,
                "FailedCreate",
                &format!("Error creating: {e}"),
                SOURCE,
            ),
        }
        return;
    }
}

/// Write status from the pods; returns when to look again for pods that become available
/// only after `minReadySeconds`.
fn update_status(cx: &Cx, rs: &Value) -> Option<Duration> {
    let ns = meta::namespace_of(rs);
    let uid = meta::uid_of(rs);
    let pods: Vec<Arc<Value>> = cx
        .list(*ids::PODS, Some(ns))
        .into_iter()
        .filter(|p| controller_uid(p) == Some(uid) && !is_terminating(p) && !is_pod_finished(p))
        .collect();
    let min_ready = rs["spec"]["minReadySeconds"].as_i64().unwrap_or(0);
    let template_labels = json!({"matchLabels": rs["spec"]["template"]["metadata"]["labels"]});
    let replicas = pods.len();
    let fully = pods
        .iter()
        .filter(|p| label_selector_matches(&template_labels, &p["metadata"]["labels"]))
        .count();
    let ready = pods.iter().filter(|p| is_pod_ready(p)).count();
    let available = pods
        .iter()
        .filter(|p| is_pod_available(p, min_ready))
        .count();
    let generation = rs["metadata"]["generation"].clone();
    cx.update(*ids::REPLICASETS, ns, meta::name_of(rs), |v| {
        let st = &mut v["status"];
        if !st.is_object() {
            *st = json!({});
        }
        st["replicas"] = json!(replicas);
        st["fullyLabeledReplicas"] = json!(fully);
        st["readyReplicas"] = json!(ready);
        st["availableReplicas"] = json!(available);
        st["observedGeneration"] = generation;
        if let Some(m) = st.as_object_mut() {
            // Zero counts are omitted on the wire, like the real API (omitempty).
            for k in ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"] {
                if m.get(k) == Some(&json!(0)) {
                    m.remove(k);
                }
            }
        }
    });
    (ready > available).then(|| Duration::from_secs(1))
}
