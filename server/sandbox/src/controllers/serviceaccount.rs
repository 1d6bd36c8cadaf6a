//! ServiceAccount controller (with the root-CA publisher): every active namespace has a
//! `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap, re-created when deleted.
//! Namespace creation also makes them synchronously (see `bootstrap::namespace_side_effects`),
//! so a pod applied right after `kubectl create ns` is admitted.

use super::common::is_terminating;
use super::{Controller, Cx, Key, Requeue};
use crate::admission::meta;
use crate::registry::ids;
use crate::store::Event;
use serde_json::json;

const ROOT_CA: &str = "kube-root-ca.crt";

/// The ServiceAccount controller. Keys are `("", namespace)`.
pub struct ServiceAccounts;

impl Controller for ServiceAccounts {
    fn name(&self) -> &'static str {
        "serviceaccount-controller"
    }

    fn keys_for(&self, _cx: &Cx, ev: &Event, out: &mut Vec<Key>) {
        if ev.resource == *ids::NAMESPACES {
            out.push(Key::new("", meta::name_of(&ev.object)));
        } else if (ev.resource == *ids::SERVICEACCOUNTS && meta::name_of(&ev.object) == "default")
            || (ev.resource == *ids::CONFIGMAPS && meta::name_of(&ev.object) == ROOT_CA)
        {
            out.push(Key::new("", &ev.namespace));
        }
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for n in cx.list(*ids::NAMESPACES, None) {
            out.push(Key::new("", meta::name_of(&n)));
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        let ns = key.name.as_str();
        let Some(obj) = cx.get(*ids::NAMESPACES, "", ns) else {
            return Requeue::Done;
        };
        if is_terminating(&obj) || obj["status"]["phase"] == "Terminating" {
            return Requeue::Done;
        }
        crate::bootstrap::namespace_side_effects(cx.cluster(), ns);
        // The publisher also puts back a CA bundle someone edited.
        if let Some(ca) = cx.cluster().state.ca_pem.clone()
            && let Some(cm) = cx.get(*ids::CONFIGMAPS, ns, ROOT_CA)
            && cm["data"]["ca.crt"] != *ca
        {
            cx.update(*ids::CONFIGMAPS, ns, ROOT_CA, |v| {
                v["data"] = json!({"ca.crt": &*ca});
            });
        }
        Requeue::Done
    }
}
