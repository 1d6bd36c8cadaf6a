//! Deployment controller: one ReplicaSet per pod template (`<deploy>-<pod-template-hash>`),
//! RollingUpdate and Recreate strategies, revision history and rollout conditions.

use super::common::{
    MANAGER, adopt, adopters, controller_name, controller_ref, controller_uid, is_pod_finished,
    is_terminating, scaled_value, selects, set_condition, template_hash,
};
use super::{Controller, Cx, EventType, Key, Requeue};
use crate::admission::meta;
use crate::registry::ids;
use crate::store::Event;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const SOURCE: &str = "deployment-controller";
const REVISION: &str = "deployment.kubernetes.io/revision";
const HASH_LABEL: &str = "pod-template-hash";

/// The Deployment controller.
pub struct Deployments;

impl Controller for Deployments {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn keys_for(&self, cx: &Cx, ev: &Event, out: &mut Vec<Key>) {
        if ev.resource == *ids::DEPLOYMENTS {
            out.push(Key::new(&ev.namespace, meta::name_of(&ev.object)));
        } else if ev.resource == *ids::REPLICASETS {
            if let Some(d) = controller_name(&ev.object, "Deployment") {
                out.push(Key::new(&ev.namespace, d));
            } else {
                for d in adopters(cx, *ids::DEPLOYMENTS, &ev.namespace, &ev.object) {
                    out.push(Key::new(&ev.namespace, d));
                }
            }
        } else if ev.resource == *ids::PODS {
            // Recreate waits for old pods to be gone.
            if let Some(rs) = controller_name(&ev.object, "ReplicaSet")
                && let Some(rs) = cx.get(*ids::REPLICASETS, &ev.namespace, rs)
                && let Some(d) = controller_name(&rs, "Deployment")
            {
                out.push(Key::new(&ev.namespace, d));
            }
        }
    }

    fn all_keys(&self, cx: &Cx, out: &mut Vec<Key>) {
        for d in cx.list(*ids::DEPLOYMENTS, None) {
            out.push(Key::new(meta::namespace_of(&d), meta::name_of(&d)));
        }
    }

    fn reconcile(&mut self, cx: &Cx, key: &Key) -> Requeue {
        let Some(d) = cx.get(*ids::DEPLOYMENTS, &key.namespace, &key.name) else {
            return Requeue::Done;
        };
        if is_terminating(&d) {
            return Requeue::Done;
        }
        let mut all = owned_replica_sets(cx, &d);
        let template = &d["spec"]["template"];
        let new_idx = all
            .iter()
            .position(|rs| equal_ignore_hash(&rs["spec"]["template"], template));
        let paused = d["spec"]["paused"] == true;
        let recreate = d["spec"]["strategy"]["type"] == "Recreate";
        let replicas = d["spec"]["replicas"].as_i64().unwrap_or(1).max(0);
        if !paused {
            if recreate {
                if let Some(rs) = rollout_recreate(cx, &d, &mut all, new_idx, replicas) {
                    all.push(rs);
                }
            } else {
                let new_idx = match new_idx {
                    Some(i) => Some(i),
                    None => create_new_rs(cx, &d, &all, 0).map(|rs| {
                        all.push(rs);
                        all.len() - 1
                    }),
                };
                if let Some(i) = new_idx {
                    ensure_latest_revision(cx, &d, &mut all, i);
                    rollout_rolling(cx, &d, &mut all, i, replicas);
                }
            }
        }
        cleanup(cx, &d, &all);
        let all = owned_replica_sets(cx, &d);
        update_status(cx, &d, &all)
    }
}

