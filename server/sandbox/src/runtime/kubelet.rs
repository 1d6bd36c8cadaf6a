//! The simulated kubelets (one loop serves every node; a pod is handled by its node's kubelet):
//! admit a bound pod (volumes, IP), pull images, start containers in order (init containers
//! first), probe them, restart them with back-off, and stop them gracefully when the pod is
//! deleted. Everything a client sees — phases, container states, restart counts, Events with the
//! kubelet's reasons — is written to the API like the real kubelet does.

use super::logs::Log;
use super::probes::{self, Kind};
use super::start::{self, ExecEnv, ImageKind};
use super::{CState, ContainerRt, PodRt, Runtime, Terminated, pod_status};
use crate::admission::meta;
use crate::cluster::Cluster;
use crate::controllers::{Controller, Cx, Key, Requeue};
use crate::events::EventType;
use crate::registry::{def, ids};
use crate::store::{Change, Event, Outcome};
use kubedojo_images::Signal;
use parking_lot::Mutex;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Lifelike time to pull an image a node does not have yet.
const PULL: Duration = Duration::from_secs(3);
/// Lifelike time to create a container whose image is present.
const CREATE: Duration = Duration::from_millis(400);
/// Lifelike wait before retrying a failed mount or a missing Secret.
const RETRY: Duration = Duration::from_secs(2);

pub(crate) struct Kubelet;

fn source(node: &str) -> String {
    format!("kubelet/{node}")
}

impl Controller for Kubelet {
    fn name(&self) -> &'static str {
        "kubelet"
    }

    fn keys_for(&self, cx: &Cx, event: &Event, out: &mut Vec<Key>) {
        let res = event.resource;
        if res == *ids::PODS {
            out.push(Key::new(&event.namespace, meta::name_of(&event.object)));
        } else if res == *ids::PVCS
            || res == *ids::CONFIGMAPS
            || res == *ids::SECRETS
            || res == *ids::PVS
        {
            // A pod waiting for a volume or a Secret may now start.
            let ns = (!event.namespace.is_empty()).then_some(event.namespace.as_str());
            for p in cx.list(*ids::PODS, ns) {
                if p["spec"]["nodeName"].is_string() && p["status"]["phase"] == "Pending" {
                    out.push(Key::new(meta::namespace_of(&p), meta::name_of(&p)));
                }
            }
        }
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for p in cx.list(*ids::PODS, None) {
            if p["spec"]["nodeName"].is_string() {
                out.push(Key::new(meta::namespace_of(&p), meta::name_of(&p)));
            }
        }
        for p in cx.cluster().runtime().all_pods() {
            out.push(Key::new(&p.namespace, &p.name));
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        let cluster = cx.cluster();
        let runtime = cluster.runtime();
        let pod = cx.get(*ids::PODS, &key.namespace, &key.name);
        let mut existing = runtime.pod(&key.namespace, &key.name);
        let Some(pod) = pod else {
            if let Some(p) = existing {
                teardown(runtime, &p);
            }
            return Requeue::Done;
        };
        if let Some(p) = &existing
            && p.uid != meta::uid_of(&pod)
        {
            teardown(runtime, p);
            existing = None;
        }
        let Some(node) = pod["spec"]["nodeName"].as_str().map(String::from) else {
            return Requeue::Done;
        };
        // No kubelet serves a node that does not exist (or was lost): its pods stay as they are.
        if runtime.node_lost(&node) || cx.get(*ids::NODES, "", &node).is_none() {
            return Requeue::Done;
        }
        if pod["metadata"]["deletionTimestamp"].is_string() {
            return terminate(cx, runtime, &pod, existing.as_ref(), &node);
        }
        let rt = match existing {
            Some(p) => p,
            None => {
                if matches!(
                    pod["status"]["phase"].as_str(),
                    Some("Succeeded" | "Failed")
                ) {
                    return Requeue::Done;
                }
                match admit(cx, runtime, &pod, &node) {
                    Ok(p) => p,
                    Err(requeue) => return requeue,
                }
            }
        };
        sync(cx, runtime, &pod, &rt)
    }
}

/// Set a pod's status (written only when it changed).
fn write_status(cx: &Cx, pod: &Value, status: Value) {
    let uid = meta::uid_of(pod).to_string();
    cx.update(
        *ids::PODS,
        meta::namespace_of(pod),
        meta::name_of(pod),
        |v| {
            if meta::uid_of(v) == uid {
                v["status"] = status;
            }
        },
    );
}

