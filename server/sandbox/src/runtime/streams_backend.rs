//! The kubelet side of `kubectl exec`, `attach` and `logs`: run a program in a running
//! container (same files, environment and network as its main process), connect to the main
//! process's stdio, and hand out container logs.

use super::start::ImageKind;
use super::{CState, ContainerRt, PodRt, Runtime};
use crate::cluster::{Cluster, ClusterState};
use crate::registry::ids;
use crate::streams::{
    AttachRequest, ExecRequest, ExitOutcome, LogLine, LogRequest, LogStream, PodStreams, Session,
    StreamError,
};
use futures::FutureExt;
use kubedojo_images::{ProcessSpec, Stdio, TermSize};
use parking_lot::Mutex;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::sync::{mpsc, oneshot};

/// Buffer between a process and the API side of a stream.
const PIPE: usize = 64 * 1024;

/// The [`PodStreams`] backend of a cluster's kubelets.
pub(crate) struct RuntimeStreams {
    pub(crate) cluster: Weak<ClusterState>,
}

impl RuntimeStreams {
    fn cluster(&self) -> Result<Cluster, StreamError> {
        self.cluster
            .upgrade()
            .map(|state| Cluster { state })
            .ok_or_else(|| StreamError::Exec("the cluster is shutting down".into()))
    }
}

/// Why a container cannot take a stream now (its waiting reason, as the kubelet says it).
fn not_running(pod: &str, c: &ContainerRt) -> StreamError {
    let reason = match &c.state {
        CState::Waiting { reason, .. } => reason.clone(),
        CState::Terminated(t) => t.reason.clone(),
        CState::Running { .. } => "ContainerCreating".into(),
    };
    StreamError::ContainerNotRunning {
        container: c.name.clone(),
        pod: pod.into(),
        reason,
    }
}

/// The pod on its node, or the refusal for a pod that is not running anywhere.
fn pod_rt(cluster: &Cluster, ns: &str, pod: &str) -> Result<Arc<PodRt>, StreamError> {
    if let Some(p) = cluster.runtime().pod(ns, pod) {
        return Ok(p);
    }
    let phase = cluster
        .store()
        .get(*ids::PODS, ns, pod)
        .and_then(|p| p["status"]["phase"].as_str().map(String::from))
        .unwrap_or_default();
    if matches!(phase.as_str(), "Succeeded" | "Failed") {
        return Err(StreamError::CompletedPod { phase });
    }
    Err(StreamError::PodNotRunning { pod: pod.into() })
}

/// Counts a live session against the cluster's limit; released on drop.
struct SessionSlot(Arc<Runtime>);

impl SessionSlot {
    fn take(runtime: &Arc<Runtime>) -> Result<Self, StreamError> {
        let n = runtime.exec_sessions.fetch_add(1, Ordering::SeqCst);
        if n >= runtime.limits.exec_sessions {
            runtime.exec_sessions.fetch_sub(1, Ordering::SeqCst);
            return Err(StreamError::TooManySessions);
        }
        Ok(SessionSlot(runtime.clone()))
    }
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        self.0.exec_sessions.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One writer shared by stdout and stderr (a terminal merges them).
#[derive(Clone)]
struct SharedWriter(Arc<Mutex<DuplexStream>>);

impl AsyncWrite for SharedWriter {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0.lock()).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0.lock()).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0.lock()).poll_shutdown(cx)
    }
}

type Reader = Box<dyn AsyncRead + Send + Unpin>;
type Writer = Box<dyn AsyncWrite + Send + Unpin>;

