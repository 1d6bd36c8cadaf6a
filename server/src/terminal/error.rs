//! Errors of the terminal: each is told to the learner as one line in the terminal.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub(crate) enum TerminalError {
    #[error(
        "kubectl is not installed on this server. Install kubectl 1.32 or newer (https://kubernetes.io/docs/tasks/tools/, or `apt-get install kubectl` from the Kubernetes apt repository) and put it on the server's PATH"
    )]
    KubectlMissing,
    #[error(
        "your cluster is not running: press Start in the lab panel, then run the command again"
    )]
    NoCluster,
    #[error("cannot prepare the terminal's files in {path}: {source}")]
    Files {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start kubectl: {0}")]
    Spawn(String),
    #[error("too many terminals are open on this server right now; try again in a minute")]
    TooManySessions,
    #[error(
        "a control message must be JSON like {{\"type\":\"resize\",\"cols\":80,\"rows\":24}}: {0}"
    )]
    Control(String),
}
