//! A fake pod runtime for the stream tests: a few "programs" with real byte streams, and
//! scripted logs. Shared by `streams_kubectl.rs` and `streams_kube_client.rs`.

#![allow(dead_code)] // each test target uses a different part

use chrono::{DateTime, TimeZone, Utc};
use futures::FutureExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kubedojo_images::TermSize;
use kubedojo_sandbox::Cluster;
use kubedojo_sandbox::streams::{
    AttachRequest, ExecRequest, ExitOutcome, LogLine, LogRequest, LogStream, PodStreams, Session,
    StreamError,
};
use parking_lot::Mutex;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::{mpsc, oneshot};

/// What the fake saw, for assertions.
#[derive(Default)]
pub struct Seen {
    pub execs: Vec<ExecRequest>,
    pub attaches: Vec<AttachRequest>,
    pub logs: Vec<LogRequest>,
    pub resizes: Vec<TermSize>,
    /// Programs that ended, with their exit codes.
    pub finished: Vec<(Vec<String>, i32)>,
}

/// The fake runtime. Containers named `starting` have not started yet.
#[derive(Default)]
pub struct Fake {
    pub seen: Arc<Mutex<Seen>>,
}

/// The time of backlog line `i` (fixed, so timestamps are predictable).
pub fn line_time(i: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_732_615_200 + i, 123_456_789)
        .single()
        .unwrap_or_default()
}

/// The backlog every running container has.
pub const BACKLOG: [&str; 3] = ["starting mysqld", "ready for connections", "query ok"];
/// Lines a followed log receives after the backlog, then the container ends.
pub const FOLLOWED: [&str; 2] = ["follow one", "follow two"];

struct Pipes {
    stdin: Option<DuplexStream>,
    stdout: DuplexStream,
    stderr: DuplexStream,
    exit: oneshot::Sender<i32>,
    resizes: mpsc::UnboundedReceiver<TermSize>,
}

fn session(
    want_stdin: bool,
    want_stderr: bool,
    tty: bool,
    seen: Arc<Mutex<Seen>>,
) -> (Session, Pipes) {
    let (api_in, proc_in) = tokio::io::duplex(64 * 1024);
    let (proc_out, api_out) = tokio::io::duplex(64 * 1024);
    let (proc_err, api_err) = tokio::io::duplex(64 * 1024);
    let (exit_tx, exit_rx) = oneshot::channel();
    let (resize_tx, resize_rx) = mpsc::unbounded_channel();
    let session = Session {
        stdin: want_stdin
            .then(|| Box::new(api_in) as Box<dyn tokio::io::AsyncWrite + Send + Unpin>),
        stdout: Some(Box::new(api_out)),
        stderr: (want_stderr && !tty)
            .then(|| Box::new(api_err) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        resize: tty.then(|| {
            Box::new(move |s: TermSize| {
                seen.lock().resizes.push(s);
                let _ = resize_tx.send(s);
            }) as Box<dyn Fn(TermSize) + Send + Sync>
        }),
        exit: async move {
            exit_rx
                .await
                .map(ExitOutcome::Code)
                .unwrap_or_else(|_| ExitOutcome::Error("process lost".into()))
        }
        .boxed(),
    };
    let pipes = Pipes {
        stdin: want_stdin.then_some(proc_in),
        stdout: proc_out,
        stderr: proc_err,
        exit: exit_tx,
        resizes: resize_rx,
    };
    (session, pipes)
}

/// Run one fake program on the process side of the pipes.
async fn program(argv: Vec<String>, mut p: Pipes, seen: Arc<Mutex<Seen>>) {
    let code = match argv
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["echo", words @ ..] => {
            let _ = p
                .stdout
                .write_all(format!("{}\n", words.join(" ")).as_bytes())
                .await;
            0
        }
        ["sh", "-c", script] if script.starts_with("exit ") => {
            script["exit ".len()..].trim().parse().unwrap_or(2)
        }
        ["warn", words @ ..] => {
            let _ = p.stdout.write_all(b"to stdout\n").await;
            let _ = p
                .stderr
                .write_all(format!("{}\n", words.join(" ")).as_bytes())
                .await;
            1
        }
        ["cat"] => {
            if let Some(mut input) = p.stdin.take() {
                let _ = tokio::io::copy(&mut input, &mut p.stdout).await;
            }
            0
        }
        ["tty-size"] => {
            // Reports each resize until stdin ends (like a full-screen program).
            let mut input = p.stdin.take();
            let mut buf = [0u8; 256];
            loop {
                tokio::select! {
                    Some(s) = p.resizes.recv() => {
                        let _ = p.stdout.write_all(format!("size {}x{}\r\n", s.cols, s.rows).as_bytes()).await;
                    }
                    n = async { match input.as_mut() { Some(i) => i.read(&mut buf).await.unwrap_or(0), None => 0 } } => {
                        if n == 0 { break; }
                        let _ = p.stdout.write_all(&buf[..n]).await;
                    }
                }
            }
            0
        }
        ["sleep", secs] => {
            let s: u64 = secs.parse().unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(s)).await;
            0
        }
        _ => 127,
    };
    drop(p.stdout);
    drop(p.stderr);
    seen.lock().finished.push((argv, code));
    let _ = p.exit.send(code);
}

