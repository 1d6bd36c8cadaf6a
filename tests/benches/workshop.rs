//! A workshop at full size, over loopback HTTP against the real server (issue 9's load test):
//! the instructor signs in and creates a workshop on the lesson 2 lab; LEARNERS simulated
//! learners (default 200) join with the code, start the lab (a sandbox cluster each) and apply
//! the mysql Deployment with a PVC; then for LOAD_SECS every learner, every ACT_EVERY seconds,
//! either presses "check now" or inserts rows (alternating), while the instructor follows the
//! live grid and, halfway, broadcasts "delete the mysql pod" to the whole room (the Deployment
//! brings a new pod back, with the rows, and the learners carry on).
//!
//! Prints errors (goal 0), join/start/check/action latencies (p50/p99), the broadcast's
//! completion time and outcome, grid messages received, CPU use and resident memory.
//!
//! `cargo bench -p kubedojo-tests --bench workshop`; quick: `LEARNERS=20 LOAD_SECS=20 ...`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use futures::StreamExt as _;
use kubedojo_progress::LearnerId;
use kubedojo_tests::measure::{cpu_time, env_number, percentile, rss_mib};
use kubedojo_tests::{INSTRUCTOR_TOKEN, TestServer};
use parking_lot::Mutex;
use serde_json::Value;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LAB: &str = "02-bare-pod-data-loss";
const DEPLOYMENT: &str =
    include_str!("../../lessons/02-bare-pod-data-loss/manifests/deployment-pvc.yaml");
/// How long one request may take before it counts as an error.
const REQUEST_LIMIT: Duration = Duration::from_secs(60);

/// One simulated learner: a browser is a cookie.
struct Learner {
    id: LearnerId,
    cookie: String,
}

