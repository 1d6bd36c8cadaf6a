//! The runtime's refusals. The API layer maps each to the `Status` the real
//! apiserver/kubelet returns (see `api::streams::refusal`).

/// Why the runtime cannot serve a stream request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// The container has not started (yet): `reason` is its waiting reason, e.g.
    /// `ContainerCreating`, `PodInitializing`, `ImagePullBackOff`.
    #[error("container \"{container}\" in pod \"{pod}\" is waiting to start: {reason}")]
    ContainerNotRunning {
        container: String,
        pod: String,
        reason: String,
    },
    /// `previous=true` but the container never terminated before.
    #[error("previous terminated container \"{container}\" in pod \"{pod}\" not found")]
    NoPreviousContainer { container: String, pod: String },
    /// Exec/attach into a pod whose phase is `Succeeded` or `Failed`.
    #[error("cannot exec into a container in a completed pod; current phase is {phase}")]
    CompletedPod { phase: String },
    /// The command could not start, e.g. `OCI runtime exec failed: exec failed: unable to
    /// start container process: exec: "foo": executable file not found in $PATH: unknown`.
    #[error("{0}")]
    Exec(String),
    /// The runtime refuses more concurrent sessions (protects the host).
    #[error("too many concurrent exec/attach sessions")]
    TooManySessions,
    /// The pod is not known to the runtime (e.g. not scheduled to a node yet).
    #[error("pod \"{pod}\" is not running on any node")]
    PodNotRunning { pod: String },
}
