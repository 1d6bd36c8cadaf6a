//! Endpoints controller: for every Service with a selector, an Endpoints object of the same
//! name listing ready pods in `addresses` and the others in `notReadyAddresses`, with ports
//! resolved from `targetPort` (numbers and named container ports). The `kubernetes` Service
//! points at the API server like kind's (172.18.0.2:6443).

use super::common::{is_pod_ready, is_terminating};
use super::{Controller, Cx, Key, Requeue};
use crate::admission::meta;
use crate::api::selector::label_selector_matches;
use crate::registry::ids;
use crate::store::Event;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The address kind's API server answers on, the `kubernetes` Service's endpoint.
pub const APISERVER_IP: &str = "172.18.0.2";
const MANAGER: &str = "endpoint-controller";

/// The Endpoints controller.
pub struct Endpoints;

impl Controller for Endpoints {
    fn name(&self) -> &'static str {
        MANAGER
    }

    fn keys_for(&self, cx: &Cx, ev: &Event, out: &mut Vec<Key>) {
        services_for_event(cx, ev, *ids::ENDPOINTS, out);
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for s in cx.list(*ids::SERVICES, None) {
            out.push(Key::new(meta::namespace_of(&s), meta::name_of(&s)));
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        let svc = cx.get(*ids::SERVICES, &key.namespace, &key.name);
        let Some(svc) = svc.filter(|s| !is_terminating(s)) else {
            // The Service is gone: so are its Endpoints (when we manage them).
            if let Some(ep) = cx.get(*ids::ENDPOINTS, &key.namespace, &key.name)
                && ep["metadata"]["labels"]["endpointslice.kubernetes.io/skip-mirror"].is_null()
            {
                cx.delete(*ids::ENDPOINTS, &key.namespace, &key.name, "Background");
            }
            return Requeue::Done;
        };
        let subsets = if is_apiserver(&svc) {
            json!([{
                "addresses": [{"ip": APISERVER_IP}],
                "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]
            }])
        } else if has_selector(&svc) {
            subsets(&backends(cx, &svc))
        } else {
            // Services without a selector have user-managed Endpoints.
            return Requeue::Done;
        };
        let mut labels = svc["metadata"]["labels"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        if is_apiserver(&svc) {
            labels.insert(
                "endpointslice.kubernetes.io/skip-mirror".into(),
                json!("true"),
            );
        } else if svc["spec"]["clusterIP"] == "None" {
            labels.insert("service.kubernetes.io/headless".into(), json!(""));
        }
        write(cx, &svc, labels, subsets);
        Requeue::Done
    }
}

/// Services affected by an event (shared with the EndpointSlice controller): the Service
/// itself, the Service owning a changed `managed` object, and those selecting a changed pod.
pub fn services_for_event(cx: &Cx, ev: &Event, managed: usize, out: &mut Vec<Key>) {
    if ev.resource == *ids::SERVICES {
        out.push(Key::new(&ev.namespace, meta::name_of(&ev.object)));
    } else if ev.resource == managed {
        let name = if managed == *ids::ENDPOINTS {
            meta::name_of(&ev.object)
        } else {
            ev.object["metadata"]["labels"]["kubernetes.io/service-name"]
                .as_str()
                .unwrap_or_default()
        };
        if !name.is_empty() {
            out.push(Key::new(&ev.namespace, name));
        }
    } else if ev.resource == *ids::PODS {
        for svc in cx.list(*ids::SERVICES, Some(&ev.namespace)) {
            if !has_selector(&svc) {
                continue;
            }
            let sel = json!({"matchLabels": svc["spec"]["selector"]});
            let hit = [Some(&ev.object), ev.prev.as_ref()]
                .into_iter()
                .flatten()
                .any(|p| label_selector_matches(&sel, &p["metadata"]["labels"]));
            if hit {
                out.push(Key::new(&ev.namespace, meta::name_of(&svc)));
            }
        }
    }
}

/// `default/kubernetes`.
pub fn is_apiserver(svc: &Value) -> bool {
    meta::namespace_of(svc) == "default" && meta::name_of(svc) == "kubernetes"
}

/// Whether the Service selects pods (ExternalName Services never do).
pub fn has_selector(svc: &Value) -> bool {
    svc["spec"]["type"] != "ExternalName"
        && svc["spec"]["selector"]
            .as_object()
            .is_some_and(|m| !m.is_empty())
}

/// One pod behind a Service.
pub struct Backend {
    pub pod: Arc<Value>,
    pub ip: String,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
    /// `hostname` when the pod's subdomain is this Service.
    pub hostname: Option<String>,
    /// Resolved ports (name, port, protocol), one per Service port that resolves for this pod.
    pub ports: Vec<(String, i64, String)>,
}

/// Pods selected by the Service that have an IP, with readiness and resolved ports.
pub fn backends(cx: &Cx, svc: &Value) -> Vec<Backend> {
    let sel = json!({"matchLabels": svc["spec"]["selector"]});
    let svc_name = meta::name_of(svc);
    let publish = svc["spec"]["publishNotReadyAddresses"] == true;
    let mut out: Vec<Backend> = cx
        .list(*ids::PODS, Some(meta::namespace_of(svc)))
        .into_iter()
        .filter(|p| label_selector_matches(&sel, &p["metadata"]["labels"]))
        .filter(|p| !matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed")))
        .filter_map(|p| {
            let ip = p["status"]["podIP"]
                .as_str()
                .filter(|s| !s.is_empty())?
                .to_string();
            let terminating = is_terminating(&p);
            let serving = is_pod_ready(&p);
            let ready = (serving && !terminating) || publish;
            let hostname = (p["spec"]["subdomain"] == svc_name)
                .then(|| p["spec"]["hostname"].as_str().map(String::from))
                .flatten();
            let ports = resolve_ports(svc, &p);
            Some(Backend {
                pod: p,
                ip,
                ready,
                serving: serving || publish,
                terminating,
                hostname,
                ports,
            })
        })
        .collect();
    out.sort_by(|a, b| a.ip.cmp(&b.ip));
    out
}

/// Service ports resolved against a pod: a number stays, a name is looked up among the pod's
/// container ports (a port that does not resolve is left out for that pod).
fn resolve_ports(svc: &Value, pod: &Value) -> Vec<(String, i64, String)> {
    let mut out = Vec::new();
    for sp in svc["spec"]["ports"].as_array().into_iter().flatten() {
        let proto = sp["protocol"].as_str().unwrap_or("TCP").to_string();
        let name = sp["name"].as_str().unwrap_or_default().to_string();
        let target = if sp["targetPort"].is_null() {
            &sp["port"]
        } else {
            &sp["targetPort"]
        };
        let port = match target {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse::<i64>().ok().or_else(|| {
                pod["spec"]["containers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|c| c["ports"].as_array().into_iter().flatten())
                    .find(|cp| {
                        cp["name"] == s.as_str()
                            && cp["protocol"].as_str().unwrap_or("TCP") == proto
                    })
                    .and_then(|cp| cp["containerPort"].as_i64())
            }),
            _ => None,
        };
        if let Some(port) = port {
            out.push((name, port, proto));
        }
    }
    out
}

fn target_ref(pod: &Value) -> Value {
    json!({
        "kind": "Pod",
        "name": meta::name_of(pod),
        "namespace": meta::namespace_of(pod),
        "uid": meta::uid_of(pod)
    })
}

/// Endpoints subsets: pods grouped by their resolved port set.
fn subsets(backends: &[Backend]) -> Value {
    let mut groups: BTreeMap<String, (Value, Vec<Value>, Vec<Value>)> = BTreeMap::new();
    for b in backends {
        // Terminating pods leave Endpoints (unless publishNotReadyAddresses keeps them).
        if b.terminating && !b.ready {
            continue;
        }
        if b.ports.is_empty() {
            continue;
        }
        let ports: Vec<Value> = b
            .ports
            .iter()
            .map(|(n, p, proto)| {
                let mut v = json!({"port": p, "protocol": proto});
                if !n.is_empty() {
                    v["name"] = json!(n);
                }
                v
            })
            .collect();
        let key = Value::Array(ports.clone()).to_string();
        let mut addr = json!({"ip": b.ip, "targetRef": target_ref(&b.pod)});
        if let Some(h) = &b.hostname {
            addr["hostname"] = json!(h);
        }
        if let Some(n) = b.pod["spec"]["nodeName"].as_str() {
            addr["nodeName"] = json!(n);
        }
        let g = groups
            .entry(key)
            .or_insert_with(|| (Value::Array(ports), Vec::new(), Vec::new()));
        if b.ready {
            g.1.push(addr);
        } else {
            g.2.push(addr);
        }
    }
    let list: Vec<Value> = groups
        .into_values()
        .map(|(ports, ready, not_ready)| {
            let mut s = json!({"ports": ports});
            if !ready.is_empty() {
                s["addresses"] = Value::Array(ready);
            }
            if !not_ready.is_empty() {
                s["notReadyAddresses"] = Value::Array(not_ready);
            }
            s
        })
        .collect();
    Value::Array(list)
}

fn write(cx: &Cx, svc: &Value, labels: serde_json::Map<String, Value>, subsets: Value) {
    let ns = meta::namespace_of(svc);
    let name = meta::name_of(svc);
    let has_subsets = subsets.as_array().is_some_and(|s| !s.is_empty());
    if cx.get(*ids::ENDPOINTS, ns, name).is_none() {
        let mut ep = json!({
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "labels": labels}
        });
        if has_subsets {
            ep["subsets"] = subsets;
        }
        let _ = cx.create(*ids::ENDPOINTS, Some(ns), ep, MANAGER);
        return;
    }
    cx.update(*ids::ENDPOINTS, ns, name, |v| {
        v["metadata"]["labels"] = Value::Object(labels);
        if has_subsets {
            v["subsets"] = subsets;
        } else if let Some(m) = v.as_object_mut() {
            m.remove("subsets");
        }
    });
}
