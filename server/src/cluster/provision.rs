//! Provisioning progress: named steps with a status, published on a watch channel so a page (or
//! a test) can show what is happening while a learner's cluster is being made.

use std::future::Future;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::watch;

use super::error::ClusterError;

/// Where one step is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "message", rename_all = "lowercase")]
pub enum StepStatus {
    Pending,
    Running,
    Done,
    Failed(String),
}

/// One named step of provisioning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub status: StepStatus,
}

/// Every step, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub steps: Vec<Step>,
}

impl Progress {
    /// All steps done.
    pub fn is_done(&self) -> bool {
        self.steps.iter().all(|s| s.status == StepStatus::Done)
    }

    /// The first failed step and why, if any.
    pub fn failure(&self) -> Option<(&'static str, &str)> {
        self.steps.iter().find_map(|s| match &s.status {
            StepStatus::Failed(m) => Some((s.name, m.as_str())),
            _ => None,
        })
    }
}

/// Faults to inject into provisioning (tests use this to prove that a failing step leaves
/// nothing behind; production code never sets it).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    fail_once: Arc<Mutex<Option<&'static str>>>,
}

impl Faults {
    /// Make the next run of `step` fail (once).
    pub fn fail_step_once(&self, step: &'static str) {
        *self.fail_once.lock() = Some(step);
    }

    fn take(&self, step: &str) -> bool {
        let mut f = self.fail_once.lock();
        if f.is_some_and(|s| s == step) {
            *f = None;
            return true;
        }
        false
    }
}

/// Publishes step changes.
#[derive(Debug, Clone)]
pub struct Reporter {
    tx: Arc<watch::Sender<Progress>>,
    faults: Faults,
}

impl Reporter {
    /// A reporter for `steps` (all pending) and the receiver that watches it.
    pub fn new(steps: &[&'static str], faults: Faults) -> (Self, watch::Receiver<Progress>) {
        let progress = Progress {
            steps: steps
                .iter()
                .map(|name| Step {
                    name,
                    status: StepStatus::Pending,
                })
                .collect(),
        };
        let (tx, rx) = watch::channel(progress);
        (
            Reporter {
                tx: Arc::new(tx),
                faults,
            },
            rx,
        )
    }

    fn set(&self, name: &str, status: StepStatus) {
        self.tx.send_modify(|p| {
            if let Some(s) = p.steps.iter_mut().find(|s| s.name == name) {
                s.status = status;
            }
        });
    }

    /// Mark every step done (the learner already had a cluster).
    pub fn all_done(&self) {
        self.tx.send_modify(|p| {
            for s in &mut p.steps {
                s.status = StepStatus::Done;
            }
        });
    }

    /// Run one step: Running, then Done or Failed with the error's message.
    ///
    /// # Errors
    /// The step's own error, wrapped as [`ClusterError::Step`].
    pub async fn step<T, F>(&self, name: &'static str, work: F) -> Result<T, ClusterError>
    where
        F: Future<Output = Result<T, ClusterError>>,
    {
        self.set(name, StepStatus::Running);
        let result = if self.faults.take(name) {
            Err(ClusterError::Step {
                step: name.to_string(),
                reason: "injected fault".to_string(),
            })
        } else {
            work.await
        };
        match result {
            Ok(v) => {
                self.set(name, StepStatus::Done);
                Ok(v)
            }
            Err(e) => {
                let e = match e {
                    e @ ClusterError::Step { .. } => e,
                    other => ClusterError::Step {
                        step: name.to_string(),
                        reason: other.to_string(),
                    },
                };
                self.set(name, StepStatus::Failed(e.to_string()));
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn steps_report_running_done_and_failed() {
        let faults = Faults::default();
        let (r, rx) = Reporter::new(&["a", "b"], faults.clone());
        assert!(!rx.borrow().is_done());
        r.step("a", async { Ok(()) }).await.expect("a runs");
        faults.fail_step_once("b");
        let err = r.step("b", async { Ok(()) }).await;
        assert!(err.is_err());
        let p = rx.borrow().clone();
        assert_eq!(p.steps[0].status, StepStatus::Done);
        assert_eq!(p.failure().map(|f| f.0), Some("b"));
        // The fault fires once only.
        r.step("b", async { Ok(()) }).await.expect("b runs now");
        assert!(rx.borrow().is_done());
    }
}
