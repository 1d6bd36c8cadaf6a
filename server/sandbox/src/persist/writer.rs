//! The write-behind task of one persistent cluster: it waits for a change (a store event, or
//! a nudge for a new token, label or pace), lets the burst settle for [`DEBOUNCE`], then
//! writes the snapshot (and the manifest when it changed) off the async threads.

use super::manifest::Manifest;
use super::snapshot::encode_snapshot;
use super::{DEBOUNCE, MANIFEST_FILE, Result, SNAPSHOT_FILE, write_atomically};
use crate::cluster::{Cluster, ClusterState};
use crate::store::Objects;
use parking_lot::Mutex;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use tokio::sync::Notify;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// The persistence side of one cluster.
pub(crate) struct Persistence {
    dir: PathBuf,
    /// NB: held while a file is written and while the cluster is discarded, so a late write
    /// never lands after (or in the middle of) a removal.
    lock: Mutex<()>,
    discarded: AtomicBool,
    manifest_dirty: AtomicBool,
    /// The resourceVersion the snapshot on disk holds.
    written_rv: AtomicU64,
    wake: Notify,
}

/// What one round writes.
pub(crate) struct Job {
    manifest: Option<Manifest>,
    snapshot: Option<SnapshotJob>,
}

struct SnapshotJob {
    rv: u64,
    objects: Vec<Objects>,
    next_cluster_ip: u32,
    next_node_port: u32,
}

impl Persistence {
    /// Persistence in `dir`; `written_rv` is what is on disk already (0: nothing).
    pub(crate) fn new(dir: PathBuf, written_rv: u64, manifest_on_disk: bool) -> Arc<Self> {
        Arc::new(Persistence {
            dir,
            lock: Mutex::new(()),
            discarded: AtomicBool::new(false),
            manifest_dirty: AtomicBool::new(!manifest_on_disk),
            written_rv: AtomicU64::new(written_rv),
            wake: Notify::new(),
        })
    }

    /// The manifest changed (a token, a label, the pace): write it with the next round.
    pub(crate) fn manifest_changed(&self) {
        self.manifest_dirty.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Stop writing for good and delete the manifest, so a restart does not bring the
    /// cluster back; the rest of the directory goes when the last handle is dropped.
    pub(crate) fn discard(&self) {
        let _guard = self.lock.lock();
        self.discarded.store(true, Ordering::SeqCst);
        let _ = std::fs::remove_file(self.dir.join(MANIFEST_FILE));
    }

    pub(crate) fn is_discarded(&self) -> bool {
        self.discarded.load(Ordering::SeqCst)
    }

    /// What to write now for `cluster` (nothing when it is all on disk already).
    pub(crate) fn job(&self, cluster: &Cluster) -> Job {
        let manifest = self
            .manifest_dirty
            .swap(false, Ordering::SeqCst)
            .then(|| cluster.manifest());
        let (rv, objects) = cluster.store().snapshot();
        let snapshot = (rv != self.written_rv.load(Ordering::SeqCst)).then(|| {
            let (next_cluster_ip, next_node_port) = cluster.allocators();
            SnapshotJob {
                rv,
                objects,
                next_cluster_ip,
                next_node_port,
            }
        });
        Job { manifest, snapshot }
    }

    /// Write a job's files (blocking I/O: call it off the async threads).
    ///
    /// # Errors
    /// The failing write; what was not written is marked to be written next time.
    pub(crate) fn write(&self, job: Job) -> Result<()> {
        let Job { manifest, snapshot } = job;
        let snapshot_bytes = snapshot
            .as_ref()
            .map(|s| encode_snapshot(s.rv, &s.objects, s.next_cluster_ip, s.next_node_port));
        let _guard = self.lock.lock();
        if self.is_discarded() {
            return Ok(());
        }
        if let Some(m) = &manifest
            && let Err(e) = write_atomically(&self.dir.join(MANIFEST_FILE), &m.encode())
        {
            self.manifest_dirty.store(true, Ordering::SeqCst);
            return Err(e);
        }
        if let (Some(s), Some(bytes)) = (&snapshot, snapshot_bytes) {
            write_atomically(&self.dir.join(SNAPSHOT_FILE), &bytes)?;
            self.written_rv.store(s.rv, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// Start the write-behind task of `cluster` on the current Tokio runtime (none: nothing is
/// written until [`Cluster::persist_now`]). It ends when the cluster is dropped or discarded.
pub(crate) fn spawn_writer(cluster: &Cluster, persistence: Arc<Persistence>) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let Ok((_, mut feed)) = cluster.store().subscribe(None) else {
        return;
    };
    let weak: Weak<ClusterState> = Arc::downgrade(&cluster.state);
    // A new cluster's objects were written before the feed existed: the first round writes them.
    let mut pending = persistence.written_rv.load(Ordering::SeqCst)
        != cluster.store().resource_version()
        || persistence.manifest_dirty.load(Ordering::SeqCst);
    handle.spawn(async move {
        loop {
            if !pending {
                tokio::select! {
                    r = feed.recv() => match r {
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return,
                    },
                    () = persistence.wake.notified() => {}
                }
            }
            pending = false;
            tokio::time::sleep(DEBOUNCE).await;
            loop {
                match feed.try_recv() {
                    Ok(_) | Err(TryRecvError::Lagged(_)) => {}
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Closed) => return,
                }
            }
            if persistence.is_discarded() {
                return;
            }
            let job = {
                let Some(state) = weak.upgrade() else { return };
                persistence.job(&Cluster { state })
            };
            let p = persistence.clone();
            match tokio::task::spawn_blocking(move || p.write(job)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "cannot persist a sandbox cluster; retrying");
                    pending = true;
                    tokio::time::sleep(DEBOUNCE * 10).await;
                }
                Err(e) => tracing::warn!(error = %e, "the persistence task failed"),
            }
        }
    });
}
