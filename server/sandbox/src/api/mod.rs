//! The REST surface: routing, authentication, authorization, audit and dispatch to handlers.

pub mod context;
pub mod discovery;
pub mod error;
pub mod events_alias;
pub mod managed;
pub mod openapi;
pub mod patch;
pub mod path;
pub mod protobuf;
pub mod query;
pub mod resources;
pub mod respond;
pub mod reviews;
pub mod selector;
pub mod streams;
pub mod table;
pub mod watch;

use crate::cluster::{Cluster, UserInfo};
use crate::rbac::{self, Attributes};
use crate::registry;
use crate::sandbox::Sandbox;
use crate::store::AuditEntry;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use context::Ctx;
use error::{ApiError, ApiResult};
use http::Method;
use path::Route;
use query::Params;
use respond::json_response;

/// Largest accepted request body (kube-apiserver's limit).
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// How a router finds the cluster and user of a request.
#[derive(Clone)]
enum Resolver {
    /// One cluster; no token means admin, a token must be this cluster's.
    Cluster(Cluster, Option<String>),
    /// Every cluster of a sandbox, by token.
    Sandbox(Sandbox),
}

fn bearer(req: &Request) -> Option<String> {
    req.headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_string())
}

impl Resolver {
    fn resolve(&self, req: &Request) -> Option<(Cluster, UserInfo)> {
        match self {
            Resolver::Cluster(c, default_token) => {
                match bearer(req).or_else(|| default_token.clone()) {
                    None => Some((c.clone(), UserInfo::admin())),
                    Some(t) => c.authenticate(&t).map(|u| (c.clone(), u)),
                }
            }
            Resolver::Sandbox(s) => s.authenticate(&bearer(req)?),
        }
    }
}

fn router(resolver: Resolver) -> Router {
    Router::new().fallback(move |req: Request| {
        let resolver = resolver.clone();
        async move {
            match resolver.resolve(&req) {
                Some((cluster, user)) => serve(cluster, user, req).await,
                None => ApiError::Unauthorized.into_response(),
            }
        }
    })
}

/// Router for one cluster (in-process use; unauthenticated requests are the admin).
pub fn cluster_router(cluster: Cluster) -> Router {
    router(Resolver::Cluster(cluster, None))
}

/// Router for one cluster that authenticates every request with `token`.
pub fn cluster_router_with_token(cluster: Cluster, token: String) -> Router {
    router(Resolver::Cluster(cluster, Some(token)))
}

/// Router for all clusters of a sandbox, routed by bearer token.
pub fn sandbox_router(sandbox: Sandbox) -> Router {
    router(Resolver::Sandbox(sandbox))
}

fn verb_of(
    method: &Method,
    route: &path::ResourceRoute,
    params: &Params,
) -> ApiResult<&'static str> {
    let named = route.name.is_some();
    // NB: connect subresources are authorised as `create` whatever the method: kubectl 1.32
    // opens exec with a WebSocket GET, and the apiserver still checks `create pods/exec`.
    if matches!(
        route.subresource.as_deref(),
        Some("exec" | "attach" | "portforward")
    ) && matches!(*method, Method::GET | Method::POST)
    {
        return Ok("create");
    }
    Ok(match *method {
        Method::GET if params.watch => "watch",
        Method::GET if named => "get",
        Method::GET => "list",
        Method::POST => "create",
        Method::PUT if named => "update",
        Method::PATCH if named => "patch",
        Method::DELETE if named => "delete",
        Method::DELETE => "deletecollection",
        _ => return Err(ApiError::MethodNotAllowed),
    })
}

/// Serve one authenticated request.
pub async fn serve(cluster: Cluster, user: UserInfo, req: Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let route = path::parse(parts.uri.path());
    let mut audit = AuditEntry {
        time: chrono::Utc::now(),
        verb: parts.method.as_str().to_lowercase(),
        resource: String::new(),
        group: String::new(),
        namespace: None,
        name: None,
        path: parts.uri.path().to_string(),
        subresource: None,
        user: user.name.clone(),
        code: 200,
    };
    let resp = match route {
        Route::Resource(rr) => {
            let def = registry::def(rr.res);
            audit.resource = def.plural.into();
            audit.group = def.group.into();
            audit.namespace = rr.namespace.clone();
            audit.name = rr.name.clone();
            audit.subresource = rr.subresource.clone();
            match resource_request(&cluster, &user, &mut parts, body, rr, &mut audit).await {
                Ok(r) => r,
                Err(e) => e.into_response(),
            }
        }
        Route::CoreVersions | Route::Groups
            if parts.method == Method::GET
                && parts
                    .headers
                    .get(http::header::ACCEPT)
                    .and_then(|a| a.to_str().ok())
                    .is_some_and(discovery::wants_aggregated) =>
        {
            let body = discovery::aggregated(matches!(route, Route::CoreVersions));
            let mut r = json_response(200, &body);
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(discovery::AGGREGATED_CONTENT_TYPE),
            );
            r
        }
        other => non_resource(&parts.method, other),
    };
    audit.code = resp.status().as_u16();
    tracing::debug!(verb = %audit.verb, resource = %audit.resource, code = audit.code, "sandbox request");
    cluster.state.audit.record(audit);
    resp
}

