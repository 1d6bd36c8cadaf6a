//! The lab API through real HTTP: start the lesson 2 lab on a sandbox cluster, follow its event
//! stream, run actions (one on a pod that does not exist yet), solve a task the way a learner
//! would (apply, insert, delete, apply again), check, reveal hints and the solution, reset; and
//! bad requests answer with a clear status.

use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use kubedojo_tests::post_form as call;
use kubedojo_tests::post_ok as view;
use kubedojo_tests::{TestServer, workspace_root};
use serde_json::Value;

const LAB: &str = "02-bare-pod-data-loss";
const TIMEOUT: Duration = Duration::from_secs(60);

fn client() -> anyhow::Result<reqwest::Client> {
    kubedojo_tests::learner_client(Duration::from_secs(120))
}

/// Reads the lab's event stream until a view satisfies `done` (bounded by [`TIMEOUT`]).
async fn wait_for(
    client: &reqwest::Client,
    server: &TestServer,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    let url = server.url(&format!("/api/labs/{LAB}/events"));
    kubedojo_tests::sse::wait_for_event(client, url, "lab", what, TIMEOUT, done).await
}

fn task<'a>(view: &'a Value, id: &str) -> anyhow::Result<&'a Value> {
    view["tasks"]
        .as_array()
        .and_then(|tasks| tasks.iter().find(|t| t["id"] == id))
        .with_context(|| format!("no task {id} in {view}"))
}

fn cluster_state(view: &Value) -> &str {
    view["cluster"]["state"].as_str().unwrap_or_default()
}

