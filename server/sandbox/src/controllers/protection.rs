//! Storage object in use protection: a PVC keeps `kubernetes.io/pvc-protection` while a pod that
//! is not terminated references it, a PV keeps `kubernetes.io/pv-protection` while it is Bound.
//! The finalizers are added at admission; this controller also adds missing ones and removes
//! them once deletion is allowed.

use super::common::{is_pod_finished, is_terminating, pod_claim_names};
use super::{Controller, Cx, Key, Requeue};
use crate::admission::meta;
use crate::registry::ids;
use crate::store::Event;
use serde_json::{Value, json};

const PVC_FINALIZER: &str = "kubernetes.io/pvc-protection";
const PV_FINALIZER: &str = "kubernetes.io/pv-protection";

/// The pvc-protection and pv-protection controllers.
pub struct Protection;

impl Controller for Protection {
    fn name(&self) -> &'static str {
        "pvc-protection-controller"
    }

    fn keys_for(&self, _cx: &Cx, ev: &Event, out: &mut Vec<Key>) {
        if ev.resource == *ids::PVCS {
            out.push(Key::new(&ev.namespace, meta::name_of(&ev.object)));
        } else if ev.resource == *ids::PVS {
            out.push(Key::new("", meta::name_of(&ev.object)));
        } else if ev.resource == *ids::PODS {
            for pod in [Some(&ev.object), ev.prev.as_ref()].into_iter().flatten() {
                for claim in pod_claim_names(pod) {
                    out.push(Key::new(&ev.namespace, claim));
                }
            }
        }
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for pvc in cx.list(*ids::PVCS, None) {
            out.push(Key::new(meta::namespace_of(&pvc), meta::name_of(&pvc)));
        }
        for pv in cx.list(*ids::PVS, None) {
            out.push(Key::new("", meta::name_of(&pv)));
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        if key.namespace.is_empty() {
            let Some(pv) = cx.get(*ids::PVS, "", &key.name) else {
                return Requeue::Done;
            };
            let blocked = pv["status"]["phase"] == "Bound";
            sync_finalizer(cx, *ids::PVS, &pv, PV_FINALIZER, blocked);
        } else {
            let Some(pvc) = cx.get(*ids::PVCS, &key.namespace, &key.name) else {
                return Requeue::Done;
            };
            let blocked = is_terminating(&pvc) && in_use(cx, &key.namespace, &key.name);
            sync_finalizer(cx, *ids::PVCS, &pvc, PVC_FINALIZER, blocked);
        }
        Requeue::Done
    }
}

/// Whether a pod that has not terminated references the claim.
fn in_use(cx: &Cx, ns: &str, claim: &str) -> bool {
    cx.list(*ids::PODS, Some(ns))
        .iter()
        .any(|p| !is_pod_finished(p) && pod_claim_names(p).contains(&claim))
}

fn has_finalizer(obj: &Value, f: &str) -> bool {
    obj["metadata"]["finalizers"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x == f))
}

/// Add the finalizer to a live object; remove it from a terminating one unless `blocked`.
fn sync_finalizer(cx: &Cx, res: usize, obj: &Value, f: &str, blocked: bool) {
    let ns = meta::namespace_of(obj);
    let name = meta::name_of(obj);
    if !is_terminating(obj) {
        if !has_finalizer(obj, f) {
            cx.update(res, ns, name, |v| {
                let md = meta::metadata(v);
                let list = md.entry("finalizers").or_insert_with(|| json!([]));
                if let Some(a) = list.as_array_mut()
                    && !a.iter().any(|x| x == f)
                {
                    a.push(json!(f));
                }
            });
        }
        return;
    }
    if blocked || !has_finalizer(obj, f) {
        return;
    }
    cx.update(res, ns, name, |v| {
        let md = meta::metadata(v);
        if let Some(a) = md.get_mut("finalizers").and_then(Value::as_array_mut) {
            a.retain(|x| x != f);
        }
    });
}
