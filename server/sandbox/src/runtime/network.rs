//! The cluster network as a pod sees it: DNS through [`super::dns`], pod IPs, ClusterIPs that
//! pick a random ready endpoint (like kube-proxy), and the pod's own ports on 127.0.0.1.

use super::{PodRt, Runtime};
use crate::cluster::{Cluster, ClusterState};
use crate::registry::ids;
use kubedojo_images::{ConnectError, DnsError, ListenError, ListenGuard, Listener, Lookup, Network};
use serde_json::Value;
use std::net::Ipv4Addr;
use std::sync::{Arc, Weak};

/// The network seen from one pod.
pub struct PodNetwork {
    pub(super) cluster: Weak<ClusterState>,
    pub(super) pod: Weak<PodRt>,
    pub(super) namespace: String,
}

impl PodNetwork {
    fn cluster(&self) -> Option<Cluster> {
        self.cluster.upgrade().map(|state| Cluster { state })
    }
}

impl Network for PodNetwork {
    fn dns_server(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 96, 0, 10)
    }

    fn lookup(&self, name: &str) -> Result<Lookup, DnsError> {
        let cluster = self.cluster().ok_or(DnsError::NxDomain)?;
        super::dns::lookup(&cluster, &self.namespace, name)
    }

    fn connect(&self, ip: Ipv4Addr, port: u16) -> Result<Listener, ConnectError> {
        let cluster = self.cluster().ok_or(ConnectError::TimedOut)?;
        let me = self.pod.upgrade();
        if ip.is_loopback() || me.as_ref().is_some_and(|p| p.ip == ip) {
            return me
                .and_then(|p| p.listener(port))
                .ok_or(ConnectError::Refused);
        }
        connect(&cluster, ip, port)
    }

    fn listen(&self, port: u16, listener: Listener) -> Result<ListenGuard, ListenError> {
        let pod = self.pod.upgrade().ok_or(ListenError)?;
        pod.listen(port, listener)
    }
}

/// Connect to a pod IP or a ClusterIP from anywhere in the cluster.
///
/// # Errors
/// Refused when nothing listens (or a Service has no ready endpoints, like kube-proxy's reject
/// rule); TimedOut for addresses nothing answers for.
pub fn connect(cluster: &Cluster, ip: Ipv4Addr, port: u16) -> Result<Listener, ConnectError> {
    let runtime = &cluster.state.runtime;
    if let Some(pod) = runtime.pod_by_ip(ip) {
        return pod.listener(port).ok_or(ConnectError::Refused);
    }
    let (services, _) = cluster.store().list(*ids::SERVICES, None);
    let Some(svc) = services
        .iter()
        .find(|s| s["spec"]["clusterIP"].as_str() == Some(&ip.to_string()))
    else {
        return Err(ConnectError::TimedOut);
    };
    let Some(svc_port) = svc["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["port"].as_u64() == Some(u64::from(port)))
    else {
        return Err(ConnectError::TimedOut);
    };
    let ns = svc["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = svc["metadata"]["name"].as_str().unwrap_or_default();
    let backends = ready_backends(cluster, ns, name, svc_port);
    if backends.is_empty() {
        return Err(ConnectError::Refused);
    }
    let pick = backends[rand::random_range(0..backends.len())];
    match runtime.pod_by_ip(pick.0) {
        Some(pod) => pod.listener(pick.1).ok_or(ConnectError::Refused),
        None => Err(ConnectError::Refused),
    }
}

/// (pod IP, target port) of every ready endpoint of a Service port.
fn ready_backends(cluster: &Cluster, ns: &str, svc: &str, svc_port: &Value) -> Vec<(Ipv4Addr, u16)> {
    let Some(ep) = cluster.store().get(*ids::ENDPOINTS, ns, svc) else {
        return Vec::new();
    };
    let port_name = svc_port["name"].as_str().unwrap_or_default();
    let mut out = Vec::new();
    for subset in ep["subsets"].as_array().into_iter().flatten() {
        let ports: Vec<&Value> = subset["ports"].as_array().into_iter().flatten().collect();
        let target = ports
            .iter()
            .find(|p| p["name"].as_str().unwrap_or_default() == port_name)
            .or_else(|| if ports.len() == 1 { ports.first() } else { None })
            .and_then(|p| p["port"].as_u64())
            .and_then(|p| u16::try_from(p).ok());
        let Some(target) = target else { continue };
        for a in subset["addresses"].as_array().into_iter().flatten() {
            if let Some(ip) = a["ip"].as_str().and_then(|s| s.parse().ok()) {
                out.push((ip, target));
            }
        }
    }
    out
}

impl Runtime {
    /// The network a pod sees.
    pub(super) fn network_for(
        self: &Arc<Self>,
        cluster: &Cluster,
        pod: &Arc<PodRt>,
    ) -> Arc<PodNetwork> {
        Arc::new(PodNetwork {
            cluster: Arc::downgrade(&cluster.state),
            pod: Arc::downgrade(pod),
            namespace: pod.namespace.clone(),
        })
    }
}

/// Ask an HTTP listener for `path` (httpGet probes): success below status 400.
pub(crate) fn http_probe(listener: &Listener, path: &str) -> (bool, Option<String>) {
    match listener {
        Listener::Http(server) => {
            let resp = server.get(&kubedojo_images::http::HttpRequest::get(
                path,
                "localhost",
                "kube-probe/1.32",
                "10.244.0.1",
            ));
            if resp.status < 400 {
                (true, None)
            } else {
                (false, Some(format!("HTTP probe failed with statuscode: {}", resp.status)))
            }
        }
        // Not an HTTP server: the connection succeeds but the response is garbage.
        Listener::Mysql(_) => (false, Some("net/http: HTTP/1.x transport connection broken: malformed HTTP response".into())),
    }
}
