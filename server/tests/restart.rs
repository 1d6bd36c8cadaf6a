//! A restart of the real `kubedojo serve` binary, by `kill -9`, brings a learner's sandbox
//! cluster back: the lesson 2 lab is started over HTTP, the PVC solution applied with the real
//! kubectl, rows inserted through the lab action; after SIGKILL and a start on the same
//! database and data directory, the same learner cookie finds the lab resumed (not set up
//! again), the same cluster token works, the mysql pod is Ready again after a "node reboot"
//! with its rows, and every recorded lab attempt is still in the database.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use kubedojo_progress::{LearnerId, ProgressStore};
use parking_lot::Mutex;
use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_kubedojo");
const LAB: &str = "02-bare-pod-data-loss";
const TIMEOUT: Duration = Duration::from_secs(90);

/// One run of `kubedojo serve` and everything it logged so far.
struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(dir: &Path) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = Command::new(BINARY)
            .arg("serve")
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .arg("--db")
            .arg(dir.join("kubedojo.db"))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--site-root")
            .arg(dir.join("site"))
            .args(["--pace", "instant"])
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {BINARY}"))?;
        let stderr = child.stderr.take().context("no stderr")?;
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut l = sink.lock();
                l.push_str(&line);
                l.push('\n');
            }
        });
        Ok(Server { child, port, log })
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The URL the learners' sandbox clusters are served on (logged once the listener runs).
    fn sandbox_url(&self) -> Option<String> {
        let log = self.log.lock();
        let at = log.find("listen on https://127.0.0.1:")? + "listen on ".len();
        let url: String = log[at..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '\u{1b}')
            .collect();
        Some(url)
    }

    async fn wait_until_serving(&mut self, client: &reqwest::Client) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited ({status}):\n{}", self.log.lock());
            }
            if client.get(self.url("/")).send().await.is_ok() {
                return Ok(());
            }
            ensure!(
                tokio::time::Instant::now() < deadline,
                "the server did not answer in time:\n{}",
                self.log.lock()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_for_sandbox_url(&self) -> anyhow::Result<String> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if let Some(url) = self.sandbox_url() {
                return Ok(url);
            }
            ensure!(
                tokio::time::Instant::now() < deadline,
                "no sandbox listener was logged:\n{}",
                self.log.lock()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `kill -9`: `Child::kill` sends SIGKILL on Unix.
    fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

async fn post(
    client: &reqwest::Client,
    server: &Server,
    endpoint: &str,
    form: &[(&str, &str)],
) -> anyhow::Result<Value> {
    let response = client
        .post(server.url(&format!("/api/{endpoint}")))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await?;
    let status = response.status();
    let body = response.text().await?;
    ensure!(status == 200, "{endpoint}: {status} {body}");
    Ok(serde_json::from_str(&body)?)
}

/// Polls the lab view until `done` holds (bounded).
async fn wait_for_view(
    client: &reqwest::Client,
    server: &Server,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let view = post(client, server, "lab", &[("slug", LAB)]).await?;
        if done(&view) {
            return Ok(view);
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; last view: {view}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn cluster_state(view: &Value) -> &str {
    view["cluster"]["state"].as_str().unwrap_or_default()
}

/// The real kubectl against the sandbox listener with the cluster's admin token (bounded).
async fn kubectl(url: &str, token: &str, args: &[&str]) -> anyhow::Result<String> {
    let run = tokio::process::Command::new("kubectl")
        .args([
            "--server",
            url,
            "--token",
            token,
            "--insecure-skip-tls-verify=true",
            "--request-timeout=30s",
            "-n",
            "default",
        ])
        .args(args)
        .env("KUBECONFIG", "/dev/null")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(TIMEOUT, run)
        .await
        .with_context(|| format!("kubectl {args:?} timed out"))??;
    ensure!(
        out.status.success(),
        "kubectl {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The one learner cluster in the data directory: its id, admin token and learner.
fn persisted_cluster(data: &Path) -> anyhow::Result<(String, String, String)> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(data)? {
        let path = e?.path().join("cluster.json");
        if path.is_file() {
            found.push(path);
        }
    }
    ensure!(found.len() == 1, "expected one cluster, found {found:?}");
    let text = std::fs::read_to_string(&found[0])?;
    let (_, body) = text.split_once('\n').context("no header line")?;
    let m: Value = serde_json::from_str(body)?;
    let id = m["id"].as_str().context("id")?.to_string();
    let secret = m["adminSecret"].as_str().context("adminSecret")?;
    let learner = m["labels"]["kubedojo.dev/learner-id"]
        .as_str()
        .context("learner label")?
        .to_string();
    Ok((id.clone(), format!("kd.{id}.admin.{secret}"), learner))
}

async fn mysql_pod(url: &str, token: &str) -> anyhow::Result<String> {
    let name = kubectl(
        url,
        token,
        &[
            "get",
            "pods",
            "-l",
            "app=mysql-persistent",
            "-o",
            "jsonpath={.items[0].metadata.name}",
        ],
    )
    .await?;
    ensure!(!name.trim().is_empty(), "no mysql-persistent pod");
    Ok(name.trim().to_string())
}

async fn wait_ready(url: &str, token: &str) -> anyhow::Result<()> {
    kubectl(
        url,
        token,
        &[
            "wait",
            "--for=condition=Ready",
            "pod",
            "-l",
            "app=mysql-persistent",
            "--timeout=60s",
        ],
    )
    .await
    .map(drop)
}

async fn count_rows(url: &str, token: &str) -> anyhow::Result<u64> {
    let pod = mysql_pod(url, token).await?;
    let out = kubectl(
        url,
        token,
        &[
            "exec",
            &pod,
            "--",
            "mysql",
            "-uroot",
            "-pchange-me",
            "-N",
            "-e",
            "SELECT COUNT(*) FROM shop.orders",
        ],
    )
    .await?;
    out.lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
        .with_context(|| format!("no count in {out:?}"))
}

fn attempts(db: &Path, learner: LearnerId) -> anyhow::Result<Vec<(String, String, String)>> {
    let store = ProgressStore::open(db)?;
    Ok(store
        .lab_attempts(learner, LAB, 1000)?
        .into_iter()
        .map(|a| (a.kind, a.subject, a.at))
        .collect())
}

fn fake_site(dir: &Path) -> anyhow::Result<PathBuf> {
    let pkg = dir.join("site/pkg");
    std::fs::create_dir_all(&pkg)?;
    for ext in ["wasm", "js", "css"] {
        std::fs::write(pkg.join(format!("kubedojo.{ext}")), b"")?;
    }
    Ok(pkg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_and_restart_brings_the_learners_cluster_and_rows_back() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    fake_site(dir.path())?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .cookie_store(true)
        .build()?;

    // First run: start the lab, apply the PVC solution, insert rows.
    let mut first = Server::start(dir.path())?;
    first.wait_until_serving(&client).await?;
    post(&client, &first, "lab-start", &[("slug", LAB)]).await?;
    wait_for_view(&client, &first, "the lab to be ready", |v| {
        cluster_state(v) == "ready"
    })
    .await?;
    let url = first.wait_for_sandbox_url().await?;
    let (id, token, learner) = persisted_cluster(&dir.path().join("data"))?;
    let learner: LearnerId = learner.parse()?;
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../lessons")
            .join(LAB)
            .join("manifests/deployment-pvc.yaml"),
    )?;
    let manifest_file = dir.path().join("deployment-pvc.yaml");
    std::fs::write(&manifest_file, manifest)?;
    kubectl(
        &url,
        &token,
        &["apply", "-f", &manifest_file.to_string_lossy()],
    )
    .await?;
    wait_ready(&url, &token).await?;
    let inserted = post(
        &client,
        &first,
        "lab-action",
        &[("slug", LAB), ("action", "insert-persistent")],
    )
    .await?;
    let last = inserted["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .cloned()
        .unwrap_or_default();
    ensure!(last["kind"] != "action_failed", "inserting failed: {last}");
    let rows = count_rows(&url, &token).await?;
    ensure!(rows > 0, "no rows were inserted");
    let pod_before = mysql_pod(&url, &token).await?;
    // Let the write-behind snapshot catch up (its debounce is 100 ms), then SIGKILL.
    tokio::time::sleep(Duration::from_millis(500)).await;
    first.kill()?;
    let before = attempts(&dir.path().join("kubedojo.db"), learner)?;
    ensure!(
        before.iter().any(|a| a.0 == "start") && before.iter().any(|a| a.0 == "action"),
        "{before:?}"
    );

    // Second run on the same database and data directory.
    let mut second = Server::start(dir.path())?;
    second.wait_until_serving(&client).await?;
    let log = second.log.lock().clone();
    ensure!(log.contains("adopted=1"), "{log}");
    let resumed = wait_for_view(&client, &second, "the lab to resume", |v| {
        cluster_state(v) == "ready"
    })
    .await?;
    ensure!(
        resumed.to_string().contains("Your cluster is back"),
        "{resumed}"
    );
    let (id_after, token_after, _) = persisted_cluster(&dir.path().join("data"))?;
    assert_eq!(
        (&id_after, &token_after),
        (&id, &token),
        "same cluster, same token"
    );
    let url = second.wait_for_sandbox_url().await?;
    wait_ready(&url, &token).await?;
    // The same pod object, its container started again as after a node reboot.
    assert_eq!(mysql_pod(&url, &token).await?, pod_before);
    let restarts = kubectl(
        &url,
        &token,
        &[
            "get",
            "pod",
            &pod_before,
            "-o",
            "jsonpath={.status.containerStatuses[0].restartCount}",
        ],
    )
    .await?;
    assert_eq!(restarts.trim(), "1", "one restart after the reboot");
    assert_eq!(count_rows(&url, &token).await?, rows, "rows survive");
    // No second start was logged: the lab was resumed, not set up again.
    let starts_after = attempts(&dir.path().join("kubedojo.db"), learner)?
        .into_iter()
        .filter(|a| a.0 == "start")
        .count();
    assert_eq!(starts_after, 1, "the lab resumed instead of starting over");
    // Grading is attached again: a check runs instead of answering 409.
    post(&client, &second, "lab-check", &[("slug", LAB)]).await?;
    second.kill()?;
    let after = attempts(&dir.path().join("kubedojo.db"), learner)?;
    for a in &before {
        ensure!(after.contains(a), "attempt {a:?} lost; after: {after:?}");
    }
    Ok(())
}
