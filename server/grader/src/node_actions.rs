//! Node actions (the lab buttons that take a node away): cordon, uncordon, drain, lose and
//! restore. Everything goes through `kube::Client` like `kubectl` does: cordon is a patch of
//! `spec.unschedulable`, drain evicts pods through the `pods/eviction` subresource, and losing a
//! node sets the sandbox's power annotation (a real cluster has no API for switching a machine
//! off, so there the action says how to do it by hand).

use crate::actions::ActionOutcome;
use crate::cluster::{CALL_TIMEOUT, name_of, uid_of};
use crate::error::GraderError;
use crate::eval::Grader;
use crate::model::NodeTarget;
use crate::path::{lookup, str_at};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, EvictParams, ListParams, Patch, PatchParams};
use serde_json::{Value, json};
use tokio::time::timeout;

/// The Node annotation the embedded sandbox watches to switch a node off (`"off"`) or on.
pub const POWER_ANNOTATION: &str = "sandbox.kubedojo.dev/power";

/// What `/version` of the embedded sandbox reports (`v1.32.4-kubedojo`).
const SANDBOX_VERSION_MARK: &str = "kubedojo";

impl Grader {
    /// The node names a node action acts on. With no target, `all_matching` picks nodes (for
    /// uncordon and restore: every node that needs it); without it a target is required.
    async fn nodes_for(
        &self,
        target: &NodeTarget,
        all_matching: Option<fn(&Value) -> bool>,
    ) -> Result<Vec<String>, GraderError> {
        if let Some(n) = &target.node {
            if self.view.get("Node", None, n).await?.is_none() {
                return Err(GraderError::Lab(format!("node \"{n}\" not found")));
            }
            return Ok(vec![n.clone()]);
        }
        if let Some(pod_target) = &target.node_of {
            let pods = self
                .view
                .find(
                    "Pod",
                    pod_target.namespace.as_deref(),
                    pod_target.name.as_deref(),
                    pod_target.selector.as_deref(),
                )
                .await?;
            let what = match (&pod_target.name, &pod_target.selector) {
                (Some(n), _) => format!("Pod/{n}"),
                (_, Some(s)) => format!("Pod -l {s}"),
                (None, None) => "a pod".to_string(),
            };
            // Prefer a pod that is not already on its way out: that is where the workload runs.
            let live = pods
                .iter()
                .filter(|p| lookup(p, "metadata.deletionTimestamp").is_empty())
                .chain(pods.iter())
                .find_map(|p| str_at(p, "spec.nodeName"));
            return match live {
                Some(n) => Ok(vec![n.to_string()]),
                None if pods.is_empty() => Err(GraderError::Lab(format!("{what} does not exist"))),
                None => Err(GraderError::Lab(format!(
                    "{what} is not scheduled to a node yet"
                ))),
            };
        }
        match all_matching {
            Some(pick) => Ok(self
                .view
                .list("Node", None, None)
                .await?
                .iter()
                .filter(|n| pick(n))
                .map(|n| name_of(n).to_string())
                .collect()),
            None => Err(GraderError::Lab(
                "a node action needs `node` or `node_of`".into(),
            )),
        }
    }

    async fn patch_node(&self, node: &str, patch: Value) -> Result<(), GraderError> {
        let api: Api<Node> = Api::all(self.view.client().clone());
        timeout(
            CALL_TIMEOUT,
            api.patch(node, &PatchParams::default(), &Patch::Merge(&patch)),
        )
        .await
        .map_err(|_| GraderError::Timeout(format!("patch Node/{node}")))??;
        Ok(())
    }

    /// `kubectl cordon` / `kubectl uncordon`.
    pub(crate) async fn cordon_action(
        &self,
        target: &NodeTarget,
        cordon: bool,
    ) -> Result<ActionOutcome, GraderError> {
        let nodes = self
            .nodes_for(
                target,
                (!cordon).then_some(is_cordoned as fn(&Value) -> bool),
            )
            .await?;
        for n in &nodes {
            self.set_unschedulable(n, cordon).await?;
        }
        let verb = if cordon { "cordoned" } else { "uncordoned" };
        Ok(ActionOutcome {
            message: if nodes.is_empty() {
                "no node was cordoned".to_string()
            } else {
                format!("{verb} {}", list_nodes(&nodes))
            },
            output: None,
        })
    }

