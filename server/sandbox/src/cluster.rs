//! One virtual cluster: its store, audit log, tokens and allocators.

use crate::api;
use crate::bootstrap;
use crate::pace::Pace;
use crate::persist::{self, Manifest, PersistError, Persistence, TokenRecord};
use crate::store::{AuditEntry, AuditLog, Store};
use parking_lot::RwLock;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use subtle::ConstantTimeEq;

/// The identity a request is made as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// e.g. `kubernetes-admin` or `system:serviceaccount:team-a:learner`.
    pub name: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    /// The cluster admin (member of `system:masters`, which bypasses RBAC like kube-apiserver).
    pub fn admin() -> Self {
        UserInfo {
            name: "kubernetes-admin".into(),
            groups: vec!["system:masters".into(), "system:authenticated".into()],
        }
    }

    /// A ServiceAccount identity.
    pub fn service_account(namespace: &str, name: &str) -> Self {
        UserInfo {
            name: format!("system:serviceaccount:{namespace}:{name}"),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
        }
    }

    /// Whether RBAC is bypassed.
    pub fn is_superuser(&self) -> bool {
        self.groups.iter().any(|g| g == "system:masters")
    }
}

struct TokenEntry {
    secret: String,
    user: UserInfo,
}

/// Shared state of one cluster. Cheap to clone through [`Cluster`].
pub struct ClusterState {
    id: String,
    pub(crate) store: Store,
    pub(crate) audit: AuditLog,
    admin_secret: String,
    tokens: RwLock<HashMap<String, TokenEntry>>,
    next_cluster_ip: AtomicU32,
    next_node_port: AtomicU32,
    /// The pace, switchable while the cluster runs (a learner's "lifelike / instant").
    pace: AtomicBool,
    /// The sandbox CA, published in every namespace as the `kube-root-ca.crt` ConfigMap.
    pub(crate) ca_pem: Option<Arc<str>>,
    /// The control loop (controllers, scheduler, kubelets).
    manager: crate::controllers::Manager,
    /// Nodes, processes, volumes: the part of the cluster that is not API objects.
    pub(crate) runtime: Arc<crate::runtime::Runtime>,
    /// The runtime serving exec/attach/log (the simulated kubelet by default).
    pod_streams: RwLock<Option<Arc<dyn crate::streams::PodStreams>>>,
    /// Labels the cluster's owner gives it (kept in the manifest of a persistent cluster).
    labels: RwLock<BTreeMap<String, String>>,
    /// Set for a cluster that survives restarts (see [`crate::persist`]).
    persistence: Option<Arc<Persistence>>,
}

impl Drop for ClusterState {
    fn drop(&mut self) {
        self.runtime.shutdown();
        // NB: a persistent cluster's files outlive the process; only a removed one's go.
        if self.persistence.as_ref().is_none_or(|p| p.is_discarded()) {
            let _ = std::fs::remove_dir_all(self.runtime.layout.root());
        }
    }
}

/// What a cluster is made of, fresh or reloaded.
struct Parts {
    id: String,
    store: Store,
    admin_secret: String,
    tokens: HashMap<String, TokenEntry>,
    next_cluster_ip: u32,
    next_node_port: u32,
    pace: Pace,
    labels: BTreeMap<String, String>,
    ca_pem: Option<Arc<str>>,
    data_dir: std::path::PathBuf,
    limits: crate::runtime::Limits,
    persistence: Option<Arc<Persistence>>,
}

/// A handle to one virtual cluster.
#[derive(Clone)]
pub struct Cluster {
    pub(crate) state: Arc<ClusterState>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("id", &self.state.id)
            .finish()
    }
}

