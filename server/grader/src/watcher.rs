//! Continuous evaluation: watch the learner's namespace, and after a burst of changes settles
//! (debounce) re-evaluate every task's state checks; send a [`StatusChange`] when a task's
//! status changes. Probes are not re-run continuously (they exec and delete pods): they run on
//! demand through [`Grader::evaluate_task`].

use crate::eval::Grader;
use crate::kinds;
use crate::model::Task;
use crate::result::TaskResult;
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::{WatchStreamExt, watcher};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A task whose status changed.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub task_id: String,
    pub result: TaskResult,
}

/// The kinds whose changes can change a check's outcome.
const WATCHED: &[&str] = &[
    "Pod",
    "Service",
    "PersistentVolumeClaim",
    "StatefulSet",
    "Deployment",
    "ConfigMap",
];

/// Starts the continuous evaluator. The first evaluation is sent for every task; after that
/// only changes. Stops when the receiver is dropped (or abort the handle).
pub fn watch_tasks(
    grader: Grader,
    tasks: Vec<Task>,
    debounce: Duration,
) -> (mpsc::Receiver<StatusChange>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(64);
    let handle = tokio::spawn(async move {
        let client = grader.view().client().clone();
        let ns = grader.view().namespace().to_string();
        let streams = WATCHED.iter().filter_map(|k| kinds::lookup(k)).map(|k| {
            let api: Api<DynamicObject> = if k.namespaced {
                Api::namespaced_with(client.clone(), &ns, &k.resource)
            } else {
                Api::all_with(client.clone(), &k.resource)
            };
            // Errors (a dropped watch, a 410 Gone) are retried with backoff by kube-runtime; only
            // real changes wake the evaluator.
            watcher(api, watcher::Config::default())
                .default_backoff()
                .filter_map(|e| async move {
                    match e {
                        Ok(_) => Some(()),
                        Err(err) => {
                            tracing::debug!(%err, "grader watch error");
                            None
                        }
                    }
                })
                .boxed()
        });
        let mut changes = futures::stream::select_all(streams);
        let mut last: HashMap<String, (bool, Vec<crate::result::Status>)> = HashMap::new();
        loop {
            if !evaluate_all(&grader, &tasks, &tx, &mut last).await {
                return;
            }
            // Wait for a change, then let the burst settle.
            if changes.next().await.is_none() {
                return;
            }
            // A steady trickle of events must not postpone grading forever: settle for at most
            // ten debounce periods.
            let give_up = tokio::time::Instant::now() + debounce * 10;
            let quiet = tokio::time::sleep(debounce);
            tokio::pin!(quiet);
            loop {
                tokio::select! {
                    () = &mut quiet => break,
                    more = changes.next() => {
                        if more.is_none() { return; }
                        let next = (tokio::time::Instant::now() + debounce).min(give_up);
                        quiet.as_mut().reset(next);
                    }
                }
            }
        }
    });
    (rx, handle)
}

/// Evaluates every task; sends the ones that changed. False when nobody listens any more.
async fn evaluate_all(
    grader: &Grader,
    tasks: &[Task],
    tx: &mpsc::Sender<StatusChange>,
    last: &mut HashMap<String, (bool, Vec<crate::result::Status>)>,
) -> bool {
    for task in tasks {
        let result = grader.evaluate_state(task).await;
        let sig = (result.passed, result.signature());
        if last.get(&task.id) == Some(&sig) {
            continue;
        }
        last.insert(task.id.clone(), sig);
        let change = StatusChange {
            task_id: task.id.clone(),
            result,
        };
        if tx.send(change).await.is_err() {
            return false;
        }
    }
    true
}
