//! Benchmark: lesson page SSR throughput and the size of the hydrate bundle.
//!
//! `cargo bench -p kubedojo-tests --bench site` (build the site first for the size figure:
//! `cargo xtask build`). Starts the real server in-process on loopback, runs a bounded load of
//! keep-alive GETs of a lesson page from `CONNECTIONS` concurrent clients for `DURATION`, and
//! prints requests per second and latency percentiles. Goals: ≥ 5,000 req/s on 2 cores and
//! ≤ 600 KiB of gzip'd wasm.

use std::io::Write as _;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use kubedojo_tests::{TestServer, site_root};

// The same allocator as the `kubedojo` binary, so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONNECTIONS: usize = 16;
const WARMUP: Duration = Duration::from_secs(2);
const DURATION: Duration = Duration::from_secs(10);
const SSR_GOAL_RPS: f64 = 5_000.0;
const WASM_GOAL_KIB: f64 = 600.0;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(ssr_throughput())?;
    wasm_size()
}

async fn ssr_throughput() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let slug = server
        .catalog
        .lessons()
        .get(4)
        .map(|l| l.slug.clone())
        .unwrap_or_default();
    let url: hyper::Uri = server.url(&format!("/lessons/{slug}")).parse()?;
    // A returning learner: the cookie is fixed, as a browser would send it.
    let cookie: &'static str = Box::leak(
        server
            .learner_cookie(kubedojo_progress::LearnerId::generate())
            .into_boxed_str(),
    );
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();

    let run = |duration: Duration| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let deadline = Instant::now() + duration;
            let mut tasks = Vec::new();
            for _ in 0..CONNECTIONS {
                let client = client.clone();
                let url = url.clone();
                tasks.push(tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let mut bytes = 0usize;
                    while Instant::now() < deadline {
                        let request = hyper::Request::get(url.clone())
                            .header("cookie", cookie)
                            .body(Empty::new())?;
                        let started = Instant::now();
                        let response = client.request(request).await?;
                        anyhow::ensure!(response.status() == 200, "status {}", response.status());
                        bytes += response.into_body().collect().await?.to_bytes().len();
                        latencies.push(started.elapsed());
                    }
                    anyhow::Ok((latencies, bytes))
                }));
            }
            let mut latencies = Vec::new();
            let mut bytes = 0;
            for task in tasks {
                let (l, b) = task.await??;
                latencies.extend(l);
                bytes += b;
            }
            anyhow::Ok((latencies, bytes))
        }
    };

    run(WARMUP).await?;
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let (mut latencies, bytes) = run(DURATION).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds() - cpu_before;
    latencies.sort();
    let rps = latencies.len() as f64 / elapsed;
    let percentile = |p: f64| {
        let i = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(i).copied().unwrap_or_default()
    };
    println!("lesson page SSR ({slug}), {CONNECTIONS} keep-alive connections, {elapsed:.1}s:");
    println!(
        "  {} requests, {rps:.0} req/s (goal ≥ {SSR_GOAL_RPS:.0}) — {}",
        latencies.len(),
        verdict(rps >= SSR_GOAL_RPS)
    );
    println!(
        "  latency p50 {:?}, p99 {:?}, max {:?}; {} KiB per page",
        percentile(0.50),
        percentile(0.99),
        latencies.last().copied().unwrap_or_default(),
        bytes / latencies.len().max(1) / 1024
    );
    // CPU time is what the server and the load generator together used: a figure that does not
    // depend on what else the machine was running. The projection counts both, so it is
    // conservative for a server whose clients are elsewhere.
    let per_request = cpu / latencies.len().max(1) as f64;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    println!(
        "  CPU {:.0} µs per request (server + load generator); {cores:.0} idle cores would serve ≈{:.0} req/s",
        per_request * 1e6,
        cores / per_request.max(f64::EPSILON)
    );
    server.stop().await;
    Ok(())
}

/// User + system CPU seconds this process has used (Linux `/proc/self/stat`; 0 elsewhere).
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may contain spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    ticks / CLOCK_TICKS_PER_SECOND
}

/// Linux reports CPU time in clock ticks of 1/100 s on every common configuration (USER_HZ).
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// The learners' bundle has the size goal; the instructor bundle (the whole app, loaded only on
/// the instructor pages) is reported beside it.
fn wasm_size() -> anyhow::Result<()> {
    for (file, goal) in [
        ("pkg/kubedojo.wasm", Some(WASM_GOAL_KIB)),
        ("pkg/kubedojo-instructor.wasm", None),
    ] {
        let path = site_root().join(file);
        let Ok(wasm) = std::fs::read(&path) else {
            println!(
                "hydrate bundle: {} not found — run `cargo xtask build` first",
                path.display()
            );
            continue;
        };
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&wasm)?;
        let gzip = encoder.finish()?;
        let gzip_kib = gzip.len() as f64 / 1024.0;
        println!("hydrate bundle {}:", path.display());
        let goal = goal.map_or_else(
            || "no goal: instructors only".to_string(),
            |goal| format!("goal ≤ {goal:.0} KiB — {}", verdict(gzip_kib <= goal)),
        );
        println!(
            "  {:.0} KiB raw, {gzip_kib:.0} KiB gzip -9 ({goal})",
            wasm.len() as f64 / 1024.0,
        );
    }
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met { "goal met" } else { "GOAL MISSED" }
}
