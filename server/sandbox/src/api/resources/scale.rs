//! The `/scale` subresource (autoscaling/v1 Scale).

use super::super::context::Ctx;
use super::super::error::{ApiError, ApiResult, Cause};
use super::super::managed;
use super::super::respond::json_response;
use super::super::table;
use super::{commit_update, prepare_update};
use crate::registry::ResourceDef;
use axum::response::Response;
use serde_json::{Value, json};

/// autoscaling/v1 Scale of a workload.
pub(crate) fn scale_of(_def: &ResourceDef, obj: &Value) -> Value {
    let selector = table::selector_string(&obj["spec"]["selector"]);
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": obj["metadata"]["name"],
            "namespace": obj["metadata"]["namespace"],
            "uid": obj["metadata"]["uid"],
            "resourceVersion": obj["metadata"]["resourceVersion"],
            "creationTimestamp": obj["metadata"]["creationTimestamp"],
        },
        "spec": {"replicas": obj["spec"]["replicas"].as_i64().unwrap_or(1)},
        "status": {"replicas": obj["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector},
    })
}

pub(crate) fn scale_write(
    ctx: &Ctx,
    old: &Value,
    replicas: Value,
    rv: Option<&str>,
) -> ApiResult<Response> {
    let def = ctx.def();
    let name = ctx.name().to_string();
    let old_rv = old["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if rv.is_some_and(|rv| !rv.is_empty() && rv != old_rv) {
        return Err(ApiError::stale(def, &name));
    }
    let Some(n) = replicas.as_i64() else {
        return Err(ApiError::Invalid {
            kind: "Scale".into(),
            group: "autoscaling".into(),
            name: name.clone(),
            causes: vec![Cause::invalid(
                "spec.replicas",
                &replicas.to_string(),
                "must be greater than or equal to 0",
            )],
        });
    };
    if n < 0 {
        return Err(ApiError::Invalid {
            kind: "Scale".into(),
            group: "autoscaling".into(),
            name: name.clone(),
            causes: vec![Cause::invalid(
                "spec.replicas",
                &n.to_string(),
                "must be greater than or equal to 0",
            )],
        });
    }
    let mut new = (*old).clone();
    new["spec"]["replicas"] = json!(n);
    let mut prepared = prepare_update(def, old, new, None)?;
    managed::record_update(
        &mut prepared,
        Some(old),
        &ctx.field_manager(),
        &def.api_version(),
        Some("scale"),
    );
    let stored = commit_update(ctx, &old_rv, prepared)?;
    Ok(json_response(200, &scale_of(def, &stored)))
}
