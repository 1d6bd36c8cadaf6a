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
                self.sandbox
                    .serve_tls(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                    .await
                    .map_err(|e| ClusterError::Tls(e.to_string()))
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
            .step("cluster", async { Ok(self.sandbox.create_cluster()) })
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
        // NB: through the TLS listener, like kubectl, not the in-process client: the grader
        // and the lab actions exec into pods (SQL, files, probes), which needs a connection
        // that can be upgraded to a WebSocket.
        let client = match super::client_from_kubeconfig(&kubeconfig).await {
            Ok(c) => c,
            Err(e) => {
                self.sandbox.remove_cluster(cluster.id());
                return Err(e);
            }
        };
        Ok(LearnerCluster {
            learner: learner.to_string(),
            kind: BackendKind::Sandbox,
            id: cluster.id().to_string(),
            namespace: "default".to_string(),
            client,
            kubeconfig,
        })
    }

    /// Remove a learner's cluster (its tokens stop working at once).
    pub fn remove(&self, lc: &LearnerCluster) {
        self.sandbox.remove_cluster(&lc.id);
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
