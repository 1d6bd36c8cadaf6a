//! LimitRange defaults/limits and ResourceQuota admission for pods and PVCs, plus object
//! counts (`pods`, `count/<plural>`), with kube-apiserver's Forbidden wording.

use super::quantity;
use crate::admission::meta;
use crate::api::error::{ApiError, ApiResult};
use crate::cluster::Cluster;
use crate::registry::{ResourceDef, find, ids};
use crate::store::Change;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

fn q(v: &Value) -> f64 {
    v.as_str()
        .and_then(quantity::parse)
        .or_else(|| v.as_f64())
        .unwrap_or(0.0)
}

/// Apply LimitRange defaults and enforce min/max.
///
/// # Errors
/// Forbidden when a container or claim is outside the range.
pub fn limit_ranges(cluster: &Cluster, def: &ResourceDef, obj: &mut Value) -> ApiResult<()> {
    if def.plural != "pods" && def.plural != "persistentvolumeclaims" {
        return Ok(());
    }
    let ns = meta::namespace_of(obj).to_string();
    let name = meta::name_of(obj).to_string();
    let (ranges, _) = cluster.store().list(*ids::LIMITRANGES, Some(&ns));
    let forbid = |msg: String| {
        ApiError::forbidden(
            def,
            &name,
            format!("{} \"{name}\" is forbidden: {msg}", def.plural),
        )
    };
    for lr in ranges {
        for item in lr["spec"]["limits"].as_array().into_iter().flatten() {
            let ty = item["type"].as_str().unwrap_or_default();
            if def.plural == "pods" && ty == "Container" {
                let Some(containers) = obj["spec"]["containers"].as_array_mut() else {
                    continue;
                };
                for c in containers {
                    let res = c
                        .as_object_mut()
                        .map(|m| m.entry("resources").or_insert_with(|| json!({})));
                    let Some(res) = res.and_then(Value::as_object_mut) else {
                        continue;
                    };
                    for (key, src) in [("limits", "default"), ("requests", "defaultRequest")] {
                        if let Some(d) = item[src].as_object() {
                            let target = res.entry(key).or_insert_with(|| json!({}));
                            if let Some(t) = target.as_object_mut() {
                                for (r, v) in d {
                                    t.entry(r.clone()).or_insert_with(|| v.clone());
                                }
                            }
                        }
                    }
                    // Requests default to limits when only limits are known.
                    if let Some(l) = res.get("limits").and_then(Value::as_object).cloned() {
                        let req = res.entry("requests").or_insert_with(|| json!({}));
                        if let Some(r) = req.as_object_mut() {
                            for (k, v) in l {
                                r.entry(k).or_insert(v);
                            }
                        }
                    }
                    for (r, max) in item["max"].as_object().into_iter().flatten() {
                        let lim = &res.get("limits").cloned().unwrap_or_default()[r];
                        if !lim.is_null() && q(lim) > q(max) {
                            return Err(forbid(format!(
                                "maximum {r} usage per Container is {}, but limit is {}",
                                max.as_str().unwrap_or_default(),
                                lim.as_str().unwrap_or_default()
                            )));
                        }
                    }
                    for (r, min) in item["min"].as_object().into_iter().flatten() {
                        let req = &res.get("requests").cloned().unwrap_or_default()[r];
                        if req.is_null() || q(req) < q(min) {
                            return Err(forbid(format!(
                                "minimum {r} usage per Container is {}, but request is {}",
                                min.as_str().unwrap_or_default(),
                                req.as_str().unwrap_or("0")
                            )));
                        }
                    }
                }
            }
            if def.plural == "persistentvolumeclaims" && ty == "PersistentVolumeClaim" {
                let req = obj["spec"]["resources"]["requests"]["storage"].clone();
                if let Some(max) = item["max"]["storage"].as_str()
                    && q(&req) > q(&json!(max))
                {
                    return Err(forbid(format!(
                        "maximum storage usage per PersistentVolumeClaim is {max}, but request is {}",
                        req.as_str().unwrap_or_default()
                    )));
                }
                if let Some(min) = item["min"]["storage"].as_str()
                    && q(&req) < q(&json!(min))
                {
                    return Err(forbid(format!(
                        "minimum storage usage per PersistentVolumeClaim is {min}, but request is {}",
                        req.as_str().unwrap_or_default()
                    )));
                }
            }
        }
    }
    Ok(())
}

/// What one object consumes, by quota resource name.
fn usage_of(plural: &str, obj: &Value) -> BTreeMap<String, f64> {
    let mut u = BTreeMap::new();
    u.insert(format!("count/{plural}"), 1.0);
    if matches!(
        plural,
        "pods"
            | "services"
            | "configmaps"
            | "secrets"
            | "persistentvolumeclaims"
            | "resourcequotas"
    ) {
        u.insert(plural.to_string(), 1.0);
    }
    match plural {
        "pods" => {
            for c in obj["spec"]["containers"].as_array().into_iter().flatten() {
                for (kind, prefix) in [("requests", "requests."), ("limits", "limits.")] {
                    for (r, v) in c["resources"][kind].as_object().into_iter().flatten() {
                        *u.entry(format!("{prefix}{r}")).or_insert(0.0) += q(v);
                        if kind == "requests" {
                            *u.entry(r.clone()).or_insert(0.0) += q(v);
                        }
                    }
                }
            }
        }
        "persistentvolumeclaims" => {
            let s = q(&obj["spec"]["resources"]["requests"]["storage"]);
            u.insert("requests.storage".into(), s);
            if let Some(sc) = obj["spec"]["storageClassName"].as_str() {
                u.insert(
                    format!("{sc}.storageclass.storage.k8s.io/requests.storage"),
                    s,
                );
                u.insert(
                    format!("{sc}.storageclass.storage.k8s.io/persistentvolumeclaims"),
                    1.0,
                );
            }
        }
        _ => {}
    }
    u
}

