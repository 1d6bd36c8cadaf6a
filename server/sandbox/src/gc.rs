//! Garbage collection through ownerReferences (background, foreground, orphan), graceful
//! pod deletion, and marking namespaces Terminating (the namespace controller empties them).

use crate::admission::meta;
use crate::api::error::{ApiError, ApiResult};
use crate::api::resources::{DeleteOptions, delete_one};
use crate::cluster::Cluster;
use crate::registry::{ResourceDef, ResourceId, def, ids};
use crate::store::{Change, Outcome};
use serde_json::{Value, json};
use std::sync::Arc;


/// Objects (resource, ns, name) whose ownerReferences include `uid` (from the store's index).
fn dependents(cluster: &Cluster, uid: &str, _ns: &str) -> Vec<(ResourceId, String, String)> {
    cluster.store().dependents(uid)
}

/// Dependents (resource, ns, name) that exist and still reference `uid`.
fn live_dependents(cluster: &Cluster, uid: &str) -> Vec<(ResourceId, String, String)> {
    cluster
        .store()
        .dependents(uid)
        .into_iter()
        .filter(|(r, ns, name)| {
            cluster.store().get(*r, ns, name).is_some_and(|o| {
                o["metadata"]["ownerReferences"]
                    .as_array()
                    .is_some_and(|refs| refs.iter().any(|x| x["uid"] == uid))
            })
        })
        .collect()
}

/// The owner with `uid` is gone (by whatever path): delete its dependents, or drop the reference
/// from those with other owners. Idempotent.
pub(crate) fn collect_dependents(cluster: &Cluster, uid: &str) {
    for (res, ns, name) in live_dependents(cluster, uid) {
        let Some(dep) = cluster.store().get(res, &ns, &name) else {
            continue;
        };
        let other_owners = dep["metadata"]["ownerReferences"]
            .as_array()
            .is_some_and(|refs| refs.iter().any(|r| r["uid"] != uid));
        // Already being deleted (e.g. by the synchronous path): nothing more to do.
        if !other_owners && !dep["metadata"]["deletionTimestamp"].is_null() {
            continue;
        }
        if other_owners {
            drop_owner_ref(cluster, res, &ns, &name, uid);
            continue;
        }
        let opts = DeleteOptions {
            propagation: Some("Background".into()),
            ..Default::default()
        };
        let _ = delete_one(cluster, def(res), res, &ns, &name, &opts, false);
    }
}

/// Foreground deletion: delete the owner's dependents (foreground too) and remove its
/// `foregroundDeletion` finalizer only once none is left, so the owner is visible with a
/// deletionTimestamp until then.
pub(crate) fn finish_foreground(cluster: &Cluster, res: ResourceId, ns: &str, name: &str) {
    let Some(owner) = cluster.store().get(res, ns, name) else {
        return;
    };
    let in_fg = owner["metadata"]["finalizers"]
        .as_array()
        .is_some_and(|a| a.iter().any(|f| f == "foregroundDeletion"));
    if !in_fg || owner["metadata"]["deletionTimestamp"].is_null() {
        return;
    }
    let uid = meta::uid_of(&owner).to_string();
    for (r, dns, dname) in live_dependents(cluster, &uid) {
        let marked = cluster
            .store()
            .get(r, &dns, &dname)
            .is_some_and(|o| !o["metadata"]["deletionTimestamp"].is_null());
        if marked {
            continue;
        }
        let opts = DeleteOptions {
            propagation: Some("Foreground".into()),
            ..Default::default()
        };
        let _ = delete_one(cluster, def(r), r, &dns, &dname, &opts, false);
    }
    if live_dependents(cluster, &uid).is_empty() {
        remove_finalizer(cluster, def(res), res, ns, name, "foregroundDeletion");
    }
}

/// Remove the ownerReference to `uid` from an object; returns whether other owners remain.
fn drop_owner_ref(cluster: &Cluster, res: ResourceId, ns: &str, name: &str, uid: &str) -> bool {
    let mut remaining = false;
    let _ = cluster.store().write::<()>(res, ns, name, |cur| {
        let Some(cur) = cur else {
            return Ok(Change::Keep);
        };
        let mut v = (**cur).clone();
        let md = meta::metadata(&mut v);
        if let Some(Value::Array(refs)) = md.get_mut("ownerReferences") {
            refs.retain(|r| r["uid"] != uid);
            remaining = !refs.is_empty();
            if refs.is_empty() {
                md.remove("ownerReferences");
            }
        }
        Ok(Change::Put(v))
    });
    remaining
}

