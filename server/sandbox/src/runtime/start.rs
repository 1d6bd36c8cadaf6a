//! Starting one container instance: its volumes, its writable layer, the files the kubelet
//! manages (/etc/hosts, /etc/resolv.conf, /etc/hostname), its environment and argv, its process
//! with stdout/stderr captured into the log, and a watcher that records the exit.

use super::logs::Log;
use super::network::PodNetwork;
use super::{CState, ContainerRt, PodRt, Runtime, Terminated, env, volumes::Layout};
use crate::cluster::Cluster;
use crate::registry::ids;
use bytes::Bytes;
use chrono::Utc;
use kubedojo_images::{ContainerFs, Image, Mount, ProcessSpec, Signal, Stdio};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{broadcast, mpsc};

/// What a container image is to the kubelet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImageKind {
    /// One of the simulated images.
    App(Image),
    /// The cluster's own components (CoreDNS, kube-proxy, kindnet...): they idle until stopped.
    System,
}

/// Resolve an image reference; None is an image no registry has (ErrImagePull).
pub(crate) fn resolve_image(reference: &str) -> Option<ImageKind> {
    let system = ["registry.k8s.io/", "docker.io/kindest/", "kindest/", "docker.io/rancher/local-path-provisioner", "rancher/local-path-provisioner"];
    if system.iter().any(|p| reference.starts_with(p)) {
        return Some(ImageKind::System);
    }
    Image::resolve(reference).map(ImageKind::App)
}

/// The host directories of a pod's volumes.
pub(crate) type VolumeDirs = HashMap<String, (PathBuf, bool)>;

/// Prepare every volume of `pod` on `node`. Errors are FailedMount messages.
pub(crate) fn prepare_volumes(
    cluster: &Cluster,
    layout: &Layout,
    pod: &Value,
    node: &str,
) -> Result<VolumeDirs, String> {
    let uid = pod["metadata"]["uid"].as_str().unwrap_or_default();
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or("default");
    let mut dirs = VolumeDirs::new();
    for v in pod["spec"]["volumes"].as_array().into_iter().flatten() {
        let name = v["name"].as_str().unwrap_or_default();
        let pod_dir = layout.pod_volume(node, uid, name);
        let (dir, ro) = if let Some(claim) = v["persistentVolumeClaim"]["claimName"].as_str() {
            let pvc = cluster
                .store()
                .get(*ids::PVCS, ns, claim)
                .ok_or_else(|| format!("persistentvolumeclaim \"{claim}\" not found"))?;
            if pvc["metadata"]["deletionTimestamp"].is_string() {
                return Err(format!("persistentvolumeclaim \"{claim}\" is being deleted"));
            }
            let pv_name = pvc["spec"]["volumeName"].as_str().unwrap_or_default();
            let pv = cluster
                .store()
                .get(*ids::PVS, "", pv_name)
                .filter(|_| pvc["status"]["phase"] == "Bound")
                .ok_or_else(|| format!("persistentvolumeclaim \"{claim}\" is not bound"))?;
            (
                layout.pv_dir(&pv, node),
                v["persistentVolumeClaim"]["readOnly"] == true,
            )
        } else if let Some(path) = v["hostPath"]["path"].as_str() {
            let dir = layout.host_path(node, path);
            let ty = v["hostPath"]["type"].as_str().unwrap_or_default();
            if ty == "Directory" && !dir.is_dir() {
                return Err(format!(
                    "MountVolume.SetUp failed for volume \"{name}\" : hostPath type check failed: {path} is not a directory"
                ));
            }
            (dir, false)
        } else if v["configMap"].is_object() || v["secret"].is_object() {
            let is_secret = v["secret"].is_object();
            let src = if is_secret { &v["secret"] } else { &v["configMap"] };
            let obj_name = src[if is_secret { "secretName" } else { "name" }]
                .as_str()
                .unwrap_or_default();
            match env::data_of(cluster, ns, obj_name, is_secret) {
                Some(data) => write_items(&pod_dir, src, &data)
                    .map_err(|e| format!("MountVolume.SetUp failed for volume \"{name}\" : {e}"))?,
                None if src["optional"] == true => {}
                None => {
                    let kind = if is_secret { "secret" } else { "configmap" };
                    return Err(format!(
                        "MountVolume.SetUp failed for volume \"{name}\" : {kind} \"{obj_name}\" not found"
                    ));
                }
            }
            (pod_dir, true)
        } else {
            // emptyDir, projected, downwardAPI and anything else: a directory of the pod.
            (pod_dir, false)
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("MountVolume.SetUp failed for volume \"{name}\" : {e}"))?;
        dirs.insert(name.to_string(), (dir, ro));
    }
    Ok(dirs)
}

