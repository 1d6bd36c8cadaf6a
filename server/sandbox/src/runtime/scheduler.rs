//! The default scheduler: filters nodes (readiness, cordon, taints and tolerations, nodeSelector
//! and required node affinity, CPU/memory requests, PV node affinity), prefers the node with the
//! fewest pods, and binds. Claims of a WaitForFirstConsumer class get the
//! `volume.kubernetes.io/selected-node` annotation first and the pod is bound once they are Bound,
//! like the VolumeBinding plugin. Unschedulable pods get FailedScheduling with the real message.

use crate::admission::{meta, quantity};
use crate::controllers::{Controller, Cx, Key, Requeue};
use crate::events::EventType;
use crate::registry::ids;
use crate::store::Event;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) struct Scheduler;

const SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";

fn unscheduled(p: &Value) -> bool {
    p["spec"]["nodeName"].as_str().is_none_or(str::is_empty)
        && p["metadata"]["deletionTimestamp"].is_null()
        && p["spec"]["schedulerName"].as_str().is_none_or(|s| s == "default-scheduler")
        && !matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed"))
}

impl Controller for Scheduler {
    fn name(&self) -> &'static str {
        "default-scheduler"
    }

    fn keys_for(&self, cx: &Cx, event: &Event, out: &mut Vec<Key>) {
        if event.resource == *ids::PODS {
            if unscheduled(&event.object) {
                out.push(Key::new(&event.namespace, meta::name_of(&event.object)));
            } else if event.kind == crate::store::EventType::Deleted || !event.object["spec"]["nodeName"].is_null() {
                // Room freed or taken on a node: pending pods may fit now.
                self.all_keys(cx, out);
            }
        } else if event.resource == *ids::NODES || event.resource == *ids::PVS || event.resource == *ids::PVCS
            || event.resource == *ids::STORAGECLASSES
        {
            self.all_keys(cx, out);
        }
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for p in cx.list(*ids::PODS, None) {
            if unscheduled(&p) {
                out.push(Key::new(meta::namespace_of(&p), meta::name_of(&p)));
            }
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        let Some(pod) = cx.get(*ids::PODS, &key.namespace, &key.name) else {
            return Requeue::Done;
        };
        if !unscheduled(&pod) {
            return Requeue::Done;
        }
        schedule(cx, &pod)
    }
}

/// Why nodes were rejected, counted like the scheduler's diagnosis.
#[derive(Default)]
struct Diagnosis {
    reasons: BTreeMap<String, usize>,
}

impl Diagnosis {
    fn add(&mut self, r: impl Into<String>) {
        *self.reasons.entry(r.into()).or_default() += 1;
    }

    fn message(&self, total: usize, pod_level: Option<&str>) -> String {
        let why = match pod_level {
            Some(p) => p.to_string(),
            None => {
                // Like the scheduler's FitError: "<count> <reason>" strings, sorted as strings.
                let mut parts: Vec<String> =
                    self.reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
                parts.sort();
                parts.join(", ")
            }
        };
        format!(
            "0/{total} nodes are available: {why}. preemption: 0/{total} nodes are available: {total} Preemption is not helpful for scheduling."
        )
    }
}

enum ClaimState {
    /// Bound to a PV whose node affinity (if any) must hold.
    Bound(Arc<Value>),
    /// Waits for a node to be chosen (WaitForFirstConsumer).
    Delayed(String),
}

fn schedule(cx: &Cx, pod: &Value) -> Requeue {
    let ns = meta::namespace_of(pod);
    let nodes = cx.list(*ids::NODES, None);
    let total = nodes.len();
    let mut claims = Vec::new();
    for v in pod["spec"]["volumes"].as_array().into_iter().flatten() {
        let Some(claim) = v["persistentVolumeClaim"]["claimName"].as_str() else {
            continue;
        };
        let Some(pvc) = cx.get(*ids::PVCS, ns, claim) else {
            return unschedulable(cx, pod, &Diagnosis::default().message(total, Some(&format!("persistentvolumeclaim \"{claim}\" not found"))));
        };
        if pvc["metadata"]["deletionTimestamp"].is_string() {
            return unschedulable(cx, pod, &Diagnosis::default().message(total, Some(&format!("persistentvolumeclaim \"{claim}\" is being deleted"))));
        }
        if pvc["status"]["phase"] == "Bound" {
            let pv = pvc["spec"]["volumeName"].as_str().and_then(|n| cx.get(*ids::PVS, "", n));
            if let Some(pv) = pv {
                claims.push(ClaimState::Bound(pv));
            }
            continue;
        }
        let class = pvc["spec"]["storageClassName"].as_str().unwrap_or_default();
        let wffc = cx
            .get(*ids::STORAGECLASSES, "", class)
            .is_some_and(|sc| sc["volumeBindingMode"] == "WaitForFirstConsumer");
        if !wffc {
            return unschedulable(cx, pod, &Diagnosis::default().message(total, Some("pod has unbound immediate PersistentVolumeClaims")));
        }
        claims.push(ClaimState::Delayed(claim.to_string()));
    }
    let mut diag = Diagnosis::default();
    let mut fits: Vec<(usize, String)> = Vec::new();
    let pods = cx.list(*ids::PODS, None);
    for node in &nodes {
        let name = meta::name_of(node);
        match filter(cx, pod, node, &claims, &pods) {
            Ok(load) => fits.push((load, name.to_string())),
            Err(reason) => diag.add(reason),
        }
    }
    fits.sort();
    let Some((_, chosen)) = fits.into_iter().next() else {
        return unschedulable(cx, pod, &diag.message(total, None));
    };
    // Delayed claims: pick the node for them and wait until the provisioner has bound them.
    let mut waiting = false;
    for c in &claims {
        if let ClaimState::Delayed(claim) = c {
            waiting = true;
            cx.update(*ids::PVCS, ns, claim, |v| {
                let md = meta::metadata(v);
                let ann = md.entry("annotations").or_insert_with(|| json!({}));
                if ann.get(SELECTED_NODE).is_none() {
                    ann[SELECTED_NODE] = json!(chosen);
                }
            });
        }
    }
    if waiting {
        return Requeue::Done;
    }
    bind(cx, pod, &chosen);
    Requeue::Done
}

