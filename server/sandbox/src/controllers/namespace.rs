//! Namespace controller: a Terminating namespace's content is deleted through the normal delete
//! path (finalizers honoured, pods terminate gracefully); the namespace's `kubernetes`
//! finalizer is removed, and so the namespace, once nothing is left. Conditions report what
//! remains, like the real controller.

use super::common::{is_terminating, set_condition};
use super::{Controller, Cx, Key, Requeue};
use crate::admission::meta;
use crate::registry::{RESOURCES, ids};
use crate::store::{Change, Event};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// The namespace controller.
pub struct Namespaces;

impl Controller for Namespaces {
    fn name(&self) -> &'static str {
        "namespace-controller"
    }

    fn keys_for(&self, cx: &Cx, ev: &Event, out: &mut Vec<Key>) {
        if ev.resource == *ids::NAMESPACES {
            if is_terminating(&ev.object) {
                out.push(Key::new("", meta::name_of(&ev.object)));
            }
        } else if !ev.namespace.is_empty()
            && ev.resource != *ids::EVENTS
            && cx
                .get(*ids::NAMESPACES, "", &ev.namespace)
                .is_some_and(|n| is_terminating(&n))
        {
            out.push(Key::new("", &ev.namespace));
        }
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for n in cx.list(*ids::NAMESPACES, None) {
            if is_terminating(&n) {
                out.push(Key::new("", meta::name_of(&n)));
            }
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        let ns = key.name.as_str();
        let Some(obj) = cx.get(*ids::NAMESPACES, "", ns) else {
            return Requeue::Done;
        };
        if !is_terminating(&obj) {
            return Requeue::Done;
        }
        let mut remaining: BTreeMap<String, usize> = BTreeMap::new();
        let mut finalizers: BTreeMap<String, usize> = BTreeMap::new();
        for (res, d) in RESOURCES.iter().enumerate() {
            if !d.namespaced || !d.is_listable() {
                continue;
            }
            for o in cx.list(res, Some(ns)) {
                if !is_terminating(&o) {
                    cx.delete(res, ns, meta::name_of(&o), "Background");
                }
            }
            // Events are noise that controllers may still add while content goes; they do
            // not hold the namespace (they are dropped at the end).
            if res == *ids::EVENTS || res == *ids::EVENTS_V1 {
                continue;
            }
            let left = cx.list(res, Some(ns));
            if !left.is_empty() {
                *remaining.entry(d.qualified()).or_default() += left.len();
            }
            for o in &left {
                for f in o["metadata"]["finalizers"].as_array().into_iter().flatten() {
                    if let Some(f) = f.as_str() {
                        *finalizers.entry(f.to_string()).or_default() += 1;
                    }
                }
            }
        }
        if remaining.is_empty() {
            for o in cx.list(*ids::EVENTS, Some(ns)) {
                let _ =
                    cx.cluster()
                        .store()
                        .write::<()>(*ids::EVENTS, ns, meta::name_of(&o), |_| Ok(Change::Delete));
            }
            cx.update(*ids::NAMESPACES, "", ns, |v| {
                if let Some(fs) = v["spec"]["finalizers"].as_array_mut() {
                    fs.retain(|f| f != "kubernetes");
                }
            });
            return Requeue::Done;
        }
        let content = remaining
            .iter()
            .map(|(r, n)| format!("{r}. has {n} resource instances"))
            .collect::<Vec<_>>()
            .join(", ");
        let fins = finalizers
            .iter()
            .map(|(f, n)| format!("{f} in {n} resource instances"))
            .collect::<Vec<_>>()
            .join(", ");
        cx.update(*ids::NAMESPACES, "", ns, |v| {
            let st = &mut v["status"];
            set_conditions(st, &content, &fins);
        });
        Requeue::After(Duration::from_secs(1))
    }
}

fn cond(ty: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": ty, "status": status, "reason": reason, "message": message})
}

fn set_conditions(st: &mut Value, content: &str, fins: &str) {
    set_condition(
        st,
        cond(
            "NamespaceDeletionDiscoveryFailure",
            "False",
            "ResourcesDiscovered",
            "All resources successfully discovered",
        ),
        false,
    );
    set_condition(
        st,
        cond(
            "NamespaceDeletionGroupVersionParsingFailure",
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
        ),
        false,
    );
    set_condition(
        st,
        cond(
            "NamespaceDeletionContentFailure",
            "False",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
        ),
        false,
    );
    set_condition(
        st,
        cond(
            "NamespaceContentRemaining",
            "True",
            "SomeResourcesRemain",
            &format!("Some resources are remaining: {content}"),
        ),
        false,
    );
    let f = if fins.is_empty() {
        cond(
            "NamespaceFinalizersRemaining",
            "False",
            "ContentHasNoFinalizers",
            "All content-preserving finalizers finished",
        )
    } else {
        cond(
            "NamespaceFinalizersRemaining",
            "True",
            "SomeFinalizersRemain",
            &format!("Some content in the namespace has finalizers remaining: {fins}"),
        )
    };
    set_condition(st, f, false);
}
