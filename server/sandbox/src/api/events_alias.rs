//! `events.k8s.io/v1` Events are a view of the core/v1 Events, as on a real cluster (one
//! storage, two API shapes). Requests are converted to the core shape on the way in and
//! responses (objects, lists, watch events) back to the events.k8s.io shape on the way out.

use super::context::Ctx;
use crate::registry::ids;
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};

/// (events.k8s.io/v1 name, core/v1 name) of renamed top-level fields.
const RENAMES: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("deprecatedSource", "source"),
    ("reportingController", "reportingComponent"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

fn rename(v: &mut Value, to_core: bool) {
    let Some(m) = v.as_object_mut() else { return };
    for (v1, core) in RENAMES {
        let (from, to) = if to_core { (v1, core) } else { (core, v1) };
        if let Some(x) = m.remove(*from) {
            m.insert((*to).to_string(), x);
        }
    }
    let (api_version, old) = if to_core {
        ("v1", "events.k8s.io/v1")
    } else {
        ("events.k8s.io/v1", "v1")
    };
    if m.get("apiVersion").and_then(Value::as_str) == Some(old) {
        m.insert("apiVersion".into(), json!(api_version));
    }
}

/// Rewrite an events.k8s.io request into a core/v1 Events request.
pub fn convert_request(ctx: &mut Ctx) {
    ctx.route.res = *ids::EVENTS;
    if let Some(fs) = &ctx.params.field_selector {
        let mut out = fs.replace("regarding.", "involvedObject.");
        out = out
            .replace("deprecatedSource", "source")
            .replace("reportingController", "reportingComponent");
        ctx.params.field_selector = Some(out);
    }
    if !ctx.body.is_empty()
        && let Ok(mut v) = ctx.body_value()
    {
        rename(&mut v, true);
        if let Ok(b) = serde_json::to_vec(&v) {
            ctx.body = Bytes::from(b);
        }
    }
}

fn convert_value(v: &mut Value) {
    match v["kind"].as_str() {
        Some("Event") => rename(v, false),
        Some("EventList") => {
            v["apiVersion"] = json!("events.k8s.io/v1");
            if let Some(items) = v.get_mut("items").and_then(Value::as_array_mut) {
                for i in items {
                    rename(i, false);
                }
            }
        }
        _ => {}
    }
}

fn convert_line(b: Bytes) -> Bytes {
    let Ok(mut ev) = serde_json::from_slice::<Value>(&b) else {
        return b;
    };
    if let Some(obj) = ev.get_mut("object") {
        convert_value(obj);
    }
    let mut out = serde_json::to_vec(&ev).unwrap_or_default();
    out.push(b'\n');
    Bytes::from(out)
}

/// Convert a core/v1 response back to events.k8s.io/v1.
pub async fn convert_response(resp: Response, watch: bool) -> Response {
    let (parts, body) = resp.into_parts();
    if watch {
        let stream = body.into_data_stream().map(|chunk| chunk.map(convert_line));
        return Response::from_parts(parts, Body::from_stream(stream));
    }
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let out = match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut v) => {
            convert_value(&mut v);
            serde_json::to_vec(&v).map(Bytes::from).unwrap_or(bytes)
        }
        Err(_) => bytes,
    };
    Response::from_parts(parts, Body::from(out))
}