    async fn set_unschedulable(&self, node: &str, on: bool) -> Result<(), GraderError> {
        // Like kubectl: uncordoning removes the field rather than writing `false`.
        let value = if on { json!(true) } else { Value::Null };
        self.patch_node(node, json!({"spec": {"unschedulable": value}}))
            .await
    }

    /// `kubectl drain NODE --ignore-daemonsets --delete-emptydir-data`: cordon, then evict every
    /// pod on the node except DaemonSet and static (mirror) pods, and wait until each is gone
    /// (or replaced under the same name, as a StatefulSet does). Like kubectl without `--force`,
    /// it refuses to evict pods that no controller would recreate.
    pub(crate) async fn drain_action(
        &self,
        target: &NodeTarget,
    ) -> Result<ActionOutcome, GraderError> {
        let nodes = self.nodes_for(target, None).await?;
        let mut evicted = Vec::new();
        for node in &nodes {
            self.set_unschedulable(node, true).await?;
            let api: Api<Pod> = Api::all(self.view.client().clone());
            let lp = ListParams::default().fields(&format!("spec.nodeName={node}"));
            let list = timeout(CALL_TIMEOUT, api.list(&lp))
                .await
                .map_err(|_| GraderError::Timeout(format!("list pods on {node}")))??;
            let pods: Vec<Value> = list
                .items
                .into_iter()
                .filter_map(|p| serde_json::to_value(p).ok())
                .filter(|p| lookup(p, "metadata.deletionTimestamp").is_empty())
                .filter(|p| !is_daemonset_or_mirror(p))
                .collect();
            let bare: Vec<String> = pods
                .iter()
                .filter(|p| lookup(p, "metadata.ownerReferences[*]").is_empty())
                .map(|p| format!("{}/{}", namespace_of(p), name_of(p)))
                .collect();
            if !bare.is_empty() {
                return Err(GraderError::Lab(format!(
                    "node/{node} cordoned, but cannot delete Pods that declare no controller (use --force to override): {}",
                    bare.join(", ")
                )));
            }
            for p in &pods {
                let (ns, name) = (namespace_of(p).to_string(), name_of(p).to_string());
                let pods_ns: Api<Pod> = Api::namespaced(self.view.client().clone(), &ns);
                match timeout(CALL_TIMEOUT, pods_ns.evict(&name, &EvictParams::default()))
                    .await
                    .map_err(|_| GraderError::Timeout(format!("evict Pod/{name}")))?
                {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(e) => return Err(e.into()),
                }
                evicted.push((ns, name, uid_of(p).to_string()));
            }
        }
        for (ns, name, uid) in &evicted {
            self.wait(&format!("Pod/{name} to be evicted"), || async {
                let now = self.view.get("Pod", Some(ns), name).await?;
                Ok(now.is_none_or(|p| uid_of(&p) != uid).then_some(()))
            })
            .await?;
        }
        let names: Vec<String> = evicted.iter().map(|(_, n, _)| format!("Pod/{n}")).collect();
        Ok(ActionOutcome {
            message: format!(
                "drained {}: evicted {}",
                list_nodes(&nodes),
                if names.is_empty() {
                    "nothing".to_string()
                } else {
                    names.join(", ")
                }
            ),
            output: None,
        })
    }

    /// Loses (`on = false`) or restores a node. Only the embedded sandbox can do this through
    /// the API; on a real cluster the error says what to do instead.
    pub(crate) async fn power_action(
        &self,
        target: &NodeTarget,
        on: bool,
    ) -> Result<ActionOutcome, GraderError> {
        let nodes = self
            .nodes_for(target, on.then_some(is_powered_off as fn(&Value) -> bool))
            .await?;
        let version = timeout(CALL_TIMEOUT, self.view.client().apiserver_version())
            .await
            .map_err(|_| GraderError::Timeout("GET /version".into()))??;
        if !version.git_version.contains(SANDBOX_VERSION_MARK) {
            let n = nodes.first().map_or("<node>", String::as_str);
            return Err(GraderError::Lab(not_a_sandbox(on, &version.git_version, n)));
        }
        for n in &nodes {
            let state = if on { "on" } else { "off" };
            self.patch_node(
                n,
                json!({"metadata": {"annotations": {POWER_ANNOTATION: state}}}),
            )
            .await?;
            let want = if on { "True" } else { "Unknown" };
            self.wait(&format!("Node/{n} Ready={want}"), || async {
                let node = self.view.get("Node", None, n).await?;
                Ok(node.filter(|v| ready_status(v) == Some(want)).map(|_| ()))
            })
            .await?;
        }
        Ok(ActionOutcome {
            message: match (nodes.is_empty(), on) {
                (true, _) => "no node was switched off".to_string(),
                (false, true) => format!("{} is back (Ready)", list_nodes(&nodes)),
                (false, false) => format!("{} is lost (NotReady)", list_nodes(&nodes)),
            },
            output: None,
        })
    }
}

