//! The lab panel in Chromium, from "Start the lab" to the lesson 2 mysql pod Ready in the
//! picture, at instant and at lifelike pace (the times are printed as figures), and what the
//! learner does with the picture: a diagnosis' link lands on the pod's box, clicking the box
//! offers the lab's actions on that pod, a redraw keeps an opened disclosure open, and the
//! panel can be hidden and shown again.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chromiumoxide::Page;
use kubedojo_tests::{TestServer, workspace_root};

use crate::browser::{
    Chromium, click_until, learner_cookie, require_built_site, screenshot, wait_for_hydration,
    wait_until,
};

const LESSON: &str = "/lessons/02-bare-pod-data-loss";
const POD: &str = "g[data-kind='Pod'][data-name='mysql']";
/// Lifelike pace is seconds per step (scheduling, pulling, starting, readiness); a Ready pod
/// taking longer than this means the pace is broken, not slow.
const LIFELIKE_BOUND: Duration = Duration::from_secs(90);
const INSTANT_BOUND: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Pace {
    Instant,
    Lifelike,
}

/// Evaluates `expression` until it is `true`, for at most `bound`.
async fn wait_for(
    page: &Page,
    what: &str,
    expression: &str,
    bound: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let value = page
            .evaluate(expression)
            .await
            .ok()
            .and_then(|r| r.into_value::<bool>().ok());
        if value == Some(true) {
            return Ok(());
        }
        if started.elapsed() > bound {
            bail!("timed out after {bound:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The mysql pod's box says Running with every container ready.
fn pod_ready() -> String {
    format!(
        "(() => {{ const el = document.querySelector(\"{POD}\"); \
         return !!el && el.dataset.status === 'Running' && !el.classList.contains('not-ready'); }})()"
    )
}

/// Start the lab, (at lifelike pace: switch the pace), apply the lesson's bare pod as the
/// learner would, and wait for it Ready on screen. Returns the page and the two durations.
async fn start_to_ready_pod(
    server: &TestServer,
    chromium: &Chromium,
    pace: Pace,
) -> anyhow::Result<(Page, Duration, Duration)> {
    let page = chromium.browser.new_page(server.url(LESSON)).await?;
    wait_for_hydration(&page).await?;
    let started = Instant::now();
    click_until(
        &page,
        "button.start-lab",
        "the cluster to be ready",
        "document.querySelector('.cluster-status.ready') !== null",
    )
    .await?;
    let to_ready_cluster = started.elapsed();
    if pace == Pace::Lifelike {
        // A toggle must not be clicked again while its request is in flight (on a loaded runner
        // that takes seconds, and a second click switches back): the panel is live here (it
        // showed the cluster ready), so one click, then wait. The click is made in the page:
        // the panel redraws as the lab's view streams in, and a node found a moment earlier
        // may be gone by the time it is clicked.
        page.evaluate("document.querySelector('button.pace-toggle').click()")
            .await?;
        wait_until(
            &page,
            "the lifelike pace",
            "document.querySelector('.pace-toggle')?.textContent.includes('Pace: lifelike') === true",
        )
        .await?;
    }
    let learner = learner_cookie(&page).await?;
    let pod = std::fs::read_to_string(
        workspace_root().join("lessons/02-bare-pod-data-loss/manifests/bare-pod.yaml"),
    )?;
    let applied = Instant::now();
    server.clusters.apply(&learner, &pod).await?;
    let bound = match pace {
        Pace::Instant => INSTANT_BOUND,
        Pace::Lifelike => LIFELIKE_BOUND,
    };
    wait_for(
        &page,
        "the mysql pod Ready in the picture",
        &pod_ready(),
        bound,
    )
    .await?;
    Ok((page, to_ready_cluster, applied.elapsed()))
}

fn figure(pace: Pace, to_cluster: Duration, to_pod: Duration) {
    eprintln!(
        "FIGURE start lab → Ready mysql pod on screen ({pace:?} pace): {} ms \
         (start → cluster ready {} ms, apply bare-pod.yaml → pod Ready in the picture {} ms)",
        (to_cluster + to_pod).as_millis(),
        to_cluster.as_millis(),
        to_pod.as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and the built site; run by `cargo xtask test`"]
async fn start_to_ready_mysql_pod_at_both_paces_and_the_picture_offers_actions()
-> anyhow::Result<()> {
    require_built_site()?;
    let server = TestServer::start().await?;

    // Lifelike first, on its own browser (its own learner and cluster).
    let chromium = Chromium::launch().await?;
    let (page, to_cluster, to_pod) = start_to_ready_pod(&server, &chromium, Pace::Lifelike).await?;
    figure(Pace::Lifelike, to_cluster, to_pod);
    assert!(
        to_pod > Duration::from_millis(500),
        "a lifelike pod is not Ready at once ({to_pod:?})"
    );
    page.close().await?;
    chromium.close().await;

    let chromium = Chromium::launch().await?;
    let (page, to_cluster, to_pod) = start_to_ready_pod(&server, &chromium, Pace::Instant).await?;
    figure(Pace::Instant, to_cluster, to_pod);

    // The box has the id a diagnosis links to.
    wait_until(
        &page,
        "the pod's box to be the target of #obj-Pod-mysql",
        "document.getElementById('obj-Pod-mysql')?.dataset.name === 'mysql'",
    )
    .await?;

    // A disclosure the learner opened stays open when the panel is drawn again.
    page.evaluate(
        "document.querySelector('[data-task=bare-pod] .solution-confirm summary').click()",
    )
    .await?;
    wait_until(
        &page,
        "the solution's confirmation open",
        "document.querySelector('[data-task=bare-pod] .solution-confirm').open === true",
    )
    .await?;

    // Clicking the pod offers the lab's actions on it; the menu runs them.
    page.evaluate(format!(
        "document.querySelector(\"{POD}\").dispatchEvent(new MouseEvent('click', {{bubbles: true}}))"
    ))
    .await?;
    wait_until(
        &page,
        "the menu of the pod's actions",
        "!!document.querySelector('.picture-menu button[data-action=insert-bare]') \
         && !!document.querySelector('.picture-menu button[data-action=delete-bare]') \
         && !document.querySelector('.picture-menu button[data-action=delete-ephemeral]')",
    )
    .await?;
    screenshot(&page, "lab-ui-pod-menu").await?;
    click_until(
        &page,
        ".picture-menu button[data-action=delete-bare]",
        "the pod deleted from the menu",
        "[...document.querySelectorAll('.lab-timeline li')].some(li => li.textContent.includes('Delete pod mysql'))",
    )
    .await?;
    let still_open: bool = page
        .evaluate("document.querySelector('[data-task=bare-pod] .solution-confirm')?.open === true")
        .await?
        .into_value()
        .context("a boolean")?;
    assert!(
        still_open,
        "the confirmation was closed by the panel's redraw"
    );

    // Hidden, the panel keeps only its header; shown again, everything is back.
    page.evaluate("document.querySelector('.lab-collapse').click()")
        .await?;
    wait_until(
        &page,
        "the panel hidden",
        "document.getElementById('lab-panel-content').hidden \
         && document.querySelector('.lab-panel').classList.contains('collapsed') \
         && document.querySelector('.lab-collapse').getAttribute('aria-expanded') === 'false'",
    )
    .await?;
    page.evaluate("document.querySelector('.lab-collapse').click()")
        .await?;
    wait_until(
        &page,
        "the panel shown again",
        "!document.getElementById('lab-panel-content').hidden \
         && !!document.querySelector('.lab-timeline')",
    )
    .await?;

    chromium.close().await;
    server.stop().await;
    Ok(())
}