/// A pending pod the kubelet cannot start yet: keep it Pending with a waiting reason.
fn waiting_status(pod: &Value, reason: &str) -> Value {
    let mut st = pod["status"].clone();
    if !st.is_object() {
        st = serde_json::json!({});
    }
    st["phase"] = "Pending".into();
    let statuses: Vec<Value> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            serde_json::json!({
                "name": c["name"], "image": c["image"], "imageID": "", "ready": false,
                "restartCount": 0, "started": false, "lastState": {},
                "state": {"waiting": {"reason": reason}}
            })
        })
        .collect();
    st["containerStatuses"] = statuses.into();
    st
}

/// First contact with a pod bound to this node: limits, volumes, the pod IP, image pulls.
fn admit(cx: &Cx, runtime: &Arc<Runtime>, pod: &Value, node: &str) -> Result<Arc<PodRt>, Requeue> {
    let cluster = cx.cluster();
    let pace = cluster.pace();
    let src = source(node);
    if runtime.running_pods() >= runtime.limits.running_pods {
        cx.event(
            pod,
            EventType::Warning,
            "FailedCreatePodSandBox",
            &format!(
                "this sandbox cluster already runs {} pods, its limit; delete some pods first",
                runtime.limits.running_pods
            ),
            &src,
        );
        return Err(Requeue::After(Duration::from_secs(2)));
    }
    if let Err(msg) = start::prepare_volumes(cluster, &runtime.layout, pod, node) {
        cx.event(pod, EventType::Warning, "FailedMount", &msg, &src);
        write_status(cx, pod, waiting_status(pod, "ContainerCreating"));
        return Err(Requeue::After(
            pace.delay(RETRY).max(Duration::from_millis(200)),
        ));
    }
    let now = Instant::now();
    let ip = runtime.allocate_ip(node);
    let host_ip =
        super::nodes::node_spec(node).map_or(std::net::Ipv4Addr::new(172, 18, 0, 9), |n| n.address);
    let mut containers = Vec::new();
    for (field, init) in [("initContainers", true), ("containers", false)] {
        for c in pod["spec"][field].as_array().into_iter().flatten() {
            let image = c["image"].as_str().unwrap_or_default().to_string();
            let name = c["name"].as_str().unwrap_or_default().to_string();
            let always = c["imagePullPolicy"] == "Always";
            let known = start::resolve_image(&image).is_some();
            let present = known && runtime.mark_pulled(node, &image);
            let delay = if present && !always {
                cx.event(
                    pod,
                    EventType::Normal,
                    "Pulled",
                    &format!("Container image \"{image}\" already present on machine"),
                    &src,
                );
                pace.delay(CREATE)
            } else {
                cx.event(
                    pod,
                    EventType::Normal,
                    "Pulling",
                    &format!("Pulling image \"{image}\""),
                    &src,
                );
                pace.delay(PULL)
            };
            let has_init = pod["spec"]["initContainers"]
                .as_array()
                .is_some_and(|a| !a.is_empty());
            let reason = if !init && has_init {
                "PodInitializing"
            } else {
                "ContainerCreating"
            };
            containers.push(ContainerRt {
                name,
                init,
                image,
                restarts: 0,
                state: CState::Waiting {
                    reason: reason.into(),
                    message: None,
                },
                last: None,
                ready: false,
                not_before: now + delay,
                pull_failures: 0,
                pulling: !present || always,
                instance: 0,
                log: Log::default(),
                previous_log: None,
                signals: None,
                output: None,
                stdin: None,
                exec_env: None,
                probe: probes::ProbeState::default(),
            });
        }
    }
    if runtime.take_rebooted(meta::uid_of(pod)) {
        after_reboot(pod, &mut containers);
        cx.event(
            pod,
            EventType::Normal,
            "SandboxChanged",
            "Pod sandbox changed, it will be killed and re-created.",
            &src,
        );
    }
    let rt = Arc::new(PodRt {
        uid: meta::uid_of(pod).to_string(),
        namespace: meta::namespace_of(pod).to_string(),
        name: meta::name_of(pod).to_string(),
        node: node.to_string(),
        ip,
        host_ip,
        started: chrono::Utc::now(),
        containers: Mutex::new(containers),
        listeners: Mutex::new(Default::default()),
        terminating_since: Mutex::new(None),
    });
    runtime.insert_pod(rt.clone());
    Ok(rt)
}