/// After an object is gone: background-delete its dependents (those with no other owner).
pub fn after_delete(cluster: &Cluster, _def: &ResourceDef, obj: &Arc<Value>) {
    let uid = meta::uid_of(obj).to_string();
    if uid.is_empty() {
        return;
    }
    for (res, ns, name) in dependents(cluster, &uid, meta::namespace_of(obj)) {
        let other_owners = cluster.store().get(res, &ns, &name).is_some_and(|o| {
            o["metadata"]["ownerReferences"]
                .as_array()
                .is_some_and(|refs| refs.iter().any(|r| r["uid"] != uid.as_str()))
        });
        if other_owners {
            drop_owner_ref(cluster, res, &ns, &name, &uid);
            continue;
        }
        let opts = DeleteOptions {
            propagation: Some("Background".into()),
            ..Default::default()
        };
        let _ = delete_one(cluster, def(res), res, &ns, &name, &opts, false);
    }
}

/// After an object got a deletionTimestamp: run the GC finalizers it carries.
pub fn after_mark(
    cluster: &Cluster,
    d: &ResourceDef,
    res: ResourceId,
    obj: &Arc<Value>,
    grace: i64,
) {
    let uid = meta::uid_of(obj).to_string();
    let ns = meta::namespace_of(obj).to_string();
    let name = meta::name_of(obj).to_string();
    let finalizers: Vec<String> = obj["metadata"]["finalizers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if finalizers.iter().any(|f| f == "orphan") {
        for (r, dns, dname) in dependents(cluster, &uid, &ns) {
            drop_owner_ref(cluster, r, &dns, &dname, &uid);
        }
        remove_finalizer(cluster, d, res, &ns, &name, "orphan");
    }
    if finalizers.iter().any(|f| f == "foregroundDeletion") {
        finish_foreground(cluster, res, &ns, &name);
    }
    // Pods bound to a node are stopped and removed by their node's kubelet (runtime::kubelet).
    let _ = grace;
}

fn remove_finalizer(
    cluster: &Cluster,
    d: &ResourceDef,
    res: ResourceId,
    ns: &str,
    name: &str,
    f: &str,
) {
    let out = cluster.store().write::<()>(res, ns, name, |cur| {
        let Some(cur) = cur else {
            return Ok(Change::Keep);
        };
        let mut v = (**cur).clone();
        if let Some(Value::Array(fs)) = meta::metadata(&mut v).get_mut("finalizers") {
            fs.retain(|x| x != f);
        }
        Ok(Change::Put(v))
    });
    if let Ok(Outcome::Deleted(o)) = out {
        after_delete(cluster, d, &o);
    }
}

/// Mark a namespace Terminating, delete its contents, then remove it (like the namespace
/// controller with the `kubernetes` finalizer).
///
/// # Errors
/// NotFound when it does not exist.
pub fn delete_namespace(cluster: &Cluster, name: &str) -> ApiResult<Arc<Value>> {
    let nsdef = def(*ids::NAMESPACES);
    if matches!(name, "default" | "kube-system" | "kube-public")
        && cluster.store().get(*ids::NAMESPACES, "", name).is_some()
    {
        return Err(ApiError::forbidden(
            nsdef,
            name,
            format!("namespaces \"{name}\" is forbidden: this namespace may not be deleted"),
        ));
    }
    let out = cluster.store().write(*ids::NAMESPACES, "", name, |cur| {
        let Some(cur) = cur else {
            return Err(ApiError::not_found(nsdef, name));
        };
        if cur["status"]["phase"] == "Terminating" {
            return Ok(Change::Keep);
        }
        let mut v = (**cur).clone();
        meta::metadata(&mut v).insert("deletionTimestamp".into(), json!(meta::now()));
        v["status"] = json!({"phase": "Terminating"});
        Ok(Change::Put(v))
    })?;
    // NB: the namespace controller (controllers/namespace.rs) deletes the content and then
    // the namespace, through the normal delete path.
    out.object()
        .cloned()
        .ok_or_else(|| ApiError::not_found(nsdef, name))
}
