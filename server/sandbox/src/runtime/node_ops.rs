//! Losing and restoring a node (for lessons and instructors' chaos), and the node lifecycle
//! controller's response: a lost node goes NotReady (Unknown) with the `unreachable` taints, its
//! pods turn not ready at once and are evicted when their toleration for `unreachable` runs out
//! (300 s by default). Evicted pods stay Terminating — no kubelet is left to confirm — so a
//! Deployment replaces them while a StatefulSet waits, exactly the lesson's point.

use super::kubelet;
use crate::admission::meta;
use crate::cluster::Cluster;
use crate::controllers::{Controller, Cx, Key, Requeue};
use crate::events::EventType;
use crate::registry::ids;
use crate::store::Event;
use serde_json::{Value, json};
use std::time::Duration;

/// Why a node operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    #[error("node \"{0}\" not found")]
    NotFound(String),
}

const UNREACHABLE: &str = "node.kubernetes.io/unreachable";

/// The Node annotation that switches a sandbox node off (`"off"`) or on again (`"on"`), so
/// clients that only speak the Kubernetes API (the grader, `kubectl annotate`) can lose and
/// restore a node. Without the annotation the node is left as it is.
pub const POWER_ANNOTATION: &str = "sandbox.kubedojo.dev/power";

impl Cluster {
    /// Simulate losing `node` (its kubelet stops reporting; its containers are gone with it).
    ///
    /// # Errors
    /// [`NodeError::NotFound`] for unknown nodes.
    pub fn lose_node(&self, node: &str) -> Result<(), NodeError> {
        if self.store().get(*ids::NODES, "", node).is_none() {
            return Err(NodeError::NotFound(node.into()));
        }
        let runtime = self.runtime();
        runtime.set_node_lost(node, true);
        for p in runtime.all_pods() {
            if p.node == node {
                kubelet::teardown_processes(runtime, &p);
            }
        }
        self.nudge();
        Ok(())
    }

    /// Bring a lost node back: it reports Ready again and its kubelet restarts its pods.
    ///
    /// # Errors
    /// [`NodeError::NotFound`] for unknown nodes.
    pub fn restore_node(&self, node: &str) -> Result<(), NodeError> {
        if self.store().get(*ids::NODES, "", node).is_none() {
            return Err(NodeError::NotFound(node.into()));
        }
        self.runtime().set_node_lost(node, false);
        self.nudge();
        Ok(())
    }
}

/// The node lifecycle controller.
pub(crate) struct NodeLifecycle;

impl Controller for NodeLifecycle {
    fn name(&self) -> &'static str {
        "node-lifecycle-controller"
    }

    fn keys_for(&self, _cx: &Cx, event: &Event, out: &mut Vec<Key>) {
        if event.resource == *ids::NODES {
            out.push(Key::new("", meta::name_of(&event.object)));
        } else if event.resource == *ids::PODS
            && let Some(n) = event.object["spec"]["nodeName"].as_str()
        {
            out.push(Key::new("", n));
        }
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for n in cx.list(*ids::NODES, None) {
            out.push(Key::new("", meta::name_of(&n)));
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        let Some(node) = cx.get(*ids::NODES, "", &key.name) else {
            return Requeue::Done;
        };
        // NB: only an explicit "off"/"on" acts, so a node lost through the Rust API stays lost
        // until someone asks otherwise.
        match node["metadata"]["annotations"][POWER_ANNOTATION].as_str() {
            Some("off") if !cx.cluster().runtime().node_lost(&key.name) => {
                // The node exists (we just read it), so this cannot fail.
                let _ = cx.cluster().lose_node(&key.name);
            }
            Some("on") if cx.cluster().runtime().node_lost(&key.name) => {
                let _ = cx.cluster().restore_node(&key.name);
            }
            _ => {}
        }
        let lost = cx.cluster().runtime().node_lost(&key.name);
        let was_ready = ready(&node);
        if lost && was_ready {
            mark(cx, &node, false);
            cx.event(
                &node,
                EventType::Normal,
                "NodeNotReady",
                &format!("Node {} status is now: NodeNotReady", key.name),
                "node-controller",
            );
        } else if !lost && !was_ready {
            mark(cx, &node, true);
            cx.event(
                &node,
                EventType::Normal,
                "NodeReady",
                &format!("Node {} status is now: NodeReady", key.name),
                "kubelet",
            );
        }
        if !lost {
            return Requeue::Done;
        }
        evict(cx, &key.name, &node)
    }
}

fn ready(node: &Value) -> bool {
    node["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// Set the node's conditions and unreachable taints.
fn mark(cx: &Cx, node: &Value, up: bool) {
    let now = meta::now();
    cx.update(*ids::NODES, "", meta::name_of(node), |v| {
        v["status"]["conditions"] = super::nodes::conditions(up, &now);
        let mut taints: Vec<Value> = v["spec"]["taints"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t["key"] != UNREACHABLE)
            .collect();
        if !up {
            taints.push(json!({"key": UNREACHABLE, "effect": "NoSchedule", "timeAdded": now}));
            taints.push(json!({"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": now}));
        }
        v["spec"]["taints"] = json!(taints);
    });
}

/// Mark the node's pods not ready, and evict those whose toleration has run out.
fn evict(cx: &Cx, node_name: &str, node: &Value) -> Requeue {
    let since = node["spec"]["taints"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["key"] == UNREACHABLE && t["effect"] == "NoExecute")
        .and_then(|t| t["timeAdded"].as_str())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(chrono::Utc::now);
    let elapsed = (chrono::Utc::now() - since).to_std().unwrap_or_default();
    let pace = cx.cluster().pace();
    let mut next: Option<Duration> = None;
    for pod in cx.list(*ids::PODS, None) {
        if pod["spec"]["nodeName"] != node_name || pod["metadata"]["deletionTimestamp"].is_string()
        {
            continue;
        }
        let (ns, name) = (
            meta::namespace_of(&pod).to_string(),
            meta::name_of(&pod).to_string(),
        );
        cx.update(*ids::PODS, &ns, &name, |v| {
            for c in v["status"]["conditions"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                if c["type"] == "Ready" && c["status"] == "True" {
                    c["status"] = json!("False");
                    c["reason"] = json!("NodeNotReady");
                    c["lastTransitionTime"] = json!(meta::now());
                }
            }
            for cs in v["status"]["containerStatuses"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                cs["ready"] = json!(false);
            }
        });
        let toleration = pod["spec"]["tolerations"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| {
                (t["key"] == UNREACHABLE || (t["key"].is_null() && t["operator"] == "Exists"))
                    && (t["effect"].is_null() || t["effect"] == "NoExecute")
            });
        let Some(t) = toleration else {
            cx.delete(*ids::PODS, &ns, &name, "Background");
            continue;
        };
        let Some(secs) = t["tolerationSeconds"].as_u64() else {
            continue; // tolerated forever (system pods)
        };
        let due = pace.delay(Duration::from_secs(secs));
        if elapsed >= due {
            cx.event(
                &pod,
                EventType::Normal,
                "TaintManagerEviction",
                &format!("Marking for deletion Pod {ns}/{name}"),
                "taint-eviction-controller",
            );
            cx.delete(*ids::PODS, &ns, &name, "Background");
        } else {
            let left = due - elapsed;
            next = Some(next.map_or(left, |n| n.min(left)));
        }
    }
    match next {
        Some(d) => Requeue::After(d),
        None => Requeue::Done,
    }
}
