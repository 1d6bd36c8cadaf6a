//! One virtual cluster: its store, audit log, tokens and allocators.

use crate::api;
use crate::bootstrap;
use crate::pace::Pace;
use crate::store::{AuditEntry, AuditLog, Store};
use parking_lot::RwLock;
use std::collections::HashMap;
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
}

impl Drop for ClusterState {
    fn drop(&mut self) {
        self.runtime.shutdown();
        let _ = std::fs::remove_dir_all(self.runtime.layout.root());
    }
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
    pub(crate) fn new(
        id: String,
        pace: Pace,
        ca_pem: Option<Arc<str>>,
        data_dir: std::path::PathBuf,
        limits: crate::runtime::Limits,
    ) -> Self {
        let manager = crate::controllers::Manager::default();
        let layout = crate::runtime::volumes::Layout::new(data_dir.join(&id));
        let runtime = Arc::new(crate::runtime::Runtime::new(
            layout,
            limits,
            manager.clone(),
        ));
        let state = Arc::new(ClusterState {
            id,
            store: Store::new(),
            audit: AuditLog::default(),
            admin_secret: random_secret(),
            tokens: RwLock::new(HashMap::new()),
            // 10.96.0.1 is the `kubernetes` Service; others count up from there.
            next_cluster_ip: AtomicU32::new(1),
            next_node_port: AtomicU32::new(30000),
            pace: AtomicBool::new(pace == Pace::Lifelike),
            ca_pem,
            manager: manager.clone(),
            runtime,
            pod_streams: RwLock::new(None),
        });
        let c = Cluster { state };
        c.set_pod_streams(Arc::new(crate::runtime::RuntimeStreams {
            cluster: Arc::downgrade(&c.state),
        }));
        bootstrap::populate(&c);
        crate::runtime::nodes::populate(&c);
        crate::runtime::system_pods::populate(&c);
        let mut controllers = crate::controllers::builtin();
        controllers.extend(crate::runtime::Runtime::controllers());
        crate::controllers::start(&c, controllers, manager);
        c
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