/// The Deployment's ReplicaSets, adopting orphans its selector matches (e.g. after
/// `kubectl delete deploy --cascade=orphan` and a re-create).
fn owned_replica_sets(cx: &Cx, d: &Value) -> Vec<Arc<Value>> {
    let uid = meta::uid_of(d);
    let mut out: Vec<Arc<Value>> = cx
        .list(*ids::REPLICASETS, Some(meta::namespace_of(d)))
        .into_iter()
        .filter(|rs| !is_terminating(rs))
        .filter_map(|rs| match controller_uid(&rs) {
            Some(u) if u == uid => Some(rs),
            None if selects(&d["spec"]["selector"], &rs) => adopt(cx, *ids::REPLICASETS, &rs, d),
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| {
        a["metadata"]["creationTimestamp"]
            .as_str()
            .cmp(&b["metadata"]["creationTimestamp"].as_str())
            .then_with(|| meta::name_of(a).cmp(meta::name_of(b)))
    });
    out
}

fn without_hash(t: &Value) -> Value {
    let mut t = t.clone();
    if let Some(l) = t["metadata"]["labels"].as_object_mut() {
        l.remove(HASH_LABEL);
    }
    t
}

fn equal_ignore_hash(a: &Value, b: &Value) -> bool {
    without_hash(a) == without_hash(b)
}

fn revision_of(rs: &Value) -> i64 {
    rs["metadata"]["annotations"][REVISION]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn max_revision(all: &[Arc<Value>]) -> i64 {
    all.iter().map(|r| revision_of(r)).max().unwrap_or(0)
}

fn spec_replicas(rs: &Value) -> i64 {
    rs["spec"]["replicas"].as_i64().unwrap_or(0)
}

fn status_count(rs: &Value, field: &str) -> i64 {
    rs["status"][field].as_i64().unwrap_or(0)
}

/// The pod-template-hash of a template, salted with `status.collisionCount` when set.
fn pod_template_hash(d: &Value, template: &Value) -> String {
    match d["status"]["collisionCount"].as_i64() {
        Some(n) if n > 0 => template_hash(&json!([template, n])),
        _ => template_hash(template),
    }
}

/// Create the ReplicaSet for the current template with `replicas` replicas.
fn create_new_rs(cx: &Cx, d: &Value, all: &[Arc<Value>], replicas: i64) -> Option<Arc<Value>> {
    let ns = meta::namespace_of(d);
    let template = without_hash(&d["spec"]["template"]);
    let hash = pod_template_hash(d, &template);
    let name = format!("{}-{hash}", meta::name_of(d));
    let mut tpl = template.clone();
    meta::object_field(&mut tpl, "metadata");
    meta::object_field(&mut tpl["metadata"], "labels");
    tpl["metadata"]["labels"][HASH_LABEL] = json!(hash);
    let mut selector = d["spec"]["selector"].clone();
    meta::object_field(&mut selector, "matchLabels");
    selector["matchLabels"][HASH_LABEL] = json!(hash);
    let max_surge = surge_unavailable(d).0;
    let d_replicas = d["spec"]["replicas"].as_i64().unwrap_or(1);
    let mut annotations = d["metadata"]["annotations"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
    annotations.insert(REVISION.into(), json!((max_revision(all) + 1).to_string()));
    annotations.insert(
        "deployment.kubernetes.io/desired-replicas".into(),
        json!(d_replicas.to_string()),
    );
    annotations.insert(
        "deployment.kubernetes.io/max-replicas".into(),
        json!((d_replicas + max_surge).to_string()),
    );
    let rs = json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "labels": tpl["metadata"]["labels"],
            "annotations": annotations,
            "ownerReferences": [controller_ref(d)]
        },
        "spec": {
            "replicas": replicas,
            "minReadySeconds": d["spec"]["minReadySeconds"].as_i64().unwrap_or(0),
            "selector": selector,
            "template": tpl
        }
    });
    match cx.create(*ids::REPLICASETS, Some(ns), rs, MANAGER) {
        Ok(rs) => {
            if replicas > 0 {
                cx.event(
                    d,
                    EventType::Normal,
                    "ScalingReplicaSet",
                    &format!("Scaled up replica set {name} from 0 to {replicas}"),
                    SOURCE,
                );
            }
            Some(rs)
        }
        Err(crate::api::error::ApiError::AlreadyExists { .. }) => {
            // A ReplicaSet we do not control has the name: bump collisionCount (so the hash
            // changes) and retry on the resulting status event, like the real controller.
            let n = d["status"]["collisionCount"].as_i64().unwrap_or(0) + 1;
            cx.update(*ids::DEPLOYMENTS, ns, meta::name_of(d), |v| {
                v["status"]["collisionCount"] = json!(n);
            });
            None
        }
        Err(e) => {
            // Quota or validation: say so and wait.
            cx.event(
                d,
                EventType::Warning,
                "FailedCreate",
                &format!("Failed to create new replica set \"{name}\": {e}"),
                SOURCE,
            );
            None
        }
    }
}

