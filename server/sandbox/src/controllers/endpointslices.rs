//! EndpointSlice controller: one IPv4 slice `<svc>-<5 random>` per Service with a selector
//! (one per distinct resolved port set), labelled `kubernetes.io/service-name` and
//! `endpointslice.kubernetes.io/managed-by`, owned by the Service. The `kubernetes` Service
//! gets a slice named `kubernetes`, like the API server's own reconciler writes.

use super::common::{controller_ref, random_suffix};
use super::endpoints::{
    APISERVER_IP, Backend, backends, has_selector, is_apiserver, services_for_event,
};
use super::{Controller, Cx, Key, Requeue};
use crate::admission::meta;
use crate::registry::ids;
use crate::store::Event;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

const MANAGED_BY: &str = "endpointslice-controller.k8s.io";
const SERVICE_NAME: &str = "kubernetes.io/service-name";

/// The EndpointSlice controller.
pub struct EndpointSlices;

impl Controller for EndpointSlices {
    fn name(&self) -> &'static str {
        "endpointslice-controller"
    }

    fn keys_for(&self, cx: &Cx, ev: &Event, out: &mut Vec<Key>) {
        services_for_event(cx, ev, *ids::ENDPOINTSLICES, out);
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for s in cx.list(*ids::SERVICES, None) {
            out.push(Key::new(meta::namespace_of(&s), meta::name_of(&s)));
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        let existing: Vec<Arc<Value>> = cx
            .list(*ids::ENDPOINTSLICES, Some(&key.namespace))
            .into_iter()
            .filter(|s| s["metadata"]["labels"][SERVICE_NAME] == key.name.as_str())
            .collect();
        let svc = cx
            .get(*ids::SERVICES, &key.namespace, &key.name)
            .filter(|s| s["metadata"]["deletionTimestamp"].is_null());
        let Some(svc) = svc else {
            for s in &existing {
                if s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == MANAGED_BY {
                    cx.delete(
                        *ids::ENDPOINTSLICES,
                        &key.namespace,
                        meta::name_of(s),
                        "Background",
                    );
                }
            }
            return Requeue::Done;
        };
        if is_apiserver(&svc) {
            apiserver_slice(cx, &svc);
            return Requeue::Done;
        }
        if !has_selector(&svc) {
            return Requeue::Done;
        }
        let mut ours: Vec<Arc<Value>> = existing
            .into_iter()
            .filter(|s| {
                s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == MANAGED_BY
            })
            .collect();
        ours.sort_by(|a, b| meta::name_of(a).cmp(meta::name_of(b)));
        let wanted = slices(&svc, &backends(cx, &svc));
        for (i, (ports, endpoints)) in wanted.iter().enumerate() {
            let labels = labels_for(&svc);
            match ours.get(i) {
                Some(s) => {
                    cx.update(
                        *ids::ENDPOINTSLICES,
                        &key.namespace,
                        meta::name_of(s),
                        |v| {
                            v["metadata"]["labels"] = labels;
                            v["ports"] = ports.clone();
                            v["endpoints"] = endpoints.clone();
                            v["addressType"] = json!("IPv4");
                        },
                    );
                }
                None => {
                    let slice = json!({
                        "apiVersion": "discovery.k8s.io/v1",
                        "kind": "EndpointSlice",
                        "metadata": {
                            "name": format!("{}-{}", key.name, random_suffix(5)),
                            "generateName": format!("{}-", key.name),
                            "labels": labels,
                            "ownerReferences": [controller_ref(&svc)]
                        },
                        "addressType": "IPv4",
                        "endpoints": endpoints,
                        "ports": ports
                    });
                    let _ = cx.create(
                        *ids::ENDPOINTSLICES,
                        Some(&key.namespace),
                        slice,
                        "endpointslice-controller",
                    );
                }
            }
        }
        for extra in ours.iter().skip(wanted.len()) {
            cx.delete(
                *ids::ENDPOINTSLICES,
                &key.namespace,
                meta::name_of(extra),
                "Background",
            );
        }
        Requeue::Done
    }
}

fn labels_for(svc: &Value) -> Value {
    let mut labels = svc["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    labels.insert(SERVICE_NAME.into(), json!(meta::name_of(svc)));
    labels.insert(
        "endpointslice.kubernetes.io/managed-by".into(),
        json!(MANAGED_BY),
    );
    if svc["spec"]["clusterIP"] == "None" {
        labels.insert("service.kubernetes.io/headless".into(), json!(""));
    }
    Value::Object(labels)
}

/// (ports, endpoints) per slice: backends grouped by resolved port set; with no backends, one
/// empty slice carrying the Service's ports (like the real controller's placeholder slice).
fn slices(svc: &Value, backends: &[Backend]) -> Vec<(Value, Value)> {
    let mut groups: BTreeMap<String, (Value, Vec<Value>)> = BTreeMap::new();
    for b in backends {
        let ports: Vec<Value> = b
            .ports
            .iter()
            .map(|(n, p, proto)| json!({"name": n, "port": p, "protocol": proto}))
            .collect();
        let key = Value::Array(ports.clone()).to_string();
        let mut ep = json!({
            "addresses": [b.ip],
            "conditions": {"ready": b.ready, "serving": b.serving, "terminating": b.terminating},
            "targetRef": {
                "kind": "Pod",
                "name": meta::name_of(&b.pod),
                "namespace": meta::namespace_of(&b.pod),
                "uid": meta::uid_of(&b.pod)
            }
        });
        if let Some(h) = &b.hostname {
            ep["hostname"] = json!(h);
        }
        if let Some(n) = b.pod["spec"]["nodeName"].as_str() {
            ep["nodeName"] = json!(n);
        }
        groups
            .entry(key)
            .or_insert_with(|| (Value::Array(ports), Vec::new()))
            .1
            .push(ep);
    }
    if groups.is_empty() {
        // NB: the placeholder slice of a Service with no endpoints has no ports either.
        let _ = svc;
        return vec![(Value::Null, json!([]))];
    }
    groups
        .into_values()
        .map(|(p, e)| (p, Value::Array(e)))
        .collect()
}

fn apiserver_slice(cx: &Cx, svc: &Value) {
    let ns = meta::namespace_of(svc);
    let ports = json!([{"name": "https", "port": 6443, "protocol": "TCP"}]);
    let endpoints = json!([{"addresses": [APISERVER_IP], "conditions": {"ready": true}}]);
    if cx.get(*ids::ENDPOINTSLICES, ns, "kubernetes").is_none() {
        let slice = json!({
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "kubernetes", "labels": {SERVICE_NAME: "kubernetes"}},
            "addressType": "IPv4",
            "endpoints": endpoints,
            "ports": ports
        });
        let _ = cx.create(*ids::ENDPOINTSLICES, Some(ns), slice, "kube-apiserver");
        return;
    }
    cx.update(*ids::ENDPOINTSLICES, ns, "kubernetes", |v| {
        v["endpoints"] = endpoints;
        v["ports"] = ports;
    });
}
