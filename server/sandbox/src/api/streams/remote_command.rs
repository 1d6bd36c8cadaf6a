//! `…/pods/<pod>/exec` and `…/pods/<pod>/attach`: checks, then the WebSocket upgrade.

use super::channel::{self, PROTOCOLS, Protocol};
use super::params::{StreamOptions, pairs};
use super::refusal::Refusal;
use super::session;
use super::target::{self, Target};
use crate::api::error::ApiError;
use crate::api::path::ResourceRoute;
use crate::cluster::Cluster;
use crate::streams::{AttachRequest, ExecRequest, PodStreams, Session, StreamError};
use axum::extract::FromRequestParts;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::{IntoResponse, Response};

/// Which remote command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Exec,
    Attach,
}

/// Serve an (already authorised) exec or attach request.
pub async fn remote_command(
    cluster: &Cluster,
    parts: &mut http::request::Parts,
    route: &ResourceRoute,
    kind: Kind,
) -> Response {
    match prepare(cluster, parts, route, kind).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn prepare(
    cluster: &Cluster,
    parts: &mut http::request::Parts,
    route: &ResourceRoute,
    kind: Kind,
) -> Result<Response, Refusal> {
    let query = pairs(parts.uri.query())?;
    let opts = StreamOptions::parse(&query, kind == Kind::Exec)?;
    let target = target::resolve(
        cluster,
        route.namespace.as_deref().unwrap_or_default(),
        route.name.as_deref().unwrap_or_default(),
        opts.container.as_deref(),
    )?;
    // The apiserver's ExecLocation/AttachLocation checks, in its order.
    let phase = target.phase();
    if phase == "Succeeded" || phase == "Failed" {
        return Err(ApiError::BadRequest(format!(
            "cannot exec into a container in a completed pod; current phase is {phase}"
        ))
        .into());
    }
    if !target.has_node() {
        return Err(ApiError::BadRequest(format!(
            "pod {} does not have a host assigned",
            target.pod_name
        ))
        .into());
    }
    let backend = cluster.pod_streams().ok_or(Refusal::NoRuntime)?;
    let upgrade = websocket(parts).await?;
    let upgrade = upgrade.protocols(PROTOCOLS);
    let Some(protocol) = upgrade
        .selected_protocol()
        .and_then(|p| Protocol::from_header(p.as_bytes()))
    else {
        return Err(ApiError::BadRequest(format!(
            "unable to upgrade connection: none of the requested subprotocols is supported; the sandbox speaks {}",
            PROTOCOLS.join(", ")
        ))
        .into());
    };
    Ok(upgrade.on_upgrade(move |socket| async move {
        // NB: the process starts only once the client holds the upgraded connection, and
        // the runtime's refusals arrive on the error channel, like from a 1.32 apiserver.
        match start(backend.as_ref(), kind, &target, &opts) {
            Ok(session) => session::run(socket, protocol, session, describe(kind, &opts)).await,
            Err(e) => session::refuse(socket, refusal_status(&e, &target)).await,
        }
    }))
}

/// The WebSocket handshake, or the reason this request cannot become one.
async fn websocket(parts: &mut http::request::Parts) -> Result<WebSocketUpgrade, Refusal> {
    let spdy = parts
        .headers
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("spdy"));
    if spdy {
        return Err(ApiError::BadRequest(format!(
            "the sandbox serves exec and attach over WebSocket ({}) only, not SPDY/3.1",
            PROTOCOLS.join(", ")
        ))
        .into());
    }
    let upgradable = parts
        .extensions
        .get::<hyper::upgrade::OnUpgrade>()
        .is_some();
    match WebSocketUpgrade::from_request_parts(parts, &()).await {
        Ok(u) => Ok(u),
        Err(_) if !upgradable => Err(ApiError::BadRequest(
            "exec and attach need a connection that can be upgraded to a WebSocket (the in-process client cannot; use the TLS listener)".into(),
        )
        .into()),
        Err(e) => Err(ApiError::BadRequest(format!(
            "unable to upgrade connection to a WebSocket: {}",
            e.body_text()
        ))
        .into()),
    }
}

fn start(
    backend: &dyn PodStreams,
    kind: Kind,
    t: &Target,
    o: &StreamOptions,
) -> Result<Session, StreamError> {
    match kind {
        Kind::Exec => backend.exec(ExecRequest {
            namespace: t.namespace.clone(),
            pod: t.pod_name.clone(),
            container: t.container.clone(),
            command: o.command.clone(),
            stdin: o.stdin,
            stdout: o.stdout,
            stderr: o.stderr,
            tty: o.tty,
        }),
        Kind::Attach => backend.attach(AttachRequest {
            namespace: t.namespace.clone(),
            pod: t.pod_name.clone(),
            container: t.container.clone(),
            stdin: o.stdin,
            stdout: o.stdout,
            stderr: o.stderr,
            tty: o.tty,
        }),
    }
}

/// How the session is named in a non-zero exit `Status` (like the kubelet: Go's `%v` of the
/// argv).
fn describe(kind: Kind, o: &StreamOptions) -> String {
    match kind {
        Kind::Exec => format!("error executing command [{}]", o.command.join(" ")),
        Kind::Attach => "error attaching to container".into(),
    }
}

/// The error-channel `Status` for a runtime refusal (what a 1.32 apiserver relays from the
/// kubelet, e.g. `Internal error occurred: unable to upgrade connection: container not found
/// ("mysql")`).
fn refusal_status(e: &StreamError, t: &Target) -> serde_json::Value {
    match e {
        StreamError::ContainerNotRunning { .. } => channel::internal_error(&format!(
            "unable to upgrade connection: container not found (\"{}\")",
            t.container
        )),
        StreamError::CompletedPod { .. } | StreamError::NoPreviousContainer { .. } => {
            channel::failure("BadRequest", 400, &e.to_string())
        }
        StreamError::Exec(msg) => {
            channel::internal_error(&format!("error executing command in container: {msg}"))
        }
        StreamError::TooManySessions | StreamError::PodNotRunning { .. } => {
            channel::internal_error(&e.to_string())
        }
    }
}
