//! A set of independent virtual clusters living in one process.

use crate::cluster::{Cluster, token_cluster_id};
use crate::pace::Pace;
use crate::runtime::Limits;
use crate::tls::{TlsError, TlsListener, TlsMaterial};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Options for a [`Sandbox`].
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    /// Pace new clusters run at.
    pub pace: Pace,
    /// Where clusters keep their files (one directory per cluster). None: a fresh directory
    /// under the system temp dir, removed when the sandbox is dropped.
    pub data_dir: Option<PathBuf>,
    /// Per-cluster limits (data bytes, exec sessions, running pods).
    pub limits: Limits,
    /// Keep every cluster's API objects in its directory of `data_dir` too, so
    /// [`Sandbox::restore_clusters`] brings the clusters back after a restart (even a
    /// `kill -9`; see [`crate::persist`]). Needs `data_dir`; ignored without one.
    pub persistent: bool,
}

/// A cluster directory that could not be reloaded.
#[derive(Debug)]
pub struct RestoreFailure {
    /// The cluster id (its directory name).
    pub id: String,
    /// Why.
    pub error: crate::persist::PersistError,
    /// Where its files were moved so that a fresh cluster does not collide with them.
    pub moved_to: Option<PathBuf>,
}

struct Inner {
    clusters: RwLock<HashMap<String, Cluster>>,
    /// NB: made on first use; generating keys takes milliseconds that cluster creation must not pay.
    tls: std::sync::OnceLock<Arc<TlsMaterial>>,
    next_id: AtomicU64,
    opts: SandboxOptions,
    data_dir: PathBuf,
    /// Whether `data_dir` was made by us (and is removed with the sandbox).
    owns_data_dir: bool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.clusters.get_mut().clear();
        if self.owns_data_dir {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

/// Many clusters in one process. Cheap to clone.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new(SandboxOptions::default())
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("clusters", &self.inner.clusters.read().len())
            .finish()
    }
}

impl Sandbox {
    /// An empty sandbox.
    pub fn new(opts: SandboxOptions) -> Self {
        let (data_dir, owns_data_dir) = match &opts.data_dir {
            Some(d) => (d.clone(), false),
            None => {
                let tmp = std::env::temp_dir();
                sweep_stale_data_dirs(&tmp);
                let dir = tmp.join(format!(
                    "kubedojo-sandbox-{}-{}",
                    std::process::id(),
                    &crate::cluster::random_secret()[..8]
                ));
                (dir, true)
            }
        };
        Sandbox {
            inner: Arc::new(Inner {
                clusters: RwLock::new(HashMap::new()),
                tls: std::sync::OnceLock::new(),
                next_id: AtomicU64::new(1),
                opts,
                data_dir,
                owns_data_dir,
            }),
        }
    }

    /// Create a fresh cluster with kind-like default objects.
    pub fn create_cluster(&self) -> Cluster {
        let n = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let id = format!("c{n}");
        // NB: the first cluster pays for the CA (milliseconds); later ones share it.
        let ca = self.tls().ok().map(|t| Arc::<str>::from(t.ca_pem()));
        let cluster = Cluster::new(
            id.clone(),
            self.inner.opts.pace,
            ca,
            self.inner.data_dir.clone(),
            self.inner.opts.limits,
            self.is_persistent(),
        );
        self.inner.clusters.write().insert(id, cluster.clone());
        cluster
    }

    /// A cluster by id.
    pub fn cluster(&self, id: &str) -> Option<Cluster> {
        self.inner.clusters.read().get(id).cloned()
    }

    /// Remove a cluster; its tokens stop working and a persistent one does not come back
    /// after a restart. Returns whether it existed.
    pub fn remove_cluster(&self, id: &str) -> bool {
        let removed = self.inner.clusters.write().remove(id);
        if let Some(c) = &removed {
            c.discard();
        }
        removed.is_some()
    }

    /// Whether this sandbox's clusters survive a restart.
    pub fn is_persistent(&self) -> bool {
        self.inner.opts.persistent && !self.inner.owns_data_dir
    }

