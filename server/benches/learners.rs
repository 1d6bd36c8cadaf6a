//! Provisioning time and memory per learner. Sandbox backend: a whole cluster per learner plus
//! the lesson-2 mysql lab (Secret + pod), LEARNERS of them in one process (default 1000). Then
//! the same provisioning through the kubeconfig (namespace) backend against a standalone sandbox
//! over TLS (NS_LEARNERS, default 100), and the ratio of the medians.
//!
//! `cargo bench -p kubedojo-server --bench learners`; quick: `LEARNERS=50 NS_LEARNERS=20 ...`.

use std::time::{Duration, Instant};

use kubedojo_sandbox::Sandbox;
use kubedojo_server::cluster::{
    Backend, LearnerClusters, LearnerQuota, NamespaceBackend, SandboxBackend,
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MYSQL_LAB: &str = include_str!("../tests/fixtures/mysql-lab.yaml");

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident set size of this process in MiB (Linux).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

struct Stats {
    median: Duration,
    p95: Duration,
    mean: Duration,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    let n = v.len().max(1);
    let total: Duration = v.iter().sum();
    Stats {
        median: v.get(n / 2).copied().unwrap_or_default(),
        p95: v.get(n * 95 / 100).copied().unwrap_or_default(),
        mean: total / u32::try_from(n).unwrap_or(1),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Provision `n` learners and apply the mysql lab to each: total time per learner, and the part
/// of it spent applying the lab.
async fn provision_all(
    clusters: &std::sync::Arc<LearnerClusters>,
    n: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    let mut times = Vec::with_capacity(n);
    let mut applies = Vec::with_capacity(n);
    for i in 0..n {
        let learner = format!("bench-learner-{i}");
        let t0 = Instant::now();
        clusters.provision(&learner).wait().await?;
        let t1 = Instant::now();
        clusters.apply(&learner, MYSQL_LAB).await?;
        applies.push(t1.elapsed());
        times.push(t0.elapsed());
    }
    Ok((times, applies))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let learners = env_count("LEARNERS", 1000);
    let ns_learners = env_count("NS_LEARNERS", 100);

    // Sandbox backend.
    let rss0 = rss_mib();
    let sandbox = Sandbox::default();
    let clusters = LearnerClusters::new(
        Backend::Sandbox(SandboxBackend::new(sandbox.clone())),
        Duration::from_secs(7200),
    );
    let wall = Instant::now();
    let (times, applies) = provision_all(&clusters, learners).await?;
    let sa = stats(applies);
    let wall = wall.elapsed();
    // Let the controllers start every mysql pod before measuring memory.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss1 = rss_mib();
    let s = stats(times);
    println!(
        "sandbox backend: {learners} learners (cluster + mysql lab) in {:.1}s; per learner median {:.2} ms, p95 {:.2} ms, mean {:.2} ms",
        wall.as_secs_f64(),
        ms(s.median),
        ms(s.p95),
        ms(s.mean)
    );
    println!(
        "sandbox backend: of which applying the lab (server-side apply): median {:.2} ms",
        ms(sa.median)
    );
    println!(
        "sandbox backend: RSS {rss0:.0} MiB -> {rss1:.0} MiB, {:.2} MiB per learner",
        (rss1 - rss0) / learners.max(1) as f64
    );
    clusters.cleanup_all().await?;
    drop(clusters);
    drop(sandbox);

    // Namespace backend against a standalone sandbox over TLS.
    let standalone = Sandbox::default();
    let cluster = standalone.create_cluster();
    let listener = standalone.serve_tls("127.0.0.1:0".parse()?).await?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("admin.kubeconfig");
    std::fs::write(
        &path,
        standalone.kubeconfig(&listener, &cluster, &cluster.admin_token(), Some("default")),
    )?;
    let backend = NamespaceBackend::connect(&path, None, LearnerQuota::default()).await?;
    let clusters = LearnerClusters::new(
        Backend::Namespace(Box::new(backend)),
        Duration::from_secs(7200),
    );
    let wall = Instant::now();
    let (times, applies) = provision_all(&clusters, ns_learners).await?;
    let na = stats(applies);
    let wall = wall.elapsed();
    let n = stats(times);
    println!(
        "kubeconfig backend over TLS: {ns_learners} learners (namespace + RBAC + quota + token + mysql lab) in {:.1}s; per learner median {:.2} ms, p95 {:.2} ms, mean {:.2} ms",
        wall.as_secs_f64(),
        ms(n.median),
        ms(n.p95),
        ms(n.mean)
    );
    println!(
        "kubeconfig backend: of which applying the lab (server-side apply): median {:.2} ms",
        ms(na.median)
    );
    println!(
        "ratio kubeconfig/sandbox (median provisioning): {:.1}x",
        ms(n.median) / ms(s.median).max(f64::EPSILON)
    );
    let t0 = Instant::now();
    let removed = clusters.cleanup_all().await?;
    println!(
        "kubeconfig backend: cleanup of {removed} namespaces took {:.2}s",
        t0.elapsed().as_secs_f64()
    );
    listener.shutdown();
    Ok(())
}
