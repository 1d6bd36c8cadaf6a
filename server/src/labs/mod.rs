//! Labs for learners: the server side of the lab panel. A [`LabService`] keeps one
//! [`LabSession`] per learner and lab, provisions the learner's cluster through
//! [`LearnerClusters`], sets the lab up and grades it with the grader, and records every
//! verdict and attempt in the progress store. The app reaches it through
//! [`LabBackend`] (server functions) and [`events`] (the panel's event stream).

pub mod events;
mod session;
mod view;

use std::collections::HashMap;
use std::sync::Arc;

use kubedojo_app::lab::model::{ClusterState, LabView, PaceView, TimelineKind};
use kubedojo_app::lab::service::{LabBackend, LabError, LabFuture};
use kubedojo_course::Catalog;
use kubedojo_grader::{Grader, LabSource};
use kubedojo_progress::{AttemptKind, LearnerId, ProgressStore};
use parking_lot::Mutex;

use crate::cluster::LearnerClusters;
use session::LabSession;

/// Every learner's labs.
pub struct LabService {
    catalog: Arc<Catalog>,
    clusters: Arc<LearnerClusters>,
    progress: Arc<ProgressStore>,
    sessions: Mutex<HashMap<(LearnerId, String), Arc<LabSession>>>,
}

impl std::fmt::Debug for LabService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabService")
            .field("sessions", &self.sessions.lock().len())
            .finish_non_exhaustive()
    }
}

