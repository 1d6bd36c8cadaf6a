//! One learner's lab: its instance (with their random values), the grader attached to their
//! cluster, the live verdicts, the timeline, and the current [`LabView`] published to every
//! open panel through a watch channel.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use kubedojo_app::lab::model::{ClusterState, LabView, PaceView, TimelineEntry, TimelineKind};
use kubedojo_grader::{Grader, LabInstance, TaskResult};
use kubedojo_progress::{LabTaskRecord, LearnerId, ProgressStore};
use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::view;

/// The timeline keeps this many entries.
const TIMELINE: usize = 50;
/// Continuous evaluation waits for a burst of cluster changes to settle this long.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(100);

pub(crate) struct LabSession {
    pub(crate) learner: LearnerId,
    pub(crate) slug: String,
    pub(crate) lab: LabInstance,
    progress: Arc<ProgressStore>,
    view_tx: watch::Sender<LabView>,
    state: Mutex<State>,
    /// Start, reset, checks and actions of this lab run one at a time.
    pub(crate) exclusive: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    cluster: Option<ClusterState>,
    grader: Option<Grader>,
    watcher: Option<JoinHandle<()>>,
    results: HashMap<String, TaskResult>,
    timeline: VecDeque<TimelineEntry>,
    busy: Option<String>,
    pace: Option<PaceView>,
}

impl Drop for State {
    fn drop(&mut self) {
        if let Some(w) = self.watcher.take() {
            w.abort();
        }
    }
}

impl LabSession {
    pub(crate) fn new(
        learner: LearnerId,
        slug: String,
        lab: LabInstance,
        progress: Arc<ProgressStore>,
    ) -> Arc<Self> {
        let state = State::default();
        let initial = build(&slug, &lab, &state, &HashMap::new());
        let (view_tx, _) = watch::channel(initial);
        let session = Arc::new(Self {
            learner,
            slug,
            lab,
            progress,
            view_tx,
            state: Mutex::new(state),
            exclusive: tokio::sync::Mutex::new(()),
        });
        session.publish();
        session
    }

    /// The view now.
    pub(crate) fn view(&self) -> LabView {
        self.view_tx.borrow().clone()
    }

    /// Every later view, for the panel's event stream.
    pub(crate) fn subscribe(&self) -> watch::Receiver<LabView> {
        self.view_tx.subscribe()
    }

