//! The backend in use (the one place that knows) and the handle a learner's cluster is.

use std::collections::BTreeSet;
use std::path::Path;

use super::apply::{Applied, ApplyOptions, apply_yaml};
use super::error::ClusterError;
use super::namespace_backend::{NAMESPACE_STEPS, NamespaceBackend};
use super::provision::Reporter;
use super::sandbox_backend::{SANDBOX_STEPS, SandboxBackend};

/// Which kind of backend made a learner cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Sandbox,
    Namespace,
}

impl BackendKind {
    /// The word an instructor picks and reads: `sandbox` or `cluster` (a real one).
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Sandbox => "sandbox",
            BackendKind::Namespace => "cluster",
        }
    }

    /// The kind [`BackendKind::name`] names.
    pub fn from_name(name: &str) -> Option<Self> {
        [BackendKind::Sandbox, BackendKind::Namespace]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

/// A learner's cluster: the client kubedojo uses for them and the kubeconfig their terminal uses.
#[derive(Clone)]
pub struct LearnerCluster {
    pub learner: String,
    pub kind: BackendKind,
    /// Sandbox cluster id, or the learner's namespace on a shared cluster.
    pub id: String,
    /// The namespace the learner works in.
    pub namespace: String,
    /// Talks to the learner's cluster as the learner: the sandbox cluster's admin (the whole
    /// cluster is theirs), or the learner's ServiceAccount token on a shared cluster.
    pub client: kube::Client,
    /// The same credentials as YAML for kubectl.
    pub kubeconfig: String,
    /// The labs set up on this cluster (kept with the cluster, so they survive a restart of
    /// the server: a lab is resumed there, not set up again).
    pub labs: BTreeSet<String>,
}

impl std::fmt::Debug for LearnerCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LearnerCluster")
            .field("learner", &self.learner)
            .field("kind", &self.kind)
            .field("id", &self.id)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// Where learner clusters come from.
#[derive(Debug)]
pub enum Backend {
    /// A virtual cluster per learner in the embedded sandbox.
    Sandbox(SandboxBackend),
    /// A namespace per learner on a real cluster reached through a kubeconfig (boxed: it holds
    /// a kube client and config, far larger than the sandbox handle).
    Namespace(Box<NamespaceBackend>),
}

impl Backend {
    /// The provisioning steps, in order.
    pub fn steps(&self) -> &'static [&'static str] {
        match self {
            Backend::Sandbox(_) => SANDBOX_STEPS,
            Backend::Namespace(_) => NAMESPACE_STEPS,
        }
    }

    /// Which backend this is.
    pub fn kind(&self) -> BackendKind {
        match self {
            Backend::Sandbox(_) => BackendKind::Sandbox,
            Backend::Namespace(_) => BackendKind::Namespace,
        }
    }

    /// Make a cluster for `learner`; a failing step leaves nothing behind.
    ///
    /// # Errors
    /// The failing step.
    pub async fn provision(
        &self,
        learner: &str,
        r: &Reporter,
    ) -> Result<LearnerCluster, ClusterError> {
        match self {
            Backend::Sandbox(b) => b.provision(learner, r).await,
            Backend::Namespace(b) => b.provision(learner, r).await,
        }
    }

    /// Remove everything made for the learner (waits until a namespace is really gone, so a
    /// re-provision can follow at once).
    ///
    /// # Errors
    /// API failures other than "already gone".
    pub async fn remove(
        &self,
        learner: &str,
        lc: Option<&LearnerCluster>,
    ) -> Result<(), ClusterError> {
        match self {
            Backend::Sandbox(b) => {
                if let Some(lc) = lc {
                    b.remove(lc);
                }
                Ok(())
            }
            Backend::Namespace(b) => b.remove_learner(learner).await,
        }
    }

    /// Remove everything kubedojo created through this backend; returns how many learners'
    /// clusters or namespaces were removed.
    ///
    /// # Errors
    /// API failures.
    pub async fn cleanup_all(&self) -> Result<usize, ClusterError> {
        match self {
            Backend::Sandbox(b) => Ok(b.remove_all()),
            Backend::Namespace(b) => b.cleanup_all().await,
        }
    }

    /// The learner clusters an earlier run of the server left behind: sandbox clusters
    /// reloaded from the data directory, or namespaces on the real cluster found by label.
    pub async fn adopt_existing(&self) -> Vec<LearnerCluster> {
        match self {
            Backend::Sandbox(b) => b.restore().await,
            Backend::Namespace(b) => b.adopt_existing().await,
        }
    }

    /// Keep the list of labs set up on `lc` with the cluster.
    ///
    /// # Errors
    /// API failures (namespace backend).
    pub async fn record_labs(&self, lc: &LearnerCluster) -> Result<(), ClusterError> {
        match self {
            Backend::Sandbox(b) => {
                b.record_labs(lc);
                Ok(())
            }
            Backend::Namespace(b) => b.record_labs(lc).await,
        }
    }

    /// Write whatever is not yet persisted (a clean shutdown).
    pub fn persist_all(&self) {
        if let Backend::Sandbox(b) = self {
            b.persist_all();
        }
    }

    /// Server-side apply a lesson's manifests to the learner's cluster.
    ///
    /// # Errors
    /// Bad manifests or the API server's answer.
    pub async fn apply(
        &self,
        lc: &LearnerCluster,
        yaml: &str,
    ) -> Result<Vec<Applied>, ClusterError> {
        match self {
            Backend::Sandbox(b) => {
                let opts = ApplyOptions {
                    namespace: lc.namespace.clone(),
                    force_namespace: false,
                    owner: None,
                };
                apply_yaml(&lc.client, yaml, &opts, b.discovery()).await
            }
            Backend::Namespace(b) => b.apply(lc, yaml).await,
        }
    }
}

impl Backend {
    /// The embedded sandbox. `data_dir` keeps its clusters (objects and volume files) across
    /// restarts; without it they live in a temporary directory and end with the process.
    ///
    /// # Errors
    /// The data directory cannot be created.
    pub fn open_sandbox(
        pace: kubedojo_sandbox::Pace,
        data_dir: Option<&Path>,
    ) -> Result<SandboxBackend, ClusterError> {
        if let Some(dir) = data_dir {
            std::fs::create_dir_all(dir).map_err(|e| ClusterError::DataDir {
                path: dir.to_path_buf(),
                reason: e.to_string(),
            })?;
        }
        Ok(SandboxBackend::new(kubedojo_sandbox::Sandbox::new(
            kubedojo_sandbox::SandboxOptions {
                pace,
                data_dir: data_dir.map(Path::to_path_buf),
                persistent: data_dir.is_some(),
                ..Default::default()
            },
        )))
    }

    /// The namespace backend on the cluster of `kubeconfig` (checked: parses, reachable,
    /// permitted).
    ///
    /// # Errors
    /// The kubeconfig is unusable, as one sentence.
    pub async fn open_namespaces(
        kubeconfig: &Path,
        context: Option<&str>,
    ) -> Result<Backend, ClusterError> {
        Ok(Backend::Namespace(Box::new(
            NamespaceBackend::connect(kubeconfig, context, Default::default()).await?,
        )))
    }
}