    /// The directory holding every cluster's files.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.inner.data_dir
    }

    /// Reload every persistent cluster found in the data directory (call once, at start,
    /// inside a Tokio runtime). A directory without a manifest (a removal interrupted by a
    /// crash) is deleted; one whose files are unreadable or corrupt is moved to
    /// `<data_dir>/corrupt/` and reported, and its learner gets a fresh cluster next time.
    /// Later clusters get ids that do not collide with any directory found.
    pub fn restore_clusters(&self) -> (Vec<Cluster>, Vec<RestoreFailure>) {
        let mut restored = Vec::new();
        let mut failed = Vec::new();
        if !self.is_persistent() {
            return (restored, failed);
        }
        let ca = self.tls().ok().map(|t| Arc::<str>::from(t.ca_pem()));
        let mut dirs: Vec<(u64, PathBuf)> = std::fs::read_dir(&self.inner.data_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name();
                let n = name.to_str()?.strip_prefix('c')?.parse::<u64>().ok()?;
                Some((n, e.path()))
            })
            .collect();
        dirs.sort();
        for (n, dir) in dirs {
            self.inner.next_id.fetch_max(n + 1, Ordering::Relaxed);
            let id = format!("c{n}");
            match Cluster::restore(&dir, ca.clone(), self.inner.opts.limits) {
                Ok(c) => {
                    self.inner.clusters.write().insert(id, c.clone());
                    restored.push(c);
                }
                Err(crate::persist::PersistError::NoManifest(_)) => {
                    let _ = std::fs::remove_dir_all(&dir);
                }
                Err(error) => {
                    let aside = self.inner.data_dir.join("corrupt").join(format!(
                        "{id}-{}",
                        chrono::Utc::now().format("%Y%m%dT%H%M%S")
                    ));
                    let moved_to = std::fs::create_dir_all(self.inner.data_dir.join("corrupt"))
                        .and_then(|()| std::fs::rename(&dir, &aside))
                        .ok()
                        .map(|()| aside);
                    failed.push(RestoreFailure {
                        id,
                        error,
                        moved_to,
                    });
                }
            }
        }
        (restored, failed)
    }

    /// Write every persistent cluster's pending changes now (a clean shutdown); returns the
    /// failures.
    pub fn persist_all(&self) -> Vec<(String, crate::persist::PersistError)> {
        let clusters: Vec<Cluster> = self.inner.clusters.read().values().cloned().collect();
        clusters
            .into_iter()
            .filter_map(|c| c.persist_now().err().map(|e| (c.id().to_string(), e)))
            .collect()
    }

    /// Ids of all clusters.
    pub fn cluster_ids(&self) -> Vec<String> {
        self.inner.clusters.read().keys().cloned().collect()
    }

    /// The cluster a bearer token belongs to, and the user it authenticates as.
    pub fn authenticate(&self, token: &str) -> Option<(Cluster, crate::cluster::UserInfo)> {
        let cluster = self.cluster(token_cluster_id(token)?)?;
        let user = cluster.authenticate(token)?;
        Some((cluster, user))
    }

    /// An axum Router serving every cluster of this sandbox, routed by bearer token.
    pub fn router(&self) -> axum::Router {
        crate::api::sandbox_router(self.clone())
    }

    /// The sandbox's TLS material (CA + server certificate), made once.
    ///
    /// # Errors
    /// Certificate generation failures.
    pub fn tls(&self) -> Result<Arc<TlsMaterial>, TlsError> {
        if let Some(t) = self.inner.tls.get() {
            return Ok(t.clone());
        }
        let made = Arc::new(TlsMaterial::generate()?);
        Ok(self.inner.tls.get_or_init(|| made).clone())
    }

    /// The CA certificate (PEM) that kubeconfigs for this sandbox trust.
    ///
    /// # Errors
    /// Certificate generation failures.
    pub fn ca_pem(&self) -> Result<String, TlsError> {
        Ok(self.tls()?.ca_pem().to_string())
    }

    /// Serve every cluster of this sandbox over HTTPS on `addr`, routed by bearer token.
    ///
    /// # Errors
    /// TLS or bind failures.
    pub async fn serve_tls(&self, addr: SocketAddr) -> Result<TlsListener, TlsError> {
        let tls = self.tls()?;
        TlsListener::bind(self.router(), addr, &tls).await
    }

    /// A kubeconfig (YAML) for `cluster` and `token` against a listener of this sandbox.
    pub fn kubeconfig(
        &self,
        listener: &TlsListener,
        cluster: &Cluster,
        token: &str,
        namespace: Option<&str>,
    ) -> String {
        crate::kubeconfig::render_kubeconfig(
            &listener.url(),
            listener.ca_pem(),
            cluster.id(),
            token,
            namespace,
        )
    }
}

/// Remove the temporary data directories of sandboxes whose process is gone (killed before it
/// could clean up), so test runs and crashes do not leave volumes behind in the temp dir.
fn sweep_stale_data_dirs(tmp: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix("kubedojo-sandbox-"))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let alive = std::path::Path::new("/proc").join(pid.to_string()).exists();
        if !alive && std::path::Path::new("/proc/self").exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
