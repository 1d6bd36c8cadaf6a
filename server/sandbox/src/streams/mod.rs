//! The contract between the API surface (`pods/exec`, `pods/attach`, `pods/log`) and the
//! simulated kubelet that runs container processes. No HTTP here: the API layer resolves the
//! pod and container from the store, checks RBAC and speaks the wire protocols; a
//! [`PodStreams`] backend only starts processes and hands back their streams and logs.
//!
//! Install a backend with [`crate::Cluster::set_pod_streams`]. Without one the API answers
//! `503 ServiceUnavailable` ("the pod runtime is not running").

mod error;
mod logs;
mod request;
mod session;

pub use error::StreamError;
pub use logs::{LogLine, LogStream};
pub use request::{AttachRequest, ExecRequest, LogRequest};
pub use session::{ExitOutcome, Session};

/// What the pod runtime offers the API for running containers.
///
/// Every method is called from an async context and must not block: start the work and
/// return handles to it.
pub trait PodStreams: Send + Sync + 'static {
    /// Start `req.command` in a running container (`kubectl exec`).
    ///
    /// # Errors
    /// The runtime's refusals: a container that is not running, a completed pod, a command
    /// that cannot start ([`StreamError::Exec`]), too many sessions.
    fn exec(&self, req: ExecRequest) -> Result<Session, StreamError>;

    /// Connect to the main process of a running container (`kubectl attach`).
    ///
    /// The session's `exit` resolves when the container's process ends (or, for a runtime
    /// that cannot tell, when its output ends).
    ///
    /// # Errors
    /// As for [`PodStreams::exec`].
    fn attach(&self, req: AttachRequest) -> Result<Session, StreamError>;

    /// The log of a container (`kubectl logs`).
    ///
    /// The API layer applies `tail_lines`, `since_*`, `timestamps` and `limit_bytes` itself
    /// (to the backlog and to followed lines), so a backend may ignore them or use them only
    /// to avoid copying lines that would be dropped anyway.
    ///
    /// # Errors
    /// [`StreamError::ContainerNotRunning`] before the container ever started,
    /// [`StreamError::NoPreviousContainer`] for `previous` without an earlier instance.
    fn logs(&self, req: LogRequest) -> Result<LogStream, StreamError>;
}