fn write_items(dir: &std::path::Path, src: &Value, data: &[(String, String)]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let items: Vec<(String, String)> = match src["items"].as_array() {
        Some(items) => items
            .iter()
            .filter_map(|i| Some((i["key"].as_str()?.to_string(), i["path"].as_str()?.to_string())))
            .collect(),
        None => data.iter().map(|(k, _)| (k.clone(), k.clone())).collect(),
    };
    for (key, path) in items {
        let Some((_, value)) = data.iter().find(|(k, _)| *k == key) else {
            continue;
        };
        let rel: PathBuf = std::path::Path::new(&path)
            .components()
            .filter(|c| matches!(c, std::path::Component::Normal(_)))
            .collect();
        let target = dir.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, value)?;
    }
    Ok(())
}

/// What `kubectl exec` needs to run a program in a running container.
#[derive(Clone)]
pub(crate) struct ExecEnv {
    pub image: ImageKind,
    pub fs: Arc<ContainerFs>,
    pub env: Vec<(String, String)>,
    pub hostname: String,
    pub workdir: String,
    pub net: Arc<PodNetwork>,
}

/// The argv Kubernetes runs: `command` replaces ENTRYPOINT, `args` replaces CMD.
pub(crate) fn argv(image: Image, container: &Value, env: &[(String, String)]) -> Vec<String> {
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array().map(|a| {
            a.iter()
                .filter_map(|s| s.as_str())
                .map(|s| expand_argv(s, env))
                .collect()
        })
    };
    let command = strings(&container["command"]);
    let args = strings(&container["args"]);
    let own = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    match (command, args) {
        (Some(c), Some(a)) => c.into_iter().chain(a).collect(),
        (Some(c), None) => c,
        (None, Some(a)) => own(image.entrypoint()).into_iter().chain(a).collect(),
        (None, None) => own(image.entrypoint())
            .into_iter()
            .chain(own(image.cmd()))
            .collect(),
    }
}

/// `$(VAR)` in command/args expands from the container's environment.
fn expand_argv(s: &str, env: &[(String, String)]) -> String {
    let mut out = s.to_string();
    for (k, v) in env {
        out = out.replace(&format!("$({k})"), v);
    }
    out
}

/// The pod's hostname (spec.hostname, else the pod name, at most 63 characters).
pub(crate) fn hostname(pod: &Value) -> String {
    let h = pod["spec"]["hostname"]
        .as_str()
        .or_else(|| pod["metadata"]["name"].as_str())
        .unwrap_or("localhost");
    h.chars().take(63).collect()
}

/// /etc/hosts as the kubelet writes it.
fn etc_hosts(pod: &Value, ip: &str) -> String {
    let name = hostname(pod);
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or("default");
    let fqdn = match pod["spec"]["subdomain"].as_str() {
        Some(sub) if !sub.is_empty() => format!("{name}.{sub}.{ns}.svc.cluster.local\t{name}"),
        _ => name,
    };
    format!(
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n{ip}\t{fqdn}\n"
    )
}

