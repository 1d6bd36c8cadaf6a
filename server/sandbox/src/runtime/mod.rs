//! The node side of a cluster: nodes, the scheduler, and one simulated kubelet per node that
//! runs pods' containers as processes of the simulated images (`kubedojo-images`), with their
//! files in real directories (see [`volumes`]) and their network through cluster DNS and
//! Services (see [`network`]).
//!
//! State that is not in API objects — running processes, listeners, logs, pod IPs in use —
//! lives here, per cluster. API objects stay the truth for everything a client can see: the
//! kubelet writes pod status, Events and node conditions through the store like any controller.

pub mod dns;
mod env;
mod kubelet;
pub mod logs;
pub mod network;
mod node_ops;
pub mod nodes;
mod pod_status;
mod probes;
mod scheduler;
mod start;
mod streams_backend;
pub(crate) mod system_pods;
pub mod volumes;

pub use node_ops::{NodeError, POWER_ANNOTATION};
pub(crate) use streams_backend::RuntimeStreams;

use crate::controllers::{Controller, Manager};
use chrono::{DateTime, Utc};
use kubedojo_images::{ListenError, ListenGuard, Listener, Signal};
use logs::Log;
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Weak};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Per-cluster limits, so no cluster can exhaust the host.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes all of a cluster's volumes and container layers may hold.
    pub data_bytes: u64,
    /// Concurrent `kubectl exec`/`attach` sessions.
    pub exec_sessions: usize,
    /// Pods the kubelets will run at once.
    pub running_pods: usize,
    /// API objects a cluster may hold (Events included).
    pub objects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            data_bytes: 256 * 1024 * 1024,
            exec_sessions: 16,
            running_pods: 150,
            objects: 20_000,
        }
    }
}

/// Node-side state of one cluster.
pub struct Runtime {
    pub(crate) layout: volumes::Layout,
    pub(crate) limits: Limits,
    pods: Mutex<HashMap<(String, String), Arc<PodRt>>>,
    nodes: Mutex<HashMap<String, NodeRt>>,
    pub(crate) exec_sessions: std::sync::atomic::AtomicUsize,
    /// Bytes the cluster's containers may still write (shared by every container's files).
    pub(crate) quota: Arc<kubedojo_images::Quota>,
    /// The cluster has finished booting (system pods running).
    pub(crate) booted: std::sync::atomic::AtomicBool,
    /// Pods (by uid) that ran on their node before the cluster was reloaded: the kubelet
    /// starts them again as after a node reboot (new container instances, restart counted).
    rebooted: Mutex<HashSet<String>>,
    wake: Manager,
}

#[derive(Default)]
struct NodeRt {
    lost: bool,
    /// Images already pulled on this node (later pulls say "already present on machine").
    pulled: HashSet<String>,
    /// Last host octet handed out in the node's pod CIDR (each new pod gets a new IP).
    last_ip: u8,
}

impl Runtime {
    pub(crate) fn new(layout: volumes::Layout, limits: Limits, wake: Manager) -> Self {
        Runtime {
            layout,
            limits,
            pods: Mutex::new(HashMap::new()),
            nodes: Mutex::new(HashMap::new()),
            exec_sessions: std::sync::atomic::AtomicUsize::new(0),
            quota: kubedojo_images::Quota::new(limits.data_bytes),
            booted: std::sync::atomic::AtomicBool::new(false),
            rebooted: Mutex::new(HashSet::new()),
            wake,
        }
    }

    /// The controllers of the node side, in the order they run.
    pub(crate) fn controllers() -> Vec<Box<dyn Controller>> {
        vec![
            Box::new(scheduler::Scheduler),
            Box::new(kubelet::Kubelet),
            Box::new(kubelet::VolumeReclaimer),
            Box::new(node_ops::NodeLifecycle),
        ]
    }

