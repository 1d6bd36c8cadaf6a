//! DaemonSet: one pod per eligible node (the template's nodeSelector and required node
//! affinity, taints it tolerates), pinned with node affinity on `metadata.name` like the real
//! controller, with the tolerations the controller adds so cordon, drain and node trouble do
//! not evict it. kind's kube-proxy and kindnet are DaemonSets, which is what makes
//! `kubectl drain --ignore-daemonsets` meaningful.

use super::common::{MANAGER, controller_name, controller_ref, is_terminating, random_suffix};
use super::{Controller, Cx, Key, Requeue};
use crate::admission::meta;
use crate::events::EventType;
use crate::registry::ids;
use crate::store::Event;
use serde_json::{Value, json};

pub(crate) struct DaemonSetController;

impl Controller for DaemonSetController {
    fn name(&self) -> &'static str {
        "daemonset-controller"
    }

    fn keys_for(&self, cx: &Cx, ev: &Event, out: &mut Vec<Key>) {
        if ev.resource == *ids::DAEMONSETS {
            out.push(Key::new(&ev.namespace, meta::name_of(&ev.object)));
        } else if ev.resource == *ids::PODS {
            if let Some(ds) = controller_name(&ev.object, "DaemonSet") {
                out.push(Key::new(&ev.namespace, ds));
            }
        } else if ev.resource == *ids::NODES {
            self.all_keys(cx, out);
        }
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for ds in cx.list(*ids::DAEMONSETS, None) {
            out.push(Key::new(meta::namespace_of(&ds), meta::name_of(&ds)));
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        let Some(ds) = cx.get(*ids::DAEMONSETS, &key.namespace, &key.name) else {
            return Requeue::Done;
        };
        if is_terminating(&ds) {
            return Requeue::Done;
        }
        let uid = meta::uid_of(&ds).to_string();
        let pods: Vec<_> = cx
            .list(*ids::PODS, Some(&key.namespace))
            .into_iter()
            .filter(|p| super::common::controller_uid(p) == Some(uid.as_str()))
            .collect();
        let template = &ds["spec"]["template"];
        let mut desired = 0;
        let mut ready = 0;
        for node in cx.list(*ids::NODES, None) {
            let node_name = meta::name_of(&node).to_string();
            let eligible = eligible(template, &node);
            let on_node: Vec<_> = pods.iter().filter(|p| pinned_node(p) == Some(node_name.as_str())).collect();
            if !eligible {
                for p in on_node {
                    cx.delete(*ids::PODS, &key.namespace, meta::name_of(p), "Background");
                }
                continue;
            }
            desired += 1;
            let live: Vec<_> = on_node.iter().filter(|p| !is_terminating(p)).collect();
            if live.is_empty() {
                create_pod(cx, &ds, &node_name);
            } else {
                if live.iter().any(|p| super::common::is_pod_ready(p)) {
                    ready += 1;
                }
                for extra in live.iter().skip(1) {
                    cx.delete(*ids::PODS, &key.namespace, meta::name_of(extra), "Background");
                }
            }
        }
        let scheduled = pods.iter().filter(|p| !is_terminating(p)).count();
        let generation = ds["metadata"]["generation"].clone();
        cx.update(*ids::DAEMONSETS, &key.namespace, &key.name, |v| {
            v["status"] = json!({
                "currentNumberScheduled": scheduled,
                "desiredNumberScheduled": desired,
                "numberAvailable": ready,
                "numberMisscheduled": 0,
                "numberReady": ready,
                "observedGeneration": generation,
                "updatedNumberScheduled": scheduled,
            });
        });
        Requeue::Done
    }
}

/// The node a DaemonSet pod is pinned to (its `metadata.name` node affinity), or its nodeName.
fn pinned_node(pod: &Value) -> Option<&str> {
    pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        ["nodeSelectorTerms"][0]["matchFields"][0]["values"][0]
        .as_str()
        .or_else(|| pod["spec"]["nodeName"].as_str())
}

/// Whether the template may run on `node`: nodeSelector, and NoSchedule/NoExecute taints it
/// tolerates (the unschedulable and node-condition taints are tolerated by every daemon pod).
fn eligible(template: &Value, node: &Value) -> bool {
    let labels = &node["metadata"]["labels"];
    if let Some(sel) = template["spec"]["nodeSelector"].as_object()
        && !sel.iter().all(|(k, v)| labels[k] == *v)
    {
        return false;
    }
    let tolerations = template["spec"]["tolerations"].as_array().cloned().unwrap_or_default();
    node["spec"]["taints"].as_array().into_iter().flatten().all(|t| {
        let key = t["key"].as_str().unwrap_or_default();
        let effect = t["effect"].as_str().unwrap_or_default();
        effect == "PreferNoSchedule"
            || key.starts_with("node.kubernetes.io/")
            || tolerations.iter().any(|tol| {
                let op = tol["operator"].as_str().unwrap_or("Equal");
                let key_ok = (tol["key"].is_null() && op == "Exists") || tol["key"] == key;
                let value_ok = op == "Exists" || tol["value"] == t["value"];
                let effect_ok = tol["effect"].is_null() || tol["effect"] == effect;
                key_ok && value_ok && effect_ok
            })
    })
}

fn create_pod(cx: &Cx, ds: &Value, node: &str) {
    let ns = meta::namespace_of(ds);
    let name = format!("{}-{}", meta::name_of(ds), random_suffix(5));
    let mut pod = super::common::pod_from_template(&ds["spec"]["template"]);
    pod["metadata"]["name"] = json!(name);
    pod["metadata"]["ownerReferences"] = json!([controller_ref(ds)]);
    pod["spec"]["affinity"]["nodeAffinity"] = json!({
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]
        }
    });
    let mut tolerations = pod["spec"]["tolerations"].as_array().cloned().unwrap_or_default();
    for (key, effect) in [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ] {
        tolerations.push(json!({"key": key, "operator": "Exists", "effect": effect}));
    }
    pod["spec"]["tolerations"] = json!(tolerations);
    match cx.create(*ids::PODS, Some(ns), pod, MANAGER) {
        Ok(_) => cx.event(
            ds,
            EventType::Normal,
            "SuccessfulCreate",
            &format!("Created pod: {name}"),
            "daemonset-controller",
        ),
        Err(e) => cx.event(
            ds,
            EventType::Warning,
            "FailedCreate",
            &format!("Error creating: {e}"),
            "daemonset-controller",
        ),
    }
}