impl PodStreams for RuntimeStreams {
    fn exec(&self, req: ExecRequest) -> Result<Session, StreamError> {
        let cluster = self.cluster()?;
        let runtime = cluster.runtime().clone();
        let pod = pod_rt(&cluster, &req.namespace, &req.pod)?;
        let env = {
            let cs = pod.containers.lock();
            let c = cs
                .iter()
                .find(|c| c.name == req.container && !c.init)
                .or_else(|| cs.iter().find(|c| c.name == req.container))
                .ok_or_else(|| StreamError::PodNotRunning { pod: req.pod.clone() })?;
            match (&c.state, &c.exec_env) {
                (CState::Running { .. }, Some(env)) => env.clone(),
                _ => return Err(not_running(&req.pod, c)),
            }
        };
        let ImageKind::App(image) = env.image else {
            let prog = req.command.first().cloned().unwrap_or_default();
            return Err(StreamError::Exec(format!(
                "OCI runtime exec failed: exec failed: unable to start container process: exec: \"{prog}\": executable file not found in $PATH: unknown"
            )));
        };
        let slot = SessionSlot::take(&runtime)?;
        let (stdin_api, stdin_proc) = if req.stdin {
            let (a, b) = tokio::io::duplex(PIPE);
            (Some(Box::new(a) as Writer), Some(Box::new(b) as Reader))
        } else {
            (None, None)
        };
        let (out_proc, out_api) = tokio::io::duplex(PIPE);
        let out_shared = SharedWriter(Arc::new(Mutex::new(out_proc)));
        let (stderr_proc, stderr_api): (Writer, Option<Reader>) = if req.tty {
            (Box::new(out_shared.clone()), None)
        } else if req.stderr {
            let (p, a) = tokio::io::duplex(PIPE);
            (Box::new(p), Some(Box::new(a)))
        } else {
            (Box::new(tokio::io::sink()), None)
        };
        let stdout_proc: Writer = if req.stdout || req.tty {
            Box::new(out_shared)
        } else {
            Box::new(tokio::io::sink())
        };
        let mut process = kubedojo_images::spawn(
            ProcessSpec {
                image,
                argv: req.command.clone(),
                env: env.env.clone(),
                workdir: env.workdir.clone(),
                hostname: env.hostname.clone(),
                fs: env.fs.clone(),
                net: env.net.clone(),
                tty: req.tty,
            },
            Stdio {
                stdin: stdin_proc,
                stdout: stdout_proc,
                stderr: stderr_proc,
            },
        )
        .map_err(|e| {
            StreamError::Exec(format!(
                "OCI runtime exec failed: exec failed: unable to start container process: {e}: unknown"
            ))
        })?;
        let (resize_tx, mut resize_rx) = mpsc::unbounded_channel::<TermSize>();
        let (exit_tx, exit_rx) = oneshot::channel();
        tokio::spawn(async move {
            let _slot = slot;
            let status = loop {
                tokio::select! {
                    s = process.wait() => break s,
                    Some(size) = resize_rx.recv() => process.resize(size),
                }
            };
            let _ = exit_tx.send(status.0);
        });
        Ok(Session {
            stdin: stdin_api,
            stdout: (req.stdout || req.tty).then(|| Box::new(out_api) as Reader),
            stderr: stderr_api,
            resize: req.tty.then(|| {
                Box::new(move |size: TermSize| {
                    let _ = resize_tx.send(size);
                }) as Box<dyn Fn(TermSize) + Send + Sync>
            }),
            exit: exit_rx
                .map(|r| match r {
                    Ok(code) => ExitOutcome::Code(code),
                    Err(_) => ExitOutcome::Error("the process vanished".into()),
                })
                .boxed(),
        })
    }

