//! Grader figures (issue 6's closing note), on the sandbox at instant pace:
//! 1. evaluating all checks of a task that needs no probe (p50/p99; goal p99 < 50 ms),
//! 2. the survives-deletion probe (write marker → delete → replacement Ready → read),
//! 3. continuous-evaluation cost: one state-only round over every task of a lab, per cluster,
//!    with many learner clusters in one process.
//!
//! `cargo bench -p kubedojo-grader` (release) or `cargo test -p kubedojo-grader --bench grader`
//! style debug runs; the output says which profile produced the numbers.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};
use tokio::time::timeout;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn show(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
        samples.len(),
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

async fn run() {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("kubedojo-grader bench ({profile} build, sandbox at instant pace, over loopback TLS)");

    // 1. A probe-free task: lesson 16's no-endpoints (Service → pods → ports), solved.
    let env = support::started("16-troubleshooting").await;
    let task = env.task("no-endpoints");
    env.grader
        .apply_solution(&env.lab, &task)
        .await
        .expect("solution applies");
    env.evaluate_until(&task, "a pass", |r| r.passed).await;
    let mut samples = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        let r = env.grader.evaluate_task(&task).await;
        samples.push(t.elapsed());
        assert!(r.passed, "{}", r.explain());
    }
    show(
        "evaluate task without probes (16/no-endpoints, 2 checks)",
        samples,
    );

    let task = env.task("pvc-pending");
    let mut samples = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        let r = env.grader.evaluate_task(&task).await;
        samples.push(t.elapsed());
        assert!(!r.passed);
    }
    show(
        "evaluate failing task with diagnoses (16/pvc-pending, 2 checks)",
        samples,
    );

    // 2. The survives-deletion probe.
    let task = env.task("data-lost");
    env.grader
        .apply_solution(&env.lab, &task)
        .await
        .expect("solution applies");
    env.evaluate_until(&task, "a pass", |r| r.passed).await;
    let mut samples = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let r = env.grader.evaluate_task(&task).await;
        samples.push(t.elapsed());
        assert!(r.passed, "{}", r.explain());
    }
    show(
        "survives-deletion task (16/data-lost: 3 state checks + probe)",
        samples,
    );

    // 3. Continuous evaluation: one state-only round of all lab-16 tasks, per cluster.
    let clusters = 20;
    let mut envs = Vec::new();
    for _ in 0..clusters {
        envs.push(support::started("16-troubleshooting").await);
    }
    let tasks = envs[0].lab.lab.tasks.clone();
    let mut rounds = Vec::new();
    let started = Instant::now();
    for _ in 0..5 {
        for e in &envs {
            let t = Instant::now();
            for task in &tasks {
                let _ = e.grader.evaluate_state(task).await;
            }
            rounds.push(t.elapsed());
        }
    }
    let total = started.elapsed();
    show(
        &format!(
            "state-only round, all {} lab-16 tasks, per cluster ({clusters} clusters)",
            tasks.len()
        ),
        rounds.clone(),
    );
    let per_round = total / (5 * clusters as u32);
    println!(
        "  sequential cost of one round for 200 learners ≈ {:.0} ms (extrapolated from {clusters} clusters)",
        per_round.as_secs_f64() * 1e3 * 200.0
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        timeout(Duration::from_secs(900), run())
            .await
            .expect("bench finishes in 15 minutes");
    });
}