    /// A pod's runtime state.
    pub(crate) fn pod(&self, ns: &str, name: &str) -> Option<Arc<PodRt>> {
        self.pods
            .lock()
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    fn pod_by_ip(&self, ip: Ipv4Addr) -> Option<Arc<PodRt>> {
        self.pods.lock().values().find(|p| p.ip == ip).cloned()
    }

    fn running_pods(&self) -> usize {
        self.pods.lock().len()
    }

    /// Whether `node` has been lost (its kubelet no longer reports).
    pub(crate) fn node_lost(&self, node: &str) -> bool {
        self.nodes.lock().get(node).is_some_and(|n| n.lost)
    }

    pub(crate) fn set_node_lost(&self, node: &str, lost: bool) {
        self.nodes.lock().entry(node.to_string()).or_default().lost = lost;
    }

    /// A new pod IP on `node` (never the address of a pod that still exists).
    fn allocate_ip(&self, node: &str) -> Ipv4Addr {
        let index = nodes::node_spec(node).map_or(9, |n| n.cidr_index);
        let in_use: HashSet<Ipv4Addr> = self.pods.lock().values().map(|p| p.ip).collect();
        let mut nodes = self.nodes.lock();
        let n = nodes.entry(node.to_string()).or_default();
        for _ in 0..253 {
            n.last_ip = if n.last_ip >= 254 {
                2
            } else {
                n.last_ip.max(1) + 1
            };
            let ip = Ipv4Addr::new(10, 244, index, n.last_ip);
            if !in_use.contains(&ip) {
                return ip;
            }
        }
        Ipv4Addr::new(10, 244, index, 254)
    }

    /// Record that `node` has `image` (returns whether it was there already).
    fn mark_pulled(&self, node: &str, image: &str) -> bool {
        !self
            .nodes
            .lock()
            .entry(node.to_string())
            .or_default()
            .pulled
            .insert(image.to_string())
    }

    fn insert_pod(&self, pod: Arc<PodRt>) {
        self.pods
            .lock()
            .insert((pod.namespace.clone(), pod.name.clone()), pod);
    }

    fn remove_pod(&self, ns: &str, name: &str) -> Option<Arc<PodRt>> {
        self.pods.lock().remove(&(ns.to_string(), name.to_string()))
    }

    /// Every pod the kubelets know, for shutdown and node loss.
    fn all_pods(&self) -> Vec<Arc<PodRt>> {
        self.pods.lock().values().cloned().collect()
    }

    /// Whether `uid` ran before a reload (asked once: the kubelet's first admission takes it).
    fn take_rebooted(&self, uid: &str) -> bool {
        self.rebooted.lock().remove(uid)
    }

    /// Stop every process (the cluster is being removed).
    pub(crate) fn shutdown(&self) {
        for pod in self.all_pods() {
            pod.signal_all(Signal::Kill);
        }
        self.pods.lock().clear();
    }
}

/// How a container instance ended.
#[derive(Debug, Clone)]
pub(crate) struct Terminated {
    pub exit_code: i32,
    pub reason: String,
    pub message: Option<String>,
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
}

/// What a container is doing.
#[derive(Debug, Clone)]
pub(crate) enum CState {
    Waiting {
        reason: String,
        message: Option<String>,
    },
    Running {
        started: DateTime<Utc>,
    },
    Terminated(Terminated),
}

/// One container of a pod on its node.
pub(crate) struct ContainerRt {
    pub name: String,
    pub init: bool,
    pub image: String,
    pub restarts: u32,
    pub state: CState,
    pub last: Option<Terminated>,
    pub ready: bool,
    /// When the kubelet may take the next step (pull done, back-off over).
    pub not_before: Instant,
    /// Image pull failures so far (for ImagePullBackOff).
    pub pull_failures: u32,
    /// A pull was announced ("Pulling image") and its "Pulled" Event is still due.
    pub pulling: bool,
    /// The current instance's number (its writable layer's name).
    pub instance: u32,
    pub log: Log,
    pub previous_log: Option<Log>,
    /// Signals for the running instance's process.
    pub signals: Option<mpsc::UnboundedSender<Signal>>,
    /// Raw output of the running instance, for `attach`.
    pub output: Option<tokio::sync::broadcast::Sender<bytes::Bytes>>,
    /// The running instance's stdin (when the container has `stdin: true`).
    pub stdin: Option<Arc<tokio::sync::Mutex<tokio::io::DuplexStream>>>,
    /// The running instance's files and environment, for exec.
    pub exec_env: Option<start::ExecEnv>,
    /// Readiness probe bookkeeping.
    pub probe: probes::ProbeState,
}

/// A pod on its node.
pub(crate) struct PodRt {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub node: String,
    pub ip: Ipv4Addr,
    pub host_ip: Ipv4Addr,
    pub started: DateTime<Utc>,
    pub containers: Mutex<Vec<ContainerRt>>,
    listeners: Mutex<HashMap<u16, Listener>>,
    /// When graceful termination began (the kubelet sent SIGTERM).
    pub terminating_since: Mutex<Option<Instant>>,
}

impl PodRt {
    fn listener(&self, port: u16) -> Option<Listener> {
        self.listeners.lock().get(&port).cloned()
    }

