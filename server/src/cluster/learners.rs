//! Learner → cluster handles: provision (with progress), client and kubeconfig look-ups, reset,
//! removal, and the reaper that removes clusters idle longer than the TTL.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::apply::Applied;
use super::backend::{Backend, BackendKind, LearnerCluster};
use super::error::ClusterError;
use super::provision::{Faults, Progress, Reporter};
use super::sandbox_backend::SandboxBackend;

/// Default idle time after which a learner's cluster is removed.
pub const DEFAULT_TTL: Duration = Duration::from_secs(2 * 3600);

struct Slot {
    cluster: Option<LearnerCluster>,
    last_used: Instant,
}

type SlotRef = Arc<tokio::sync::Mutex<Slot>>;

/// Every learner's cluster. Clusters come from the server's backend (the first of
/// `backends`); a server on a real cluster also has the embedded sandbox, and a learner can be
/// sent to either (a workshop chooses for its learners, see [`LearnerClusters::prefer`]).
pub struct LearnerClusters {
    /// At most one of each kind; the first is the default.
    backends: Vec<Backend>,
    /// Learners who get their next cluster from a backend other than the default.
    preferred: parking_lot::Mutex<HashMap<String, BackendKind>>,
    ttl: Duration,
    faults: Faults,
    /// One lock per learner: provision, reset and remove of the same learner run one at a time,
    /// different learners in parallel.
    slots: parking_lot::Mutex<HashMap<String, SlotRef>>,
}

impl std::fmt::Debug for LearnerClusters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LearnerClusters")
            .field("backends", &self.backends)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// A provisioning in flight: watch its steps, then wait for the cluster.
#[derive(Debug)]
pub struct Provisioning {
    progress: watch::Receiver<Progress>,
    task: JoinHandle<Result<LearnerCluster, ClusterError>>,
}

impl Provisioning {
    /// The steps and their status, updated as they run.
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }

    /// Wait until provisioning has finished.
    ///
    /// # Errors
    /// The failing step (nothing of it is left behind).
    pub async fn wait(self) -> Result<LearnerCluster, ClusterError> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(ClusterError::Step {
                step: "provision".into(),
                reason: format!("the provisioning task ended abnormally: {e}"),
            }),
        }
    }
}

impl LearnerClusters {
    /// Learner clusters on `backend`, removed after `ttl` idle.
    pub fn new(backend: Backend, ttl: Duration) -> Arc<Self> {
        Self::with_backends(backend, None, ttl)
    }

    /// Learner clusters on `default`, and on `sandbox` for the learners sent there (a server on
    /// a real cluster offers its embedded sandbox too).
    pub fn with_backends(
        default: Backend,
        sandbox: Option<SandboxBackend>,
        ttl: Duration,
    ) -> Arc<Self> {
        let mut backends = vec![default];
        if let Some(sandbox) = sandbox
            && backends[0].kind() != BackendKind::Sandbox
        {
            backends.push(Backend::Sandbox(sandbox));
        }
        Arc::new(LearnerClusters {
            backends,
            preferred: parking_lot::Mutex::new(HashMap::new()),
            ttl,
            faults: Faults::default(),
            slots: parking_lot::Mutex::new(HashMap::new()),
        })
    }

    /// Take back the learner clusters an earlier run of the server left (see
    /// [`Backend::adopt_existing`]); returns how many learners got theirs back. Call once,
    /// before serving.
    pub async fn adopt_existing(&self) -> usize {
        let mut adopted = Vec::new();
        for backend in &self.backends {
            adopted.extend(backend.adopt_existing().await);
        }
        let n = adopted.len();
        for lc in adopted {
            let slot = self.slot(&lc.learner);
            slot.lock().await.cluster = Some(lc);
        }
        n
    }

    /// Whether `lab` was set up on the learner's current cluster (so it can be resumed there
    /// rather than set up again).
    pub async fn has_lab(&self, learner: &str, lab: &str) -> bool {
        self.cluster_for(learner)
            .await
            .is_some_and(|lc| lc.labs.contains(lab))
    }

    /// Record that `lab` is set up on the learner's current cluster (kept with the cluster).
    ///
    /// # Errors
    /// No cluster, or the backend cannot store it.
    pub async fn record_lab(&self, learner: &str, lab: &str) -> Result<(), ClusterError> {
        let slot = self
            .existing_slot(learner)
            .ok_or(ClusterError::NotProvisioned)?;
        let mut slot = slot.lock().await;
        let lc = slot.cluster.as_mut().ok_or(ClusterError::NotProvisioned)?;
        if lc.labs.insert(lab.to_string()) {
            self.backend_of(lc.kind)?.record_labs(lc).await?;
        }
        Ok(())
    }