impl LabService {
    pub fn new(
        catalog: Arc<Catalog>,
        clusters: Arc<LearnerClusters>,
        progress: Arc<ProgressStore>,
    ) -> Arc<Self> {
        Arc::new(Self {
            catalog,
            clusters,
            progress,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    /// The learner's session of a lab, created on first use.
    fn session(&self, learner: LearnerId, slug: &str) -> Result<Arc<LabSession>, LabError> {
        if let Some(s) = self.sessions.lock().get(&(learner, slug.to_string())) {
            return Ok(s.clone());
        }
        let lesson = self
            .catalog
            .get(slug)
            .ok_or_else(|| LabError::UnknownLab(slug.to_string()))?;
        let files = lesson
            .lab
            .as_ref()
            .ok_or_else(|| LabError::UnknownLab(slug.to_string()))?;
        let lab = LabSource::from_memory(
            std::path::Path::new(slug),
            files.text.clone(),
            files.manifests.clone(),
        )
        .and_then(|source| source.instantiate(session::seed(learner, slug)))
        .map_err(|e| LabError::Failed(format!("the lab of `{slug}` cannot be loaded: {e}")))?;
        let mut sessions = self.sessions.lock();
        let session = sessions
            .entry((learner, slug.to_string()))
            .or_insert_with(|| {
                LabSession::new(learner, slug.to_string(), lab, self.progress.clone())
            })
            .clone();
        Ok(session)
    }

    /// The learner's session, checked against their cluster: a cluster removed meanwhile (idle
    /// TTL, reset from another lab) detaches the session, and a lab already set up on the
    /// learner's cluster (before a restart of the server) is resumed.
    pub(crate) async fn live_session(
        &self,
        learner: LearnerId,
        slug: &str,
    ) -> Result<Arc<LabSession>, LabError> {
        let session = self.session(learner, slug)?;
        if matches!(session.cluster(), Some(ClusterState::Ready))
            && self
                .clusters
                .cluster_for(&learner.to_string())
                .await
                .is_none()
        {
            session.detach();
        }
        if session.cluster().is_none() {
            self.resume(&session).await;
        }
        Ok(session)
    }

    /// Attach grading to a lab whose setup is already on the learner's cluster (the cluster
    /// came back after a restart of the server), without applying the setup again: the
    /// learner's work stays as they left it.
    async fn resume(&self, session: &Arc<LabSession>) {
        let key = session.learner.to_string();
        let Some(lc) = self.clusters.cluster_for(&key).await else {
            return;
        };
        if !lc.labs.contains(&session.slug) {
            return;
        }
        // NB: a start already in flight owns the session; it attaches grading itself.
        let Ok(_turn) = session.exclusive.try_lock() else {
            return;
        };
        if session.cluster().is_some() {
            return;
        }
        session.note(
            TimelineKind::Cluster,
            "Your cluster is back, as you left it; grading continues.".into(),
            None,
        );
        session.attach(Grader::new(lc.client, lc.namespace));
        session.set_pace(self.clusters.pace(&key).await.map(pace_view));
    }

    fn log(&self, learner: LearnerId, slug: &str, kind: AttemptKind, subject: &str, detail: &str) {
        if let Err(e) = self
            .progress
            .log_lab_attempt(learner, slug, kind, subject, detail)
        {
            tracing::warn!(error = %e, "cannot log a lab attempt");
        }
    }

    /// Provision (or reset) the learner's cluster and set the lab up, in the background;
    /// progress goes to the session's view.
    fn begin(self: &Arc<Self>, session: Arc<LabSession>, reset: bool) {
        let key = session.learner.to_string();
        let provisioning = if reset {
            // The cluster is the learner's, not the lab's: every other lab of theirs loses it.
            for other in self.sessions.lock().values() {
                if other.learner == session.learner && !Arc::ptr_eq(other, &session) {
                    other.detach();
                }
            }
            session.detach();
            self.clusters.reset(&key)
        } else {
            self.clusters.provision(&key)
        };
        let mut progress = provisioning.progress();
        session.set_cluster(Some(view::provisioning(&progress.borrow())));
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let _turn = session.exclusive.lock().await;
            let follow = {
                let session = session.clone();
                tokio::spawn(async move {
                    while progress.changed().await.is_ok() {
                        let state = view::provisioning(&progress.borrow_and_update());
                        session.set_cluster(Some(state));
                    }
                })
            };
            let result = provisioning.wait().await;
            follow.abort();
            let cluster = match result {
                Ok(c) => c,
                Err(e) => {
                    session.set_cluster(Some(ClusterState::Failed {
                        reason: format!("your cluster could not be created: {e}"),
                    }));
                    return;
                }
            };
            session.set_busy(Some("Setting up the lab…".into()));
            let grader = Grader::new(cluster.client.clone(), cluster.namespace.clone());
            let setup = grader.start_lab(&session.lab).await;
            session.set_busy(None);
            match setup {
                Ok(()) => {
                    let kind = if reset {
                        AttemptKind::Reset
                    } else {
                        AttemptKind::Start
                    };
                    this.log(session.learner, &session.slug, kind, &session.slug, "");
                    if let Err(e) = this.clusters.record_lab(&key, &session.slug).await {
                        tracing::warn!(error = %e, "cannot record the lab on its cluster");
                    }
                    session.note(
                        TimelineKind::Cluster,
                        if reset {
                            "A fresh cluster is ready and the lab is set up.".into()
                        } else {
                            "Your cluster is ready and the lab is set up.".into()
                        },
                        None,
                    );
                    session.attach(grader);
                    session.set_pace(this.clusters.pace(&key).await.map(pace_view));
                }
                Err(e) => session.set_cluster(Some(ClusterState::Failed {
                    reason: format!("the lab could not be set up: {e}"),
                })),
            }
        });
    }

    async fn start(
        self: &Arc<Self>,
        learner: LearnerId,
        slug: String,
    ) -> Result<LabView, LabError> {
        let session = self.live_session(learner, &slug).await?;
        match session.cluster() {
            Some(ClusterState::Provisioning { .. } | ClusterState::Ready) => {}
            None | Some(ClusterState::Absent | ClusterState::Failed { .. }) => {
                self.begin(session.clone(), false);
            }
        }
        Ok(session.view())
    }

    async fn reset(
        self: &Arc<Self>,
        learner: LearnerId,
        slug: String,
    ) -> Result<LabView, LabError> {
        let session = self.live_session(learner, &slug).await?;
        if matches!(session.cluster(), Some(ClusterState::Provisioning { .. })) {
            return Err(LabError::Busy(
                "your cluster is being created; reset it once it is ready".into(),
            ));
        }
        self.begin(session.clone(), true);
        Ok(session.view())
    }

    /// The session and its grader, when the cluster is ready.
    async fn ready(
        &self,
        learner: LearnerId,
        slug: &str,
    ) -> Result<(Arc<LabSession>, Grader), LabError> {
        let session = self.live_session(learner, slug).await?;
        let grader = session.grader().ok_or(LabError::NoCluster)?;
        Ok((session, grader))
    }

    async fn check(&self, learner: LearnerId, slug: String) -> Result<LabView, LabError> {
        let (session, grader) = self.ready(learner, &slug).await?;
        let _turn = session
            .exclusive
            .try_lock()
            .map_err(|_| LabError::Busy("wait for the running action or check to end".into()))?;
        session.set_busy(Some("Checking every task…".into()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let grader = grader.with_progress(tx);
        let progress_session = session.clone();
        let relay = tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                progress_session.set_busy(Some(p.message));
            }
        });
        let mut passed = 0;
        for task in &session.lab.lab.tasks {
            let result = grader.evaluate_task(task).await;
            passed += usize::from(result.passed);
            session.record(result).await;
        }
        relay.abort();
        let total = session.lab.lab.tasks.len();
        self.log(
            learner,
            &slug,
            AttemptKind::CheckNow,
            &slug,
            &format!("{passed}/{total}"),
        );
        session.set_busy(None);
        session.note(
            TimelineKind::Cluster,
            format!("Checked: {passed} of {total} tasks pass."),
            None,
        );
        Ok(session.view())
    }

