//! Cluster DNS, answered like CoreDNS's kubernetes plugin from Services and Endpoints:
//! `<svc>.<ns>.svc.cluster.local` → the ClusterIP, or the ready pod IPs of a headless Service;
//! `<hostname>.<svc>.<ns>.svc.cluster.local` → that pod; `a-b-c-d.<ns>.pod.cluster.local` → a-b-c-d.
//! Names are tried with the pod's search path (`<ns>.svc.cluster.local svc.cluster.local
//! cluster.local`, ndots:5) like a pod's resolver does.

use crate::cluster::Cluster;
use crate::registry::ids;
use kubedojo_images::{DnsError, Lookup};
use serde_json::Value;
use std::net::Ipv4Addr;

/// The cluster domain.
pub const DOMAIN: &str = "cluster.local";

/// The search path of a pod in `ns` (what its /etc/resolv.conf says).
pub fn search_path(ns: &str) -> [String; 3] {
    [
        format!("{ns}.svc.{DOMAIN}"),
        format!("svc.{DOMAIN}"),
        DOMAIN.to_string(),
    ]
}

/// Resolve `name` as a resolver in a pod of namespace `ns` would.
///
/// # Errors
/// NXDOMAIN when no candidate name has a record.
pub fn lookup(cluster: &Cluster, ns: &str, name: &str) -> Result<Lookup, DnsError> {
    let name = name.trim().to_ascii_lowercase();
    if name.is_empty() {
        return Err(DnsError::NxDomain);
    }
    if let Ok(ip) = name.parse::<Ipv4Addr>() {
        return Ok(Lookup {
            fqdn: name,
            addrs: vec![ip],
        });
    }
    let candidates: Vec<String> = if let Some(abs) = name.strip_suffix('.') {
        vec![abs.to_string()]
    } else {
        let mut c: Vec<String> = search_path(ns)
            .iter()
            .map(|s| format!("{name}.{s}"))
            .collect();
        if name.matches('.').count() >= 5 {
            c.insert(0, name.clone());
        } else {
            c.push(name.clone());
        }
        c
    };
    for fqdn in candidates {
        let addrs = resolve_fqdn(cluster, &fqdn);
        if !addrs.is_empty() {
            return Ok(Lookup { fqdn, addrs });
        }
    }
    Err(DnsError::NxDomain)
}

/// The A records of one fully qualified name (empty: NXDOMAIN).
pub fn resolve_fqdn(cluster: &Cluster, fqdn: &str) -> Vec<Ipv4Addr> {
    let Some(rest) = fqdn.strip_suffix(&format!(".{DOMAIN}")) else {
        return Vec::new();
    };
    let labels: Vec<&str> = rest.split('.').collect();
    match labels.as_slice() {
        [svc, ns, "svc"] => service_addrs(cluster, ns, svc),
        [host, svc, ns, "svc"] => endpoint_host(cluster, ns, svc, host),
        [dashed, ns, "pod"] => {
            let ip = dashed.replace('-', ".").parse::<Ipv4Addr>().ok();
            match ip {
                Some(ip) if cluster.store().get(*ids::NAMESPACES, "", ns).is_some() => vec![ip],
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

fn service_addrs(cluster: &Cluster, ns: &str, svc: &str) -> Vec<Ipv4Addr> {
    let Some(service) = cluster.store().get(*ids::SERVICES, ns, svc) else {
        return Vec::new();
    };
    match service["spec"]["clusterIP"].as_str() {
        Some("None") | None => endpoint_addresses(cluster, ns, svc)
            .into_iter()
            .map(|(ip, _)| ip)
            .collect(),
        Some(ip) => ip.parse().into_iter().collect(),
    }
}

fn endpoint_host(cluster: &Cluster, ns: &str, svc: &str, host: &str) -> Vec<Ipv4Addr> {
    endpoint_addresses(cluster, ns, svc)
        .into_iter()
        .filter(|(_, h)| h.as_deref() == Some(host))
        .map(|(ip, _)| ip)
        .collect()
}

/// The addresses DNS publishes for a Service: its Endpoints' ready addresses (the endpoints
/// controller already moves not-ready ones into `addresses` when publishNotReadyAddresses is set).
pub fn endpoint_addresses(cluster: &Cluster, ns: &str, svc: &str) -> Vec<(Ipv4Addr, Option<String>)> {
    let Some(ep) = cluster.store().get(*ids::ENDPOINTS, ns, svc) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for subset in ep["subsets"].as_array().into_iter().flatten() {
        for a in subset["addresses"].as_array().into_iter().flatten() {
            if let Some(ip) = a["ip"].as_str().and_then(|s| s.parse().ok()) {
                out.push((ip, a["hostname"].as_str().map(String::from)));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The resolv.conf a pod gets with `dnsPolicy: ClusterFirst`.
pub fn resolv_conf(ns: &str) -> String {
    let [a, b, c] = search_path(ns);
    format!("search {a} {b} {c}\nnameserver 10.96.0.10\noptions ndots:5\n")
}

/// Whether a value is a headless Service.
pub fn is_headless(service: &Value) -> bool {
    service["spec"]["clusterIP"] == "None"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_has_the_search_path_and_ndots() {
        let r = resolv_conf("shop");
        assert!(r.starts_with("search shop.svc.cluster.local svc.cluster.local cluster.local\n"));
        assert!(r.contains("options ndots:5"));
    }
}
