//! Container logs as the runtime hands them to the API.

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

/// One line a container wrote, with the time the runtime captured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub time: DateTime<Utc>,
    /// Without the trailing newline.
    pub line: String,
}

/// The log of one container instance.
#[derive(Debug)]
pub struct LogStream {
    /// Lines already written, oldest first.
    pub backlog: Vec<LogLine>,
    /// New lines as they come, when following a running container; the sender is dropped
    /// when the container ends. `None` when not following or the container already ended.
    pub follow: Option<mpsc::Receiver<LogLine>>,
}