    async fn action(
        &self,
        learner: LearnerId,
        slug: String,
        action: String,
    ) -> Result<LabView, LabError> {
        let (session, grader) = self.ready(learner, &slug).await?;
        let label = session
            .lab
            .lab
            .actions
            .iter()
            .find(|a| a.id == action)
            .map(|a| a.label.clone())
            .ok_or_else(|| LabError::Unknown {
                what: "action",
                id: action.clone(),
            })?;
        let _turn = session
            .exclusive
            .try_lock()
            .map_err(|_| LabError::Busy("wait for the running action or check to end".into()))?;
        session.set_busy(Some(format!("{label}…")));
        let outcome = grader.run_action(&session.lab, &action).await;
        session.set_busy(None);
        match outcome {
            Ok(done) => {
                self.log(learner, &slug, AttemptKind::Action, &action, &done.message);
                session.note(
                    TimelineKind::Action,
                    format!("{label}: {}", done.message),
                    done.output,
                );
            }
            Err(e) => {
                self.log(
                    learner,
                    &slug,
                    AttemptKind::Action,
                    &action,
                    &format!("failed: {e}"),
                );
                session.note(TimelineKind::ActionFailed, format!("{label}: {e}"), None);
            }
        }
        Ok(session.view())
    }

    async fn hint(
        &self,
        learner: LearnerId,
        slug: String,
        task: String,
    ) -> Result<LabView, LabError> {
        let session = self.live_session(learner, &slug).await?;
        let available = session
            .lab
            .task(&task)
            .map(|t| u32::try_from(t.hints.len()).unwrap_or(u32::MAX))
            .ok_or_else(|| LabError::Unknown {
                what: "task",
                id: task.clone(),
            })?;
        self.write("the hint", move |progress| {
            progress
                .reveal_lab_hint(learner, &slug, &task, available)
                .map(drop)
        })
        .await?;
        session.publish();
        Ok(session.view())
    }

    async fn solution(
        &self,
        learner: LearnerId,
        slug: String,
        task: String,
    ) -> Result<LabView, LabError> {
        let session = self.live_session(learner, &slug).await?;
        if session.lab.task(&task).is_none() {
            return Err(LabError::Unknown {
                what: "task",
                id: task,
            });
        }
        self.write("the solution", move |progress| {
            progress.show_lab_solution(learner, &slug, &task)
        })
        .await?;
        session.publish();
        Ok(session.view())
    }