impl Cluster {
    /// A fresh cluster `id` with its files in `data_dir/id`; `persistent` keeps its objects
    /// there too, so [`Cluster::restore`] can bring it back after a restart.
    pub(crate) fn new(
        id: String,
        pace: Pace,
        ca_pem: Option<Arc<str>>,
        data_dir: std::path::PathBuf,
        limits: crate::runtime::Limits,
        persistent: bool,
    ) -> Self {
        let dir = data_dir.join(&id);
        let persistence = persistent.then(|| {
            if let Err(e) = std::fs::create_dir_all(&dir) {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot make a cluster directory; its state will not persist");
            }
            Persistence::new(dir, 0, false)
        });
        let c = Cluster::assemble(Parts {
            id,
            store: Store::new(),
            admin_secret: random_secret(),
            tokens: HashMap::new(),
            // 10.96.0.1 is the `kubernetes` Service; others count up from there.
            next_cluster_ip: 1,
            next_node_port: 30000,
            pace,
            labels: BTreeMap::new(),
            ca_pem,
            data_dir,
            limits,
            persistence,
        });
        bootstrap::populate(&c);
        crate::runtime::nodes::populate(&c);
        crate::runtime::system_pods::populate(&c);
        c.start();
        c
    }

    /// Reload the persistent cluster kept in `dir` (its name is the cluster id). The node
    /// side comes back as after a reboot of every node: pods bound to nodes are started again
    /// with new container instances; volumes keep their files.
    ///
    /// # Errors
    /// A missing manifest (a cluster being removed), unreadable or corrupt files.
    pub(crate) fn restore(
        dir: &std::path::Path,
        ca_pem: Option<Arc<str>>,
        limits: crate::runtime::Limits,
    ) -> Result<Self, PersistError> {
        let manifest = Manifest::read(&dir.join(persist::MANIFEST_FILE))?;
        let snapshot = persist::read_snapshot(&dir.join(persist::SNAPSHOT_FILE))?;
        let data_dir = dir
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        let dir_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if manifest.id != dir_name {
            return Err(PersistError::Corrupt {
                path: dir.join(persist::MANIFEST_FILE),
                reason: format!("it names cluster {:?}, not {dir_name:?}", manifest.id),
            });
        }
        let rv = snapshot.rv + persist::RV_GAP_AFTER_RELOAD;
        let tokens = manifest
            .tokens
            .iter()
            .map(|t| {
                (
                    t.id.clone(),
                    TokenEntry {
                        secret: t.secret.clone(),
                        user: UserInfo {
                            name: t.user.clone(),
                            groups: t.groups.clone(),
                        },
                    },
                )
            })
            .collect();
        let c = Cluster::assemble(Parts {
            id: manifest.id,
            store: Store::restore(rv, snapshot.objects),
            admin_secret: manifest.admin_secret,
            tokens,
            next_cluster_ip: snapshot.next_cluster_ip,
            next_node_port: snapshot.next_node_port,
            pace: manifest.pace.parse().unwrap_or_default(),
            labels: manifest.labels,
            ca_pem,
            data_dir,
            limits,
            // NB: the jump in resourceVersion is written with the first round.
            persistence: Some(Persistence::new(dir.to_path_buf(), snapshot.rv, true)),
        });
        crate::runtime::reboot(&c);
        c.start();
        Ok(c)
    }

    fn assemble(p: Parts) -> Self {
        let manager = crate::controllers::Manager::default();
        let layout = crate::runtime::volumes::Layout::new(p.data_dir.join(&p.id));
        let runtime = Arc::new(crate::runtime::Runtime::new(
            layout,
            p.limits,
            manager.clone(),
        ));
        let state = Arc::new(ClusterState {
            id: p.id,
            store: p.store,
            audit: AuditLog::default(),
            admin_secret: p.admin_secret,
            tokens: RwLock::new(p.tokens),
            next_cluster_ip: AtomicU32::new(p.next_cluster_ip),
            next_node_port: AtomicU32::new(p.next_node_port),
            pace: AtomicBool::new(p.pace == Pace::Lifelike),
            ca_pem: p.ca_pem,
            manager,
            runtime,
            pod_streams: RwLock::new(None),
            labels: RwLock::new(p.labels),
            persistence: p.persistence,
        });
        let c = Cluster { state };
        c.set_pod_streams(Arc::new(crate::runtime::RuntimeStreams {
            cluster: Arc::downgrade(&c.state),
        }));
        c
    }

    /// Start the control loop and, for a persistent cluster, its write-behind task.
    fn start(&self) {
        let mut controllers = crate::controllers::builtin();
        controllers.extend(crate::runtime::Runtime::controllers());
        crate::controllers::start(self, controllers, self.state.manager.clone());
        if let Some(p) = &self.state.persistence {
            persist::spawn_writer(self, p.clone());
        }
    }

