//! What the API asks the runtime for, after resolving pod and container.

use chrono::{DateTime, Utc};

/// Run a command in a container (`POST/GET …/pods/<pod>/exec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The argv, never empty (the API refuses an exec without a command).
    pub command: Vec<String>,
    /// The client sends input; the session must have `stdin`.
    pub stdin: bool,
    pub stdout: bool,
    /// Always false when `tty` is set (a terminal merges stderr into stdout).
    pub stderr: bool,
    pub tty: bool,
}

/// Attach to a container's main process (`…/pods/<pod>/attach`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachRequest {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub stdin: bool,
    pub stdout: bool,
    /// Always false when `tty` is set.
    pub stderr: bool,
    pub tty: bool,
}

/// Read a container's log (`GET …/pods/<pod>/log`). Options are already validated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogRequest {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// Keep the stream open and send new lines until the container ends.
    pub follow: bool,
    /// The log of the previous (terminated) instance of the container.
    pub previous: bool,
    /// Only the last N lines of the backlog (`>= 0`).
    pub tail_lines: Option<i64>,
    /// Only lines newer than this many seconds (`> 0`).
    pub since_seconds: Option<i64>,
    /// Only lines at or after this time.
    pub since_time: Option<DateTime<Utc>>,
    /// Prefix each line with its RFC 3339 nanosecond timestamp.
    pub timestamps: bool,
    /// Stop after this many bytes (`> 0`).
    pub limit_bytes: Option<i64>,
}
