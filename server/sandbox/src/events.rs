//! Events as the controllers and the kubelet record them (core/v1 Event, which kubectl describe
//! and `kubectl get events` read; events.k8s.io/v1 is served from the same objects).

use crate::admission::meta;
use crate::cluster::Cluster;
use crate::registry::ids;
use crate::store::Change;
use serde_json::{Value, json};

/// `Normal` or `Warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// Record an Event about `object`. A repeat (same object uid, reason and message) bumps `count`
/// and `lastTimestamp` of the existing Event, like client-go's correlator.
pub fn record(
    cluster: &Cluster,
    object: &Value,
    type_: EventType,
    reason: &str,
    message: &str,
    source: &str,
) {
    let md = &object["metadata"];
    let obj_name = md["name"].as_str().unwrap_or_default();
    // Cluster-scoped objects (Nodes, PVs) get their Events in `default`, like the real cluster.
    let ns = md["namespace"]
        .as_str()
        .filter(|n| !n.is_empty())
        .unwrap_or("default");
    let uid = md["uid"].as_str().unwrap_or_default();
    let now = meta::now();
    let (existing, _) = cluster.store().list(*ids::EVENTS, Some(ns));
    let repeat = existing.iter().find(|e| {
        e["involvedObject"]["uid"] == uid && e["reason"] == reason && e["message"] == message
    });
    if let Some(e) = repeat {
        let name = meta::name_of(e).to_string();
        let _ = cluster
            .store()
            .write::<()>(*ids::EVENTS, ns, &name, |cur| {
                let Some(cur) = cur else {
                    return Ok(Change::Keep);
                };
                let mut v = (**cur).clone();
                let count = v["count"].as_i64().unwrap_or(1) + 1;
                v["count"] = json!(count);
                v["lastTimestamp"] = json!(now);
                Ok(Change::Put(v))
            });
        return;
    }
    let name = format!("{obj_name}.{:016x}", rand::random::<u64>());
    let mut involved = json!({
        "apiVersion": object["apiVersion"],
        "kind": object["kind"],
        "name": obj_name,
        "uid": uid,
        "resourceVersion": md["resourceVersion"],
    });
    if md["namespace"].is_string() {
        involved["namespace"] = md["namespace"].clone();
    }
    let (component, host) = match source.split_once('/') {
        Some((c, h)) => (c, Some(h)),
        None => (source, None),
    };
    let mut src = json!({"component": component});
    if let Some(h) = host {
        src["host"] = json!(h);
    }
    crate::bootstrap::insert(
        cluster,
        *ids::EVENTS,
        Some(ns),
        json!({
            "metadata": {"name": name},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": type_.as_str(),
            "source": src,
            "reportingComponent": component,
            "reportingInstance": host.unwrap_or_default(),
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1
        }),
    );
}
