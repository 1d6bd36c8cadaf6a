//! Doing one thing to every learner of a workshop at once (chaos, resets, the end), with a
//! report of what happened where. Learners run concurrently, a bounded number at a time, so a
//! room of 200 finishes in a few rounds without starving the learners' own requests.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt as _;
use kubedojo_app::lab::service::LabError;
use kubedojo_app::workshop::model::{BroadcastFailure, BroadcastReport};
use kubedojo_progress::{LearnerId, MemberRecord};

use crate::cluster::LearnerClusters;

/// How many learners a broadcast works on at the same time.
const CONCURRENCY: usize = 16;

enum Outcome {
    Done,
    Skipped,
    Failed(String),
}

/// Runs `f` for every member who has a cluster; members without one are skipped.
pub async fn run<F, Fut>(
    clusters: &Arc<LearnerClusters>,
    members: Vec<MemberRecord>,
    what: String,
    f: F,
) -> BroadcastReport
where
    F: Fn(LearnerId) -> Fut,
    Fut: Future<Output = Result<(), LabError>> + Send + 'static,
{
    let started = Instant::now();
    // NB: the futures own everything they touch (no borrowed closure arguments), which keeps
    // them `Send` for every lifetime, as the boxed server-function futures need.
    let work: Vec<_> = members
        .into_iter()
        .map(|m| {
            let work = f(m.learner);
            let clusters = clusters.clone();
            async move {
                if clusters.cluster_for(&m.learner.to_string()).await.is_none() {
                    return (m.display_name, Outcome::Skipped);
                }
                let outcome = match work.await {
                    Ok(()) => Outcome::Done,
                    // The learner has a cluster but not this lab running: nothing to break.
                    Err(LabError::NoCluster) => Outcome::Skipped,
                    Err(e) => Outcome::Failed(e.to_string()),
                };
                (m.display_name, outcome)
            }
        })
        .collect();
    let outcomes: Vec<(String, Outcome)> = futures::stream::iter(work)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut report = BroadcastReport {
        what,
        succeeded: 0,
        skipped: 0,
        failed: Vec::new(),
        took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    for (name, outcome) in outcomes {
        match outcome {
            Outcome::Done => report.succeeded += 1,
            Outcome::Skipped => report.skipped += 1,
            Outcome::Failed(reason) => report.failed.push(BroadcastFailure { name, reason }),
        }
    }
    report.failed.sort_by(|a, b| a.name.cmp(&b.name));
    report
}

/// Removes every member's cluster; returns how many there were.
pub async fn remove_clusters(clusters: &Arc<LearnerClusters>, members: Vec<MemberRecord>) -> usize {
    let work: Vec<_> = members
        .into_iter()
        .map(|m| {
            let clusters = clusters.clone();
            async move {
                match clusters.remove(&m.learner.to_string()).await {
                    Ok(removed) => removed,
                    Err(e) => {
                        tracing::warn!(error = %e, "removing a workshop learner's cluster");
                        false
                    }
                }
            }
        })
        .collect();
    let removed: Vec<bool> = futures::stream::iter(work)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    removed.into_iter().filter(|r| *r).count()
}
