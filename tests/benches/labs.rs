//! Labs at workshop scale (issue 6's "continuous evaluation cost with 200 learners' clusters"):
//! LEARNERS learners (default 200) each start the lesson 2 lab through the lab service (a
//! sandbox cluster, the setup, a grader with its watches), then
//! 1. idle: every watcher waits; CPU use of the whole process over IDLE_SECS,
//! 2. load: every learner changes their cluster every CHANGE_EVERY seconds (applies the bare
//!    pod, later deletes it), so the continuous evaluator re-grades after each change; reports
//!    CPU use, and the latency from the change to the new verdict in the learner's lab view.
//!
//! `cargo bench -p kubedojo-tests --bench labs`; quick: `LEARNERS=20 LOAD_SECS=10 ...`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kubedojo_app::lab::model::{ClusterState, LabView, TaskStatus};
use kubedojo_app::lab::service::LabBackend;
use kubedojo_course::{Catalog, LessonSource};
use kubedojo_progress::{LearnerId, ProgressStore};
use kubedojo_server::cluster::LearnerClusters;
use kubedojo_server::labs::{LabService, Labs};
use kubedojo_tests::measure::{cpu_time, env_number, percentile, rss_mib};
use tokio::sync::watch;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LAB: &str = "02-bare-pod-data-loss";
const BARE_POD: &str = include_str!("../../lessons/02-bare-pod-data-loss/manifests/bare-pod.yaml");

fn bare_pod_status(view: &LabView) -> TaskStatus {
    view.tasks
        .iter()
        .find(|t| t.id == "bare-pod")
        .map_or(TaskStatus::Unknown, |t| t.status)
}

/// Waits (bounded) until the learner's view satisfies `done`.
async fn until(
    views: &mut watch::Receiver<LabView>,
    limit: Duration,
    done: impl Fn(&LabView) -> bool,
) -> bool {
    tokio::time::timeout(limit, async {
        loop {
            if done(&views.borrow_and_update()) {
                return;
            }
            if views.changed().await.is_err() {
                return;
            }
        }
    })
    .await
    .is_ok()
}

struct Learner {
    id: LearnerId,
    views: watch::Receiver<LabView>,
}

async fn run() {
    let learners = env_number("LEARNERS", 200) as usize;
    let idle_secs = env_number("IDLE_SECS", 10);
    let load_secs = env_number("LOAD_SECS", 30);
    let change_every = Duration::from_secs(env_number("CHANGE_EVERY", 10));
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("kubedojo labs bench ({profile} build): {learners} learners on the lesson 2 lab");

    let catalog = Arc::new(Catalog::load(&LessonSource::Embedded).expect("lessons load"));
    let progress = Arc::new(ProgressStore::in_memory().expect("progress store"));
    let clusters = LearnerClusters::sandbox_default();
    let service = LabService::new(catalog, clusters.clone(), progress);
    let labs = Labs(service.clone());

    // Start every lab, a few at a time like a room joining.
    let rss_before = rss_mib();
    let started = Instant::now();
    let mut room = Vec::new();
    let mut start_times = Vec::new();
    for _ in 0..learners {
        let id = LearnerId::generate();
        let t = Instant::now();
        labs.start(id, LAB.to_string())
            .await
            .expect("the lab starts");
        let mut views = service.subscribe(id, LAB).await.expect("a view stream");
        let ready = until(&mut views, Duration::from_secs(120), |v| {
            v.cluster == ClusterState::Ready && bare_pod_status(v) != TaskStatus::Unknown
        })
        .await;
        assert!(ready, "a learner's lab never became ready");
        start_times.push(t.elapsed());
        room.push(Learner { id, views });
    }
    start_times.sort();
    println!(
        "start lab (cluster + setup + first verdict): p50 {:.1} ms, p99 {:.1} ms, all {learners} in {:.1} s; RSS +{:.0} MiB ({:.2} MiB per learner)",
        percentile(&start_times, 0.5).as_secs_f64() * 1e3,
        percentile(&start_times, 0.99).as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64(),
        rss_mib() - rss_before,
        (rss_mib() - rss_before) / learners as f64,
    );

    // 1. Idle: the watchers of every learner wait for changes.
    let (cpu0, t0) = (cpu_time(), Instant::now());
    tokio::time::sleep(Duration::from_secs(idle_secs)).await;
    let idle_cpu = (cpu_time() - cpu0).as_secs_f64() / t0.elapsed().as_secs_f64();
    println!(
        "idle: {:.1}% of one core for {learners} graded clusters",
        idle_cpu * 100.0
    );

    // 2. Load: each learner changes their cluster every CHANGE_EVERY, spread evenly.
    let (cpu0, t0) = (cpu_time(), Instant::now());
    let deadline = t0 + Duration::from_secs(load_secs);
    let mut tasks = Vec::new();
    for (i, learner) in room.into_iter().enumerate() {
        let clusters = clusters.clone();
        let offset = change_every.mul_f64(i as f64 / learners as f64);
        tasks.push(tokio::spawn(async move {
            let Learner { id, mut views } = learner;
            let key = id.to_string();
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            tokio::time::sleep(offset).await;
            let mut present = false;
            while Instant::now() < deadline {
                let t = Instant::now();
                let changed = if present {
                    kubectl_delete_pod(&clusters, &key).await
                } else {
                    clusters.apply(&key, BARE_POD).await.map(|_| ()).is_ok()
                };
                present = !present;
                if !changed {
                    errors += 1;
                } else {
                    // The bare-pod task's verdict changes with its pod: its diagnosis does.
                    let before = views.borrow().clone();
                    let seen = until(&mut views, Duration::from_secs(30), |v| {
                        v.tasks != before.tasks
                    })
                    .await;
                    if seen {
                        latencies.push(t.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                tokio::time::sleep(change_every.saturating_sub(t.elapsed())).await;
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((l, e)) = task.await {
            latencies.extend(l);
            errors += e;
        }
    }
    let load_cpu = (cpu_time() - cpu0).as_secs_f64() / t0.elapsed().as_secs_f64();
    latencies.sort();
    println!(
        "load: {} changes in {load_secs} s ({:.1}/s), {errors} errors; change → new verdict in the learner's view p50 {:.0} ms, p99 {:.0} ms; CPU {:.0}% of one core; RSS {:.0} MiB",
        latencies.len(),
        latencies.len() as f64 / load_secs as f64,
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        load_cpu * 100.0,
        rss_mib(),
    );
}

/// Deletes the learner's bare pod like `kubectl delete pod mysql --wait=false`.
async fn kubectl_delete_pod(clusters: &LearnerClusters, key: &str) -> bool {
    let Some(client) = clusters.client_for(key).await else {
        return false;
    };
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(client, "default");
    pods.delete("mysql", &kube::api::DeleteParams::default())
        .await
        .is_ok()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(1800), run())
            .await
            .expect("the bench finishes in 30 minutes");
    });
}