/// A rollback to an older template makes its ReplicaSet the newest revision again.
fn ensure_latest_revision(cx: &Cx, d: &Value, all: &mut [Arc<Value>], i: usize) {
    let max = max_revision(all);
    if revision_of(&all[i]) == max && max > 0 {
        return;
    }
    let next = (max + 1).to_string();
    if let Some(rs) = cx.update(
        *ids::REPLICASETS,
        meta::namespace_of(d),
        meta::name_of(&all[i]),
        |v| {
            meta::object_field(meta_value(v), "annotations");
            v["metadata"]["annotations"][REVISION] = json!(next);
        },
    ) {
        all[i] = rs;
    }
}

fn meta_value(v: &mut Value) -> &mut Value {
    meta::metadata(v);
    &mut v["metadata"]
}

/// Scale one ReplicaSet, with the Deployment's ScalingReplicaSet Event.
fn scale(cx: &Cx, d: &Value, rs: &mut Arc<Value>, to: i64) {
    let from = spec_replicas(rs);
    if from == to {
        return;
    }
    let desired = d["spec"]["replicas"].as_i64().unwrap_or(1);
    let max = desired + surge_unavailable(d).0;
    let name = meta::name_of(rs).to_string();
    if let Some(new) = cx.update(*ids::REPLICASETS, meta::namespace_of(d), &name, |v| {
        v["spec"]["replicas"] = json!(to);
        meta::object_field(meta_value(v), "annotations");
        v["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] =
            json!(desired.to_string());
        v["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] =
            json!(max.to_string());
    }) {
        *rs = new;
        let dir = if to > from { "up" } else { "down" };
        cx.event(
            d,
            EventType::Normal,
            "ScalingReplicaSet",
            &format!("Scaled {dir} replica set {name} from {from} to {to}"),
            SOURCE,
        );
    }
}

/// (maxSurge, maxUnavailable) resolved against spec.replicas.
fn surge_unavailable(d: &Value) -> (i64, i64) {
    if d["spec"]["strategy"]["type"] == "Recreate" {
        return (0, 0);
    }
    let replicas = d["spec"]["replicas"].as_i64().unwrap_or(1).max(0);
    let ru = &d["spec"]["strategy"]["rollingUpdate"];
    let surge_v = if ru["maxSurge"].is_null() {
        json!("25%")
    } else {
        ru["maxSurge"].clone()
    };
    let unavail_v = if ru["maxUnavailable"].is_null() {
        json!("25%")
    } else {
        ru["maxUnavailable"].clone()
    };
    let surge = scaled_value(&surge_v, replicas, true);
    let mut unavailable = scaled_value(&unavail_v, replicas, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable.min(replicas))
}

/// One step of a rolling update (NewRSNewReplicas + reconcileOldReplicaSets).
fn rollout_rolling(cx: &Cx, d: &Value, all: &mut [Arc<Value>], new_i: usize, replicas: i64) {
    let (surge, max_unavailable) = surge_unavailable(d);
    // Scale the new ReplicaSet up within the surge.
    let total: i64 = all.iter().map(|r| spec_replicas(r)).sum();
    let new_replicas = spec_replicas(&all[new_i]);
    if new_replicas > replicas {
        scale(cx, d, &mut all[new_i], replicas);
    } else if new_replicas < replicas {
        let max_total = replicas + surge;
        if total < max_total {
            let up = (max_total - total).min(replicas - new_replicas);
            scale(cx, d, &mut all[new_i], new_replicas + up);
        }
    }
    // Scale old ones down without going below minAvailable.
    let total: i64 = all.iter().map(|r| spec_replicas(r)).sum();
    let min_available = replicas - max_unavailable;
    let new_unavailable =
        (spec_replicas(&all[new_i]) - status_count(&all[new_i], "availableReplicas")).max(0);
    let mut max_scaled_down = total - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return;
    }
    // First the old replicas that are not available anyway.
    for (i, rs) in all.iter_mut().enumerate() {
        if i == new_i || max_scaled_down <= 0 {
            continue;
        }
        let r = spec_replicas(rs);
        let unhealthy = (r - status_count(rs, "availableReplicas")).max(0);
        let down = unhealthy.min(max_scaled_down).min(r);
        if down > 0 {
            scale(cx, d, rs, r - down);
            max_scaled_down -= down;
        }
    }
    let available: i64 = all
        .iter()
        .map(|r| status_count(r, "availableReplicas").min(spec_replicas(r)))
        .sum();
    if available <= min_available {
        return;
    }
    let mut budget = (available - min_available).min(max_scaled_down);
    for (i, rs) in all.iter_mut().enumerate() {
        if i == new_i || budget <= 0 {
            continue;
        }
        let r = spec_replicas(rs);
        let down = r.min(budget);
        if down > 0 {
            scale(cx, d, rs, r - down);
            budget -= down;
        }
    }
}

/// Recreate: old ReplicaSets to zero, wait until their pods are gone, then the new one up.
/// Returns a newly created ReplicaSet.
fn rollout_recreate(
    cx: &Cx,
    d: &Value,
    all: &mut [Arc<Value>],
    new_idx: Option<usize>,
    replicas: i64,
) -> Option<Arc<Value>> {
    let mut scaled_down = false;
    for (i, rs) in all.iter_mut().enumerate() {
        if Some(i) != new_idx && spec_replicas(rs) > 0 {
            scale(cx, d, rs, 0);
            scaled_down = true;
        }
    }
    if scaled_down {
        return None;
    }
    let old_uids: Vec<String> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != new_idx)
        .map(|(_, r)| meta::uid_of(r).to_string())
        .collect();
    let old_running = cx
        .list(*ids::PODS, Some(meta::namespace_of(d)))
        .iter()
        .any(|p| {
            !is_pod_finished(p)
                && controller_uid(p).is_some_and(|u| old_uids.iter().any(|o| o == u))
        });
    if old_running {
        return None;
    }
    match new_idx {
        Some(i) => {
            ensure_latest_revision(cx, d, all, i);
            scale(cx, d, &mut all[i], replicas);
            None
        }
        None => create_new_rs(cx, d, all, replicas),
    }
}