impl PodStreams for Fake {
    fn exec(&self, req: ExecRequest) -> Result<Session, StreamError> {
        self.seen.lock().execs.push(req.clone());
        if req.container == "starting" {
            return Err(StreamError::ContainerNotRunning {
                container: req.container,
                pod: req.pod,
                reason: "ContainerCreating".into(),
            });
        }
        if req.command[0] == "nope" {
            return Err(StreamError::Exec(
                "OCI runtime exec failed: exec failed: unable to start container process: exec: \"nope\": executable file not found in $PATH: unknown".into(),
            ));
        }
        let (s, pipes) = session(req.stdin, req.stderr, req.tty, self.seen.clone());
        tokio::spawn(program(req.command, pipes, self.seen.clone()));
        Ok(s)
    }

    fn attach(&self, req: AttachRequest) -> Result<Session, StreamError> {
        self.seen.lock().attaches.push(req.clone());
        // The main process greets, then echoes stdin until it ends, then exits 0.
        let (s, mut pipes) = session(req.stdin, req.stderr, req.tty, self.seen.clone());
        let seen = self.seen.clone();
        tokio::spawn(async move {
            let _ = pipes.stdout.write_all(b"hello from main\n").await;
            program(vec!["cat".into()], pipes, seen).await;
        });
        Ok(s)
    }

    fn logs(&self, req: LogRequest) -> Result<LogStream, StreamError> {
        self.seen.lock().logs.push(req.clone());
        if req.container == "starting" {
            return Err(StreamError::ContainerNotRunning {
                container: req.container,
                pod: req.pod,
                reason: "ContainerCreating".into(),
            });
        }
        if req.previous {
            return Err(StreamError::NoPreviousContainer {
                container: req.container,
                pod: req.pod,
            });
        }
        let backlog = BACKLOG
            .iter()
            .enumerate()
            .map(|(i, l)| LogLine {
                time: line_time(i as i64),
                line: (*l).into(),
            })
            .collect();
        let follow = req.follow.then(|| {
            let (tx, rx) = mpsc::channel(8);
            tokio::spawn(async move {
                for l in FOLLOWED {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let line = LogLine {
                        time: Utc::now(),
                        line: l.into(),
                    };
                    if tx.send(line).await.is_err() {
                        return;
                    }
                }
                // Dropping the sender: the container ended.
            });
            rx
        });
        Ok(LogStream { backlog, follow })
    }
}

/// Install a fresh fake on `cluster` and return it.
pub fn install(cluster: &Cluster) -> Arc<Fake> {
    let fake = Arc::new(Fake::default());
    cluster.set_pod_streams(fake.clone());
    fake
}

/// Create a pod through the API with phase Running, bound to a node no kubelet serves (the
/// fake runtime plays the kubelet for it).
pub async fn running_pod(cluster: &Cluster, name: &str, containers: &[&str]) -> Pod {
    let pods: Api<Pod> = Api::default_namespaced(cluster.client());
    let containers: Vec<_> = containers
        .iter()
        .map(|c| json!({"name": c, "image": "mysql:8"}))
        .collect();
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"nodeName": "streams-node", "containers": containers}
    }))
    .expect("pod");
    tokio::time::timeout(
        Duration::from_secs(10),
        pods.create(&PostParams::default(), &pod),
    )
    .await
    .expect("create in time")
    .expect("create");
    tokio::time::timeout(
        Duration::from_secs(10),
        pods.patch_status(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "Running"}})),
        ),
    )
    .await
    .expect("patch in time")
    .expect("status")
}
