//! POST: decoding, generateName, defaulting, validation, admission and allocation.

use super::super::context::Ctx;
use super::super::error::{ApiError, ApiResult, Cause};
use super::super::managed;
use super::super::respond::{self, object_response};
use crate::admission::{self, defaults, meta, strict, validate};
use crate::cluster::Cluster;
use crate::registry::ResourceDef;
use crate::store::Change;
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

/// Decode, type-check and normalise a body for `def`; returns the object and warnings.
pub(crate) fn decode_body(
    ctx: &Ctx,
    def: &ResourceDef,
    value: &Value,
) -> ApiResult<(Value, Vec<String>)> {
    if !value.is_object() {
        return Err(ApiError::BadRequest(format!(
            "the object provided is unrecognized (must be of type {}): couldn't get version/kind; json parse error: expected an object",
            def.kind
        )));
    }
    if let Some(av) = value["apiVersion"].as_str()
        && av != def.api_version()
    {
        return Err(ApiError::BadRequest(format!(
            "the API version in the data ({av}) does not match the expected API version ({})",
            def.api_version()
        )));
    }
    if let Some(kind) = value["kind"].as_str()
        && kind != def.kind
    {
        return Err(ApiError::BadRequest(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            def.kind
        )));
    }
    let (mut obj, unknown) =
        strict::decode(def, value, ctx.params.field_validation).map_err(|e| match e {
            strict::DecodeError::Missing { field } => {
                ApiError::invalid(def, meta::name_of(value), vec![Cause::required(field)])
            }
            other => ApiError::BadRequest(other.to_string()),
        })?;
    obj["apiVersion"] = json!(def.api_version());
    obj["kind"] = json!(def.kind);
    let warnings = unknown
        .into_iter()
        .map(|f| format!("unknown field \"{f}\""))
        .collect();
    Ok((obj, warnings))
}

/// Random suffix for generateName (same alphabet as the apiserver).
fn random_suffix() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// POST: create an object.
pub fn create(ctx: &Ctx) -> ApiResult<Response> {
    let def = ctx.def();
    let value = ctx.body_value()?;
    let (mut obj, warnings) = decode_body(ctx, def, &value)?;
    if def.namespaced {
        let body_ns = meta::namespace_of(&obj);
        if !body_ns.is_empty() && body_ns != ctx.ns() {
            return Err(ApiError::BadRequest(
                "the namespace of the provided object does not match the namespace sent on the request".into(),
            ));
        }
        if ctx.route.namespace.is_none() {
            return Err(ApiError::NoRoute);
        }
    }
    if meta::name_of(&obj).is_empty()
        && let Some(g) = obj["metadata"]["generateName"]
            .as_str()
            .filter(|g| !g.is_empty())
    {
        let name = format!("{g}{}", random_suffix());
        meta::metadata(&mut obj).insert("name".into(), json!(name));
    }
    let stored = create_object(
        &ctx.cluster,
        def,
        ctx.route.namespace.as_deref(),
        obj,
        &ctx.field_manager(),
        ctx.params.dry_run,
    )?;
    let mut resp = object_response(201, &stored);
    respond::add_warnings(&mut resp, &warnings);
    Ok(resp)
}

/// The create pipeline shared by POST, SSA-create and internal callers.
///
/// # Errors
/// Invalid, AlreadyExists, admission errors.
pub fn create_object(
    cluster: &Cluster,
    def: &'static ResourceDef,
    namespace: Option<&str>,
    mut obj: Value,
    manager: &str,
    dry_run: bool,
) -> ApiResult<Arc<Value>> {
    let res = crate::registry::find(def.group, def.version, def.plural).unwrap_or_default();
    let name = meta::name_of(&obj).to_string();
    meta::stamp_create(&mut obj, def, namespace);
    let default_sc = if def.plural == "persistentvolumeclaims" {
        admission::default_storage_class(cluster)
    } else {
        None
    };
    defaults::apply(def.plural, &mut obj, default_sc.as_deref());
    let causes = validate::validate(def.plural, &obj, None);
    if !causes.is_empty() {
        return Err(ApiError::invalid(def, &name, causes));
    }
    admission::admit_create(cluster, def, &mut obj)?;
    let limit = cluster.runtime().limits.objects;
    if cluster.store().total() >= limit {
        return Err(ApiError::forbidden(
            def,
            &name,
            format!(
                "{} \"{name}\" is forbidden: this sandbox cluster already holds {limit} objects, its limit; delete some first",
                def.qualified()
            ),
        ));
    }
    allocate(cluster, def, &mut obj);
    if obj["metadata"]["managedFields"].is_null() {
        managed::record_update(&mut obj, None, manager, &def.api_version(), None);
    }
    if dry_run {
        if cluster
            .store()
            .get(res, namespace.unwrap_or_default(), &name)
            .is_some()
        {
            return Err(ApiError::already_exists(def, &name));
        }
        return Ok(Arc::new(obj));
    }
    let out = cluster
        .store()
        .write(res, namespace.unwrap_or_default(), &name, |cur| {
            if cur.is_some() {
                return Err(ApiError::already_exists(def, &name));
            }
            Ok(Change::Put(obj))
        })?;
    let stored = out
        .object()
        .cloned()
        .ok_or_else(|| ApiError::Internal("object vanished".into()))?;
    if def.plural == "namespaces" {
        crate::bootstrap::namespace_side_effects(cluster, &name);
    }
    if matches!(
        def.plural,
        "pods"
            | "persistentvolumeclaims"
            | "services"
            | "configmaps"
            | "secrets"
            | "resourcequotas"
    ) {
        admission::quota::refresh_usage(cluster, meta::namespace_of(&stored));
    }
    Ok(stored)
}

/// Server-allocated fields: Service ClusterIP / NodePorts (only those still missing).
pub(crate) fn allocate(cluster: &Cluster, def: &ResourceDef, obj: &mut Value) {
    if def.plural != "services" {
        return;
    }
    let ty = obj["spec"]["type"]
        .as_str()
        .unwrap_or("ClusterIP")
        .to_string();
    if ty == "ExternalName" {
        return;
    }
    if obj["spec"]["clusterIP"].is_null() || obj["spec"]["clusterIP"] == "" {
        let ip = cluster.allocate_cluster_ip();
        obj["spec"]["clusterIP"] = json!(ip);
        obj["spec"]["clusterIPs"] = json!([ip]);
    } else if obj["spec"]["clusterIPs"].is_null() {
        let ip = obj["spec"]["clusterIP"].clone();
        obj["spec"]["clusterIPs"] = json!([ip]);
    }
    if matches!(ty.as_str(), "NodePort" | "LoadBalancer")
        && let Some(ports) = obj["spec"]["ports"].as_array_mut()
    {
        for p in ports {
            if p["nodePort"].is_null() {
                p["nodePort"] = json!(cluster.allocate_node_port());
            }
        }
    }
}
