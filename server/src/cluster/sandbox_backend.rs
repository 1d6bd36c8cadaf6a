//! The default backend: every learner gets a whole virtual cluster of the embedded sandbox, with
//! an admin client over loopback TLS and a kubeconfig for the terminal over loopback TLS.

use std::net::{Ipv4Addr, SocketAddr};

use kubedojo_sandbox::{Sandbox, TlsListener};
use tokio::sync::OnceCell;

use super::apply::DiscoveryCache;
use super::backend::{BackendKind, LearnerCluster};
use super::error::ClusterError;
use super::provision::Reporter;

/// Provisioning steps of the sandbox backend.
pub const SANDBOX_STEPS: &[&str] = &["cluster", "credentials"];

/// Cluster label holding the learner a sandbox cluster belongs to (kept in the cluster's
/// manifest, so a restart maps the cluster back to its learner).
pub const LEARNER_LABEL: &str = "kubedojo.dev/learner-id";
/// Cluster label listing the labs set up on the cluster (comma-separated slugs).
pub const LABS_LABEL: &str = "kubedojo.dev/labs";

/// A sandbox holding one cluster per learner.
pub struct SandboxBackend {
    sandbox: Sandbox,
    /// One loopback HTTPS listener serves every cluster (routed by token); started on first need.
    listener: OnceCell<TlsListener>,
    discovery: DiscoveryCache,
}

impl std::fmt::Debug for SandboxBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxBackend")
            .field("sandbox", &self.sandbox)
            .finish()
    }
}

impl SandboxBackend {
    /// A backend over `sandbox`. It owns every cluster of that sandbox.
    pub fn new(sandbox: Sandbox) -> Self {
        SandboxBackend {
            sandbox,
            listener: OnceCell::new(),
            discovery: DiscoveryCache::default(),
        }
    }

    /// The sandbox behind this backend.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Kinds looked up once for every cluster of the sandbox.
    pub fn discovery(&self) -> &DiscoveryCache {
        &self.discovery
    }

    async fn listener(&self) -> Result<&TlsListener, ClusterError> {
        self.listener
            .get_or_try_init(|| async {
                let listener = self
                    .sandbox
                    .serve_tls(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                    .await
                    .map_err(|e| ClusterError::Tls(e.to_string()))?;
                tracing::info!("learners' sandbox clusters listen on {}", listener.url());
                Ok(listener)
            })
            .await
    }

    /// Make a cluster for `learner`. A failing step removes the cluster again.
    ///
    /// # Errors
    /// The TLS listener cannot start.
    pub async fn provision(
        &self,
        learner: &str,
        r: &Reporter,
    ) -> Result<LearnerCluster, ClusterError> {
        let cluster = r
            .step("cluster", async {
                let c = self.sandbox.create_cluster();
                c.set_label(LEARNER_LABEL, Some(learner));
                Ok(c)
            })
            .await?;
        let kubeconfig = r
            .step("credentials", async {
                let listener = self.listener().await?;
                Ok(self.sandbox.kubeconfig(
                    listener,
                    &cluster,
                    &cluster.admin_token(),
                    Some("default"),
                ))
            })
            .await;
        let kubeconfig = match kubeconfig {
            Ok(k) => k,
            Err(e) => {
                self.sandbox.remove_cluster(cluster.id());
                return Err(e);
            }
        };
        self.learner_cluster(learner, &cluster, kubeconfig)
            .await
            .inspect_err(|_| {
                self.sandbox.remove_cluster(cluster.id());
            })
    }

    async fn learner_cluster(
        &self,
        learner: &str,
        cluster: &kubedojo_sandbox::Cluster,
        kubeconfig: String,
    ) -> Result<LearnerCluster, ClusterError> {
        // NB: through the TLS listener, like kubectl, not the in-process client: the grader
        // and the lab actions exec into pods (SQL, files, probes), which needs a connection
        // that can be upgraded to a WebSocket.
        let client = super::client_from_kubeconfig(&kubeconfig).await?;
        let labs = cluster
            .label(LABS_LABEL)
            .map(|l| {
                l.split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        Ok(LearnerCluster {
            learner: learner.to_string(),
            kind: BackendKind::Sandbox,
            id: cluster.id().to_string(),
            namespace: "default".to_string(),
            client,
            kubeconfig,
            labs,
        })
    }

    /// Bring back the learner clusters a previous run of the server left in the sandbox's
    /// data directory, each with its learner (same cluster id and token, a kubeconfig for
    /// this run's listener). Clusters that cannot be reloaded are reported and left out (their
    /// learners get a fresh cluster when they next start a lab); so are clusters that never
    /// got a learner (a provisioning cut short), which are removed.
    pub async fn restore(&self) -> Vec<LearnerCluster> {
        let (clusters, failures) = self.sandbox.restore_clusters();
        for f in failures {
            tracing::error!(
                cluster = %f.id,
                error = %f.error,
                moved_to = ?f.moved_to,
                "a persisted sandbox cluster cannot be reloaded; its learner gets a fresh one"
            );
        }
        let mut out = Vec::new();
        for cluster in clusters {
            let Some(learner) = cluster.label(LEARNER_LABEL) else {
                self.sandbox.remove_cluster(cluster.id());
                continue;
            };
            let listener = match self.listener().await {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!(error = %e, "cannot serve reloaded clusters");
                    return out;
                }
            };
            let kubeconfig = self.sandbox.kubeconfig(
                listener,
                &cluster,
                &cluster.admin_token(),
                Some("default"),
            );
            match self.learner_cluster(&learner, &cluster, kubeconfig).await {
                Ok(lc) => out.push(lc),
                Err(e) => {
                    tracing::error!(cluster = %cluster.id(), error = %e, "cannot reach a reloaded cluster");
                }
            }
        }
        out
    }

    /// Remember on the cluster itself which labs are set up on it.
    pub fn record_labs(&self, lc: &LearnerCluster) {
        if let Some(c) = self.sandbox.cluster(&lc.id) {
            let labs: Vec<&str> = lc.labs.iter().map(String::as_str).collect();
            c.set_label(LABS_LABEL, Some(&labs.join(",")));
        }
    }

    /// Remove a learner's cluster (its tokens stop working at once).
    pub fn remove(&self, lc: &LearnerCluster) {
        self.sandbox.remove_cluster(&lc.id);
    }

    /// Write every cluster's pending changes now (a clean shutdown).
    pub fn persist_all(&self) {
        for (id, e) in self.sandbox.persist_all() {
            tracing::warn!(cluster = %id, error = %e, "cannot persist a sandbox cluster");
        }
    }

    /// Remove every cluster; returns how many there were.
    pub fn remove_all(&self) -> usize {
        let ids = self.sandbox.cluster_ids();
        for id in &ids {
            self.sandbox.remove_cluster(id);
        }
        ids.len()
    }
}
