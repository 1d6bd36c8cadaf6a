//! Dynamic provisioning, shaped like kind's local-path provisioner: a hostPath PV
//! `pvc-<uid>` under `/var/local-path-provisioner`, pinned to the node the scheduler chose.

use super::Cx;
use super::EventType;
use super::common::MANAGER;
use crate::admission::meta;
use crate::api::error::ApiError;
use crate::registry::ids;
use serde_json::{Value, json};
use std::sync::Arc;

/// The one provisioner that runs in the sandbox, as in kind (`rancher.io/local-path`).
pub const LOCAL_PATH: &str = "rancher.io/local-path";

/// The provisioner name that never provisions (static local volumes).
pub const NO_PROVISIONER: &str = "kubernetes.io/no-provisioner";

/// Annotation the scheduler sets on a WaitForFirstConsumer claim when it places its pod.
pub const SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";

/// Why provisioning failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("{0}")]
    Api(#[from] ApiError),
}

/// The requested size of a claim (`spec.resources.requests.storage`), as written.
pub fn requested(pvc: &Value) -> Value {
    pvc["spec"]["resources"]["requests"]["storage"].clone()
}

/// Create the PV for `pvc` from `class`, on `node` when the binding mode chose one, with the
/// provisioner's Events on the claim.
///
/// # Errors
/// When the PV cannot be created (e.g. it exists but belongs to another claim).
pub fn provision(
    cx: &Cx,
    pvc: &Value,
    class: &Value,
    node: Option<&str>,
) -> Result<Arc<Value>, ProvisionError> {
    let ns = meta::namespace_of(pvc);
    let name = meta::name_of(pvc);
    let uid = meta::uid_of(pvc);
    let provisioner = class["provisioner"].as_str().unwrap_or_default();
    let pv_name = format!("pvc-{uid}");
    let source = format!("{provisioner}_local-path-provisioner-7dc846544d-x8qnd_{uid}");
    cx.event(
        pvc,
        EventType::Normal,
        "Provisioning",
        &format!("External provisioner is provisioning volume for claim \"{ns}/{name}\""),
        &source,
    );
    let mut spec = json!({
        "accessModes": pvc["spec"]["accessModes"],
        "capacity": {"storage": requested(pvc)},
        "claimRef": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "name": name,
            "namespace": ns,
            "uid": uid,
            "resourceVersion": pvc["metadata"]["resourceVersion"]
        },
        "hostPath": {
            "path": format!("/var/local-path-provisioner/{pv_name}_{ns}_{name}"),
            "type": "DirectoryOrCreate"
        },
        "persistentVolumeReclaimPolicy": class["reclaimPolicy"].as_str().unwrap_or("Delete"),
        "storageClassName": meta::name_of(class),
        "volumeMode": pvc["spec"]["volumeMode"].as_str().unwrap_or("Filesystem")
    });
    if let Some(node) = node {
        spec["nodeAffinity"] = json!({"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}
        ]}]}});
    }
    if let Some(opts) = class["mountOptions"].as_array() {
        spec["mountOptions"] = Value::Array(opts.clone());
    }
    let pv = json!({
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": pv_name,
            "annotations": {
                "pv.kubernetes.io/provisioned-by": provisioner,
                "local.path.provisioner/selected-node": node.unwrap_or_default()
            }
        },
        "spec": spec
    });
    let created = match cx.create(*ids::PVS, None, pv, MANAGER) {
        Ok(pv) => pv,
        Err(ApiError::AlreadyExists { .. }) => {
            // Provisioned before (a retry after a crash): reuse it if it is ours.
            match cx.get(*ids::PVS, "", &pv_name) {
                Some(pv) if pv["spec"]["claimRef"]["uid"] == uid => pv,
                _ => {
                    return Err(ProvisionError::Api(ApiError::Internal(format!(
                        "persistentvolume {pv_name} exists and is not bound to this claim"
                    ))));
                }
            }
        }
        Err(e) => {
            cx.event(
                pvc,
                EventType::Warning,
                "ProvisioningFailed",
                &format!(
                    "failed to provision volume with StorageClass \"{}\": {e}",
                    meta::name_of(class)
                ),
                &source,
            );
            return Err(e.into());
        }
    };
    cx.event(
        pvc,
        EventType::Normal,
        "ProvisioningSucceeded",
        &format!("Successfully provisioned volume {pv_name}"),
        &source,
    );
    Ok(created)
}