    fn listen(self: &Arc<Self>, port: u16, listener: Listener) -> Result<ListenGuard, ListenError> {
        let mut l = self.listeners.lock();
        if l.contains_key(&port) {
            return Err(ListenError);
        }
        l.insert(port, listener);
        Ok(ListenGuard(Box::new(PortGuard {
            pod: Arc::downgrade(self),
            port,
        })))
    }

    /// Whether something listens on `port` (tcpSocket probes).
    pub(crate) fn listens_on(&self, port: u16) -> bool {
        self.listeners.lock().contains_key(&port)
    }

    /// The listener on `port`, for probes and exec-side tools.
    pub(crate) fn listener_on(&self, port: u16) -> Option<Listener> {
        self.listener(port)
    }

    fn signal_all(&self, sig: Signal) {
        for c in self.containers.lock().iter() {
            if let Some(s) = &c.signals {
                let _ = s.send(sig);
            }
        }
    }
}

/// Closes a port when the process that listens on it drops the guard.
struct PortGuard {
    pod: Weak<PodRt>,
    port: u16,
}

impl Drop for PortGuard {
    fn drop(&mut self) {
        if let Some(pod) = self.pod.upgrade() {
            pod.listeners.lock().remove(&self.port);
        }
    }
}

/// Prepare the node side of a reloaded cluster, as every node would find itself after a
/// reboot: powered-off nodes stay lost, pods bound to a node are marked to be started again
/// (their old containers and writable layers are gone, their pod volumes and PVs are not),
/// directories of pods that no longer exist are removed, and the files already on disk count
/// against the cluster's byte limit.
pub(crate) fn reboot(cluster: &crate::cluster::Cluster) {
    use crate::admission::meta;
    use crate::registry::ids;
    let store = cluster.store();
    let runtime = cluster.runtime();
    for node in store.list(*ids::NODES, None).0 {
        if node["metadata"]["annotations"][POWER_ANNOTATION] == "off" {
            runtime.set_node_lost(meta::name_of(&node), true);
        }
    }
    let mut live = HashSet::new();
    for pod in store.list(*ids::PODS, None).0 {
        let uid = meta::uid_of(&pod).to_string();
        let Some(node) = pod["spec"]["nodeName"].as_str() else {
            continue;
        };
        let _ = std::fs::remove_dir_all(runtime.layout.pod_dir(node, &uid).join("containers"));
        if !matches!(
            pod["status"]["phase"].as_str(),
            Some("Succeeded" | "Failed")
        ) {
            runtime.rebooted.lock().insert(uid.clone());
        }
        live.insert(uid);
    }
    let nodes_dir = runtime.layout.root().join("nodes");
    for node in std::fs::read_dir(&nodes_dir)
        .into_iter()
        .flatten()
        .flatten()
    {
        for pod_dir in std::fs::read_dir(node.path().join("pods"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let uid = pod_dir.file_name().to_string_lossy().into_owned();
            if !live.contains(&uid) {
                let _ = std::fs::remove_dir_all(pod_dir.path());
            }
        }
    }
    let used =
        volumes::disk_usage(&nodes_dir) + volumes::disk_usage(&runtime.layout.root().join("pvs"));
    let _ = runtime.quota.charge(used.min(runtime.quota.remaining()));
}