    /// Recomputes the view and sends it to every open panel (only if it changed).
    pub(crate) fn publish(&self) {
        let records = match self.progress.lab_tasks(self.learner, &self.slug) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read lab progress");
                HashMap::new()
            }
        };
        let next = {
            let state = self.state.lock();
            build(&self.slug, &self.lab, &state, &records)
        };
        self.view_tx.send_if_modified(|view| {
            if *view == next {
                false
            } else {
                *view = next;
                true
            }
        });
    }

    pub(crate) fn cluster(&self) -> Option<ClusterState> {
        self.state.lock().cluster.clone()
    }

    pub(crate) fn set_cluster(&self, cluster: Option<ClusterState>) {
        self.state.lock().cluster = cluster;
        self.publish();
    }

    pub(crate) fn grader(&self) -> Option<Grader> {
        self.state.lock().grader.clone()
    }

    pub(crate) fn set_pace(&self, pace: Option<PaceView>) {
        self.state.lock().pace = pace;
        self.publish();
    }

    pub(crate) fn set_busy(&self, busy: Option<String>) {
        self.state.lock().busy = busy;
        self.publish();
    }

    pub(crate) fn note(&self, kind: TimelineKind, text: String, output: Option<String>) {
        {
            let mut state = self.state.lock();
            state.timeline.push_back(TimelineEntry {
                at: chrono_now(),
                kind,
                text,
                output,
            });
            while state.timeline.len() > TIMELINE {
                state.timeline.pop_front();
            }
        }
        self.publish();
    }

    /// Forget the cluster: stop grading, drop the verdicts (the stored records stay).
    pub(crate) fn detach(&self) {
        let mut state = self.state.lock();
        if let Some(w) = state.watcher.take() {
            w.abort();
        }
        state.grader = None;
        state.results.clear();
        state.cluster = None;
        state.busy = None;
        drop(state);
        self.publish();
    }

    /// Grade on `grader` from now on: evaluates every task continuously (state checks, on
    /// watch events, debounced) and records verdict changes.
    pub(crate) fn attach(self: &Arc<Self>, grader: Grader) {
        let (mut changes, handle) =
            kubedojo_grader::watch_tasks(grader.clone(), self.lab.lab.tasks.clone(), DEBOUNCE);
        let this = Arc::downgrade(self);
        let forward = tokio::spawn(async move {
            while let Some(change) = changes.recv().await {
                let Some(session) = this.upgrade() else {
                    break;
                };
                session.record(change.result).await;
            }
            handle.abort();
        });
        let mut state = self.state.lock();
        if let Some(old) = state.watcher.replace(forward) {
            old.abort();
        }
        state.grader = Some(grader);
        state.cluster = Some(ClusterState::Ready);
        drop(state);
        self.publish();
    }

    /// Records a task's verdict: live state, the store, and the timeline when it changed.
    pub(crate) async fn record(&self, result: TaskResult) {
        let diagnosis = view::diagnosis(&result).map(|d| d.summary);
        let (learner, slug, task, passed) = (
            self.learner,
            self.slug.clone(),
            result.task_id.clone(),
            result.passed,
        );
        let progress = self.progress.clone();
        let stored_diagnosis = diagnosis.clone();
        let changed = tokio::task::spawn_blocking(move || {
            progress.record_lab_verdict(learner, &slug, &task, passed, stored_diagnosis.as_deref())
        })
        .await;
        let changed = match changed {
            Ok(Ok(changed)) => changed,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot record a lab verdict");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "recording a lab verdict panicked");
                false
            }
        };
        let title = self
            .lab
            .task(&result.task_id)
            .map_or_else(|| result.task_id.clone(), |t| t.title.clone());
        let was_passing = self
            .state
            .lock()
            .results
            .insert(result.task_id.clone(), result.clone())
            .map(|r| r.passed);
        if changed && was_passing != Some(passed) {
            let (kind, text) = if passed {
                (TimelineKind::Passed, format!("Passed: {title}"))
            } else {
                (
                    TimelineKind::Failed,
                    format!(
                        "Not yet: {title} \u{2014} {}",
                        diagnosis.unwrap_or_default()
                    ),
                )
            };
            self.note(kind, text, None);
        } else {
            self.publish();
        }
    }
}

fn build(
    slug: &str,
    lab: &LabInstance,
    state: &State,
    records: &HashMap<String, LabTaskRecord>,
) -> LabView {
    let (score, max_score) = view::score(lab, &state.results);
    LabView {
        slug: slug.to_string(),
        title: lab.lab.title.clone(),
        cluster: state.cluster.clone().unwrap_or(ClusterState::Absent),
        tasks: lab
            .lab
            .tasks
            .iter()
            .map(|t| view::task_view(lab, t, state.results.get(&t.id), records.get(&t.id)))
            .collect(),
        actions: view::actions(lab),
        score,
        max_score,
        timeline: state.timeline.iter().cloned().collect(),
        busy: state.busy.clone(),
        pace: state.pace,
    }
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The learner's random values for a lab: stable for the same learner and lab, different
/// between learners (so answers cannot be copied).
pub(crate) fn seed(learner: LearnerId, slug: &str) -> u64 {
    // FNV-1a: stable across builds and platforms (std's hasher is randomly keyed).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in learner.to_string().bytes().chain([0]).chain(slug.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_stable_per_learner_and_lab() {
        let (a, b) = (LearnerId::generate(), LearnerId::generate());
        assert_eq!(seed(a, "02"), seed(a, "02"));
        assert_ne!(seed(a, "02"), seed(b, "02"));
        assert_ne!(seed(a, "02"), seed(a, "16"));
    }
}