    /// A write to the progress store, off the async threads (it may wait for a checkpoint).
    async fn write(
        &self,
        what: &str,
        f: impl FnOnce(&ProgressStore) -> Result<(), kubedojo_progress::Error> + Send + 'static,
    ) -> Result<(), LabError> {
        let progress = self.progress.clone();
        match tokio::task::spawn_blocking(move || f(&progress)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(LabError::Failed(format!("{what} could not be saved: {e}"))),
            Err(e) => Err(LabError::Failed(format!("{what} could not be saved: {e}"))),
        }
    }

    async fn set_pace(
        &self,
        learner: LearnerId,
        slug: String,
        pace: PaceView,
    ) -> Result<LabView, LabError> {
        let session = self.live_session(learner, &slug).await?;
        let sandbox_pace = match pace {
            PaceView::Lifelike => kubedojo_sandbox::Pace::Lifelike,
            PaceView::Instant => kubedojo_sandbox::Pace::Instant,
        };
        self.clusters
            .set_pace(&learner.to_string(), sandbox_pace)
            .await
            .map_err(|e| match e {
                crate::cluster::ClusterError::NotProvisioned => LabError::NoCluster,
                other => LabError::Failed(other.to_string()),
            })?;
        session.set_pace(Some(pace));
        let text = match pace {
            PaceView::Lifelike => {
                "Pace: lifelike (pods take seconds to start, as on a real cluster)."
            }
            PaceView::Instant => "Pace: instant.",
        };
        session.note(TimelineKind::Cluster, text.into(), None);
        Ok(session.view())
    }

    /// The learner's lab view now and on every change (for the panel's stream, an instructor's
    /// grid and benchmarks).
    ///
    /// # Errors
    /// An unknown lab.
    pub async fn subscribe(
        &self,
        learner: LearnerId,
        slug: &str,
    ) -> Result<tokio::sync::watch::Receiver<LabView>, LabError> {
        Ok(self.live_session(learner, slug).await?.subscribe())
    }

    /// Removes every session (the clusters are removed by [`LearnerClusters`]).
    pub fn clear(&self) {
        self.sessions.lock().clear();
    }
}

/// The [`LabBackend`] the app's server functions call. Each method clones the service handle
/// so the background work it starts can outlive the request.
#[derive(Debug, Clone)]
pub struct Labs(pub Arc<LabService>);

impl LabBackend for Labs {
    fn view(&self, learner: LearnerId, lab: String) -> LabFuture<'_, LabView> {
        Box::pin(async move { Ok(self.0.live_session(learner, &lab).await?.view()) })
    }

    fn start(&self, learner: LearnerId, lab: String) -> LabFuture<'_, LabView> {
        Box::pin(self.0.start(learner, lab))
    }

    fn check(&self, learner: LearnerId, lab: String) -> LabFuture<'_, LabView> {
        Box::pin(self.0.check(learner, lab))
    }

    fn hint(&self, learner: LearnerId, lab: String, task: String) -> LabFuture<'_, LabView> {
        Box::pin(self.0.hint(learner, lab, task))
    }

    fn solution(&self, learner: LearnerId, lab: String, task: String) -> LabFuture<'_, LabView> {
        Box::pin(self.0.solution(learner, lab, task))
    }

    fn action(&self, learner: LearnerId, lab: String, action: String) -> LabFuture<'_, LabView> {
        Box::pin(self.0.action(learner, lab, action))
    }

    fn reset(&self, learner: LearnerId, lab: String) -> LabFuture<'_, LabView> {
        Box::pin(self.0.reset(learner, lab))
    }

    fn set_pace(&self, learner: LearnerId, lab: String, pace: PaceView) -> LabFuture<'_, LabView> {
        Box::pin(self.0.set_pace(learner, lab, pace))
    }
}

fn pace_view(pace: kubedojo_sandbox::Pace) -> PaceView {
    match pace {
        kubedojo_sandbox::Pace::Lifelike => PaceView::Lifelike,
        kubedojo_sandbox::Pace::Instant => PaceView::Instant,
    }
}