    /// Whether the cluster survives a restart of the process.
    pub fn is_persistent(&self) -> bool {
        self.state.persistence.is_some()
    }

    /// Write everything not yet on disk now (a persistent cluster; others do nothing). The
    /// write-behind task does this on its own within [`persist::DEBOUNCE`] of a change; this
    /// is for a clean shutdown and for tests.
    ///
    /// # Errors
    /// The failing write.
    pub fn persist_now(&self) -> Result<(), PersistError> {
        match &self.state.persistence {
            Some(p) => p.write(p.job(self)),
            None => Ok(()),
        }
    }

    /// Forget a persistent cluster for good: nothing more is written and a restart does not
    /// bring it back; its files go when the last handle is dropped.
    pub(crate) fn discard(&self) {
        if let Some(p) = &self.state.persistence {
            p.discard();
        }
    }

    /// The label `key` the owner gave the cluster.
    pub fn label(&self, key: &str) -> Option<String> {
        self.state.labels.read().get(key).cloned()
    }

    /// Every label of the cluster.
    pub fn labels(&self) -> BTreeMap<String, String> {
        self.state.labels.read().clone()
    }

    /// Set (or with `None` remove) a label; a persistent cluster keeps it in its manifest.
    pub fn set_label(&self, key: &str, value: Option<&str>) {
        {
            let mut labels = self.state.labels.write();
            match value {
                Some(v) => labels.insert(key.to_string(), v.to_string()),
                None => labels.remove(key),
            };
        }
        self.manifest_changed();
    }

    fn manifest_changed(&self) {
        if let Some(p) = &self.state.persistence {
            p.manifest_changed();
        }
    }

    /// The manifest describing this cluster now.
    pub(crate) fn manifest(&self) -> Manifest {
        let tokens = self
            .state
            .tokens
            .read()
            .iter()
            .map(|(id, t)| TokenRecord {
                id: id.clone(),
                secret: t.secret.clone(),
                user: t.user.name.clone(),
                groups: t.user.groups.clone(),
            })
            .collect();
        Manifest {
            id: self.state.id.clone(),
            admin_secret: self.state.admin_secret.clone(),
            pace: self.pace().to_string(),
            tokens,
            labels: self.labels(),
        }
    }

    /// The ClusterIP and NodePort allocators' next values.
    pub(crate) fn allocators(&self) -> (u32, u32) {
        (
            self.state.next_cluster_ip.load(Ordering::Relaxed),
            self.state.next_node_port.load(Ordering::Relaxed),
        )
    }

    /// Wake the cluster's control loop (after a change the store does not see, such as a
    /// container process exiting).
    pub fn nudge(&self) {
        self.state.manager.nudge();
    }

    /// The control loop settled for the first time: the cluster has booted. Its boot-time
    /// history (system pods starting) leaves the watch cache, as a real apiserver's watch cache
    /// only holds a recent window; watches from before now get 410 Gone and relist.
    pub(crate) fn booted(&self) {
        self.state
            .runtime
            .booted
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.store().compact(0);
    }

    /// The node side of the cluster (processes, volumes, logs).
    pub(crate) fn runtime(&self) -> &Arc<crate::runtime::Runtime> {
        &self.state.runtime
    }

    /// Where this cluster keeps its files (volumes, container layers, node disks).
    pub fn data_dir(&self) -> &std::path::Path {
        self.state.runtime.layout.root()
    }

    /// Install the runtime that serves `pods/exec`, `pods/attach` and `pods/log` (replaces any
    /// earlier one; sessions already running keep their streams).
    pub fn set_pod_streams(&self, backend: Arc<dyn crate::streams::PodStreams>) {
        *self.state.pod_streams.write() = Some(backend);
    }

    /// The installed stream backend, if any.
    pub(crate) fn pod_streams(&self) -> Option<Arc<dyn crate::streams::PodStreams>> {
        self.state.pod_streams.read().clone()
    }

    /// The cluster id (also the kubeconfig cluster/context name suffix).
    pub fn id(&self) -> &str {
        &self.state.id
    }

    /// The bearer token that authenticates as the cluster admin (only for this cluster).
    pub fn admin_token(&self) -> String {
        format!("kd.{}.admin.{}", self.state.id, self.state.admin_secret)
    }

