//! DELETE and DELETE-collection: preconditions, finalizers, propagation policies.

use super::super::context::Ctx;
use super::super::error::{ApiError, ApiResult, Cause};
use super::super::respond::{json_response, object_response};
use super::Filter;
use crate::admission::{self, meta};
use crate::cluster::Cluster;
use crate::gc;
use crate::registry::{ResourceDef, ids};
use crate::store::{Change, Outcome};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

/// Delete options from the body and query.
#[derive(Debug, Default)]
pub struct DeleteOptions {
    pub propagation: Option<String>,
    pub grace: Option<i64>,
    pub uid: Option<String>,
    pub rv: Option<String>,
}

fn delete_options(ctx: &Ctx) -> ApiResult<DeleteOptions> {
    let mut o = DeleteOptions {
        propagation: ctx.params.propagation_policy.clone(),
        grace: ctx.params.grace_period_seconds,
        ..Default::default()
    };
    if !ctx.body.is_empty() {
        let v = ctx.body_value()?;
        if let Some(p) = v["propagationPolicy"].as_str() {
            o.propagation = Some(p.into());
        }
        if let Some(g) = v["gracePeriodSeconds"].as_i64() {
            o.grace = Some(g);
        }
        if v["orphanDependents"] == true {
            o.propagation = Some("Orphan".into());
        }
        o.uid = v["preconditions"]["uid"].as_str().map(String::from);
        o.rv = v["preconditions"]["resourceVersion"]
            .as_str()
            .map(String::from);
    }
    if let Some(p) = &o.propagation
        && !matches!(p.as_str(), "Foreground" | "Background" | "Orphan")
    {
        return Err(ApiError::Invalid {
            kind: "DeleteOptions".into(),
            group: "meta.k8s.io".into(),
            name: String::new(),
            causes: vec![Cause {
                reason: "FieldValueNotSupported",
                field: "propagationPolicy".into(),
                message: format!(
                    "Unsupported value: \"{p}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
                ),
            }],
        });
    }
    Ok(o)
}

/// DELETE one object.
pub fn delete(ctx: &Ctx) -> ApiResult<Response> {
    let opts = delete_options(ctx)?;
    let obj = delete_one(
        &ctx.cluster,
        ctx.def(),
        ctx.route.res,
        ctx.ns(),
        ctx.name(),
        &opts,
        ctx.params.dry_run,
    )?;
    Ok(object_response(200, &obj))
}

/// Delete with Kubernetes semantics (preconditions, finalizers, propagation, namespaces).
///
/// # Errors
/// NotFound, Conflict on failed preconditions.
pub fn delete_one(
    cluster: &Cluster,
    def: &'static ResourceDef,
    res: usize,
    ns: &str,
    name: &str,
    opts: &DeleteOptions,
    dry_run: bool,
) -> ApiResult<Arc<Value>> {
    let cur = cluster
        .store()
        .get(res, ns, name)
        .ok_or_else(|| ApiError::not_found(def, name))?;
    if let Some(uid) = &opts.uid
        && uid != meta::uid_of(&cur)
    {
        return Err(ApiError::Conflict {
            resource: def.plural.into(),
            group: def.group.into(),
            name: name.into(),
            message: format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                meta::uid_of(&cur)
            ),
        });
    }
    if let Some(rv) = &opts.rv {
        let have = cur["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default();
        if rv != have {
            return Err(ApiError::Conflict {
                resource: def.plural.into(),
                group: def.group.into(),
                name: name.into(),
                message: format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {have}"
                ),
            });
        }
    }
    if dry_run {
        return Ok(cur);
    }
    let policy = opts
        .propagation
        .clone()
        .unwrap_or_else(|| "Background".into());
    if def.plural == "namespaces" {
        return gc::delete_namespace(cluster, name);
    }
    // Pods bound to a node get a grace period (the kubelet would stop them); others go at once.
    let grace = if def.plural == "pods" {
        let phase = cur["status"]["phase"].as_str().unwrap_or_default();
        let bound = !cur["spec"]["nodeName"].is_null();
        let g = opts.grace.unwrap_or_else(|| {
            cur["spec"]["terminationGracePeriodSeconds"]
                .as_i64()
                .unwrap_or(30)
        });
        if !bound || phase == "Succeeded" || phase == "Failed" {
            0
        } else {
            g
        }
    } else {
        0
    };
    let extra_finalizer = match policy.as_str() {
        "Foreground" => Some("foregroundDeletion"),
        "Orphan" => Some("orphan"),
        _ => None,
    };
    let out = cluster.store().write(res, ns, name, |cur| {
        let Some(cur) = cur else {
            return Err(ApiError::not_found(def, name));
        };
        let has_finalizers = cur["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
        if !has_finalizers && extra_finalizer.is_none() && grace == 0 {
            return Ok(Change::Delete);
        }
        let mut v = (**cur).clone();
        let md = meta::metadata(&mut v);
        if !md.contains_key("deletionTimestamp") {
            md.insert("deletionTimestamp".into(), json!(meta::now()));
            md.insert("deletionGracePeriodSeconds".into(), json!(grace));
        }
        if let Some(f) = extra_finalizer {
            let list = md.entry("finalizers").or_insert_with(|| json!([]));
            if let Some(a) = list.as_array_mut()
                && !a.iter().any(|x| x == f)
            {
                a.push(json!(f));
            }
        }
        Ok(Change::Put(v))
    })?;
    let obj = out
        .object()
        .cloned()
        .ok_or_else(|| ApiError::Internal("object vanished".into()))?;
    match &out {
        Outcome::Deleted(o) => {
            gc::after_delete(cluster, def, o);
        }
        Outcome::Updated(o) => {
            gc::after_mark(cluster, def, res, o, grace);
        }
        _ => {}
    }
    if matches!(
        def.plural,
        "pods" | "persistentvolumeclaims" | "services" | "configmaps" | "secrets"
    ) {
        admission::quota::refresh_usage(cluster, ns);
    }
    Ok(obj)
}

/// DELETE on a collection.
pub fn delete_collection(ctx: &Ctx) -> ApiResult<Response> {
    let def = ctx.def();
    let filter = Filter::from_ctx(ctx)?;
    let opts = delete_options(ctx)?;
    let (all, _) = ctx
        .cluster
        .store()
        .list(ctx.route.res, ctx.route.namespace.as_deref());
    let mut items = Vec::new();
    for obj in all.iter().filter(|o| filter.matches(o)) {
        match delete_one(
            &ctx.cluster,
            def,
            ctx.route.res,
            meta::namespace_of(obj),
            meta::name_of(obj),
            &opts,
            ctx.params.dry_run,
        ) {
            Ok(o) => items.push((*o).clone()),
            Err(ApiError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let rv = ctx.cluster.store().resource_version();
    Ok(json_response(
        200,
        &json!({"kind": format!("{}List", def.kind), "apiVersion": def.api_version(), "metadata": {"resourceVersion": rv.to_string()}, "items": items}),
    ))
}

/// Whether the namespace of a request exists (used for list in a missing namespace: the real
/// server returns an empty list, so this is only informative).
pub fn namespace_exists(cluster: &Cluster, ns: &str) -> bool {
    cluster.store().get(*ids::NAMESPACES, "", ns).is_some()
}
