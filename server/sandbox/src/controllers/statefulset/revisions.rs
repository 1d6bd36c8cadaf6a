//! ControllerRevisions of a StatefulSet: a snapshot of `spec.template` per distinct template,
//! named `<set>-<hash>`, numbered by `revision`; pods carry the name in
//! `controller-revision-hash`.

use super::SOURCE;
use crate::admission::meta;
use crate::controllers::common::{
    MANAGER, adopt, controller_ref, controller_uid, selects, template_hash,
};
use crate::controllers::{Cx, EventType};
use crate::registry::ids;
use serde_json::{Value, json};
use std::sync::Arc;

/// The current and update revisions of a set, with their pod templates.
pub struct Revisions {
    pub current: String,
    pub current_template: Value,
    pub update: String,
    pub update_template: Value,
}

/// The revision data the real controller stores: a strategic-merge patch replacing the template.
fn patch_of(set: &Value) -> Value {
    let mut tpl = set["spec"]["template"].clone();
    if let Some(m) = tpl.as_object_mut() {
        m.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": tpl}})
}

fn template_of(cr: &Value) -> Value {
    let mut tpl = cr["data"]["spec"]["template"].clone();
    if let Some(m) = tpl.as_object_mut() {
        m.remove("$patch");
    }
    tpl
}

/// Make sure the revision of the current template exists (and is the newest), prune history,
/// and say which revisions are current and update. None when the revision cannot be written.
pub fn sync(cx: &Cx, set: &Value) -> Option<Revisions> {
    let ns = meta::namespace_of(set);
    let uid = meta::uid_of(set);
    let mut owned: Vec<Arc<Value>> = cx
        .list(*ids::CONTROLLERREVISIONS, Some(ns))
        .into_iter()
        .filter_map(|cr| match controller_uid(&cr) {
            Some(u) if u == uid => Some(cr),
            // Revisions orphaned with their set are adopted back, like the pods.
            None if selects(&set["spec"]["selector"], &cr) => {
                adopt(cx, *ids::CONTROLLERREVISIONS, &cr, set)
            }
            _ => None,
        })
        .collect();
    owned.sort_by_key(|cr| cr["revision"].as_i64().unwrap_or(0));
    let max = owned
        .last()
        .and_then(|cr| cr["revision"].as_i64())
        .unwrap_or(0);
    let data = patch_of(set);
    let collisions = set["status"]["collisionCount"].as_i64().unwrap_or(0);
    let hash = template_hash(&json!([data, collisions]));
    let name = format!("{}-{hash}", meta::name_of(set));
    let update = match owned.iter().find(|cr| meta::name_of(cr) == name) {
        Some(cr) if cr["revision"].as_i64().unwrap_or(0) == max => cr.clone(),
        Some(cr) => {
            // A rollback to an older template makes that revision the newest again.
            cx.update(*ids::CONTROLLERREVISIONS, ns, meta::name_of(cr), |v| {
                v["revision"] = json!(max + 1);
            })?
        }
        None => {
            let mut labels = set["spec"]["selector"]["matchLabels"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            labels.insert("controller.kubernetes.io/hash".into(), json!(hash));
            let cr = json!({
                "apiVersion": "apps/v1",
                "kind": "ControllerRevision",
                "metadata": {
                    "name": name,
                    "labels": labels,
                    "ownerReferences": [controller_ref(set)]
                },
                "data": data,
                "revision": max + 1
            });
            match cx.create(*ids::CONTROLLERREVISIONS, Some(ns), cr, MANAGER) {
                Ok(cr) => cr,
                Err(crate::api::error::ApiError::AlreadyExists { .. }) => {
                    // Someone else's revision has our name: bump collisionCount, which
                    // changes the hash, and try again on the resulting status event.
                    cx.update(*ids::STATEFULSETS, ns, meta::name_of(set), |v| {
                        v["status"]["collisionCount"] = json!(collisions + 1);
                    });
                    return None;
                }
                Err(e) => {
                    cx.event(
                        set,
                        EventType::Warning,
                        "FailedCreate",
                        &format!("create ControllerRevision {name} failed error: {e}"),
                        SOURCE,
                    );
                    return None;
                }
            }
        }
    };
    let current_name = set["status"]["currentRevision"]
        .as_str()
        .filter(|c| !c.is_empty())
        .unwrap_or(&name)
        .to_string();
    let current = owned
        .iter()
        .find(|cr| meta::name_of(cr) == current_name)
        .cloned()
        .unwrap_or_else(|| update.clone());
    prune(cx, set, &owned, &[meta::name_of(&current), &name]);
    Some(Revisions {
        current: meta::name_of(&current).to_string(),
        current_template: template_of(&current),
        update: name,
        update_template: set["spec"]["template"].clone(),
    })
}

/// Delete the oldest revisions beyond `revisionHistoryLimit` that no pod uses.
fn prune(cx: &Cx, set: &Value, owned: &[Arc<Value>], live: &[&str]) {
    let limit =
        usize::try_from(set["spec"]["revisionHistoryLimit"].as_i64().unwrap_or(10)).unwrap_or(10);
    let ns = meta::namespace_of(set);
    let used: Vec<String> = cx
        .list(*ids::PODS, Some(ns))
        .iter()
        .filter(|p| controller_uid(p) == Some(meta::uid_of(set)))
        .filter_map(|p| {
            p["metadata"]["labels"]["controller-revision-hash"]
                .as_str()
                .map(String::from)
        })
        .collect();
    let history: Vec<&Arc<Value>> = owned
        .iter()
        .filter(|cr| {
            let n = meta::name_of(cr);
            !live.contains(&n) && !used.iter().any(|u| u == n)
        })
        .collect();
    let excess = history.len().saturating_sub(limit);
    for cr in history.into_iter().take(excess) {
        cx.delete(
            *ids::CONTROLLERREVISIONS,
            ns,
            meta::name_of(cr),
            "Background",
        );
    }
}