/// A pod that ran before its node rebooted (the cluster was reloaded): each app container
/// that had started counts one more restart, with the instance that died in the reboot as
/// its last state (exit code 255, reason Unknown, as the real kubelet reports it).
fn after_reboot(pod: &Value, containers: &mut [ContainerRt]) {
    let statuses = pod["status"]["containerStatuses"].as_array();
    for c in containers.iter_mut().filter(|c| !c.init) {
        let Some(st) = statuses.and_then(|s| s.iter().find(|s| s["name"] == c.name.as_str()))
        else {
            continue;
        };
        let started = st["state"]["running"]["startedAt"]
            .as_str()
            .or_else(|| st["state"]["terminated"]["startedAt"].as_str())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc));
        let restarts = u32::try_from(st["restartCount"].as_u64().unwrap_or(0)).unwrap_or(0);
        let Some(started) = started else {
            continue;
        };
        c.restarts = restarts + 1;
        c.instance = restarts + 1;
        c.last = Some(Terminated {
            exit_code: 255,
            reason: "Unknown".into(),
            message: None,
            started,
            finished: chrono::Utc::now(),
        });
    }
}

/// Drive every container one step and publish the pod status.
fn sync(cx: &Cx, runtime: &Arc<Runtime>, pod: &Value, rt: &Arc<PodRt>) -> Requeue {
    let now = Instant::now();
    let src = source(&rt.node);
    let policy = pod["spec"]["restartPolicy"]
        .as_str()
        .unwrap_or("Always")
        .to_string();
    let mut out = Progress::default();
    let p = PodCx {
        cx,
        runtime,
        pod,
        rt,
    };
    let status = {
        let mut cs = rt.containers.lock();
        let count = cs.len();
        for i in 0..count {
            let init = cs[i].init;
            // Init containers run one at a time, in order, before any app container.
            if !init && !cs.iter().filter(|c| c.init).all(done_ok) {
                break;
            }
            if init && done_ok(&cs[i]) {
                continue;
            }
            let spec = container_spec(pod, &cs[i].name, init);
            step(p, &mut cs[i], &spec, &policy, now, &mut out);
            if init && !done_ok(&cs[i]) {
                break;
            }
        }
        pod_status::build(pod, rt, &cs)
    };
    for (ty, reason, msg) in out.events {
        cx.event(pod, ty, reason, &msg, &src);
    }
    write_status(cx, pod, status);
    match out.next {
        Some(d) => Requeue::After(d.max(Duration::from_millis(1))),
        None => Requeue::Done,
    }
}

fn done_ok(c: &ContainerRt) -> bool {
    matches!(&c.state, CState::Terminated(t) if t.exit_code == 0)
}