    /// The pace controllers of this cluster run at now.
    pub fn pace(&self) -> Pace {
        if self.state.pace.load(Ordering::Relaxed) {
            Pace::Lifelike
        } else {
            Pace::Instant
        }
    }

    /// Switch the pace: delays scheduled from now on use it (those already waiting finish).
    pub fn set_pace(&self, pace: Pace) {
        self.state
            .pace
            .store(pace == Pace::Lifelike, Ordering::Relaxed);
        self.manifest_changed();
        // Wake the control loop so work that was waiting on a lifelike delay is looked at again.
        self.state.manager.nudge();
    }

    /// An axum Router serving the Kubernetes API of this cluster. Requests without a bearer
    /// token are the cluster admin; with a token, the token must belong to this cluster.
    pub fn router(&self) -> axum::Router {
        api::cluster_router(self.clone())
    }

    /// An in-process kube client (admin) talking to [`Cluster::router`]; no socket involved.
    ///
    /// # Panics
    /// Outside a Tokio runtime (kube's request buffer spawns a task).
    pub fn client(&self) -> kube::Client {
        kube::Client::new(self.router(), "default")
    }

    /// An in-process kube client that authenticates with `token` (e.g. a ServiceAccount token).
    ///
    /// # Panics
    /// Outside a Tokio runtime.
    pub fn client_with_token(&self, token: &str, namespace: &str) -> kube::Client {
        let router = api::cluster_router_with_token(self.clone(), token.to_string());
        kube::Client::new(router, namespace.to_string())
    }

    /// The object store (controllers subscribe to it with [`crate::store::Store::subscribe`]).
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// A copy of the audit log, oldest first.
    pub fn audit_log(&self) -> Vec<AuditEntry> {
        self.state.audit.entries()
    }

    /// Forget the audit log (e.g. when a lab is reset).
    pub fn clear_audit_log(&self) {
        self.state.audit.clear();
    }

    /// Mint a token for a ServiceAccount (what TokenRequest returns).
    pub fn issue_token(&self, namespace: &str, service_account: &str) -> String {
        let id = random_secret()[..12].to_string();
        let secret = random_secret();
        self.state.tokens.write().insert(
            id.clone(),
            TokenEntry {
                secret: secret.clone(),
                user: UserInfo::service_account(namespace, service_account),
            },
        );
        self.manifest_changed();
        format!("kd.{}.{}.{}", self.state.id, id, secret)
    }

    /// Resolve a bearer token of this cluster to a user (constant-time secret comparison).
    pub fn authenticate(&self, token: &str) -> Option<UserInfo> {
        let mut parts = token.splitn(4, '.');
        let (Some("kd"), Some(cluster), Some(id), Some(secret)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        if cluster != self.state.id {
            return None;
        }
        if id == "admin" {
            return bool::from(secret.as_bytes().ct_eq(self.state.admin_secret.as_bytes()))
                .then(UserInfo::admin);
        }
        let tokens = self.state.tokens.read();
        let entry = tokens.get(id)?;
        bool::from(secret.as_bytes().ct_eq(entry.secret.as_bytes())).then(|| entry.user.clone())
    }

    /// Next free ClusterIP in 10.96.0.0/12.
    pub(crate) fn allocate_cluster_ip(&self) -> String {
        let mut n = self.state.next_cluster_ip.fetch_add(1, Ordering::Relaxed);
        if n % 65536 == 10 {
            // 10.96.0.10 belongs to kube-dns, like on kind.
            n = self.state.next_cluster_ip.fetch_add(1, Ordering::Relaxed);
        }
        format!("10.96.{}.{}", (n >> 8) & 0xff, n & 0xff)
    }

    /// Next free NodePort in 30000-32767.
    pub(crate) fn allocate_node_port(&self) -> u32 {
        let n = self.state.next_node_port.fetch_add(1, Ordering::Relaxed);
        30000 + (n - 30000) % 2768
    }
}

/// Extract the cluster id from a sandbox token without checking it.
pub(crate) fn token_cluster_id(token: &str) -> Option<&str> {
    let mut parts = token.splitn(4, '.');
    match (parts.next(), parts.next()) {
        (Some("kd"), Some(id)) => Some(id),
        _ => None,
    }
}

/// 32 random lowercase hex characters.
pub(crate) fn random_secret() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}
