//! Shared set-up for lab tests: a fresh sandbox cluster served over loopback TLS (probes exec
//! into pods, which needs a real connection), a grader for it, and bounded evaluation loops.

#![allow(dead_code)]

use kubedojo_grader::{Grader, LabInstance, LabSource, Task, TaskResult};

/// Two tests for one task of a lab: its reference solution passes, and every declared mistake
/// fails with its diagnosis.
#[allow(unused_macros)]
macro_rules! lab_task {
    ($pass:ident, $fail:ident, $slug:literal, $task:literal) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $pass() {
            support::solution_passes($slug, $task).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $fail() {
            support::mistakes_fail_with_diagnosis($slug, $task).await;
        }
    };
}
use kubedojo_sandbox::{Sandbox, TlsListener};
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::{Instant, sleep, timeout};

/// Upper bound for reaching the expected verdict after a solution is applied.
pub const LIMIT: Duration = Duration::from_secs(90);
/// The learner seed the tests use (any seed works; a fixed one keeps failures reproducible).
pub const SEED: u64 = 7;

pub struct Env {
    // Kept alive for the duration of the test.
    pub sandbox: Sandbox,
    pub listener: TlsListener,
    pub client: kube::Client,
    pub lab: LabInstance,
    pub grader: Grader,
}

pub fn lessons_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lessons")
}

pub async fn client_for(sandbox: &Sandbox) -> (TlsListener, kube::Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cluster = sandbox.create_cluster();
    let listener = timeout(
        Duration::from_secs(20),
        sandbox.serve_tls("127.0.0.1:0".parse().expect("addr")),
    )
    .await
    .expect("listen in time")
    .expect("listen");
    let yaml = sandbox.kubeconfig(&listener, &cluster, &cluster.admin_token(), Some("default"));
    let kc = kube::config::Kubeconfig::from_yaml(&yaml).expect("kubeconfig");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    (listener, kube::Client::try_from(cfg).expect("client"))
}

/// A fresh cluster with the lab started.
pub async fn started(slug: &str) -> Env {
    let sandbox = Sandbox::default();
    let (listener, client) = client_for(&sandbox).await;
    let lab = LabSource::load(&lessons_dir().join(slug))
        .expect("lab loads")
        .instantiate(SEED)
        .expect("lab instantiates");
    let grader = Grader::new(client.clone(), lab.lab.namespace.clone());
    timeout(LIMIT, grader.start_lab(&lab))
        .await
        .expect("setup in time")
        .expect("setup applies");
    Env {
        sandbox,
        listener,
        client,
        lab,
        grader,
    }
}

impl Env {
    pub fn task(&self, id: &str) -> Task {
        self.lab
            .task(id)
            .unwrap_or_else(|| panic!("task {id}"))
            .clone()
    }

    /// Evaluates until `done` holds, for at most [`LIMIT`]; panics with the last result.
    pub async fn evaluate_until(
        &self,
        task: &Task,
        what: &str,
        done: impl Fn(&TaskResult) -> bool,
    ) -> TaskResult {
        let deadline = Instant::now() + LIMIT;
        loop {
            let r = self.grader.evaluate_task(task).await;
            if done(&r) {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "task {}: timed out waiting for {what}; last result:\n{}",
                task.id,
                r.explain()
            );
            sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Applies the reference solution of `task_id` to a fresh cluster and asserts a pass.
pub async fn solution_passes(slug: &str, task_id: &str) {
    let env = started(slug).await;
    let task = env.task(task_id);
    timeout(LIMIT, env.grader.apply_solution(&env.lab, &task))
        .await
        .expect("solution in time")
        .expect("solution applies");
    let r = env.evaluate_until(&task, "a pass", |r| r.passed).await;
    assert!(r.passed);
    for c in &r.checks {
        eprintln!("+++ {task_id}: {}", c.message);
    }
}

/// Applies each realistic wrong solution of `task_id` to a fresh cluster and asserts a fail
/// whose explanation contains the expected diagnosis.
pub async fn mistakes_fail_with_diagnosis(slug: &str, task_id: &str) {
    let probe = started(slug).await;
    let mistakes = probe.task(task_id).mistakes;
    drop(probe);
    assert!(
        !mistakes.is_empty(),
        "task {task_id} declares no wrong solution"
    );
    for m in mistakes {
        let env = started(slug).await;
        let task = env.task(task_id);
        timeout(LIMIT, env.grader.run_steps(&env.lab, &m.steps))
            .await
            .expect("mistake in time")
            .expect("mistake applies");
        let r = env
            .evaluate_until(
                &task,
                &format!("the diagnosis of `{}`: {}", m.name, m.diagnosis),
                |r| !r.passed && r.explain().contains(&m.diagnosis),
            )
            .await;
        assert!(!r.passed, "{}: {}", m.name, r.explain());
        // Shown with --nocapture: what a learner would read.
        eprintln!("--- {task_id} / {}:\n{}\n", m.name, r.explain());
    }
}