fn container_spec(pod: &Value, name: &str, init: bool) -> Value {
    let field = if init { "initContainers" } else { "containers" };
    pod["spec"][field]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

type Events = Vec<(EventType, &'static str, String)>;

/// The pod a kubelet step works on.
#[derive(Clone, Copy)]
struct PodCx<'a> {
    cx: &'a Cx,
    runtime: &'a Arc<Runtime>,
    pod: &'a Value,
    rt: &'a Arc<PodRt>,
}

/// What a sync round produced: Events to record, and when to look again.
#[derive(Default)]
struct Progress {
    events: Events,
    next: Option<Duration>,
}

impl Progress {
    fn soonest(&mut self, d: Duration) {
        self.next = Some(self.next.map_or(d, |n| n.min(d)));
    }
}

/// One step of one container.
fn step(
    p: PodCx,
    c: &mut ContainerRt,
    spec: &Value,
    policy: &str,
    now: Instant,
    out: &mut Progress,
) {
    let PodCx {
        cx, runtime, rt, ..
    } = p;
    let pace = cx.cluster().pace();
    match c.state.clone() {
        CState::Waiting { .. } if now < c.not_before => out.soonest(c.not_before - now),
        CState::Waiting { .. } => start_instance(p, c, spec, out),
        CState::Running { started } => {
            let running_for = (chrono::Utc::now() - started).to_std().unwrap_or_default();
            let exec = c.exec_env.clone();
            let probe_state = c.probe.clone();
            let target = probes::Target {
                runtime,
                pace,
                pod: rt,
                spec,
                state: &probe_state,
                exec: exec.as_ref(),
                running_for,
            };
            let liveness = probes::tick(target, Kind::Liveness);
            if let Some(d) = liveness {
                out.soonest(d);
                let l = c.probe.liveness.lock().clone();
                if !l.passing && l.failures > 0 && l.failures >= threshold(spec, Kind::Liveness) {
                    out.events.push((
                        EventType::Normal,
                        "Killing",
                        format!(
                            "Container {} failed liveness probe, will be restarted",
                            c.name
                        ),
                    ));
                    if let Some(s) = &c.signals {
                        let _ = s.send(Signal::Kill);
                    }
                    c.probe.liveness.lock().failures = 0;
                }
            }
            match probes::tick(target, Kind::Readiness) {
                Some(d) => {
                    out.soonest(d);
                    let r = c.probe.readiness.lock().clone();
                    if !r.passing
                        && r.failures > 0
                        && let Some(m) = &r.last_message
                    {
                        out.events.push((
                            EventType::Warning,
                            "Unhealthy",
                            format!("Readiness probe failed: {m}"),
                        ));
                    }
                    c.ready = r.passing;
                }
                None => c.ready = !c.init,
            }
        }
        CState::Terminated(t) => {
            let restart = match policy {
                "Always" => true,
                "OnFailure" => t.exit_code != 0,
                _ => false,
            } && !(c.init && t.exit_code == 0);
            if !restart {
                return;
            }
            c.last = Some(t);
            c.restarts += 1;
            let old_layer = runtime
                .layout
                .container_layer(&rt.node, &rt.uid, &c.name, c.instance);
            c.instance += 1;
            c.previous_log = Some(std::mem::take(&mut c.log));
            // The previous instance's writable layer goes with it, like a replaced container.
            let _ = std::fs::remove_dir_all(old_layer);
            let backoff = if c.restarts <= 1 {
                Duration::ZERO
            } else {
                pace.crash_backoff(c.restarts - 1)
            };
            if backoff.is_zero() {
                start_instance(p, c, spec, out);
            } else {
                let secs = pace.crash_backoff(c.restarts - 1).as_secs().max(10);
                let pod_ref = format!("{}_{}({})", rt.name, rt.namespace, rt.uid);
                c.state = CState::Waiting {
                    reason: "CrashLoopBackOff".into(),
                    message: Some(format!(
                        "back-off {} restarting failed container={} pod={pod_ref}",
                        human_secs(secs),
                        c.name
                    )),
                };
                out.events.push((
                    EventType::Warning,
                    "BackOff",
                    format!(
                        "Back-off restarting failed container {} in pod {pod_ref}",
                        c.name
                    ),
                ));
                c.not_before = now + backoff;
                out.soonest(backoff);
            }
        }
    }
}

fn threshold(spec: &Value, kind: Kind) -> u32 {
    u32::try_from(spec[kind.field()]["failureThreshold"].as_u64().unwrap_or(3)).unwrap_or(3)
}

fn human_secs(s: u64) -> String {
    if s >= 60 && s.is_multiple_of(60) {
        format!("{}m0s", s / 60)
    } else if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// Pull (or fail to pull) the image and start a new instance of the container.
fn start_instance(p: PodCx, c: &mut ContainerRt, spec: &Value, out: &mut Progress) {
    let PodCx {
        cx,
        runtime,
        pod,
        rt,
    } = p;
    let cluster = cx.cluster();
    let pace = cluster.pace();
    let now = Instant::now();
    let retry = pace.delay(RETRY).max(Duration::from_millis(200));
    let Some(kind) = start::resolve_image(&c.image) else {
        c.pull_failures += 1;
        let image = c.image.clone();
        if c.pull_failures == 1 {
            let reference = pod_status_reference(&image);
            out.events.push((
                EventType::Warning,
                "Failed",
                format!(
                    "Failed to pull image \"{image}\": failed to pull and unpack image \"{reference}\": failed to resolve reference \"{reference}\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
                ),
            ));
            out.events
                .push((EventType::Warning, "Failed", "Error: ErrImagePull".into()));
            c.state = CState::Waiting {
                reason: "ErrImagePull".into(),
                message: Some(format!("failed to pull and unpack image \"{reference}\"")),
            };
        } else {
            out.events.push((
                EventType::Normal,
                "BackOff",
                format!("Back-off pulling image \"{image}\""),
            ));
            out.events.push((
                EventType::Warning,
                "Failed",
                "Error: ImagePullBackOff".into(),
            ));
            c.state = CState::Waiting {
                reason: "ImagePullBackOff".into(),
                message: Some(format!("Back-off pulling image \"{image}\"")),
            };
        }
        let backoff = pace.crash_backoff(c.pull_failures);
        c.not_before = now + backoff;
        out.soonest(backoff);
        return;
    };
    if c.pulling || c.pull_failures > 0 {
        out.events.push((
            EventType::Normal,
            "Pulled",
            format!(
                "Successfully pulled image \"{}\" in 3.012s (3.012s including waiting). Image size: 58716843 bytes.",
                c.image
            ),
        ));
        c.pulling = false;
        c.pull_failures = 0;
    }
    let hostname = start::hostname(pod);
    let env = match super::env::build(
        cluster,
        pod,
        spec,
        &rt.ip.to_string(),
        &rt.host_ip.to_string(),
        &hostname,
    ) {
        Ok(e) => e,
        Err(e) => {
            c.state = CState::Waiting {
                reason: "CreateContainerConfigError".into(),
                message: Some(e.0.clone()),
            };
            out.events
                .push((EventType::Warning, "Failed", format!("Error: {}", e.0)));
            c.not_before = now + retry;
            out.soonest(retry);
            return;
        }
    };
    let volumes = match start::prepare_volumes(cluster, &runtime.layout, pod, &rt.node) {
        Ok(v) => v,
        Err(msg) => {
            out.events.push((EventType::Warning, "FailedMount", msg));
            c.not_before = now + retry;
            out.soonest(retry);
            return;
        }
    };
    // System images (distroless components) get no files; nothing can exec into them anyway.
    let prepared = match kind {
        ImageKind::System => Ok(kubedojo_images::ContainerFs::new(
            runtime
                .layout
                .container_layer(&rt.node, &rt.uid, &c.name, c.instance),
            Vec::new(),
        )),
        ImageKind::App(image) => start::app_fs(runtime, image, pod, rt, spec, c.instance, &volumes),
    };
    let fs = match prepared {
        Ok(fs) => Arc::new(fs),
        Err(msg) => {
            c.state = CState::Waiting {
                reason: "CreateContainerError".into(),
                message: Some(msg.clone()),
            };
            out.events
                .push((EventType::Warning, "Failed", format!("Error: {msg}")));
            c.not_before = now + retry;
            out.soonest(retry);
            return;
        }
    };
    let exec = ExecEnv {
        image: kind,
        fs,
        env,
        hostname,
        workdir: spec["workingDir"].as_str().unwrap_or("/").to_string(),
        net: runtime.network_for(cluster, rt),
    };
    out.events.push((
        EventType::Normal,
        "Created",
        format!("Created container: {}", c.name),
    ));
    match start::launch(runtime, rt, c, kind, spec, exec) {
        Ok(()) => {
            out.events.push((
                EventType::Normal,
                "Started",
                format!("Started container {}", c.name),
            ));
            if !spec["readinessProbe"].is_object() && !c.init {
                c.ready = true;
            }
        }
        Err(t) => {
            out.events.push((
                EventType::Warning,
                "Failed",
                format!("Error: {}", t.message.clone().unwrap_or_default()),
            ));
            c.state = CState::Terminated(t);
            // Decide about the restart on the next round (the exit is already known).
            out.soonest(Duration::from_millis(1));
        }
    }
}

/// The reference containerd resolves (`docker.io/library/foo:latest`).
fn pod_status_reference(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or_default();
    let tagged = if last.contains(':') || last.contains('@') {
        image.to_string()
    } else {
        format!("{image}:latest")
    };
    if tagged.contains('/') {
        let first = tagged.split('/').next().unwrap_or_default();
        if first.contains('.') {
            tagged
        } else {
            format!("docker.io/{tagged}")
        }
    } else {
        format!("docker.io/library/{tagged}")
    }
}

/// A pod being deleted: SIGTERM, wait for the grace period, SIGKILL, then remove it.
fn terminate(
    cx: &Cx,
    runtime: &Arc<Runtime>,
    pod: &Value,
    rt: Option<&Arc<PodRt>>,
    node: &str,
) -> Requeue {
    let cluster = cx.cluster();
    let Some(rt) = rt else {
        remove_pod_object(cluster, pod);
        return Requeue::Done;
    };
    let grace = Duration::from_secs(
        pod["metadata"]["deletionGracePeriodSeconds"]
            .as_u64()
            .unwrap_or(30),
    );
    let grace = cluster.pace().delay(grace);
    let now = Instant::now();
    let since = *rt.terminating_since.lock().get_or_insert(now);
    let mut running = Vec::new();
    {
        let mut cs = rt.containers.lock();
        for c in cs.iter_mut() {
            c.ready = false;
            if matches!(c.state, CState::Running { .. }) {
                running.push(c.name.clone());
                if since == now
                    && let Some(s) = &c.signals
                {
                    let _ = s.send(Signal::Term);
                }
            } else if matches!(c.state, CState::Waiting { .. }) {
                c.state = CState::Terminated(Terminated {
                    exit_code: 0,
                    reason: "ContainerStatusUnknown".into(),
                    message: None,
                    started: chrono::Utc::now(),
                    finished: chrono::Utc::now(),
                });
            }
        }
    }
    if since == now {
        for name in &running {
            cx.event(
                pod,
                EventType::Normal,
                "Killing",
                &format!("Stopping container {name}"),
                &source(node),
            );
        }
    }
    if running.is_empty() {
        let status = pod_status::build(pod, rt, &rt.containers.lock());
        write_status(cx, pod, status);
        teardown(runtime, rt);
        remove_pod_object(cluster, pod);
        return Requeue::Done;
    }
    let elapsed = now - since;
    if elapsed >= grace {
        rt.signal_all(Signal::Kill);
        return Requeue::After(Duration::from_millis(20));
    }
    // Ready goes False at once so endpoints drop the pod while it shuts down.
    let status = pod_status::build(pod, rt, &rt.containers.lock());
    write_status(cx, pod, status);
    Requeue::After(grace - elapsed)
}

/// Remove a terminated pod from the API (unless finalizers hold it).
fn remove_pod_object(cluster: &Cluster, pod: &Value) {
    let uid = meta::uid_of(pod).to_string();
    let out = cluster.store().write::<()>(
        *ids::PODS,
        meta::namespace_of(pod),
        meta::name_of(pod),
        |cur| {
            Ok(match cur {
                Some(c) if meta::uid_of(c) == uid => {
                    let held = c["metadata"]["finalizers"]
                        .as_array()
                        .is_some_and(|f| !f.is_empty());
                    if held { Change::Keep } else { Change::Delete }
                }
                _ => Change::Keep,
            })
        },
    );
    if let Ok(Outcome::Deleted(o)) = out {
        crate::gc::after_delete(cluster, def(*ids::PODS), &o);
        crate::admission::quota::refresh_usage(cluster, meta::namespace_of(&o));
    }
}

/// Forget a pod on its node: stop its processes and remove its directories (emptyDir volumes
/// and container layers die with the pod).
pub(crate) fn teardown(runtime: &Runtime, rt: &Arc<PodRt>) {
    teardown_processes(runtime, rt);
    let dir = runtime.layout.pod_dir(&rt.node, &rt.uid);
    let _ = std::fs::remove_dir_all(dir);
}

/// Stop a pod's processes and forget it, leaving its files on the node (a lost node's disk).
pub(crate) fn teardown_processes(runtime: &Runtime, rt: &Arc<PodRt>) {
    rt.signal_all(Signal::Kill);
    if let Some(current) = runtime.pod(&rt.namespace, &rt.name)
        && Arc::ptr_eq(&current, rt)
    {
        runtime.remove_pod(&rt.namespace, &rt.name);
    }
    for c in rt.containers.lock().iter() {
        c.log.close();
    }
}

/// Removes the data of provisioned PVs once the PV object is gone (reclaimPolicy Delete).
pub(crate) struct VolumeReclaimer;

impl Controller for VolumeReclaimer {
    fn name(&self) -> &'static str {
        "local-path-provisioner"
    }

    fn keys_for(&self, _cx: &Cx, event: &Event, out: &mut Vec<Key>) {
        if event.resource == *ids::PVS && event.kind == crate::store::EventType::Deleted {
            out.push(Key::new("", meta::name_of(&event.object)));
        }
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        let dir = cx.cluster().runtime().layout.root().join("pvs");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            if let Some(name) = e.file_name().to_str() {
                out.push(Key::new("", name));
            }
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        if cx.get(*ids::PVS, "", &key.name).is_none() {
            let dir = cx.cluster().runtime().layout.provisioned_pv(&key.name);
            let _ = std::fs::remove_dir_all(dir);
        }
        Requeue::Done
    }
}