fn non_resource(method: &Method, route: Route) -> Response {
    if *method != Method::GET {
        return ApiError::MethodNotAllowed.into_response();
    }
    match route {
        Route::Version => json_response(200, &discovery::version()),
        Route::Health => (http::StatusCode::OK, "ok").into_response(),
        Route::CoreVersions => json_response(200, &discovery::core_versions()),
        Route::Groups => json_response(200, &discovery::groups()),
        Route::Group(g) => json_response(200, &discovery::group(&g)),
        Route::ResourceList(g, v) => json_response(200, &discovery::resource_list(&g, &v)),
        Route::OpenApiIndex => json_response(200, &openapi::index()),
        Route::OpenApiDoc(g, v) => match openapi::document(&g, &v) {
            Some(d) => json_response(200, &d),
            None => ApiError::NoRoute.into_response(),
        },
        Route::NotFound | Route::Resource(_) => ApiError::NoRoute.into_response(),
    }
}

async fn resource_request(
    cluster: &Cluster,
    user: &UserInfo,
    parts: &mut http::request::Parts,
    body: Body,
    rr: path::ResourceRoute,
    audit: &mut AuditEntry,
) -> ApiResult<Response> {
    let params = Params::parse(parts.uri.query())?;
    let verb = verb_of(&parts.method, &rr, &params)?;
    audit.verb = verb.into();
    let def = registry::def(rr.res);
    let attrs = Attributes {
        verb: verb.into(),
        group: def.group.into(),
        resource: def.plural.into(),
        subresource: rr.subresource.clone(),
        namespace: rr.namespace.clone(),
        name: rr.name.clone(),
    };
    if !rbac::allowed(cluster, user, &attrs) {
        return Err(ApiError::forbidden(
            def,
            rr.name.as_deref().unwrap_or_default(),
            rbac::forbidden_message(user, &attrs, &def.qualified()),
        ));
    }
    // Exec and attach keep the connection (its upgrade lives in the request's extensions).
    let remote = match rr.subresource.as_deref() {
        Some("exec") => Some(streams::Kind::Exec),
        Some("attach") => Some(streams::Kind::Attach),
        _ => None,
    };
    if let Some(kind) = remote {
        return Ok(streams::remote_command(cluster, parts, &rr, kind).await);
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::TooLarge)?;
    let mut ctx = Ctx {
        cluster: cluster.clone(),
        user: user.clone(),
        route: rr,
        params,
        headers: parts.headers.clone(),
        raw_query: parts.uri.query().map(String::from),
        body: bytes,
    };
    let events_v1 = ctx.route.res == *registry::ids::EVENTS_V1;
    if events_v1 {
        events_alias::convert_request(&mut ctx);
    }
    let resp = guaranteed(&ctx, verb)?;
    Ok(if events_v1 {
        events_alias::convert_response(resp, verb == "watch").await
    } else {
        resp
    })
}

fn guaranteed(ctx: &Ctx, verb: &str) -> ApiResult<Response> {
    // NB: like the apiserver's GuaranteedUpdate loop, writes that do not pin a
    // resourceVersion are retried when another writer got in between read and commit.
    let pins_rv = memchr_rv(&ctx.body);
    let mut attempt = 0;
    loop {
        let result = dispatch(ctx, verb);
        match result {
            Err(e)
                if e.is_stale()
                    && matches!(verb, "update" | "patch")
                    && !pins_rv
                    && attempt < 5 =>
            {
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn memchr_rv(body: &[u8]) -> bool {
    body.windows(b"resourceVersion".len())
        .any(|w| w == b"resourceVersion")
}

fn dispatch(ctx: &Ctx, verb: &str) -> ApiResult<Response> {
    let sub = ctx.route.subresource.as_deref();
    match (verb, sub) {
        ("get", Some("status" | "scale") | None) => resources::get(ctx),
        ("get", Some("log")) => Ok(streams::pod_log(ctx)),
        ("list", None) => resources::list(ctx),
        ("watch", None) => watch::watch(ctx),
        ("create", None) if ctx.route.res == *registry::ids::SSAR => {
            reviews::self_subject_access_review(ctx)
        }
        ("create", None) if ctx.route.res == *registry::ids::SSRR => {
            reviews::self_subject_rules_review(ctx)
        }
        ("create", None) if ctx.route.res == *registry::ids::SSR => {
            reviews::self_subject_review(ctx)
        }
        ("create", None) if ctx.route.name.is_none() => resources::create(ctx),
        ("create", Some("token")) => reviews::token_request(ctx),
        ("create", Some("binding")) => reviews::binding(ctx),
        ("create", Some("eviction")) => reviews::eviction(ctx),
        ("create", Some("portforward")) => Err(ApiError::BadRequest(
            "port-forward is not supported by the sandbox yet".into(),
        )),
        ("update", Some("status" | "scale" | "finalize") | None) => resources::update(ctx),
        ("patch", Some("status" | "scale") | None) => resources::patch(ctx),
        ("delete", None) => resources::delete(ctx),
        ("deletecollection", None) => resources::delete_collection(ctx),
        _ => Err(ApiError::MethodNotAllowed),
    }
}
