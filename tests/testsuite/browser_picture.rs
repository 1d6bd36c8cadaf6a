//! The live cluster picture in Chromium: the lesson-2 page with a provisioned sandbox cluster;
//! the lab's mysql pod appears, runs, is deleted and vanishes, and the time from each API call
//! to the change in the page's DOM is measured (a MutationObserver stamps `Date.now()`).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::page::Viewport;
use chromiumoxide::page::ScreenshotParams;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::DeleteParams;
use kubedojo_tests::{TestServer, workspace_root};

use crate::browser::{Chromium, WAIT, require_built_site, wait_for_hydration, wait_until};

const LESSON: &str = "/lessons/02-bare-pod-data-loss";
const ROUNDS: usize = 20;
/// The latency goal, and the bound the test enforces.
const GOAL_MS: i64 = 100;
const LIMIT_MS: i64 = 300;
const POD: &str = "g[data-kind='Pod'][data-name='mysql']";

/// Records, in the page, when the mysql pod's element appears and when it stops being a live
/// pod (Terminating or gone) and when it is gone.
const OBSERVER: &str = r#"(() => {
  const pod = () => document.querySelector("g[data-kind='Pod'][data-name='mysql']");
  window.__picture = { present: !!pod(), live: !!pod(), log: [] };
  const note = () => {
    const el = pod();
    const present = !!el;
    const live = present && el.dataset.status !== 'Terminating';
    const t = Date.now();
    const p = window.__picture;
    if (present !== p.present) { p.present = present; p.log.push({ what: present ? 'appeared' : 'gone', t }); }
    if (live !== p.live) { p.live = live; if (!live) p.log.push({ what: 'deleting', t }); }
  };
  new MutationObserver(note).observe(document.querySelector('.lab-picture'),
    { subtree: true, childList: true, attributes: true, characterData: true });
  return true;
})()"#;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The page's time stamp of the first `what` logged at or after `since_ms`, waiting at most
/// [`WAIT`].
async fn logged(page: &Page, what: &str, since_ms: i64) -> anyhow::Result<i64> {
    let expression = format!(
        "(window.__picture.log.find(e => e.what === {what:?} && e.t >= {since_ms}) || {{t: -1}}).t"
    );
    let started = Instant::now();
    loop {
        let t: i64 = page.evaluate(expression.as_str()).await?.into_value()?;
        if t >= 0 {
            return Ok(t);
        }
        if started.elapsed() > WAIT {
            bail!("timed out after {WAIT:?} waiting for the pod to be {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(what: &str, mut samples: Vec<i64>) -> i64 {
    samples.sort_unstable();
    let p95 = percentile(&samples, 95.0);
    println!(
        "{what}: p50 {} ms, p95 {p95} ms, max {} ms ({} samples)",
        percentile(&samples, 50.0),
        samples.last().copied().unwrap_or_default(),
        samples.len()
    );
    p95
}

/// Saves the lab panel's picture section as `target/test-artifacts/<name>`.
// NB: clipped by hand: chromiumoxide's element screenshot adds the scroll offset twice.
async fn screenshot(page: &Page, name: &str) -> anyhow::Result<()> {
    let dir = workspace_root().join("target/test-artifacts");
    std::fs::create_dir_all(&dir)?;
    let rect: Vec<f64> = page
        .evaluate(
            "(() => { const r = document.querySelector('.lab-picture').getBoundingClientRect(); \
             return [r.x + scrollX, r.y + scrollY, r.width, r.height]; })()",
        )
        .await?
        .into_value()?;
    let [x, y, width, height] = rect[..] else {
        bail!("no bounding box for the picture: {rect:?}");
    };
    let png = page
        .screenshot(
            ScreenshotParams::builder()
                .clip(Viewport {
                    x,
                    y,
                    width,
                    height,
                    scale: 1.0,
                })
                .capture_beyond_viewport(true)
                .build(),
        )
        .await?;
    std::fs::write(dir.join(name), png)?;
    Ok(())
}

// NB: a multi-threaded runtime, as the server runs in production: on the default single
// thread the sandbox's kubelets, the server and the test's own clients take turns, and the
// latency measured would be mostly waiting for that one thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and the built site; run by `cargo xtask test`"]
async fn the_picture_shows_the_mysql_pod_come_and_go_and_measures_the_latency() -> anyhow::Result<()>
{
    require_built_site()?;
    let server = TestServer::start().await?;
    let chromium = Chromium::launch().await?;
    let page = chromium.browser.new_page(server.url(LESSON)).await?;
    wait_for_hydration(&page).await?;
    wait_until(
        &page,
        "the no-cluster state",
        "document.querySelector('.picture')?.dataset.status === 'no-cluster' \
         && document.querySelector('.picture-status').textContent.includes('Start the lab')",
    )
    .await?;

    // The learner is the browser's cookie; give them a cluster and the lab's mysql pod.
    let learner = page
        .get_cookies()
        .await?
        .into_iter()
        .find(|c| c.name == "kubedojo_learner")
        .context("the page set the learner cookie")?
        .value;
    let learner = kubedojo_tests::learner_of_cookie(&learner).to_string();
    server.clusters.provision(&learner).wait().await?;
    let manifests = workspace_root().join("lessons/02-bare-pod-data-loss/manifests");
    let secret = std::fs::read_to_string(manifests.join("secret.yaml"))?;
    let pod_yaml = std::fs::read_to_string(manifests.join("bare-pod.yaml"))?;
    server.clusters.apply(&learner, &secret).await?;
    wait_until(
        &page,
        "the live picture",
        "document.querySelector('.picture')?.dataset.status === 'live' \
         && !!document.querySelector(\".picture-svg g[data-kind='Node'][data-name='kind-worker']\")",
    )
    .await?;
    let observing: bool = page.evaluate(OBSERVER).await?.into_value()?;
    assert!(observing);

    let pods = Api::<Pod>::namespaced(
        server
            .clusters
            .client_for(&learner)
            .await
            .context("client")?,
        "default",
    );
    let running = format!("document.querySelector(\"{POD}\")?.dataset.status === 'Running'");
    let (mut appear, mut deleting, mut gone) = (Vec::new(), Vec::new(), Vec::new());
    // How long the API calls themselves take (part of every latency above).
    let (mut apply_calls, mut delete_calls) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let before = now_ms();
        server.clusters.apply(&learner, &pod_yaml).await?;
        apply_calls.push(now_ms() - before);
        appear.push(logged(&page, "appeared", before).await? - before);
        wait_until(&page, "the mysql pod Running", &running).await?;
        if round == 0 {
            // What a learner sees and a screen reader reads: the pod's state in words.
            let label: String = page
                .evaluate(format!(
                    "document.querySelector(\"{POD}\").getAttribute('aria-label')"
                ))
                .await?
                .into_value()?;
            assert!(
                label.starts_with("Pod mysql: Running, 1/1 ready"),
                "{label}"
            );
            tokio::time::sleep(Duration::from_millis(600)).await;
            screenshot(&page, "picture-mysql-running.png").await?;
        }
        let before = now_ms();
        pods.delete("mysql", &DeleteParams::default()).await?;
        delete_calls.push(now_ms() - before);
        deleting.push(logged(&page, "deleting", before).await? - before);
        gone.push(logged(&page, "gone", before).await? - before);
    }
    screenshot(&page, "picture-mysql-deleted.png").await?;
    let timeline: String = page
        .evaluate("document.querySelector('.picture-timeline').textContent")
        .await?
        .into_value()?;
    assert!(timeline.contains("Pod/mysql"), "{timeline}");

    // The whole chain: lesson 16's headless Service and StatefulSet with a claim template.
    let statefulset = std::fs::read_to_string(
        workspace_root().join("lessons/16-troubleshooting/manifests/mysql.yaml"),
    )?;
    server.clusters.apply(&learner, &statefulset).await?;
    wait_until(
        &page,
        "Service → mysql-0 → claim → volume → class",
        "!!document.querySelector(\".picture-svg g.service.headless[data-name='mysql']\") \
         && document.querySelector(\".picture-svg g[data-kind='Pod'][data-name='mysql-0']\")\
              ?.dataset.status === 'Running' \
         && ['traffic', 'mounts', 'bound', 'class'].every(k => \
              !!document.querySelector('.picture-svg path.edge.' + k))",
    )
    .await?;
    let title: String = page
        .evaluate(
            "document.querySelector(\".picture-svg g[data-name='mysql-0'] title\").textContent",
        )
        .await?
        .into_value()?;
    assert!(
        title.ends_with("DNS: mysql-0.mysql.default.svc.cluster.local"),
        "{title}"
    );
    // Let the fade-in and moves (0.45 s) finish before the picture is taken.
    tokio::time::sleep(Duration::from_millis(600)).await;
    screenshot(&page, "picture-statefulset-chain.png").await?;

    report("server-side apply call returns", apply_calls);
    report("delete call returns", delete_calls);
    let p95_appear = report("pod created → box appears", appear);
    let p95_deleting = report("pod deleted → box Terminating or gone", deleting);
    report(
        "pod deleted → box gone (includes graceful termination)",
        gone,
    );
    println!("goal: p95 < {GOAL_MS} ms");
    // NB: the goal is 100 ms; the assertion allows for a debug build on a shared 2-core machine
    // and catches what would really be wrong (polling, a lost debounce, a full re-render).
    assert!(
        p95_appear < LIMIT_MS,
        "p95 {p95_appear} ms to show a new pod"
    );
    assert!(
        p95_deleting < LIMIT_MS,
        "p95 {p95_deleting} ms to show a deletion"
    );

    chromium.close().await;
    server.stop().await;
    Ok(())
}
