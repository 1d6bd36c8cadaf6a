//! The one error type of learner clusters.

use std::path::PathBuf;

/// What can go wrong while choosing a backend or provisioning, resetting and removing learner
/// clusters. Messages are single sentences meant for an operator's terminal.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("the kubeconfig {path} cannot be used: {reason}")]
    Kubeconfig { path: PathBuf, reason: String },
    #[error("the Kubernetes API server at {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    #[error(
        "the account in the kubeconfig may not {verb} {resource} (kubedojo needs it to create learner namespaces, RBAC, quotas and storage)"
    )]
    MissingPermission { verb: String, resource: String },
    #[error("provisioning step {step:?} failed: {reason}")]
    Step { step: String, reason: String },
    #[error("applying {object}: {reason}")]
    Apply { object: String, reason: String },
    #[error("the manifest is not valid: {0}")]
    Manifest(String),
    #[error("no cluster is provisioned for this learner")]
    NotProvisioned,
    #[error("{0} needs the embedded sandbox; on a real cluster time runs as it does")]
    SandboxOnly(&'static str),
    #[error("{}", unavailable(*.0))]
    BackendUnavailable(super::BackendKind),
    #[error("the data directory {path} cannot be used: {reason}")]
    DataDir { path: PathBuf, reason: String },
    #[error("the sandbox TLS listener cannot start: {0}")]
    Tls(String),
    #[error("Kubernetes API call failed: {0}")]
    Kube(#[from] kube::Error),
}

fn unavailable(kind: super::BackendKind) -> &'static str {
    match kind {
        super::BackendKind::Namespace => {
            "this server has no real cluster; start it with --kubeconfig to offer one"
        }
        super::BackendKind::Sandbox => "this server has no embedded sandbox",
    }
}
