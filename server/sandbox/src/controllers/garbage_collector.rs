//! The garbage collector's asynchronous half. The API's delete path handles dependents at
//! once (see `gc.rs`); this controller covers what happens outside it:
//! - an owner removed by a direct store write (a kubelet finishing a graceful pod deletion,
//!   the last finalizer removed): its dependents are deleted, or lose the reference when other
//!   owners remain;
//! - foreground deletion: an owner with the `foregroundDeletion` finalizer keeps it until its
//!   dependents are gone.
//!
//! Keys: `("\0uid", uid)` for a deleted owner, `("\0fg/<resource id>/<namespace>", name)` for an
//! owner in foreground deletion.

use super::common::is_terminating;
use super::{Controller, Cx, Key, Requeue};
use crate::admission::meta;
use crate::registry::{ResourceId, find_kind};
use crate::store::{Event, EventType};
use serde_json::Value;

const UID_KEY: &str = "\0uid";
const FG_PREFIX: &str = "\0fg/";

/// The garbage collector controller.
pub struct GarbageCollector;

fn has_fg(obj: &Value) -> bool {
    is_terminating(obj)
        && obj["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|a| a.iter().any(|f| f == "foregroundDeletion"))
}

fn fg_key(res: ResourceId, ns: &str, name: &str) -> Key {
    Key::new(format!("{FG_PREFIX}{res}/{ns}"), name)
}

/// The resource id of an ownerReference's kind.
fn owner_resource(r: &Value) -> Option<ResourceId> {
    let api = r["apiVersion"].as_str().unwrap_or_default();
    let group = api.split_once('/').map(|(g, _)| g).unwrap_or_default();
    find_kind(group, r["kind"].as_str().unwrap_or_default())
}

impl Controller for GarbageCollector {
    fn name(&self) -> &'static str {
        "garbage-collector-controller"
    }

    fn keys_for(&self, cx: &Cx, ev: &Event, out: &mut Vec<Key>) {
        let obj = &ev.object;
        if ev.kind == EventType::Deleted {
            let uid = meta::uid_of(obj);
            if !uid.is_empty() && !cx.cluster().store().dependents(uid).is_empty() {
                out.push(Key::new(UID_KEY, uid));
            }
        } else if has_fg(obj) {
            out.push(fg_key(ev.resource, &ev.namespace, meta::name_of(obj)));
        }
        // A dependent changed or went: an owner in foreground deletion may be done.
        for r in obj["metadata"]["ownerReferences"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let Some(res) = owner_resource(r) else {
                continue;
            };
            let ns = if crate::registry::def(res).namespaced {
                ev.namespace.as_str()
            } else {
                ""
            };
            let name = r["name"].as_str().unwrap_or_default();
            if cx.get(res, ns, name).is_some_and(|o| has_fg(&o)) {
                out.push(fg_key(res, ns, name));
            }
        }
    }

    fn all_keys(&self, _cx: &Cx, _out: &mut Vec<Key>) {}

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        if key.namespace == UID_KEY {
            crate::gc::collect_dependents(cx.cluster(), &key.name);
            return Requeue::Done;
        }
        let Some((res, ns)) = key
            .namespace
            .strip_prefix(FG_PREFIX)
            .and_then(|rest| rest.split_once('/'))
            .and_then(|(r, ns)| r.parse::<ResourceId>().ok().map(|r| (r, ns.to_string())))
        else {
            return Requeue::Done;
        };
        crate::gc::finish_foreground(cx.cluster(), res, &ns, &key.name);
        Requeue::Done
    }
}
