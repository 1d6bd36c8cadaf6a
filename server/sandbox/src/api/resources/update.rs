//! PUT and PATCH (JSON, merge, strategic merge, server-side apply) on objects and /status.

use super::super::context::Ctx;
use super::super::error::{ApiError, ApiResult};
use super::super::managed;
use super::super::patch::{self, PatchKind};
use super::super::respond::{self, object_response};
use super::{create_object, decode_body, scale_of, scale_write};
use crate::admission::{self, defaults, meta, strict, validate};
use crate::gc;
use crate::registry::ResourceDef;
use crate::store::{Change, Outcome};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

/// Carry server-owned state from the stored object into a replacement, then default,
/// validate and bump generation. `sub` is the subresource being written.
pub(crate) fn prepare_update(
    def: &ResourceDef,
    old: &Value,
    mut new: Value,
    sub: Option<&str>,
) -> ApiResult<Value> {
    let name = meta::name_of(old).to_string();
    if sub == Some("status") {
        // Only status changes through /status.
        let mut merged = old.clone();
        merged["status"] = new["status"].take();
        new = merged;
    } else {
        let has_status = def.subresources.contains(&"status");
        if has_status && def.plural != "namespaces" {
            new["status"] = old["status"].clone();
            if new["status"].is_null()
                && let Some(m) = new.as_object_mut()
            {
                m.remove("status");
            }
        }
    }
    {
        let md = meta::metadata(&mut new);
        for k in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ] {
            match old["metadata"].get(k) {
                Some(v) if !v.is_null() => {
                    md.insert(k.into(), v.clone());
                }
                _ => {
                    md.remove(k);
                }
            }
        }
        md.insert("name".into(), json!(name));
        if def.namespaced {
            md.insert("namespace".into(), old["metadata"]["namespace"].clone());
        }
    }
    let default_sc = None;
    defaults::apply(def.plural, &mut new, default_sc);
    if def.plural == "persistentvolumeclaims" && new["spec"]["storageClassName"].is_null() {
        new["spec"]["storageClassName"] = old["spec"]["storageClassName"].clone();
    }
    if def.plural == "services" {
        service_type_fields(old, &mut new);
    }
    let causes = validate::validate(def.plural, &new, Some(old));
    if !causes.is_empty() {
        return Err(ApiError::invalid(def, &name, causes));
    }
    if def.tracks_generation() && sub.is_none() && new["spec"] != old["spec"] {
        let g = old["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
        meta::metadata(&mut new).insert("generation".into(), json!(g));
    }
    Ok(new)
}

/// Carry allocated Service fields over an update, and drop those the new type does not use
/// (like the apiserver's `dropTypeDependentFields`): ClusterIPs stay unless the Service becomes
/// ExternalName; NodePorts stay for the same port while the type still uses them.
fn service_type_fields(old: &Value, new: &mut Value) {
    let ty = new["spec"]["type"]
        .as_str()
        .unwrap_or("ClusterIP")
        .to_string();
    if ty == "ExternalName" {
        if let Some(spec) = new["spec"].as_object_mut()
            && old["spec"]["type"] != "ExternalName"
        {
            for k in ["clusterIP", "clusterIPs"] {
                if spec.get(k) == old["spec"].get(k) {
                    spec.remove(k);
                }
            }
        }
    } else {
        for k in ["clusterIP", "clusterIPs"] {
            if new["spec"][k].is_null() && !old["spec"][k].is_null() {
                new["spec"][k] = old["spec"][k].clone();
            }
        }
    }
    let uses_node_ports = matches!(ty.as_str(), "NodePort" | "LoadBalancer");
    let old_ports = old["spec"]["ports"].as_array().cloned().unwrap_or_default();
    if let Some(ports) = new["spec"]["ports"].as_array_mut() {
        for p in ports {
            if !uses_node_ports {
                if let Some(m) = p.as_object_mut() {
                    m.remove("nodePort");
                }
                continue;
            }
            if p["nodePort"].is_null()
                && let Some(o) = old_ports.iter().find(|o| {
                    o["port"] == p["port"]
                        && o["protocol"] == p["protocol"]
                        && !o["nodePort"].is_null()
                })
            {
                p["nodePort"] = o["nodePort"].clone();
            }
        }
    }
}