/// Why a real cluster cannot lose or restore a node for the learner, and what to do instead.
fn not_a_sandbox(on: bool, version: &str, node: &str) -> String {
    let (verb, how, state) = if on {
        ("Restoring", "start", "on")
    } else {
        ("Losing", "stop", "off")
    };
    format!(
        "{verb} a node needs kubedojo's sandbox cluster: this cluster ({version}) has no API to switch a machine {state}. \
         On kind, run `docker {how} {node}` yourself."
    )
}

fn list_nodes(nodes: &[String]) -> String {
    nodes
        .iter()
        .map(|n| format!("node/{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn namespace_of(obj: &Value) -> &str {
    str_at(obj, "metadata.namespace").unwrap_or("default")
}

fn is_cordoned(node: &Value) -> bool {
    node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true)
}

fn is_powered_off(node: &Value) -> bool {
    node.pointer("/metadata/annotations")
        .and_then(|a| a.get(POWER_ANNOTATION))
        .and_then(Value::as_str)
        == Some("off")
}

/// The status of a node's Ready condition.
fn ready_status(node: &Value) -> Option<&str> {
    lookup(node, "status.conditions[*]")
        .into_iter()
        .find(|c| c["type"] == "Ready")
        .and_then(|c| c["status"].as_str())
}

/// Pods `kubectl drain --ignore-daemonsets` leaves alone: DaemonSet pods (they would come
/// straight back) and static pods' mirrors (the kubelet owns them).
fn is_daemonset_or_mirror(pod: &Value) -> bool {
    let daemonset = lookup(pod, "metadata.ownerReferences[*]")
        .iter()
        .any(|o| o["kind"] == "DaemonSet");
    let mirror = pod
        .pointer("/metadata/annotations")
        .and_then(|a| a.get("kubernetes.io/config.mirror"))
        .is_some();
    daemonset || mirror
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemonset_and_mirror_pods_are_left_alone_by_drain() {
        let ds =
            json!({"metadata": {"ownerReferences": [{"kind": "DaemonSet", "name": "kube-proxy"}]}});
        let mirror = json!({"metadata": {"annotations": {"kubernetes.io/config.mirror": "abc"}}});
        let sts =
            json!({"metadata": {"ownerReferences": [{"kind": "StatefulSet", "name": "mysql"}]}});
        assert!(is_daemonset_or_mirror(&ds));
        assert!(is_daemonset_or_mirror(&mirror));
        assert!(!is_daemonset_or_mirror(&sts));
    }

    #[test]
    fn node_states_are_read_from_spec_annotations_and_conditions() {
        let n = json!({
            "metadata": {"annotations": {POWER_ANNOTATION: "off"}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "Unknown"}]}
        });
        assert!(is_cordoned(&n));
        assert!(is_powered_off(&n));
        assert_eq!(ready_status(&n), Some("Unknown"));
        let fresh = json!({"metadata": {}, "spec": {}});
        assert!(!is_cordoned(&fresh));
        assert!(!is_powered_off(&fresh));
        assert_eq!(ready_status(&fresh), None);
    }

    #[test]
    fn a_real_cluster_is_told_how_to_lose_a_kind_node_by_hand() {
        assert_eq!(
            not_a_sandbox(false, "v1.32.2", "kind-worker2"),
            "Losing a node needs kubedojo's sandbox cluster: this cluster (v1.32.2) has no API to switch a machine off. \
             On kind, run `docker stop kind-worker2` yourself."
        );
        assert!(
            not_a_sandbox(true, "v1.32.2", "kind-worker2").contains("`docker start kind-worker2`")
        );
    }

    #[test]
    fn node_lists_read_like_kubectl() {
        assert_eq!(
            list_nodes(&["kind-worker".into(), "kind-worker2".into()]),
            "node/kind-worker, node/kind-worker2"
        );
    }
}