fn counts(plural: &str, obj: &Value) -> bool {
    // Terminal pods no longer consume quota.
    !(plural == "pods"
        && matches!(
            obj["status"]["phase"].as_str(),
            Some("Succeeded" | "Failed")
        ))
}

fn namespace_usage(cluster: &Cluster, ns: &str, plurals: &[&str]) -> BTreeMap<String, f64> {
    let mut total = BTreeMap::new();
    for plural in plurals {
        let Some(res) = find(
            if *plural == "deployments" { "apps" } else { "" },
            "v1",
            plural,
        ) else {
            continue;
        };
        let (items, _) = cluster.store().list(res, Some(ns));
        for o in items.iter().filter(|o| counts(plural, o)) {
            for (k, v) in usage_of(plural, o) {
                *total.entry(k).or_insert(0.0) += v;
            }
        }
    }
    total
}

/// An exceeded quota resource: (name, requested, used, hard limit).
type Over = (String, f64, f64, String);

const COUNTED: &[&str] = &[
    "pods",
    "services",
    "configmaps",
    "secrets",
    "persistentvolumeclaims",
];

/// Enforce ResourceQuota for a new object.
///
/// # Errors
/// Forbidden when a quota would be exceeded, or required requests/limits are missing.
pub fn check_quota(
    cluster: &Cluster,
    def: &ResourceDef,
    obj: &Value,
    _old: Option<&Value>,
) -> ApiResult<()> {
    if !COUNTED.contains(&def.plural) {
        return Ok(());
    }
    let ns = meta::namespace_of(obj).to_string();
    let name = meta::name_of(obj).to_string();
    let (quotas, _) = cluster.store().list(*ids::RESOURCEQUOTAS, Some(&ns));
    if quotas.is_empty() {
        return Ok(());
    }
    let requested = usage_of(def.plural, obj);
    let used = namespace_usage(cluster, &ns, COUNTED);
    let forbid = |msg: String| {
        ApiError::forbidden(
            def,
            &name,
            format!("{} \"{name}\" is forbidden: {msg}", def.plural),
        )
    };
    for quota in quotas {
        let qname = meta::name_of(&quota);
        let Some(hard) = quota["spec"]["hard"].as_object() else {
            continue;
        };
        if def.plural == "pods" {
            let mut missing: Vec<String> = Vec::new();
            let compute = [
                "requests.cpu",
                "requests.memory",
                "limits.cpu",
                "limits.memory",
                "cpu",
                "memory",
            ];
            for r in hard.keys().filter(|r| compute.contains(&r.as_str())) {
                let (kind, res) = match r.split_once('.') {
                    Some((k, res)) => (k, res),
                    None => ("requests", r.as_str()),
                };
                let without: Vec<&str> = obj["spec"]["containers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|c| c["resources"][kind][res].is_null())
                    .filter_map(|c| c["name"].as_str())
                    .collect();
                if !without.is_empty() {
                    missing.push(format!("{kind}.{res} for: {}", without.join(",")));
                }
            }
            if !missing.is_empty() {
                missing.sort();
                return Err(forbid(format!(
                    "failed quota: {qname}: must specify {}",
                    missing.join("; ")
                )));
            }
        }
        let mut over = Vec::new();
        for (r, limit) in hard {
            let want = requested.get(r).copied().unwrap_or(0.0);
            if want <= 0.0 {
                continue;
            }
            let have = used.get(r).copied().unwrap_or(0.0);
            if have + want > q(limit) + 1e-9 {
                over.push((
                    r.clone(),
                    want,
                    have,
                    limit.as_str().unwrap_or_default().to_string(),
                ));
            }
        }
        if !over.is_empty() {
            let fmt =
                |f: &dyn Fn(&Over) -> String| over.iter().map(f).collect::<Vec<_>>().join(",");
            return Err(forbid(format!(
                "exceeded quota: {qname}, requested: {}, used: {}, limited: {}",
                fmt(&|o| format!("{}={}", o.0, quantity::format(&o.0, o.1))),
                fmt(&|o| format!("{}={}", o.0, quantity::format(&o.0, o.2))),
                fmt(&|o| format!("{}={}", o.0, o.3)),
            )));
        }
    }
    Ok(())
}

/// Recompute `status.hard` / `status.used` of the namespace's quotas (the quota controller).
pub fn refresh_usage(cluster: &Cluster, ns: &str) {
    let (quotas, _) = cluster.store().list(*ids::RESOURCEQUOTAS, Some(ns));
    if quotas.is_empty() {
        return;
    }
    let used = namespace_usage(cluster, ns, COUNTED);
    for quota in quotas {
        let hard = quota["spec"]["hard"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut used_map = Map::new();
        for r in hard.keys() {
            used_map.insert(
                r.clone(),
                json!(quantity::format(r, used.get(r).copied().unwrap_or(0.0))),
            );
        }
        let status = json!({"hard": hard, "used": used_map});
        if quota["status"] == status {
            continue;
        }
        let name = meta::name_of(&quota).to_string();
        let _ = cluster
            .store()
            .write::<()>(*ids::RESOURCEQUOTAS, ns, &name, |cur| {
                let Some(cur) = cur else {
                    return Ok(Change::Keep);
                };
                let mut v = (**cur).clone();
                v["status"] = status;
                Ok(Change::Put(v))
            });
    }
}
