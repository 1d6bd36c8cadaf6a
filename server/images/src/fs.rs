//! A container's view of files: its writable layer and its mounts, all real host directories.

use std::path::PathBuf;

/// One volume mount.
#[derive(Debug, Clone)]
pub struct Mount {
    /// Absolute path inside the container, e.g. `/var/lib/mysql`.
    pub path: String,
    /// The host directory that backs it.
    pub host: PathBuf,
    pub read_only: bool,
}

/// The files a container sees.
#[derive(Debug, Clone)]
pub struct ContainerFs {
    /// The writable layer (the container's "/"), gone when the container is replaced.
    pub root: PathBuf,
    /// Volume mounts; the longest matching `path` wins.
    pub mounts: Vec<Mount>,
}

/// Why a file operation failed (messages like the real tools print).
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("{0}: No such file or directory")]
    NotFound(String),
    #[error("{0}: Read-only file system")]
    ReadOnly(String),
    #[error("{0}: No space left on device")]
    NoSpace(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl ContainerFs {
    /// A container's files: its writable layer and its mounts.
    pub fn new(root: PathBuf, mounts: Vec<Mount>) -> Self {
        ContainerFs { root, mounts }
    }
}