    /// The default: a fresh embedded sandbox, 2 h TTL.
    pub fn sandbox_default() -> Arc<Self> {
        Self::new(
            Backend::Sandbox(SandboxBackend::new(kubedojo_sandbox::Sandbox::default())),
            DEFAULT_TTL,
        )
    }

    /// The server's backend: where learners' clusters come from unless they are sent
    /// elsewhere.
    pub fn backend(&self) -> &Backend {
        &self.backends[0]
    }

    /// The kinds of backend this server offers, its default first.
    pub fn available(&self) -> Vec<BackendKind> {
        self.backends.iter().map(Backend::kind).collect()
    }

    fn backend_of(&self, kind: BackendKind) -> Result<&Backend, ClusterError> {
        self.backends
            .iter()
            .find(|b| b.kind() == kind)
            .ok_or(ClusterError::BackendUnavailable(kind))
    }

    /// Give `learner` their next cluster from `kind` (a cluster they have now stays until it is
    /// reset or removed).
    ///
    /// # Errors
    /// The server has no backend of that kind.
    pub fn prefer(&self, learner: &str, kind: BackendKind) -> Result<(), ClusterError> {
        self.backend_of(kind)?;
        let mut preferred = self.preferred.lock();
        if kind == self.backend().kind() {
            preferred.remove(learner);
        } else {
            preferred.insert(learner.to_string(), kind);
        }
        Ok(())
    }

    /// Where the learner's next cluster comes from.
    pub fn kind_for(&self, learner: &str) -> BackendKind {
        self.preferred
            .lock()
            .get(learner)
            .copied()
            .unwrap_or_else(|| self.backend().kind())
    }

    /// Write whatever is not yet persisted (a clean shutdown).
    pub fn persist_all(&self) {
        for backend in &self.backends {
            backend.persist_all();
        }
    }

