//! GET and LIST (selectors, limit/continue, Table output).

use super::super::context::Ctx;
use super::super::error::{ApiError, ApiResult};
use super::super::respond::{json_response, object_response};
use super::super::selector::{FieldSelector, LabelSelector};
use super::super::table;
use super::scale_of;
use crate::admission::meta;
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};
use std::sync::Arc;

/// GET of one object (or its status/scale).
pub fn get(ctx: &Ctx) -> ApiResult<Response> {
    let def = ctx.def();
    let obj = ctx
        .cluster
        .store()
        .get(ctx.route.res, ctx.ns(), ctx.name())
        .ok_or_else(|| ApiError::not_found(def, ctx.name()))?;
    if ctx.route.subresource.as_deref() == Some("scale") {
        return Ok(json_response(200, &scale_of(def, &obj)));
    }
    if ctx.wants_table() {
        return Ok(json_response(
            200,
            &table::table(def, &[obj], true, "", ctx.params.include_object),
        ));
    }
    Ok(object_response(200, &obj))
}

/// Selectors from the query.
pub struct Filter {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Filter {
    /// Parse label/field selectors.
    ///
    /// # Errors
    /// BadRequest for bad selectors.
    pub fn from_ctx(ctx: &Ctx) -> ApiResult<Self> {
        let labels = match &ctx.params.label_selector {
            Some(s) => LabelSelector::parse(s)?,
            None => LabelSelector::default(),
        };
        let fields = match &ctx.params.field_selector {
            Some(s) => FieldSelector::parse(s, ctx.def().plural)?,
            None => FieldSelector::default(),
        };
        Ok(Filter { labels, fields })
    }

    /// Whether an object passes.
    pub fn matches(&self, obj: &Value) -> bool {
        self.labels.matches(&obj["metadata"]["labels"]) && self.fields.matches(obj)
    }
}

/// LIST with selectors and limit/continue.
pub fn list(ctx: &Ctx) -> ApiResult<Response> {
    let def = ctx.def();
    let filter = Filter::from_ctx(ctx)?;
    let (all, rv) = ctx
        .cluster
        .store()
        .list(ctx.route.res, ctx.route.namespace.as_deref());
    let start = match &ctx.params.continue_token {
        Some(t) => decode_continue(t)?,
        None => String::new(),
    };
    let mut items: Vec<Arc<Value>> = Vec::new();
    let mut next = None;
    for obj in all {
        let key = format!("{}/{}", meta::namespace_of(&obj), meta::name_of(&obj));
        if !start.is_empty() && key <= start {
            continue;
        }
        if !filter.matches(&obj) {
            continue;
        }
        if ctx.params.limit.is_some_and(|l| items.len() >= l) {
            next = items
                .last()
                .map(|o| format!("{}/{}", meta::namespace_of(o), meta::name_of(o)));
            break;
        }
        items.push(obj);
    }
    let continue_token = next.map(|k| {
        base64::engine::general_purpose::STANDARD.encode(json!({"rv": rv, "start": k}).to_string())
    });
    if ctx.wants_table() {
        let mut t = table::table(
            def,
            &items,
            true,
            &rv.to_string(),
            ctx.params.include_object,
        );
        if let Some(c) = &continue_token {
            t["metadata"]["continue"] = json!(c);
        }
        return Ok(json_response(200, &t));
    }
    let mut md = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = continue_token {
        md["continue"] = json!(c);
    }
    let body = json!({
        "kind": format!("{}List", def.kind),
        "apiVersion": def.api_version(),
        "metadata": md,
        "items": items.iter().map(|o| (**o).clone()).collect::<Vec<_>>(),
    });
    Ok(json_response(200, &body))
}

fn decode_continue(t: &str) -> ApiResult<String> {
    let bad = || {
        ApiError::BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)".into())
    };
    let raw = base64::engine::general_purpose::STANDARD
        .decode(t)
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    v["start"].as_str().map(String::from).ok_or_else(bad)
}