fn last_timeline(view: &Value) -> String {
    view["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .map(ToString::to_string)
        .unwrap_or_default()
}

async fn apply_bare_pod(server: &TestServer, learner: &str) -> anyhow::Result<()> {
    let yaml = std::fs::read_to_string(
        workspace_root().join(format!("lessons/{LAB}/manifests/bare-pod.yaml")),
    )?;
    server.clusters.apply(learner, &yaml).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_starts_solves_checks_and_resets_the_lesson_two_lab() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let client = client()?;

    // Before starting: the lab, its tasks and no cluster.
    let before = view(&client, &server, "lab", &[("slug", LAB)]).await?;
    assert_eq!(cluster_state(&before), "absent");
    assert_eq!(before["tasks"].as_array().map(Vec::len), Some(4));
    assert!(before["actions"].as_array().is_some_and(|a| !a.is_empty()));
    let (status, body) = call(&client, &server, "lab-check", &[("slug", LAB)]).await?;
    assert_eq!(status, 409, "checking without a cluster: {body}");
    assert!(body.contains("Start the lab"), "{body}");

    // Start: provisioning, then ready with the setup applied.
    let started = view(&client, &server, "lab-start", &[("slug", LAB)]).await?;
    assert!(
        matches!(cluster_state(&started), "provisioning" | "ready"),
        "{started}"
    );
    wait_for(&client, &server, "the cluster", |v| {
        cluster_state(v) == "ready"
    })
    .await?;
    let learner = server
        .clusters
        .learners()
        .into_iter()
        .next()
        .context("the learner has a cluster")?;

    // An action on a pod that does not exist explains itself.
    let failed = view(
        &client,
        &server,
        "lab-action",
        &[("slug", LAB), ("action", "insert-bare")],
    )
    .await?;
    let entry = last_timeline(&failed);
    assert!(
        entry.contains("action_failed") && entry.contains("mysql"),
        "{entry}"
    );

    // The learner applies the bare pod: continuous grading says "not yet" with a diagnosis.
    apply_bare_pod(&server, &learner).await?;
    let failing = wait_for(&client, &server, "a verdict on bare-pod", |v| {
        task(v, "bare-pod").is_ok_and(|t| t["status"] == "failed")
    })
    .await?;
    let diagnosis = &task(&failing, "bare-pod")?["diagnosis"]["summary"];
    assert!(diagnosis.is_string(), "{failing}");

    // Insert rows (the action waits for mysqld; output shown), delete the pod, apply again, check now: passed.
    let inserted = view(
        &client,
        &server,
        "lab-action",
        &[("slug", LAB), ("action", "insert-bare")],
    )
    .await?;
    let entry = last_timeline(&inserted);
    assert!(entry.contains("\"action\""), "{entry}");
    view(
        &client,
        &server,
        "lab-action",
        &[("slug", LAB), ("action", "delete-bare")],
    )
    .await?;
    apply_bare_pod(&server, &learner).await?;
    let checked =
        kubedojo_tests::check_until_passed(&client, &server, LAB, "bare-pod", TIMEOUT).await?;
    let bare = task(&checked, "bare-pod")?;
    assert_eq!(bare["status"], "passed", "{bare}");
    assert!(bare["ever_passed"].as_bool() == Some(true));
    assert!(checked["score"].as_u64() >= Some(1), "{checked}");

    // Hints one at a time, then the solution.
    let one = view(
        &client,
        &server,
        "lab-hint",
        &[("slug", LAB), ("task", "deployment-pvc")],
    )
    .await?;
    assert_eq!(
        task(&one, "deployment-pvc")?["hints"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let shown = view(
        &client,
        &server,
        "lab-solution",
        &[("slug", LAB), ("task", "deployment-pvc")],
    )
    .await?;
    let solution = &task(&shown, "deployment-pvc")?["solution"];
    assert!(
        solution.to_string().contains("PersistentVolumeClaim"),
        "{solution}"
    );

    // The pace switches (sandbox clusters), and only to a pace that exists.
    assert_eq!(
        checked["pace"], "instant",
        "the test server's sandbox is instant"
    );
    let lifelike = view(
        &client,
        &server,
        "lab-pace",
        &[("slug", LAB), ("pace", "lifelike")],
    )
    .await?;
    assert_eq!(lifelike["pace"], "lifelike");
    view(
        &client,
        &server,
        "lab-pace",
        &[("slug", LAB), ("pace", "instant")],
    )
    .await?;

    // Bad requests: unknown lab, task, action, pace.
    for (endpoint, form, expected) in [
        ("lab", vec![("slug", "99-nothing")], 404),
        ("lab-hint", vec![("slug", LAB), ("task", "nope")], 404),
        ("lab-action", vec![("slug", LAB), ("action", "nope")], 404),
        ("lab-action", vec![("slug", LAB)], 400),
        ("lab-pace", vec![("slug", LAB), ("pace", "warp")], 400),
    ] {
        let (status, body) = call(&client, &server, endpoint, &form).await?;
        assert_eq!(status, expected, "{endpoint} {form:?}: {body}");
    }
    let events = client
        .get(server.url("/api/labs/99-nothing/events"))
        .send()
        .await?;
    assert_eq!(events.status(), 404);

    // Reset: a fresh cluster with the setup, where the bare pod no longer exists.
    view(&client, &server, "lab-reset", &[("slug", LAB)]).await?;
    let fresh = wait_for(&client, &server, "the reset cluster", |v| {
        cluster_state(v) == "ready" && task(v, "bare-pod").is_ok_and(|t| t["status"] == "failed")
    })
    .await?;
    assert!(task(&fresh, "bare-pod")?["ever_passed"] == true);
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn the_lesson_page_of_a_lab_renders_the_panel_and_others_do_not() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let client = client()?;
    let with_lab = client
        .get(server.url(&format!("/lessons/{LAB}")))
        .send()
        .await?
        .text()
        .await?;
    ensure!(
        with_lab.contains("class=\"lab-panel\"") && with_lab.contains("Start the lab"),
        "lesson 2 shows the lab panel with a start button"
    );
    let without = client
        .get(server.url("/lessons/01-inside-a-pod"))
        .send()
        .await?
        .text()
        .await?;
    if without.contains("class=\"lab-panel\"") {
        bail!("lesson 1 has no lab and must not show the panel");
    }
    server.stop().await;
    Ok(())
}
