//! Learner clusters: the one place that knows which backend is in use. Every learner gets a
//! cluster of their own, reached only through `kube::Client`: a whole virtual cluster in the
//! embedded sandbox (default), or a namespace with its own RBAC, quota and token on a real
//! cluster given by a kubeconfig. See [`LearnerClusters`].

pub mod apply;
pub mod backend;
pub mod error;
pub mod kind;
pub mod learners;
pub mod names;
pub mod namespace_backend;
pub mod provision;
pub mod sandbox_backend;

pub use apply::{Applied, FIELD_MANAGER};
pub use backend::{Backend, BackendKind, LearnerCluster};
pub use error::ClusterError;
pub use learners::{DEFAULT_TTL, LearnerClusters, Provisioning};
pub use namespace_backend::{LearnerQuota, NamespaceBackend, client_from_kubeconfig};
pub use provision::{Progress, Step, StepStatus};
pub use sandbox_backend::SandboxBackend;
