//! Create-only subresources and reviews: SelfSubjectAccessReview, TokenRequest
//! (`serviceaccounts/<sa>/token`), pod binding and eviction.

use super::context::Ctx;
use super::error::{ApiError, ApiResult};
use super::resources::{DeleteOptions, delete_one};
use super::respond::json_response;
use crate::admission::meta;
use crate::rbac::{self, Attributes};
use crate::registry::{self, ids};
use crate::store::Change;
use axum::response::Response;
use serde_json::json;

/// `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews` (`kubectl auth can-i`).
pub fn self_subject_access_review(ctx: &Ctx) -> ApiResult<Response> {
    let raw = ctx.body_value()?;
    let def = ctx.def();
    let (body, _) = crate::admission::strict::decode(def, &raw, ctx.params.field_validation)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let ra = &body["spec"]["resourceAttributes"];
    let mut out = body.clone();
    let allowed = if ra.is_object() {
        let attrs = Attributes {
            verb: ra["verb"].as_str().unwrap_or_default().into(),
            group: ra["group"].as_str().unwrap_or_default().into(),
            resource: ra["resource"].as_str().unwrap_or_default().into(),
            subresource: ra["subresource"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(String::from),
            namespace: ra["namespace"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(String::from),
            name: ra["name"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(String::from),
        };
        rbac::allowed(&ctx.cluster, &ctx.user, &attrs)
    } else {
        // Non-resource URLs (`/healthz`, discovery) are open to every authenticated user.
        ctx.user.is_superuser() || body["spec"]["nonResourceAttributes"]["verb"] == "get"
    };
    out["apiVersion"] = json!("authorization.k8s.io/v1");
    out["kind"] = json!("SelfSubjectAccessReview");
    meta::metadata(&mut out).insert("creationTimestamp".into(), json!(null));
    out["status"] = if allowed {
        json!({"allowed": true, "reason": "RBAC: allowed"})
    } else {
        json!({"allowed": false})
    };
    Ok(json_response(201, &out))
}

/// `POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews` (`kubectl auth can-i --list`).
pub fn self_subject_rules_review(ctx: &Ctx) -> ApiResult<Response> {
    let raw = ctx.body_value()?;
    let (body, _) = crate::admission::strict::decode(ctx.def(), &raw, ctx.params.field_validation)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let ns = body["spec"]["namespace"].as_str().unwrap_or("default");
    let mut resource_rules = Vec::new();
    let mut non_resource_rules = Vec::new();
    for r in rbac::rules_for(&ctx.cluster, &ctx.user, ns) {
        if r["nonResourceURLs"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            non_resource_rules
                .push(json!({"verbs": r["verbs"], "nonResourceURLs": r["nonResourceURLs"]}));
        } else {
            let mut rule = json!({"verbs": r["verbs"], "apiGroups": r["apiGroups"], "resources": r["resources"]});
            if r["resourceNames"].is_array() {
                rule["resourceNames"] = r["resourceNames"].clone();
            }
            resource_rules.push(rule);
        }
    }
    non_resource_rules.push(json!({
        "verbs": ["get"],
        "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]
    }));
    Ok(json_response(
        201,
        &json!({
            "kind": "SelfSubjectRulesReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": null},
            "spec": {"namespace": ns},
            "status": {"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": false}
        }),
    ))
}

/// `POST /apis/authentication.k8s.io/v1/selfsubjectreviews` (`kubectl auth whoami`).
pub fn self_subject_review(ctx: &Ctx) -> ApiResult<Response> {
    Ok(json_response(
        201,
        &json!({
            "kind": "SelfSubjectReview",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": null},
            "status": {"userInfo": {"username": ctx.user.name, "groups": ctx.user.groups}}
        }),
    ))
}

/// `POST …/serviceaccounts/<sa>/token`: mint a bearer token for the ServiceAccount.
pub fn token_request(ctx: &Ctx) -> ApiResult<Response> {
    let name = ctx.name();
    let ns = ctx.ns();
    if ctx
        .cluster
        .store()
        .get(*ids::SERVICEACCOUNTS, ns, name)
        .is_none()
    {
        return Err(ApiError::not_found(
            registry::def(*ids::SERVICEACCOUNTS),
            name,
        ));
    }
    let body = if ctx.body.is_empty() {
        json!({})
    } else {
        ctx.body_value()?
    };
    let secs = body["spec"]["expirationSeconds"]
        .as_i64()
        .unwrap_or(3600)
        .max(600);
    let token = ctx.cluster.issue_token(ns, name);
    let exp = (chrono::Utc::now() + chrono::Duration::seconds(secs))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let audiences = body["spec"]["audiences"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![json!("https://kubernetes.default.svc.cluster.local")]);
    Ok(json_response(
        201,
        &json!({
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": null},
            "spec": {"audiences": audiences, "expirationSeconds": secs, "boundObjectRef": body["spec"]["boundObjectRef"]},
            "status": {"token": token, "expirationTimestamp": exp}
        }),
    ))
}

/// `POST pods/<p>/binding`: set `spec.nodeName` (what the scheduler does).
pub fn binding(ctx: &Ctx) -> ApiResult<Response> {
    let body = ctx.body_value()?;
    let node = body["target"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let def = ctx.def();
    let name = ctx.name().to_string();
    ctx.cluster.store().write(ctx.route.res, ctx.ns(), &name, |cur| {
        let Some(cur) = cur else { return Err(ApiError::not_found(def, &name)) };
        if !cur["spec"]["nodeName"].is_null() {
            return Err(ApiError::Conflict {
                resource: def.plural.into(),
                group: String::new(),
                name: name.clone(),
                message: format!("Operation cannot be fulfilled on pods/binding \"{name}\": pod {name} is already assigned to node \"{}\"", cur["spec"]["nodeName"].as_str().unwrap_or_default()),
            });
        }
        let mut v = (**cur).clone();
        v["spec"]["nodeName"] = json!(node);
        Ok(Change::Put(v))
    })?;
    Ok(json_response(
        201,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}

/// `POST pods/<p>/eviction`: delete the pod (no PodDisruptionBudgets in the sandbox).
pub fn eviction(ctx: &Ctx) -> ApiResult<Response> {
    let opts = DeleteOptions::default();
    delete_one(
        &ctx.cluster,
        ctx.def(),
        ctx.route.res,
        ctx.ns(),
        ctx.name(),
        &opts,
        ctx.params.dry_run,
    )?;
    Ok(json_response(
        201,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}
