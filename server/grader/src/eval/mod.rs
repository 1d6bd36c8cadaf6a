//! Evaluating a task's checks against a cluster. Cheap state checks run first; probes (exec,
//! DNS, survives-deletion) run only when every state check passes, because a probe against the
//! wrong state only tells the learner what the state checks already said, and slower.

mod history;
mod probes;
mod relations;
mod state;

pub use history::Memory;
pub use probes::{MYSQL_DATA_DIR, MYSQL_ROOT_PASSWORD, mysql_command, mysql_command_via};

use crate::cluster::ClusterView;
use crate::model::{Check, Task};
use crate::result::{CheckResult, Outcome, Status, TaskResult};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// A progress line from a long-running probe (shown while it waits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub task_id: String,
    pub message: String,
}

/// Evaluates tasks against one learner's cluster. Keeps the uids it has seen between
/// evaluations (history checks need them), so keep one per learner cluster. Cheap to clone.
#[derive(Clone)]
pub struct Grader {
    pub(crate) view: ClusterView,
    pub(crate) memory: Arc<Memory>,
    progress: Option<mpsc::UnboundedSender<Progress>>,
    /// Upper bound for one probe (waiting for a replacement pod, mysqld, a DNS pod).
    pub(crate) probe_timeout: Duration,
}

impl Grader {
    /// A grader for the cluster behind `client`; unqualified names live in `namespace`.
    pub fn new(client: kube::Client, namespace: impl Into<String>) -> Self {
        Self {
            view: ClusterView::new(client, namespace),
            memory: Arc::new(Memory::default()),
            progress: None,
            probe_timeout: Duration::from_secs(60),
        }
    }

    /// Sends probe progress lines to `tx`.
    #[must_use]
    pub fn with_progress(mut self, tx: mpsc::UnboundedSender<Progress>) -> Self {
        self.progress = Some(tx);
        self
    }

    /// Bounds each probe (default 60 s).
    #[must_use]
    pub fn with_probe_timeout(mut self, limit: Duration) -> Self {
        self.probe_timeout = limit;
        self
    }

    pub fn view(&self) -> &ClusterView {
        &self.view
    }

    pub(crate) fn report(&self, task_id: &str, message: impl Into<String>) {
        let message = message.into();
        tracing::debug!(task_id, %message, "probe progress");
        if let Some(tx) = &self.progress {
            let _ = tx.send(Progress {
                task_id: task_id.to_string(),
                message,
            });
        }
    }

    /// Evaluates every check of a (rendered) task. Never fails: problems talking to the
    /// cluster become checks with [`Status::Error`].
    pub async fn evaluate_task(&self, task: &Task) -> TaskResult {
        self.evaluate(task, true).await
    }

    /// Evaluates only the state checks (no exec, no throwaway pods, no deletions): what the
    /// continuous evaluator runs on every watch event.
    pub async fn evaluate_state(&self, task: &Task) -> TaskResult {
        self.evaluate(task, false).await
    }

    async fn evaluate(&self, task: &Task, run_probes: bool) -> TaskResult {
        let mut checks: Vec<CheckResult> = Vec::with_capacity(task.checks.len());
        let indexed: Vec<(usize, &Check)> = task.checks.iter().enumerate().collect();
        let (probes, states): (Vec<_>, Vec<_>) =
            indexed.into_iter().partition(|(_, c)| c.is_probe());
        for (i, check) in states {
            let out = self.check(&task.id, check).await;
            checks.push(numbered(i, check, out));
        }
        let state_ok = checks.iter().all(|c| c.status == Status::Pass);
        for (i, check) in probes {
            let out = if !run_probes {
                Outcome {
                    status: Status::Skipped,
                    message: "probe not run in state-only evaluation".into(),
                    diagnosis: None,
                }
            } else if !state_ok {
                Outcome {
                    status: Status::Skipped,
                    message: "not run until the checks above pass".into(),
                    diagnosis: None,
                }
            } else {
                self.check(&task.id, check).await
            };
            checks.push(numbered(i, check, out));
        }
        checks.sort_by_key(|c| c.index);
        let passed = checks.iter().all(|c| c.status == Status::Pass);
        TaskResult {
            task_id: task.id.clone(),
            passed,
            checks,
        }
    }

    async fn check(&self, task_id: &str, check: &Check) -> Outcome {
        let res = match check {
            Check::Exists { .. }
            | Check::Absent { .. }
            | Check::Field { .. }
            | Check::Phase { .. }
            | Check::PodReady { .. }
            | Check::ReplicasReady { .. } => state::evaluate(self, check).await,
            Check::ServiceHasEndpoints { .. }
            | Check::ServicePortMatches { .. }
            | Check::StatefulsetHeadless { .. }
            | Check::PodMountsPvc { .. }
            | Check::PvcBoundTo { .. } => relations::evaluate(self, check).await,
            Check::Recreated { .. } | Check::UidUnchanged { .. } => {
                history::evaluate(self, check).await
            }
            Check::Exec { .. }
            | Check::Sql { .. }
            | Check::Dns { .. }
            | Check::SurvivesDeletion { .. } => probes::evaluate(self, task_id, check).await,
        };
        res.unwrap_or_else(|e| Outcome::error(e.to_string()))
    }
}

fn numbered(index: usize, check: &Check, out: Outcome) -> CheckResult {
    CheckResult {
        index,
        kind: check.kind_name(),
        status: out.status,
        message: out.message,
        diagnosis: out.diagnosis,
    }
}

/// Evaluates a task once with a fresh grader in `default` (no history from earlier evaluations).
pub async fn evaluate_task(client: &kube::Client, task: &Task) -> TaskResult {
    Grader::new(client.clone(), "default")
        .evaluate_task(task)
        .await
}