/// Whether `pod` fits `node`; Ok(load) to rank, Err(reason) as the scheduler words it.
fn filter(cx: &Cx, pod: &Value, node: &Value, claims: &[ClaimState], pods: &[Arc<Value>]) -> Result<usize, String> {
    let name = meta::name_of(node);
    if cx.cluster().runtime().node_lost(name) {
        return Err("node(s) had untolerated taint {node.kubernetes.io/unreachable: }".into());
    }
    if node["spec"]["unschedulable"] == true && !tolerates(pod, "node.kubernetes.io/unschedulable", "", "NoSchedule") {
        return Err("node(s) were unschedulable".into());
    }
    for t in node["spec"]["taints"].as_array().into_iter().flatten() {
        let effect = t["effect"].as_str().unwrap_or_default();
        if effect == "PreferNoSchedule" {
            continue;
        }
        let key = t["key"].as_str().unwrap_or_default();
        let value = t["value"].as_str().unwrap_or_default();
        if !tolerates(pod, key, value, effect) {
            return Err(format!("node(s) had untolerated taint {{{key}: {value}}}"));
        }
    }
    let labels = &node["metadata"]["labels"];
    if let Some(sel) = pod["spec"]["nodeSelector"].as_object()
        && !sel.iter().all(|(k, v)| labels[k] == *v)
    {
        return Err("node(s) didn't match Pod's node affinity/selector".into());
    }
    let terms = &pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
    if terms.is_array() && !node_selector_terms_match(terms, node) {
        return Err("node(s) didn't match Pod's node affinity/selector".into());
    }
    for c in claims {
        match c {
            ClaimState::Bound(pv) => {
                let t = &pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"];
                if t.is_array() && !node_selector_terms_match(t, node) {
                    return Err("node(s) had volume node affinity conflict".into());
                }
            }
            ClaimState::Delayed(claim) => {
                let pvc = cx.get(*ids::PVCS, meta::namespace_of(pod), claim);
                if let Some(sel) = pvc.as_ref().and_then(|p| p["metadata"]["annotations"][SELECTED_NODE].as_str())
                    && sel != name
                {
                    return Err("node(s) didn't match the node selected for its volumes".into());
                }
            }
        }
    }
    let on_node: Vec<&Arc<Value>> = pods
        .iter()
        .filter(|p| p["spec"]["nodeName"] == name && !matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed")))
        .collect();
    for (res, label) in [("cpu", "Insufficient cpu"), ("memory", "Insufficient memory")] {
        let alloc = node["status"]["allocatable"][res].as_str().and_then(quantity::parse).unwrap_or(f64::MAX);
        let used: f64 = on_node.iter().map(|p| requests(p, res)).sum();
        if used + requests(pod, res) > alloc {
            return Err(label.into());
        }
    }
    let max_pods = node["status"]["allocatable"]["pods"].as_str().and_then(|p| p.parse::<usize>().ok()).unwrap_or(110);
    if on_node.len() >= max_pods {
        return Err("Too many pods".into());
    }
    Ok(on_node.len())
}

fn requests(pod: &Value, res: &str) -> f64 {
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["resources"]["requests"][res].as_str().and_then(quantity::parse))
        .sum()
}

fn tolerates(pod: &Value, key: &str, value: &str, effect: &str) -> bool {
    pod["spec"]["tolerations"].as_array().into_iter().flatten().any(|t| {
        let t_key = t["key"].as_str().unwrap_or_default();
        let op = t["operator"].as_str().unwrap_or("Equal");
        let t_effect = t["effect"].as_str().unwrap_or_default();
        let key_ok = (t_key.is_empty() && op == "Exists") || t_key == key;
        let value_ok = op == "Exists" || t["value"].as_str().unwrap_or_default() == value;
        let effect_ok = t_effect.is_empty() || t_effect == effect;
        key_ok && value_ok && effect_ok
    })
}

