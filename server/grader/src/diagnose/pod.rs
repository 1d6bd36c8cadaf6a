//! "Why is this pod not Ready?": phase, unbound claims, container states, events.

use crate::cluster::{ClusterView, name_of};
use crate::error::GraderError;
use crate::eval_support::volume_kind;
use crate::path::{lookup, str_at};
use crate::result::Diagnosis;
use serde_json::Value;

/// Walks get → describe → events for a pod that is not Ready.
///
/// # Errors
/// When the cluster cannot be asked.
pub async fn not_ready(view: &ClusterView, pod: &Value) -> Result<Diagnosis, GraderError> {
    let name = name_of(pod);
    let ns = str_at(pod, "metadata.namespace");
    let phase = str_at(pod, "status.phase").unwrap_or("Pending");
    if !lookup(pod, "metadata.deletionTimestamp").is_empty() {
        // A pod on a node that stopped reporting stays Terminating: no kubelet confirms the
        // deletion, and a StatefulSet will not start a second pod with the same identity.
        if let Some(node) = str_at(pod, "spec.nodeName")
            && let Some(n) = view.get("Node", None, node).await?
            && node_ready(&n) != Some("True")
        {
            return Ok(Diagnosis::new(format!(
                "Pod/{name} is being deleted, but its node {node} is NotReady: no kubelet is left to confirm the deletion,                  so the pod stays Terminating, and a StatefulSet does not create a replacement with the same name                  until the node comes back (or someone force-deletes the pod)."
            ))
            .object(format!("Pod/{name}"))
            .object(format!("Node/{node}")));
        }
        return Ok(
            Diagnosis::new(format!("Pod/{name} is being deleted.")).object(format!("Pod/{name}"))
        );
    }
    if let Some(node) = str_at(pod, "spec.nodeName")
        && let Some(n) = view.get("Node", None, node).await?
        && node_ready(&n) != Some("True")
    {
        return Ok(Diagnosis::new(format!(
            "Pod/{name} runs on node {node}, which is NotReady: its kubelet stopped reporting, so the pod is not Ready, \
             and it is evicted once its toleration for node.kubernetes.io/unreachable runs out (300 s by default)."
        ))
        .object(format!("Pod/{name}"))
        .object(format!("Node/{node}")));
    }
    // An unbound claim keeps a pod Pending: diagnose the claim, which is the real cause.
    if phase == "Pending" {
        for v in lookup(pod, "spec.volumes[*].name") {
            let Some(("persistentVolumeClaim", claim)) =
                v.as_str().and_then(|v| volume_kind(pod, v))
            else {
                continue;
            };
            match view.get("PersistentVolumeClaim", ns, claim).await? {
                None => {
                    return Ok(Diagnosis::new(format!(
                        "Pod/{name} is Pending because it uses PersistentVolumeClaim/{claim}, which does not exist."
                    ))
                    .object(format!("Pod/{name}"))
                    .object(format!("PersistentVolumeClaim/{claim}")));
                }
                Some(pvc) if str_at(&pvc, "status.phase") != Some("Bound") => {
                    let inner = super::pvc::pending(view, &pvc).await?;
                    let mut d = Diagnosis::new(format!(
                        "Pod/{name} is Pending because its PersistentVolumeClaim/{claim} is not Bound. {}",
                        inner.summary
                    ))
                    .object(format!("Pod/{name}"));
                    d.findings = inner.findings;
                    for o in inner.objects {
                        d = d.object(o);
                    }
                    return Ok(d);
                }
                Some(_) => {}
            }
        }
    }
    let mut d = Diagnosis::new(format!("Pod/{name} is {phase} and not Ready."))
        .object(format!("Pod/{name}"));
    for cs in lookup(pod, "status.containerStatuses[*]") {
        let c = cs.get("name").and_then(Value::as_str).unwrap_or("?");
        if let Some(w) = cs.pointer("/state/waiting") {
            let reason = w.get("reason").and_then(Value::as_str).unwrap_or("waiting");
            let msg = w.get("message").and_then(Value::as_str).unwrap_or("");
            d = d.finding(
                format!("container `{c}` is waiting: {reason} {msg}")
                    .trim_end()
                    .to_string(),
            );
        }
        let restarts = cs.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
        if restarts > 0 {
            d = d.finding(format!(
                "container `{c}` restarted {restarts} time(s): `kubectl logs {name} --previous` shows why"
            ));
        }
    }
    for e in view.list("Event", ns, None).await? {
        if str_at(&e, "involvedObject.kind") == Some("Pod")
            && str_at(&e, "involvedObject.name") == Some(name)
            && str_at(&e, "type") == Some("Warning")
        {
            d = d.finding(format!(
                "event {}: {}",
                str_at(&e, "reason").unwrap_or(""),
                str_at(&e, "message").unwrap_or("")
            ));
        }
    }
    Ok(d)
}

/// The status of a node's Ready condition (`True`, `False`, `Unknown`).
fn node_ready(node: &Value) -> Option<&str> {
    lookup(node, "status.conditions[*]")
        .into_iter()
        .find(|c| c["type"] == "Ready")
        .and_then(|c| c["status"].as_str())
}
