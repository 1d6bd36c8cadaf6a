//! Which pod and container a stream request addresses, resolved from the store the way the
//! apiserver's `LogLocation`/`ExecLocation` do it.

use crate::api::error::ApiError;
use crate::cluster::Cluster;
use crate::registry::{self, ids};
use serde_json::Value;
use std::sync::Arc;

/// A pod found in the store and the container a request means.
#[derive(Debug)]
pub struct Target {
    pub namespace: String,
    pub pod_name: String,
    pub container: String,
    pub pod: Arc<Value>,
}

impl Target {
    /// `status.phase` (empty when unset).
    pub fn phase(&self) -> &str {
        self.pod["status"]["phase"].as_str().unwrap_or_default()
    }

    /// Whether the scheduler has assigned a node.
    pub fn has_node(&self) -> bool {
        self.pod["spec"]["nodeName"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    }
}

fn names(pod: &Value, field: &str) -> Vec<String> {
    pod["spec"][field]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Find the pod (404 when missing) and pick the container: the named one (regular, init or
/// ephemeral), or the only regular container when none is named.
///
/// # Errors
/// NotFound for a missing pod; BadRequest for a missing or unknown container name.
pub fn resolve(
    cluster: &Cluster,
    namespace: &str,
    pod_name: &str,
    container: Option<&str>,
) -> Result<Target, ApiError> {
    let pod = cluster
        .store()
        .get(*ids::PODS, namespace, pod_name)
        .ok_or_else(|| ApiError::not_found(registry::def(*ids::PODS), pod_name))?;
    let containers = names(&pod, "containers");
    let container = match container.filter(|c| !c.is_empty()) {
        Some(c) => {
            let known = containers.iter().any(|n| n == c)
                || names(&pod, "initContainers").iter().any(|n| n == c)
                || names(&pod, "ephemeralContainers").iter().any(|n| n == c);
            if !known {
                return Err(ApiError::BadRequest(format!(
                    "container {c} is not valid for pod {pod_name}"
                )));
            }
            c.to_string()
        }
        None => match containers.as_slice() {
            [only] => only.clone(),
            [] => {
                return Err(ApiError::BadRequest(format!(
                    "a container name must be specified for pod {pod_name}"
                )));
            }
            many => {
                let mut msg = format!(
                    "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                    many.join(" ")
                );
                let init = names(&pod, "initContainers");
                if !init.is_empty() {
                    msg.push_str(&format!(
                        " or one of the init containers: [{}]",
                        init.join(" ")
                    ));
                }
                return Err(ApiError::BadRequest(msg));
            }
        },
    };
    Ok(Target {
        namespace: namespace.to_string(),
        pod_name: pod_name.to_string(),
        container,
        pod,
    })
}