/// Write a prepared replacement with optimistic concurrency on `expected_rv`.
pub(crate) fn commit_update(ctx: &Ctx, old_rv: &str, new: Value) -> ApiResult<Arc<Value>> {
    let def = ctx.def();
    let mut new = new;
    if def.plural == "services" {
        // A type change to NodePort/LoadBalancer (or back from ExternalName) needs allocations.
        super::create::allocate(&ctx.cluster, def, &mut new);
    }
    let name = ctx.name().to_string();
    if ctx.params.dry_run {
        return Ok(Arc::new(new));
    }
    let out = ctx
        .cluster
        .store()
        .write(ctx.route.res, ctx.ns(), &name, |cur| {
            let Some(cur) = cur else {
                return Err(ApiError::not_found(def, &name));
            };
            if cur["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or_default()
                != old_rv
            {
                return Err(ApiError::stale(def, &name));
            }
            if **cur == new {
                return Ok(Change::Keep);
            }
            Ok(Change::Put(new))
        })?;
    let obj = out
        .object()
        .cloned()
        .ok_or_else(|| ApiError::Internal("object vanished".into()))?;
    if matches!(out, Outcome::Deleted(_)) {
        gc::after_delete(&ctx.cluster, def, &obj);
    }
    if matches!(
        def.plural,
        "pods" | "persistentvolumeclaims" | "resourcequotas"
    ) {
        admission::quota::refresh_usage(&ctx.cluster, ctx.ns());
    }
    Ok(obj)
}

/// PUT: replace an object (or its status / scale).
pub fn update(ctx: &Ctx) -> ApiResult<Response> {
    let def = ctx.def();
    let name = ctx.name().to_string();
    let sub = ctx.route.subresource.as_deref();
    let value = ctx.body_value()?;
    let old = ctx
        .cluster
        .store()
        .get(ctx.route.res, ctx.ns(), &name)
        .ok_or_else(|| ApiError::not_found(def, &name))?;
    if sub == Some("scale") {
        let replicas = value["spec"]["replicas"].clone();
        return scale_write(
            ctx,
            &old,
            replicas,
            value["metadata"]["resourceVersion"].as_str(),
        );
    }
    let (new, warnings) = decode_body(ctx, def, &value)?;
    let body_name = meta::name_of(&new);
    if body_name != name {
        return Err(ApiError::BadRequest(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let old_rv = old["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if let Some(rv) = new["metadata"]["resourceVersion"].as_str()
        && rv != old_rv
    {
        return Err(ApiError::stale(def, &name));
    }
    let mut prepared = prepare_update(def, &old, new, sub)?;
    managed::record_update(
        &mut prepared,
        Some(&old),
        &ctx.field_manager(),
        &def.api_version(),
        sub,
    );
    if def.plural == "namespaces" && sub == Some("finalize") {
        // finalize only changes spec.finalizers.
    }
    let stored = commit_update(ctx, &old_rv, prepared)?;
    let mut resp = object_response(200, &stored);
    respond::add_warnings(&mut resp, &warnings);
    Ok(resp)
}

/// PATCH (JSON, merge, strategic, apply), including on /status and /scale.
pub fn patch(ctx: &Ctx) -> ApiResult<Response> {
    let def = ctx.def();
    let name = ctx.name().to_string();
    let sub = ctx.route.subresource.as_deref();
    let kind = PatchKind::from_content_type(ctx.content_type())?;
    let patch_body = ctx.body_value()?;
    let old = ctx.cluster.store().get(ctx.route.res, ctx.ns(), &name);
    if kind == PatchKind::Apply {
        return apply(ctx, old, &patch_body);
    }
    let old = old.ok_or_else(|| ApiError::not_found(def, &name))?;
    if sub == Some("scale") {
        let scale = scale_of(def, &old);
        let patched = run_patch(kind, &scale, &patch_body)?;
        return scale_write(
            ctx,
            &old,
            patched["spec"]["replicas"].clone(),
            patched["metadata"]["resourceVersion"].as_str(),
        );
    }
    let patched = run_patch(kind, &old, &patch_body)?;
    let old_rv = old["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if let Some(rv) = patched["metadata"]["resourceVersion"].as_str()
        && rv != old_rv
    {
        return Err(ApiError::stale(def, &name));
    }
    if meta::name_of(&patched) != name {
        return Err(ApiError::BadRequest(format!(
            "metadata.name: Invalid value: \"{}\": field is immutable",
            meta::name_of(&patched)
        )));
    }
    let (new, warnings) = decode_body(ctx, def, &patched)?;
    let mut prepared = prepare_update(def, &old, new, sub)?;
    managed::record_update(
        &mut prepared,
        Some(&old),
        &ctx.field_manager(),
        &def.api_version(),
        sub,
    );
    let stored = commit_update(ctx, &old_rv, prepared)?;
    let mut resp = object_response(200, &stored);
    respond::add_warnings(&mut resp, &warnings);
    Ok(resp)
}

fn run_patch(kind: PatchKind, target: &Value, body: &Value) -> ApiResult<Value> {
    match kind {
        PatchKind::Json => patch::json_patch(target, body),
        PatchKind::Merge => patch::merge_patch(target, body),
        PatchKind::Strategic | PatchKind::Apply => patch::strategic_merge(target, body),
    }
}

/// Server-side apply.
fn apply(ctx: &Ctx, old: Option<Arc<Value>>, config: &Value) -> ApiResult<Response> {
    let def = ctx.def();
    let name = ctx.name().to_string();
    let sub = ctx.route.subresource.as_deref();
    let Some(manager) = ctx.params.field_manager.clone().filter(|m| !m.is_empty()) else {
        return Err(ApiError::BadRequest(
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch".into(),
        ));
    };
    // Type-check the applied configuration itself. Apply needs a schema for every field, so
    // unknown fields are always rejected, like structured-merge-diff does.
    if let Ok((_, unknown)) = strict::decode(def, config, strict::FieldValidation::Ignore)
        && let Some(f) = unknown.first()
    {
        let gv = if def.group.is_empty() {
            format!("/{}", def.version)
        } else {
            def.api_version()
        };
        return Err(ApiError::BadRequest(format!(
            "failed to create typed patch object ({gv}, Kind={}): .{f}: field not declared in schema",
            def.kind
        )));
    }
    // NB: apply configurations are partial: required fields may be missing from them (the
    // merged result is checked below), so only type errors are fatal here.
    let (config, warnings) = match decode_body(ctx, def, config) {
        Ok(ok) => ok,
        Err(ApiError::Invalid { .. }) if config.is_object() => (config.clone(), Vec::new()),
        Err(e) => return Err(e),
    };
    let cfg_name = meta::name_of(&config);
    if cfg_name != name {
        return Err(ApiError::BadRequest(format!(
            "the name of the object ({cfg_name}) does not match the name on the URL ({name})"
        )));
    }
    let conflict = |message: String| ApiError::Conflict {
        resource: def.plural.into(),
        group: def.group.into(),
        name: name.clone(),
        message,
    };
    let api_version = def.api_version();
    match old {
        None => {
            let obj = managed::apply(
                None,
                &config,
                &manager,
                ctx.params.force,
                &api_version,
                sub,
                conflict,
            )?;
            let (obj, _) = decode_body(ctx, def, &obj)?;
            let stored = create_object(
                &ctx.cluster,
                def,
                ctx.route.namespace.as_deref(),
                obj,
                &manager,
                ctx.params.dry_run,
            )?;
            let mut resp = object_response(201, &stored);
            respond::add_warnings(&mut resp, &warnings);
            Ok(resp)
        }
        Some(old) => {
            let merged = managed::apply(
                Some(&old),
                &config,
                &manager,
                ctx.params.force,
                &api_version,
                sub,
                conflict,
            )?;
            let old_rv = old["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let (new, _) = decode_body(ctx, def, &merged)?;
            let prepared = prepare_update(def, &old, new, sub)?;
            let stored = commit_update(ctx, &old_rv, prepared)?;
            let mut resp = object_response(200, &stored);
            respond::add_warnings(&mut resp, &warnings);
            Ok(resp)
        }
    }
}
