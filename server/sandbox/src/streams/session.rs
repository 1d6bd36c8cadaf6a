//! A running exec/attach session: the process's streams seen from the API side.

use futures::future::BoxFuture;
use kubedojo_images::TermSize;
use tokio::io::{AsyncRead, AsyncWrite};

/// How an exec/attach session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitOutcome {
    /// The process exited with this code (0–255; 128+n after signal n).
    Code(i32),
    /// The runtime failed the session after it started (reported as an internal error).
    Error(String),
}

/// The streams of one started process. Streams the request did not ask for are `None`.
pub struct Session {
    /// Bytes the client types. Dropping it (or `shutdown`) is end-of-file for the process.
    pub stdin: Option<Box<dyn AsyncWrite + Send + Unpin>>,
    /// What the process prints; end-of-file when it (and its children) closed it.
    pub stdout: Option<Box<dyn AsyncRead + Send + Unpin>>,
    /// `None` with a TTY (merged into stdout).
    pub stderr: Option<Box<dyn AsyncRead + Send + Unpin>>,
    /// Called on every terminal resize the client sends (TTY sessions).
    pub resize: Option<Box<dyn Fn(TermSize) + Send + Sync>>,
    /// Resolves when the process ends.
    pub exit: BoxFuture<'static, ExitOutcome>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("stdin", &self.stdin.is_some())
            .field("stdout", &self.stdout.is_some())
            .field("stderr", &self.stderr.is_some())
            .field("resize", &self.resize.is_some())
            .finish_non_exhaustive()
    }
}