/// Delete old ReplicaSets with no replicas beyond `revisionHistoryLimit`, oldest first.
fn cleanup(cx: &Cx, d: &Value, all: &[Arc<Value>]) {
    let limit = d["spec"]["revisionHistoryLimit"]
        .as_i64()
        .unwrap_or(10)
        .max(0);
    let template = &d["spec"]["template"];
    let mut old: Vec<&Arc<Value>> = all
        .iter()
        .filter(|rs| {
            !equal_ignore_hash(&rs["spec"]["template"], template)
                && spec_replicas(rs) == 0
                && status_count(rs, "replicas") == 0
        })
        .collect();
    old.sort_by_key(|rs| revision_of(rs));
    let excess = old
        .len()
        .saturating_sub(usize::try_from(limit).unwrap_or(0));
    for rs in old.into_iter().take(excess) {
        cx.delete(
            *ids::REPLICASETS,
            meta::namespace_of(d),
            meta::name_of(rs),
            "Background",
        );
    }
}

fn update_status(cx: &Cx, d: &Value, all: &[Arc<Value>]) -> Requeue {
    let template = &d["spec"]["template"];
    let new = all
        .iter()
        .find(|rs| equal_ignore_hash(&rs["spec"]["template"], template));
    let replicas = d["spec"]["replicas"].as_i64().unwrap_or(1).max(0);
    let sum = |f: &str| all.iter().map(|r| status_count(r, f)).sum::<i64>();
    let total = sum("replicas");
    let ready = sum("readyReplicas");
    let available = sum("availableReplicas");
    let updated = new.map_or(0, |rs| status_count(rs, "replicas"));
    let unavailable = (replicas - available).max(0);
    let (_, max_unavailable) = surge_unavailable(d);
    let generation = d["metadata"]["generation"].clone();
    let available_cond = if available >= replicas - max_unavailable {
        json!({"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."})
    } else {
        json!({"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability."})
    };
    let new_name = new.map(|rs| meta::name_of(rs).to_string());
    let complete = new.is_some()
        && updated == replicas
        && available >= replicas
        && total == replicas
        && new.is_some_and(|rs| status_count(rs, "availableReplicas") >= replicas);
    // Progress (for progressDeadlineSeconds): more updated/ready/available pods, fewer old
    // ones, or a new spec generation.
    let old = &d["status"];
    let was = |f: &str| old[f].as_i64().unwrap_or(0);
    let progressed = updated > was("updatedReplicas")
        || ready > was("readyReplicas")
        || available > was("availableReplicas")
        || total - updated < was("replicas") - was("updatedReplicas")
        || old["observedGeneration"] != d["metadata"]["generation"];
    let old_prog = old["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Progressing"))
        .cloned()
        .unwrap_or(Value::Null);
    let deadline = d["spec"]["progressDeadlineSeconds"].as_i64().unwrap_or(600);
    let since = old_prog["lastUpdateTime"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(0, |t| {
            (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds()
        });
    let exceeded = !complete
        && !progressed
        && (old_prog["reason"] == "ProgressDeadlineExceeded" || since >= deadline);
    let progressing = new_name.as_ref().map(|n| {
        if complete {
            json!({"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{n}\" has successfully progressed.")})
        } else if exceeded {
            json!({"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": format!("ReplicaSet \"{n}\" has timed out progressing.")})
        } else {
            json!({"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated", "message": format!("ReplicaSet \"{n}\" is progressing.")})
        }
    });
    // NB: the deadline is the user's timeout in real seconds, whatever the cluster's pace.
    let requeue = if complete || exceeded {
        Requeue::Done
    } else if progressed {
        Requeue::After(Duration::from_secs(deadline.max(1).unsigned_abs()))
    } else {
        Requeue::After(Duration::from_secs(
            (deadline - since).max(1).unsigned_abs(),
        ))
    };
    let paused = d["spec"]["paused"] == true;
    let revision = new.map(|rs| revision_of(rs)).filter(|r| *r > 0);
    cx.update(
        *ids::DEPLOYMENTS,
        meta::namespace_of(d),
        meta::name_of(d),
        |v| {
            if let Some(r) = revision {
                meta::object_field(meta_value(v), "annotations");
                v["metadata"]["annotations"][REVISION] = json!(r.to_string());
            }
            if !v["status"].is_object() {
                v["status"] = json!({});
            }
            let st = &mut v["status"];
            st["observedGeneration"] = generation;
            st["replicas"] = json!(total);
            st["updatedReplicas"] = json!(updated);
            st["readyReplicas"] = json!(ready);
            st["availableReplicas"] = json!(available);
            st["unavailableReplicas"] = json!(unavailable);
            if let Some(m) = st.as_object_mut() {
                for k in [
                    "replicas",
                    "updatedReplicas",
                    "readyReplicas",
                    "availableReplicas",
                    "unavailableReplicas",
                ] {
                    if m.get(k) == Some(&json!(0)) {
                        m.remove(k);
                    }
                }
            }
            set_condition(st, available_cond, true);
            if paused {
                set_condition(
                    st,
                    json!({"type": "Progressing", "status": "Unknown", "reason": "DeploymentPaused", "message": "Deployment is paused"}),
                    true,
                );
            } else if let Some(p) = progressing {
                set_condition(st, p, true);
                if progressed
                    && let Some(c) = st["conditions"]
                        .as_array_mut()
                        .and_then(|cs| cs.iter_mut().find(|c| c["type"] == "Progressing"))
                {
                    c["lastUpdateTime"] = json!(meta::now());
                }
            }
        },
    );
    requeue
}