/// Calls a server function as the learner (or instructor) with `cookie`; Ok(body) on 200.
async fn call(
    http: &reqwest::Client,
    server: &TestServer,
    cookie: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> anyhow::Result<Value> {
    let response = http
        .post(server.url(&format!("/api/{endpoint}")))
        .header("accept", "application/json")
        .header("cookie", cookie)
        .form(form)
        .timeout(REQUEST_LIMIT)
        .send()
        .await?;
    let status = response.status();
    let body = response.text().await?;
    ensure!(status.is_success(), "{endpoint}: {status} {body}");
    Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[derive(Default)]
struct Latencies {
    check: Vec<Duration>,
    action: Vec<Duration>,
    /// 409 "the lab is busy": the learner pressed a button while the instructor's broadcast
    /// was working on their cluster (the page says so and the learner presses again).
    busy: u32,
    errors: Vec<String>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    println!(
        "{what:<28} n={:<5} p50 {:>8.1} ms   p99 {:>8.1} ms   max {:>8.1} ms",
        samples.len(),
        ms(percentile(samples, 0.5)),
        ms(percentile(samples, 0.99)),
        ms(samples.last().copied().unwrap_or_default()),
    );
}

async fn run() -> anyhow::Result<()> {
    let learners = usize::try_from(env_number("LEARNERS", 200))?;
    let load_secs = env_number("LOAD_SECS", 60);
    let act_every = Duration::from_secs(env_number("ACT_EVERY", 10));
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "workshop bench ({profile}): {learners} learners, {load_secs} s of load, one act every {act_every:?} each"
    );
    let server = TestServer::start().await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let rss0 = rss_mib();

    // The instructor: sign in, create the workshop.
    let login = http
        .post(server.url("/api/instructor-login"))
        .header("accept", "application/json")
        .form(&[("token", INSTRUCTOR_TOKEN)])
        .send()
        .await?;
    let teacher = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find_map(|c| {
            c.split(';')
                .next()
                .filter(|c| c.starts_with("kubedojo_instructor="))
        })
        .context("the instructor cookie")?
        .to_string();
    let capacity = learners.to_string();
    let created = call(
        &http,
        &server,
        &teacher,
        "instructor-create",
        &[
            ("new[title]", "Load test"),
            ("new[labs][0]", LAB),
            ("new[capacity]", &capacity),
            ("new[duration_minutes]", "120"),
        ],
    )
    .await?;
    let workshop = created["id"].as_str().context("id")?.to_string();
    let code = created["code"].as_str().context("code")?.to_string();

    // Everyone joins at once (one address, as a room behind a NAT).
    let room: Vec<Arc<Learner>> = (0..learners)
        .map(|_| {
            let id = LearnerId::generate();
            Arc::new(Learner {
                id,
                cookie: server.learner_cookie(id),
            })
        })
        .collect();
    let started = Instant::now();
    let joins: Vec<anyhow::Result<Duration>> = futures::stream::iter(room.iter().enumerate())
        .map(|(i, l)| {
            let (http, server, code) = (&http, &server, &code);
            async move {
                let t = Instant::now();
                let name = format!("Learner {i}");
                call(
                    http,
                    server,
                    &l.cookie,
                    "workshop-join",
                    &[("code", code), ("name", &name)],
                )
                .await?;
                Ok(t.elapsed())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let mut join_times: Vec<Duration> = Vec::new();
    for j in joins {
        join_times.push(j?);
    }
    println!(
        "joined: {learners} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    report("join", &mut join_times);

    // Everyone starts the lab; the view says when the cluster is ready; then the Deployment.
    let started = Instant::now();
    let starts: Vec<anyhow::Result<Duration>> = futures::stream::iter(room.iter())
        .map(|l| {
            let (http, server) = (&http, &server);
            async move {
                let t = Instant::now();
                call(http, server, &l.cookie, "lab-start", &[("slug", LAB)]).await?;
                loop {
                    let view = call(http, server, &l.cookie, "lab", &[("slug", LAB)]).await?;
                    match view["cluster"]["state"].as_str() {
                        Some("ready") => break,
                        Some("failed") => anyhow::bail!("start failed: {}", view["cluster"]),
                        _ if t.elapsed() > REQUEST_LIMIT => anyhow::bail!("start took too long"),
                        _ => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                }
                let ready = t.elapsed();
                server.clusters.apply(&l.id.to_string(), DEPLOYMENT).await?;
                Ok(ready)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut start_times = Vec::new();
    for s in starts {
        start_times.push(s?);
    }
    println!(
        "started: {learners} labs in {:.1} s, RSS +{:.0} MiB ({:.2} MiB per learner)",
        started.elapsed().as_secs_f64(),
        rss_mib() - rss0,
        (rss_mib() - rss0) / learners as f64
    );
    report("start → cluster ready", &mut start_times);

    // The instructor follows the grid for the whole load phase.
    let grid_messages = Arc::new(AtomicU64::new(0));
    let grid_bytes = Arc::new(AtomicU64::new(0));
    let follow = {
        let url = server.url(&format!("/api/instructor/workshops/{workshop}/events"));
        let (http, teacher) = (http.clone(), teacher.clone());
        let (messages, bytes) = (grid_messages.clone(), grid_bytes.clone());
        tokio::spawn(async move {
            let Ok(mut response) = http.get(url).header("cookie", teacher).send().await else {
                return;
            };
            while let Ok(Some(chunk)) = response.chunk().await {
                let text = String::from_utf8_lossy(&chunk);
                messages.fetch_add(
                    text.matches("event: workshop").count() as u64,
                    Ordering::Relaxed,
                );
                bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        })
    };

    // Load: each learner acts every `act_every`, staggered over the interval.
    let latencies = Arc::new(Mutex::new(Latencies::default()));
    let deadline = Instant::now() + Duration::from_secs(load_secs);
    let (cpu0, t0) = (cpu_time(), Instant::now());
    let mut tasks = Vec::new();
    for (i, l) in room.iter().enumerate() {
        let (http, latencies, l) = (http.clone(), latencies.clone(), l.clone());
        let server_url = server.url("");
        let offset = act_every.mul_f64(i as f64 / learners as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            let mut round = 0u64;
            while Instant::now() < deadline {
                let (endpoint, form): (&str, Vec<(&str, &str)>) = if round % 2 == 0 {
                    ("lab-check", vec![("slug", LAB)])
                } else {
                    (
                        "lab-action",
                        vec![("slug", LAB), ("action", "insert-persistent")],
                    )
                };
                let t = Instant::now();
                let outcome = http
                    .post(format!("{server_url}/api/{endpoint}"))
                    .header("accept", "application/json")
                    .header("cookie", &l.cookie)
                    .form(&form)
                    .timeout(REQUEST_LIMIT)
                    .send()
                    .await;
                let took = t.elapsed();
                {
                    let mut lat = latencies.lock();
                    match outcome {
                        Ok(r) if r.status().is_success() => {
                            if round % 2 == 0 {
                                lat.check.push(took);
                            } else {
                                lat.action.push(took);
                            }
                        }
                        Ok(r) if r.status() == reqwest::StatusCode::CONFLICT => lat.busy += 1,
                        Ok(r) => lat.errors.push(format!("{endpoint}: {}", r.status())),
                        Err(e) => lat.errors.push(format!("{endpoint}: {e}")),
                    }
                }
                round += 1;
                tokio::time::sleep(act_every.saturating_sub(took)).await;
            }
        }));
    }

    // Halfway: chaos for the whole room.
    tokio::time::sleep(Duration::from_secs(load_secs / 2)).await;
    let t = Instant::now();
    let chaos = call(
        &http,
        &server,
        &teacher,
        "instructor-chaos",
        &[
            ("id", &workshop),
            ("lab", LAB),
            ("action", "delete-persistent"),
        ],
    )
    .await?;
    let broadcast_took = t.elapsed();
    let report_json = &chaos["last_broadcast"];
    for task in tasks {
        task.await?;
    }
    let cpu = (cpu_time() - cpu0).as_secs_f64() / t0.elapsed().as_secs_f64();
    follow.abort();

    let mut lat = std::mem::take(&mut *latencies.lock());
    println!(
        "load: {} checks, {} actions, {} busy during the broadcast, {} errors (goal 0); CPU {:.0}% of one core; RSS {:.0} MiB",
        lat.check.len(),
        lat.action.len(),
        lat.busy,
        lat.errors.len(),
        cpu * 100.0,
        rss_mib()
    );
    for e in lat.errors.iter().take(5) {
        println!("  error: {e}");
    }
    report("check now (with probes)", &mut lat.check);
    report("action: insert rows", &mut lat.action);
    println!(
        "chaos \"delete the mysql pod\" to {learners}: {:.0} ms end to end (server: {} ms); succeeded {}, skipped {}, failed {}",
        ms(broadcast_took),
        report_json["took_ms"],
        report_json["succeeded"],
        report_json["skipped"],
        report_json["failed"].as_array().map_or(0, Vec::len)
    );
    println!(
        "grid stream: {} messages, {:.1} KiB",
        grid_messages.load(Ordering::Relaxed),
        grid_bytes.load(Ordering::Relaxed) as f64 / 1024.0
    );
    ensure!(
        lat.errors.is_empty(),
        "{} requests failed",
        lat.errors.len()
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(1800), run())
            .await
            .context("the bench finishes in 30 minutes")?
    })
}
