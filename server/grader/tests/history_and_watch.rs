//! History across evaluations (uids remembered between them) and the continuous evaluator
//! (watch events → debounced re-evaluation → status changes on a channel).

mod support;

use kubedojo_grader::{Status, watch_tasks};
use std::time::Duration;
use support::{LIMIT, started};
use tokio::time::timeout;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_claim_is_caught_by_uid_unchanged() {
    let env = started("02-bare-pod-data-loss").await;
    let task = env.task("deployment-pvc");
    timeout(LIMIT, env.grader.apply_solution(&env.lab, &task))
        .await
        .expect("in time")
        .expect("solution applies");
    env.evaluate_until(&task, "a pass", |r| r.passed).await;

    // Delete the Deployment and the claim, and apply the same manifest again: same names,
    // new claim, new (empty) volume.
    timeout(
        LIMIT,
        env.grader
            .delete_file(&env.lab, "manifests/deployment-pvc.yaml"),
    )
    .await
    .expect("in time")
    .expect("deleted");
    timeout(
        LIMIT,
        env.grader
            .apply_file(&env.lab, "manifests/deployment-pvc.yaml"),
    )
    .await
    .expect("in time")
    .expect("applied");
    let r = env
        .evaluate_until(&task, "the replaced claim to be noticed", |r| {
            r.checks
                .iter()
                .any(|c| c.kind == "uid_unchanged" && c.status == Status::Fail)
        })
        .await;
    assert!(!r.passed);
    let text = r.explain();
    assert!(
        text.contains("PersistentVolumeClaim/mysql-data was replaced"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_reports_a_task_turning_green() {
    let env = started("16-troubleshooting").await;
    let task = env.task("no-endpoints");
    let (mut rx, handle) = watch_tasks(
        env.grader.clone(),
        vec![task.clone()],
        Duration::from_millis(50),
    );
    let first = timeout(LIMIT, rx.recv())
        .await
        .expect("first status in time")
        .expect("a status");
    assert_eq!(first.task_id, "no-endpoints");
    // The setup's pods may still be starting; either way the broken selector keeps it red.
    assert!(!first.result.passed, "{}", first.result.explain());

    timeout(LIMIT, env.grader.apply_solution(&env.lab, &task))
        .await
        .expect("in time")
        .expect("fix applies");
    let green = timeout(LIMIT, async {
        loop {
            let change = rx.recv().await.expect("the watcher keeps running");
            if change.result.passed {
                return change;
            }
        }
    })
    .await
    .expect("the fix is reported in time");
    assert_eq!(green.task_id, "no-endpoints");
    handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survives_deletion_probe_reports_progress() {
    let env = started("16-troubleshooting").await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let grader = env.grader.clone().with_progress(tx);
    let task = env.task("data-lost");
    timeout(LIMIT, grader.apply_solution(&env.lab, &task))
        .await
        .expect("in time")
        .expect("fix applies");
    env.evaluate_until(&task, "a pass", |r| r.passed).await;
    // Once more with the progress channel attached.
    let r = timeout(LIMIT, grader.evaluate_task(&task))
        .await
        .expect("in time");
    assert!(r.passed, "{}", r.explain());
    let mut lines = Vec::new();
    while let Ok(p) = rx.try_recv() {
        lines.push(p.message);
    }
    for want in [
        "writing marker",
        "deleting Pod/inventory-0",
        "waiting for the replacement pod",
        "reading the marker",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(want)),
            "no `{want}` in {lines:#?}"
        );
    }
}