    /// Fault injection for tests.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// How long a cluster may stay idle.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn slot(&self, learner: &str) -> SlotRef {
        self.slots
            .lock()
            .entry(learner.to_string())
            .or_insert_with(|| {
                Arc::new(tokio::sync::Mutex::new(Slot {
                    cluster: None,
                    last_used: Instant::now(),
                }))
            })
            .clone()
    }

    fn existing_slot(&self, learner: &str) -> Option<SlotRef> {
        self.slots.lock().get(learner).cloned()
    }

    /// Give `learner` a cluster (a no-op with all steps done if they have one).
    pub fn provision(self: &Arc<Self>, learner: &str) -> Provisioning {
        self.start(learner, false)
    }

    /// Delete the learner's cluster and make a fresh one (progress starts with a `remove` step).
    pub fn reset(self: &Arc<Self>, learner: &str) -> Provisioning {
        self.start(learner, true)
    }

    fn start(self: &Arc<Self>, learner: &str, reset: bool) -> Provisioning {
        let mut steps: Vec<&'static str> = Vec::new();
        if reset {
            steps.push("remove");
        }
        let kind = self.kind_for(learner);
        let backend = match self.backend_of(kind) {
            Ok(b) => b,
            // NB: `prefer` only records kinds the server has, so this cannot happen.
            Err(_) => self.backend(),
        };
        steps.extend_from_slice(backend.steps());
        let kind = backend.kind();
        let (reporter, progress) = Reporter::new(&steps, self.faults.clone());
        let this = Arc::clone(self);
        let learner = learner.to_string();
        let task = tokio::spawn(async move {
            let slot = this.slot(&learner);
            let mut slot = slot.lock().await;
            if reset {
                if let Some(old) = slot.cluster.take() {
                    let removal = async {
                        this.backend_of(old.kind)?
                            .remove(&learner, Some(&old))
                            .await
                    };
                    reporter.step("remove", removal).await?;
                } else {
                    // Leftovers of a crashed provisioning are found by name on the backend.
                    let removal = async { this.backend_of(kind)?.remove(&learner, None).await };
                    reporter.step("remove", removal).await?;
                }
            } else if let Some(lc) = slot.cluster.clone() {
                slot.last_used = Instant::now();
                reporter.all_done();
                return Ok(lc);
            }
            let lc = this
                .backend_of(kind)?
                .provision(&learner, &reporter)
                .await?;
            slot.cluster = Some(lc.clone());
            slot.last_used = Instant::now();
            Ok(lc)
        });
        Provisioning { progress, task }
    }

    /// The learner's cluster, if provisioned (counts as use for the TTL).
    pub async fn cluster_for(&self, learner: &str) -> Option<LearnerCluster> {
        let slot = self.existing_slot(learner)?;
        let mut slot = slot.lock().await;
        slot.last_used = Instant::now();
        slot.cluster.clone()
    }

    /// The client that acts as the learner on their cluster.
    pub async fn client_for(&self, learner: &str) -> Option<kube::Client> {
        self.cluster_for(learner).await.map(|lc| lc.client)
    }

    /// The learner's kubeconfig (YAML) for their terminal.
    pub async fn kubeconfig_for(&self, learner: &str) -> Option<String> {
        self.cluster_for(learner).await.map(|lc| lc.kubeconfig)
    }

    /// The pace of the learner's cluster (sandbox only: a real cluster runs at its own pace).
    pub async fn pace(&self, learner: &str) -> Option<kubedojo_sandbox::Pace> {
        let lc = self.cluster_for(learner).await?;
        let Ok(Backend::Sandbox(sandbox)) = self.backend_of(lc.kind) else {
            return None;
        };
        sandbox.sandbox().cluster(&lc.id).map(|c| c.pace())
    }

    /// Switch the learner's cluster between lifelike and instant pace.
    ///
    /// # Errors
    /// No cluster yet, or a backend without simulated time.
    pub async fn set_pace(
        &self,
        learner: &str,
        pace: kubedojo_sandbox::Pace,
    ) -> Result<(), ClusterError> {
        let lc = self
            .cluster_for(learner)
            .await
            .ok_or(ClusterError::NotProvisioned)?;
        let Ok(Backend::Sandbox(sandbox)) = self.backend_of(lc.kind) else {
            return Err(ClusterError::SandboxOnly("changing the pace"));
        };
        let cluster = sandbox
            .sandbox()
            .cluster(&lc.id)
            .ok_or(ClusterError::NotProvisioned)?;
        cluster.set_pace(pace);
        Ok(())
    }

    /// Server-side apply a lab's manifests to the learner's cluster (safe to repeat).
    ///
    /// # Errors
    /// No cluster yet, bad manifests, or the API server's answer.
    pub async fn apply(&self, learner: &str, yaml: &str) -> Result<Vec<Applied>, ClusterError> {
        let lc = self
            .cluster_for(learner)
            .await
            .ok_or(ClusterError::NotProvisioned)?;
        self.backend_of(lc.kind)?.apply(&lc, yaml).await
    }

    /// Remove the learner's cluster; returns whether they had one.
    ///
    /// # Errors
    /// API failures while deleting.
    pub async fn remove(&self, learner: &str) -> Result<bool, ClusterError> {
        let Some(slot) = self.existing_slot(learner) else {
            return Ok(false);
        };
        let mut slot = slot.lock().await;
        let Some(lc) = slot.cluster.take() else {
            return Ok(false);
        };
        self.backend_of(lc.kind)?.remove(learner, Some(&lc)).await?;
        Ok(true)
    }

    /// Learners that have a cluster now.
    pub fn learners(&self) -> Vec<String> {
        let slots: Vec<(String, SlotRef)> = self
            .slots
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        slots
            .into_iter()
            .filter(|(_, s)| s.try_lock().map_or(true, |s| s.cluster.is_some()))
            .map(|(k, _)| k)
            .collect()
    }

    /// Remove clusters idle for longer than the TTL (busy learners are skipped); returns how
    /// many were removed.
    pub async fn reap_idle(&self) -> usize {
        let slots: Vec<(String, SlotRef)> = self
            .slots
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut removed = 0;
        for (learner, slot) in slots {
            let Ok(mut slot) = slot.try_lock() else {
                continue;
            };
            if slot.cluster.is_none() || slot.last_used.elapsed() < self.ttl {
                continue;
            }
            let Some(lc) = slot.cluster.take() else {
                continue;
            };
            let removal = async { self.backend_of(lc.kind)?.remove(&learner, Some(&lc)).await };
            match removal.await {
                Ok(()) => removed += 1,
                Err(e) => {
                    tracing::warn!(learner, error = %e, "removing an idle learner cluster");
                    // Try again next round.
                    slot.cluster = Some(lc);
                }
            }
        }
        removed
    }

    /// Run [`LearnerClusters::reap_idle`] every `every` until the returned task is aborted.
    pub fn spawn_reaper(self: &Arc<Self>, every: Duration) -> JoinHandle<()> {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let n = this.reap_idle().await;
                if n > 0 {
                    tracing::info!(removed = n, "removed idle learner clusters");
                }
            }
        })
    }

    /// Remove everything kubedojo created on the backend (known learners and leftovers of
    /// earlier runs); returns how many clusters or namespaces were removed.
    ///
    /// # Errors
    /// API failures.
    pub async fn cleanup_all(&self) -> Result<usize, ClusterError> {
        let slots: Vec<SlotRef> = self.slots.lock().values().cloned().collect();
        for slot in slots {
            slot.lock().await.cluster = None;
        }
        let mut removed = 0;
        for backend in &self.backends {
            removed += backend.cleanup_all().await?;
        }
        Ok(removed)
    }
}
