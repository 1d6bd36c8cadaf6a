//! Readiness and liveness probes: exec (a program in the container), tcpSocket (something
//! listens on the port), httpGet (a server answers below 400). Results count against
//! successThreshold/failureThreshold like the kubelet's prober.

use super::start::{ExecEnv, ImageKind};
use super::{PodRt, Runtime};
use crate::pace::Pace;
use kubedojo_images::{ProcessSpec, Stdio};
use parking_lot::Mutex;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Which probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Readiness,
    Liveness,
}

impl Kind {
    pub fn field(self) -> &'static str {
        match self {
            Kind::Readiness => "readinessProbe",
            Kind::Liveness => "livenessProbe",
        }
    }
}

/// Counters of one probe of one container instance.
#[derive(Debug, Default, Clone)]
pub(crate) struct Counters {
    pub next_at: Option<Instant>,
    pub successes: u32,
    pub failures: u32,
    /// The last verdict after thresholds (ready / alive).
    pub passing: bool,
    pub last_message: Option<String>,
}

/// Probe bookkeeping of one container instance (results land here from probe tasks).
#[derive(Debug, Default, Clone)]
pub(crate) struct ProbeState {
    pub readiness: Arc<Mutex<Counters>>,
    pub liveness: Arc<Mutex<Counters>>,
}

impl ProbeState {
    pub fn counters(&self, kind: Kind) -> &Arc<Mutex<Counters>> {
        match kind {
            Kind::Readiness => &self.readiness,
            Kind::Liveness => &self.liveness,
        }
    }
}

fn secs(probe: &Value, field: &str, default: u64) -> u64 {
    probe[field].as_u64().unwrap_or(default)
}

/// Run `kind` for a running container if it is due. Returns how long until it is due again
/// (None when the container has no such probe).
pub(crate) fn tick(
    runtime: &Arc<Runtime>,
    pace: Pace,
    pod: &Arc<PodRt>,
    spec: &Value,
    state: &ProbeState,
    exec: Option<&ExecEnv>,
    running_for: Duration,
    kind: Kind,
) -> Option<Duration> {
    let probe = &spec[kind.field()];
    if !probe.is_object() {
        return None;
    }
    let initial = pace.delay(Duration::from_secs(secs(probe, "initialDelaySeconds", 0)));
    if running_for < initial {
        return Some(initial - running_for);
    }
    let period = pace.probe_period(secs(probe, "periodSeconds", 10));
    let now = Instant::now();
    let counters = state.counters(kind).clone();
    {
        let mut c = counters.lock();
        if c.next_at.is_some_and(|at| at > now) {
            return c.next_at.map(|at| at - now);
        }
        c.next_at = Some(now + period);
    }
    let success_threshold = u32::try_from(secs(probe, "successThreshold", 1)).unwrap_or(1);
    let failure_threshold = u32::try_from(secs(probe, "failureThreshold", 3)).unwrap_or(3);
    let record = move |counters: &Mutex<Counters>, ok: bool, msg: Option<String>| {
        let mut c = counters.lock();
        if ok {
            c.successes += 1;
            c.failures = 0;
            if c.successes >= success_threshold {
                c.passing = true;
            }
        } else {
            c.failures += 1;
            c.successes = 0;
            if c.failures >= failure_threshold {
                c.passing = false;
            }
            c.last_message = msg;
        }
    };
    if let Some(port) = port_of(spec, &probe["tcpSocket"]["port"]) {
        let ok = pod.listens_on(port);
        let msg = (!ok).then(|| format!("dial tcp {}:{port}: connect: connection refused", pod.ip));
        record(&counters, ok, msg);
    } else if let Some(port) = port_of(spec, &probe["httpGet"]["port"]) {
        let path = probe["httpGet"]["path"].as_str().unwrap_or("/");
        let (ok, msg) = match pod.listener_on(port) {
            Some(listener) => super::network::http_probe(&listener, path),
            None => (
                false,
                Some(format!(
                    "Get \"http://{}:{port}{path}\": dial tcp {}:{port}: connect: connection refused",
                    pod.ip, pod.ip
                )),
            ),
        };
        record(&counters, ok, msg);
    } else if let Some(cmd) = probe["exec"]["command"].as_array() {
        let argv: Vec<String> = cmd.iter().filter_map(|s| s.as_str().map(String::from)).collect();
        let timeout = Duration::from_secs(secs(probe, "timeoutSeconds", 1).max(1));
        match exec {
            Some(env) => spawn_exec_probe(runtime, env.clone(), argv, timeout, counters, record),
            None => record(&counters, false, Some("container is not running".into())),
        }
    }
    Some(period)
}

fn spawn_exec_probe(
    runtime: &Arc<Runtime>,
    env: ExecEnv,
    argv: Vec<String>,
    timeout: Duration,
    counters: Arc<Mutex<Counters>>,
    record: impl Fn(&Mutex<Counters>, bool, Option<String>) + Send + 'static,
) {
    let ImageKind::App(image) = env.image else {
        record(&counters, true, None);
        return;
    };
    let spawned = kubedojo_images::spawn(
        ProcessSpec {
            image,
            argv: argv.clone(),
            env: env.env.clone(),
            workdir: env.workdir.clone(),
            hostname: env.hostname.clone(),
            fs: env.fs.clone(),
            net: env.net.clone(),
            tty: false,
        },
        Stdio {
            stdin: None,
            stdout: Box::new(tokio::io::sink()),
            stderr: Box::new(tokio::io::sink()),
        },
    );
    let mut process = match spawned {
        Ok(p) => p,
        Err(e) => {
            record(&counters, false, Some(e.to_string()));
            return;
        }
    };
    let wake = runtime.wake.clone();
    tokio::spawn(async move {
        match tokio::time::timeout(timeout, process.wait()).await {
            Ok(status) if status.0 == 0 => record(&counters, true, None),
            Ok(status) => record(
                &counters,
                false,
                Some(format!("command {argv:?} exited with {}", status.0)),
            ),
            Err(_) => {
                process.signal(kubedojo_images::Signal::Kill);
                record(
                    &counters,
                    false,
                    Some(format!("command timed out: {argv:?} timed out after {timeout:?}")),
                );
            }
        }
        wake.nudge();
    });
}

/// A probe port: a number, or the name of a container port.
fn port_of(container: &Value, port: &Value) -> Option<u16> {
    if let Some(n) = port.as_u64() {
        return u16::try_from(n).ok();
    }
    let name = port.as_str()?;
    if let Ok(n) = name.parse::<u16>() {
        return Some(n);
    }
    container["ports"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["containerPort"].as_u64())
        .and_then(|n| u16::try_from(n).ok())
}