/// nodeSelectorTerms: any term matches when all its expressions and fields match.
pub(crate) fn node_selector_terms_match(terms: &Value, node: &Value) -> bool {
    let labels = &node["metadata"]["labels"];
    let name = meta::name_of(node);
    terms.as_array().into_iter().flatten().any(|term| {
        let exprs_ok = term["matchExpressions"].as_array().into_iter().flatten().all(|e| {
            let v = labels[e["key"].as_str().unwrap_or_default()].as_str();
            requirement(e, v)
        });
        let fields_ok = term["matchFields"].as_array().into_iter().flatten().all(|e| {
            let v = (e["key"] == "metadata.name").then_some(name);
            requirement(e, v)
        });
        let has_any = term["matchExpressions"].as_array().is_some_and(|a| !a.is_empty())
            || term["matchFields"].as_array().is_some_and(|a| !a.is_empty());
        has_any && exprs_ok && fields_ok
    })
}

fn requirement(e: &Value, v: Option<&str>) -> bool {
    let values: Vec<&str> = e["values"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let num = |s: Option<&str>| s.and_then(|x| x.parse::<i64>().ok());
    match e["operator"].as_str().unwrap_or_default() {
        "In" => v.is_some_and(|v| values.contains(&v)),
        "NotIn" => v.is_none_or(|v| !values.contains(&v)),
        "Exists" => v.is_some(),
        "DoesNotExist" => v.is_none(),
        "Gt" => matches!((num(v), num(values.first().copied())), (Some(a), Some(b)) if a > b),
        "Lt" => matches!((num(v), num(values.first().copied())), (Some(a), Some(b)) if a < b),
        _ => false,
    }
}

fn unschedulable(cx: &Cx, pod: &Value, message: &str) -> Requeue {
    cx.event(pod, EventType::Warning, "FailedScheduling", message, "default-scheduler");
    let now = meta::now();
    let msg = message.to_string();
    cx.update(*ids::PODS, meta::namespace_of(pod), meta::name_of(pod), |v| {
        let st = meta::object_field(v, "status");
        st.insert("phase".into(), json!("Pending"));
        let same = st
            .get("conditions")
            .and_then(Value::as_array)
            .and_then(|c| c.iter().find(|c| c["type"] == "PodScheduled"))
            .is_some_and(|c| c["message"] == msg.as_str());
        if !same {
            st.insert(
                "conditions".into(),
                json!([{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                        "message": msg, "lastProbeTime": null, "lastTransitionTime": now}]),
            );
        }
    });
    Requeue::Done
}

fn bind(cx: &Cx, pod: &Value, node: &str) {
    let uid = meta::uid_of(pod).to_string();
    let now = meta::now();
    let bound = cx.update(*ids::PODS, meta::namespace_of(pod), meta::name_of(pod), |v| {
        if meta::uid_of(v) != uid || !v["spec"]["nodeName"].is_null() {
            return;
        }
        v["spec"]["nodeName"] = json!(node);
        let st = meta::object_field(v, "status");
        st.insert("phase".into(), json!("Pending"));
        st.insert(
            "conditions".into(),
            json!([{"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}]),
        );
    });
    if bound.is_some_and(|b| b["spec"]["nodeName"] == node) {
        cx.event(
            pod,
            EventType::Normal,
            "Scheduled",
            &format!("Successfully assigned {}/{} to {node}", meta::namespace_of(pod), meta::name_of(pod)),
            "default-scheduler",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerations_match_key_value_and_effect() {
        let pod = json!({"spec": {"tolerations": [{"key": "a", "operator": "Equal", "value": "b", "effect": "NoSchedule"}]}});
        assert!(tolerates(&pod, "a", "b", "NoSchedule"));
        assert!(!tolerates(&pod, "a", "c", "NoSchedule"));
        assert!(!tolerates(&pod, "a", "b", "NoExecute"));
        let any = json!({"spec": {"tolerations": [{"operator": "Exists"}]}});
        assert!(tolerates(&any, "x", "", "NoExecute"));
    }

    #[test]
    fn node_affinity_terms_are_ored_and_expressions_anded() {
        let node = json!({"metadata": {"name": "n1", "labels": {"disk": "ssd", "zone": "a"}}});
        let terms = json!([
            {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["hdd"]}]},
            {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}, {"key": "zone", "operator": "Exists"}]}
        ]);
        assert!(node_selector_terms_match(&terms, &node));
        let fields = json!([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]);
        assert!(!node_selector_terms_match(&fields, &node));
    }

    #[test]
    fn the_diagnosis_reads_like_the_scheduler() {
        let mut d = Diagnosis::default();
        d.add("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }");
        d.add("Insufficient memory");
        d.add("Insufficient memory");
        assert_eq!(
            d.message(3, None),
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
    }
}
