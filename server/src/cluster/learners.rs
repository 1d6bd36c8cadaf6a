//! Learner → cluster handles: provision (with progress), client and kubeconfig look-ups, reset,
//! removal, and the reaper that removes clusters idle longer than the TTL.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::apply::Applied;
use super::backend::{Backend, LearnerCluster};
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

/// Every learner's cluster, on one backend.
pub struct LearnerClusters {
    backend: Backend,
    ttl: Duration,
    faults: Faults,
    /// One lock per learner: provision, reset and remove of the same learner run one at a time,
    /// different learners in parallel.
    slots: parking_lot::Mutex<HashMap<String, SlotRef>>,
}

impl std::fmt::Debug for LearnerClusters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LearnerClusters")
            .field("backend", &self.backend)
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
        Arc::new(LearnerClusters {
            backend,
            ttl,
            faults: Faults::default(),
            slots: parking_lot::Mutex::new(HashMap::new()),
        })
    }

    /// Take back the learner clusters an earlier run of the server left (see
    /// [`Backend::adopt_existing`]); returns how many learners got theirs back. Call once,
    /// before serving.
    pub async fn adopt_existing(&self) -> usize {
        let adopted = self.backend.adopt_existing().await;
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
            self.backend.record_labs(lc).await?;
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

    /// The backend in use.
    pub fn backend(&self) -> &Backend {
        &self.backend
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
        steps.extend_from_slice(self.backend.steps());
        let (reporter, progress) = Reporter::new(&steps, self.faults.clone());
        let this = Arc::clone(self);
        let learner = learner.to_string();
        let task = tokio::spawn(async move {
            let slot = this.slot(&learner);
            let mut slot = slot.lock().await;
            if reset {
                let old = slot.cluster.take();
                reporter
                    .step("remove", this.backend.remove(&learner, old.as_ref()))
                    .await?;
            } else if let Some(lc) = slot.cluster.clone() {
                slot.last_used = Instant::now();
                reporter.all_done();
                return Ok(lc);
            }
            let lc = this.backend.provision(&learner, &reporter).await?;
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
        let Backend::Sandbox(sandbox) = &self.backend else {
            return None;
        };
        let lc = self.cluster_for(learner).await?;
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
        let Backend::Sandbox(sandbox) = &self.backend else {
            return Err(ClusterError::SandboxOnly("changing the pace"));
        };
        let lc = self
            .cluster_for(learner)
            .await
            .ok_or(ClusterError::NotProvisioned)?;
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
        self.backend.apply(&lc, yaml).await
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
        self.backend.remove(learner, Some(&lc)).await?;
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
            match self.backend.remove(&learner, Some(&lc)).await {
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
        self.backend.cleanup_all().await
    }
}