/// Build the container's files: its layer (with the kubelet-managed /etc files) and mounts.
pub(crate) fn container_fs(
    layout: &Layout,
    pod: &Value,
    rt: &PodRt,
    container: &Value,
    instance: u32,
    volumes: &VolumeDirs,
) -> Result<ContainerFs, String> {
    let cname = container["name"].as_str().unwrap_or_default();
    let root = layout.container_layer(&rt.node, &rt.uid, cname, instance);
    let etc = root.join("etc");
    std::fs::create_dir_all(&etc).map_err(|e| e.to_string())?;
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or("default");
    let files = [
        ("hosts", etc_hosts(pod, &rt.ip.to_string())),
        ("resolv.conf", super::dns::resolv_conf(ns)),
        ("hostname", format!("{}\n", hostname(pod))),
    ];
    for (f, content) in files {
        std::fs::write(etc.join(f), content).map_err(|e| e.to_string())?;
    }
    let mut mounts = Vec::new();
    for m in container["volumeMounts"].as_array().into_iter().flatten() {
        let vol = m["name"].as_str().unwrap_or_default();
        let Some((dir, ro)) = volumes.get(vol) else {
            return Err(format!("volume \"{vol}\" not found in pod"));
        };
        let mut host = dir.clone();
        if let Some(sub) = m["subPath"].as_str().filter(|s| !s.is_empty()) {
            for c in std::path::Path::new(sub).components() {
                if let std::path::Component::Normal(n) = c {
                    host.push(n);
                }
            }
            std::fs::create_dir_all(&host).map_err(|e| e.to_string())?;
        }
        mounts.push(Mount {
            path: m["mountPath"].as_str().unwrap_or("/").to_string(),
            host,
            read_only: *ro || m["readOnly"] == true,
        });
    }
    Ok(ContainerFs::new(root, mounts))
}

/// The files of a new container instance of a simulated image: the image's own files in a
/// fresh layer, the kubelet's /etc files, the mounts, and the cluster's byte quota.
pub(crate) fn app_fs(
    runtime: &Runtime,
    image: Image,
    pod: &Value,
    rt: &PodRt,
    container: &Value,
    instance: u32,
    volumes: &VolumeDirs,
) -> Result<ContainerFs, String> {
    let fs = container_fs(&runtime.layout, pod, rt, container, instance, volumes)?
        .with_quota(runtime.quota.clone());
    image.populate(&fs).map_err(|e| e.to_string())?;
    Ok(fs)
}

/// Start the process of a container instance and its output capture and exit watcher.
/// Returns the exit as `Terminated` when the program cannot start (runc's StartError).
#[allow(clippy::too_many_arguments)]
pub(crate) fn launch(
    runtime: &Arc<Runtime>,
    pod: &Arc<PodRt>,
    c: &mut ContainerRt,
    kind: ImageKind,
    spec_container: &Value,
    exec: ExecEnv,
) -> Result<(), Terminated> {
    let started = Utc::now();
    let image = match kind {
        ImageKind::System => {
            launch_system(runtime, pod, c, exec, started);
            return Ok(());
        }
        ImageKind::App(image) => image,
    };
    let tty = spec_container["tty"] == true;
    let wants_stdin = spec_container["stdin"] == true;
    let (out_w, out_r) = tokio::io::duplex(64 * 1024);
    let (err_w, err_r) = tokio::io::duplex(64 * 1024);
    let (stdin_proc, stdin_kubelet) = if wants_stdin {
        let (a, b) = tokio::io::duplex(64 * 1024);
        (Some(a), Some(b))
    } else {
        (None, None)
    };
    let argv = argv(image, spec_container, &exec.env);
    let process = kubedojo_images::spawn(
        ProcessSpec {
            image,
            argv,
            env: exec.env.clone(),
            workdir: exec.workdir.clone(),
            hostname: exec.hostname.clone(),
            fs: exec.fs.clone(),
            net: exec.net.clone(),
            tty,
        },
        Stdio {
            stdin: stdin_proc.map(|s| Box::new(s) as Box<dyn AsyncRead + Send + Unpin>),
            stdout: Box::new(out_w),
            stderr: Box::new(err_w),
        },
    );
    let mut process = match process {
        Ok(p) => p,
        Err(e) => {
            return Err(Terminated {
                exit_code: 128,
                reason: "StartError".into(),
                message: Some(format!(
                    "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: {e}: unknown"
                )),
                started,
                finished: Utc::now(),
            });
        }
    };
    let log = Log::default();
    let (output, _) = broadcast::channel::<Bytes>(64);
    let cap_out = tokio::spawn(capture(out_r, log.clone(), output.clone()));
    let cap_err = tokio::spawn(capture(err_r, log.clone(), output.clone()));
    let (sig_tx, mut sig_rx) = mpsc::unbounded_channel::<Signal>();
    c.log = log.clone();
    c.state = CState::Running { started };
    c.signals = Some(sig_tx);
    c.output = Some(output);
    c.stdin = stdin_kubelet.map(|s| Arc::new(tokio::sync::Mutex::new(s)));
    c.exec_env = Some(exec);
    c.ready = false;
    c.probe = super::probes::ProbeState::default();
    let weak_pod: Weak<PodRt> = Arc::downgrade(pod);
    let name = c.name.clone();
    let instance = c.instance;
    let wake = runtime.wake.clone();
    tokio::spawn(async move {
        let status = loop {
            tokio::select! {
                s = process.wait() => break s,
                Some(sig) = sig_rx.recv() => process.signal(sig),
            }
        };
        // Let the last output reach the log before the exit is recorded.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(500), async {
            let _ = cap_out.await;
            let _ = cap_err.await;
        })
        .await;
        log.close();
        record_exit(&weak_pod, &name, instance, status.0, started);
        wake.nudge();
    });
    Ok(())
}