    fn attach(&self, req: AttachRequest) -> Result<Session, StreamError> {
        let cluster = self.cluster()?;
        let runtime = cluster.runtime().clone();
        let pod = pod_rt(&cluster, &req.namespace, &req.pod)?;
        let (output, stdin, instance) = {
            let cs = pod.containers.lock();
            let c = cs
                .iter()
                .find(|c| c.name == req.container)
                .ok_or_else(|| StreamError::PodNotRunning { pod: req.pod.clone() })?;
            match (&c.state, &c.output) {
                (CState::Running { .. }, Some(out)) => (out.subscribe(), c.stdin.clone(), c.instance),
                _ => return Err(not_running(&req.pod, c)),
            }
        };
        let slot = SessionSlot::take(&runtime)?;
        // Output: the main process's raw bytes from now on.
        let (out_w, out_r) = tokio::io::duplex(PIPE);
        let (done_tx, done_rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _slot = slot;
            let mut output = output;
            let mut out_w = out_w;
            loop {
                match output.recv().await {
                    Ok(chunk) => {
                        if out_w.write_all(&chunk).await.is_err() {
                            break;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
            let _ = done_tx.send(());
        });
        // Input: what the client types goes to the main process's stdin (if it has one).
        let stdin_api = match (req.stdin, stdin) {
            (true, Some(target)) => {
                let (api, mut from_api) = tokio::io::duplex(PIPE);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    loop {
                        let n = match tokio::io::AsyncReadExt::read(&mut from_api, &mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let mut t = target.lock().await;
                        if t.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
                Some(Box::new(api) as Writer)
            }
            _ => None,
        };
        let weak_pod = Arc::downgrade(&pod);
        let name = req.container.clone();
        let exit = async move {
            let _ = done_rx.await;
            // Give the exit watcher a moment to record the status.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let code = weak_pod.upgrade().and_then(|p| {
                let cs = p.containers.lock();
                let c = cs.iter().find(|c| c.name == name)?;
                match (&c.state, &c.last) {
                    (CState::Terminated(t), _) if c.instance == instance => Some(t.exit_code),
                    (_, Some(t)) if c.instance > instance => Some(t.exit_code),
                    _ => None,
                }
            });
            ExitOutcome::Code(code.unwrap_or(0))
        };
        Ok(Session {
            stdin: stdin_api,
            stdout: (req.stdout || req.tty).then(|| Box::new(out_r) as Reader),
            stderr: None,
            resize: None,
            exit: exit.boxed(),
        })
    }

    fn logs(&self, req: LogRequest) -> Result<LogStream, StreamError> {
        let cluster = self.cluster()?;
        let pod = pod_rt(&cluster, &req.namespace, &req.pod).map_err(|e| match e {
            StreamError::PodNotRunning { .. } => StreamError::ContainerNotRunning {
                container: req.container.clone(),
                pod: req.pod.clone(),
                reason: waiting_reason(&cluster, &req),
            },
            other => other,
        })?;
        let cs = pod.containers.lock();
        let c = cs
            .iter()
            .find(|c| c.name == req.container)
            .ok_or_else(|| StreamError::PodNotRunning { pod: req.pod.clone() })?;
        let log = if req.previous {
            c.previous_log.clone().ok_or_else(|| StreamError::NoPreviousContainer {
                container: c.name.clone(),
                pod: req.pod.clone(),
            })?
        } else {
            let never_started = matches!(c.state, CState::Waiting { .. }) && c.instance == 0 && c.last.is_none();
            if never_started {
                return Err(not_running(&req.pod, c));
            }
            c.log.clone()
        };
        let (lines, follow) = log.snapshot(req.follow && !req.previous);
        let convert = |l: super::logs::LogLine| LogLine { time: l.time, line: l.line };
        let follow = follow.map(|mut rx| {
            let (tx, out) = mpsc::channel(1024);
            tokio::spawn(async move {
                while let Some(l) = rx.recv().await {
                    if tx.send(convert(l)).await.is_err() {
                        break;
                    }
                }
            });
            out
        });
        Ok(LogStream {
            backlog: lines.into_iter().map(convert).collect(),
            follow,
        })
    }
}

/// The waiting reason the API shows for a container that has not started on a node yet.
fn waiting_reason(cluster: &Cluster, req: &LogRequest) -> String {
    cluster
        .store()
        .get(*ids::PODS, &req.namespace, &req.pod)
        .and_then(|p| {
            p["status"]["containerStatuses"]
                .as_array()?
                .iter()
                .find(|c| c["name"] == req.container.as_str())?["state"]["waiting"]["reason"]
                .as_str()
                .map(String::from)
        })
        .unwrap_or_else(|| "ContainerCreating".into())
}
