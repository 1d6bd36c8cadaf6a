//! Clusters that survive a restart of the process, even `kill -9`. Each persistent cluster
//! keeps, in its own data directory beside its volume files:
//!
//! ```text
//! <cluster>/cluster.json     the manifest: id, admin secret, issued tokens, pace, labels
//! <cluster>/store.snapshot   every API object (uids, resourceVersions, timestamps intact),
//!                            the store's resourceVersion and the IP/port allocators
//! ```
//!
//! NB: a write-behind snapshot rather than an append log. A lab cluster holds a few hundred
//! objects (a few hundred KiB of JSON); writes come in bursts (a `kubectl apply`, a pod
//! starting) separated by long quiet spells. Coalescing a burst into one snapshot written
//! [`DEBOUNCE`] after its first change costs one serialisation per burst, needs no compaction,
//! and a reload is one read with no replay. An append log would write less per change but
//! needs compaction, replay and torn-tail handling for little gain at this size. Each file is
//! written to a temporary name, fsynced and renamed over the old one (then the directory is
//! fsynced), so a crash leaves either the old or the new file, never a mix; a checksummed
//! header catches anything else (a truncated copy, a disk error), and such a cluster is
//! reported and set aside, never loaded half.

mod files;
mod manifest;
mod snapshot;
mod writer;

pub use files::{decode_framed, encode_framed, write_atomically};
pub use manifest::{Manifest, TokenRecord};
pub use snapshot::{StoreSnapshot, decode_snapshot, encode_snapshot, read_snapshot};
pub(crate) use writer::{Persistence, spawn_writer};

use std::path::PathBuf;
use std::time::Duration;

/// The manifest file in a cluster's directory.
pub const MANIFEST_FILE: &str = "cluster.json";
/// The object snapshot in a cluster's directory.
pub const SNAPSHOT_FILE: &str = "store.snapshot";
/// A burst of changes is written this long after its first change: at most this much (plus
/// the write itself) is lost to a `kill -9`.
pub const DEBOUNCE: Duration = Duration::from_millis(100);
/// After a reload the store's resourceVersion jumps ahead by this much, so versions a client
/// saw in the window lost to a crash are never handed out again for different content.
pub const RV_GAP_AFTER_RELOAD: u64 = 100_000;

/// Why persisted cluster state cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// Reading, writing or renaming a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file is there but its content is not a complete, intact copy.
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// The cluster directory has no manifest (a cluster being removed or never finished).
    #[error("{0} holds no cluster manifest")]
    NoManifest(PathBuf),
}

/// `Result` with [`PersistError`].
pub type Result<T, E = PersistError> = std::result::Result<T, E>;