/// System components idle until stopped: one task, no pipes (they print nothing), so the
/// dozen system pods of every cluster cost little.
fn launch_system(
    runtime: &Arc<Runtime>,
    pod: &Arc<PodRt>,
    c: &mut ContainerRt,
    exec: ExecEnv,
    started: chrono::DateTime<Utc>,
) {
    let (sig_tx, mut sig_rx) = mpsc::unbounded_channel::<Signal>();
    c.log = Log::default();
    c.state = CState::Running { started };
    c.signals = Some(sig_tx);
    c.output = None;
    c.stdin = None;
    c.exec_env = Some(exec);
    c.ready = false;
    c.probe = super::probes::ProbeState::default();
    let weak_pod: Weak<PodRt> = Arc::downgrade(pod);
    let name = c.name.clone();
    let instance = c.instance;
    let wake = runtime.wake.clone();
    tokio::spawn(async move {
        let code = match sig_rx.recv().await {
            Some(Signal::Term) => 0,
            Some(Signal::Kill) | None => 137,
        };
        record_exit(&weak_pod, &name, instance, code, started);
        wake.nudge();
    });
}

/// Record how a container instance ended (if it is still the current one).
fn record_exit(pod: &Weak<PodRt>, name: &str, instance: u32, code: i32, started: chrono::DateTime<Utc>) {
    let Some(pod) = pod.upgrade() else { return };
    let mut cs = pod.containers.lock();
    if let Some(c) = cs.iter_mut().find(|c| c.name == name && c.instance == instance) {
        c.state = CState::Terminated(Terminated {
            exit_code: code,
            reason: if code == 0 { "Completed" } else { "Error" }.into(),
            message: None,
            started,
            finished: Utc::now(),
        });
        c.signals = None;
        c.output = None;
        c.stdin = None;
        c.ready = false;
    }
}

/// Copy a process stream into the log (line by line) and to attached clients (raw).
async fn capture(mut r: impl AsyncRead + Unpin, log: Log, output: broadcast::Sender<Bytes>) {
    let mut buf = vec![0u8; 2048];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        let _ = output.send(Bytes::copy_from_slice(chunk));
        pending.extend_from_slice(chunk);
        while let Some(i) = pending.iter().position(|b| *b == b'\n') {
            let mut line: Vec<u8> = pending.drain(..=i).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            log.push(String::from_utf8_lossy(&line).into_owned());
        }
    }
    if !pending.is_empty() {
        log.push(String::from_utf8_lossy(&pending).into_owned());
    }
}
