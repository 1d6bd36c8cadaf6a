//! Watch: newline-delimited JSON events over a chunked response, resuming from a
//! resourceVersion (410 Expired in-stream when too old), bookmarks, timeouts,
//! `sendInitialEvents` and Table-formatted events.
//!
//! NB: the response body is a stream driven directly by the store's broadcast receiver (no
//! task or channel per watcher); when the client goes away hyper drops the stream and with
//! it the subscription.

use super::context::Ctx;
use super::error::{ApiError, ApiResult};
use super::resources::Filter;
use super::table;
use crate::registry::ResourceDef;
use crate::store::{Event, EventType, Subscription};
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// How often bookmarks are sent to watchers that asked for them (the real server: ~1/min).
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(30);
/// Watch duration when the client gives no timeoutSeconds (the real server: 30-60 min).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

/// What one watcher selects and how it renders events.
struct Watcher {
    def: &'static ResourceDef,
    res: usize,
    ns: Option<String>,
    filter: Filter,
    table: bool,
    include: table::Include,
    headers_sent: bool,
}

impl Watcher {
    fn relevant(&self, ev: &Event) -> bool {
        ev.resource == self.res && self.ns.as_deref().is_none_or(|ns| ns == ev.namespace)
    }

    fn render(&mut self, kind: &str, obj: &Arc<Value>) -> Bytes {
        if self.table && kind != "BOOKMARK" && kind != "ERROR" {
            let t = table::table(
                self.def,
                std::slice::from_ref(obj),
                !self.headers_sent,
                "",
                self.include,
            );
            self.headers_sent = true;
            return line(kind, &t);
        }
        line(kind, obj)
    }

    /// Render one change, if this watcher sees it. A change that makes an object enter or
    /// leave the selection becomes ADDED or DELETED, like the apiserver's watch cache.
    fn event(&mut self, ev: &Event) -> Option<Bytes> {
        if !self.relevant(ev) {
            return None;
        }
        let now = self.filter.matches(&ev.object);
        let before = ev.prev.as_ref().is_none_or(|p| self.filter.matches(p));
        let kind = match (ev.kind, before, now) {
            (_, _, true) if ev.kind != EventType::Modified || before => ev.kind,
            (EventType::Modified, false, true) => EventType::Added,
            (EventType::Modified, true, false) => EventType::Deleted,
            _ => return None,
        };
        if self.table || kind != ev.kind {
            return Some(self.render(kind.as_str(), &ev.object));
        }
        // NB: the JSON line is encoded once per event, not once per watcher.
        Some(
            ev.encoded
                .get_or_init(|| line(ev.kind.as_str(), &ev.object))
                .clone(),
        )
    }

    fn bookmark(&mut self, rv: u64, initial_end: bool) -> Bytes {
        let mut md = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            md["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj = Arc::new(
            json!({"kind": self.def.kind, "apiVersion": self.def.api_version(), "metadata": md}),
        );
        self.render("BOOKMARK", &obj)
    }
}

fn line<T: serde::Serialize>(kind: &str, obj: &T) -> Bytes {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    if serde_json::to_writer(&mut out, obj).is_err() {
        out.extend_from_slice(b"{}");
    }
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}

fn expired(msg: String) -> Arc<Value> {
    Arc::new(ApiError::Expired(msg).to_status())
}

/// The state of one watch stream.
struct State {
    w: Watcher,
    rx: Option<Subscription>,
    /// Lines ready to send (initial events, replay, bookmarks).
    pending: VecDeque<Bytes>,
    /// resourceVersion of the last change seen (bookmarks carry it).
    last: u64,
    deadline: Pin<Box<tokio::time::Sleep>>,
    ticker: Option<tokio::time::Interval>,
}

impl State {
    /// The next line, or None when the watch is over.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(b) = self.pending.pop_front() {
                return Some(b);
            }
            let rx = self.rx.as_mut()?;
            let ticker = self.ticker.as_mut();
            tokio::select! {
                _ = &mut self.deadline => {
                    self.rx = None;
                }
                _ = async {
                    match ticker {
                        Some(t) => { t.tick().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => {
                    let b = self.w.bookmark(self.last, false);
                    self.pending.push_back(b);
                }
                ev = rx.recv() => match ev {
                    Ok(ev) => {
                        if ev.rv > self.last {
                            self.last = ev.rv;
                            if let Some(b) = self.w.event(&ev) {
                                return Some(b);
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // A slow watcher is cut off instead of slowing writers down.
                        let msg = format!("too old resource version: {} (watcher fell behind)", self.last);
                        self.rx = None;
                        return Some(self.w.render("ERROR", &expired(msg)));
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        self.rx = None;
                    }
                },
            }
        }
    }
}

/// Start a watch; the response streams until timeout, client disconnect or 410.
pub fn watch(ctx: &Ctx) -> ApiResult<Response> {
    let def = ctx.def();
    let mut filter = Filter::from_ctx(ctx)?;
    if let Some(name) = &ctx.route.name {
        filter
            .fields
            .0
            .push(("metadata.name".into(), true, name.clone()));
    }
    let rv = ctx.params.rv_number()?;
    let timeout = ctx
        .params
        .timeout_seconds
        .map(|s| Duration::from_secs(s.min(86_400)))
        .unwrap_or(DEFAULT_TIMEOUT);
    let initial = ctx.params.send_initial_events;
    let mut w = Watcher {
        def,
        res: ctx.route.res,
        ns: ctx.route.namespace.clone(),
        filter,
        table: ctx.wants_table(),
        include: ctx.params.include_object,
        headers_sent: false,
    };
    // The snapshot / replay is taken now, so the watch starts at the request's moment.
    let store = ctx.cluster.store();
    let mut pending = VecDeque::new();
    let (rx, last) = match rv {
        Some(from) if from > 0 && !initial => match store.subscribe(Some(from)) {
            Ok((replay, rx)) => {
                let mut last = from;
                for ev in &replay {
                    last = ev.rv;
                    pending.extend(w.event(ev));
                }
                (Some(rx), last)
            }
            Err(e) => {
                pending.push_back(w.render("ERROR", &expired(e.to_string())));
                (None, 0)
            }
        },
        _ => {
            let (items, srv, rx) = store.subscribe_snapshot(w.res, w.ns.as_deref());
            for o in &items {
                if w.filter.matches(o) {
                    pending.push_back(w.render("ADDED", o));
                }
            }
            if initial {
                pending.push_back(w.bookmark(srv, true));
            }
            (Some(rx), srv)
        }
    };
    let ticker = ctx.params.allow_bookmarks.then(|| {
        tokio::time::interval_at(
            tokio::time::Instant::now() + BOOKMARK_INTERVAL,
            BOOKMARK_INTERVAL,
        )
    });
    let state = State {
        w,
        rx,
        pending,
        last,
        deadline: Box::pin(tokio::time::sleep(timeout)),
        ticker,
    };
    let stream = futures::stream::unfold(state, |mut st| async move {
        let b = st.next().await?;
        Some((Ok::<Bytes, Infallible>(b), st))
    });
    let ct = if ctx.wants_table() {
        "application/json;as=Table;v=v1;g=meta.k8s.io"
    } else {
        "application/json"
    };
    Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, ct)
        .header(http::header::CACHE_CONTROL, "no-cache, private")
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::Internal(e.to_string()))
}
