//! `GET …/pods/<pod>/log`: the container's log as `text/plain`, streamed while following.

use super::params::{LogOptions, pairs};
use super::refusal::{Refusal, log_refusal};
use super::target::{self, Target};
use crate::api::context::Ctx;
use crate::api::error::ApiError;
use crate::streams::{LogLine, LogRequest, LogStream};
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

/// Serve an (already authorised) log request.
pub fn pod_log(ctx: &Ctx) -> Response {
    match serve(ctx) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn serve(ctx: &Ctx) -> Result<Response, Refusal> {
    let query = pairs(ctx.raw_query.as_deref())?;
    let opts = LogOptions::parse(&query, ctx.name())?;
    let target = target::resolve(
        &ctx.cluster,
        ctx.ns(),
        ctx.name(),
        opts.container.as_deref(),
    )?;
    let Some(backend) = ctx.cluster.pod_streams() else {
        return without_runtime(&target);
    };
    let stream = backend
        .logs(LogRequest {
            namespace: target.namespace.clone(),
            pod: target.pod_name.clone(),
            container: target.container.clone(),
            follow: opts.follow,
            previous: opts.previous,
            tail_lines: opts.tail_lines,
            since_seconds: opts.since_seconds,
            since_time: opts.since_time,
            timestamps: opts.timestamps,
            limit_bytes: opts.limit_bytes,
        })
        .map_err(log_refusal)?;
    text_response(body(stream, &opts, Utc::now()))
}

/// No runtime installed: containers of pods that are not running have not started (the
/// kubelet's answer); for running ones there is nobody to ask.
fn without_runtime(target: &Target) -> Result<Response, Refusal> {
    if target.phase() == "Running" {
        return Err(Refusal::NoRuntime);
    }
    let reason = if target.has_node() {
        "PodInitializing"
    } else {
        "ContainerCreating"
    };
    Err(ApiError::BadRequest(format!(
        "container \"{}\" in pod \"{}\" is waiting to start: {reason}",
        target.container, target.pod_name
    ))
    .into())
}

fn text_response(body: Body) -> Result<Response, Refusal> {
    Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, "text/plain")
        .body(body)
        .map_err(|e| ApiError::Internal(e.to_string()).into())
}

/// The backlog filtered by `since`/`tailLines`, then the followed lines, formatted and cut at
/// `limitBytes`. Each followed line is its own chunk, so it reaches the client at once.
fn body(stream: LogStream, opts: &LogOptions, now: DateTime<Utc>) -> Body {
    let since = opts.since(now);
    let mut backlog: Vec<LogLine> = stream
        .backlog
        .into_iter()
        .filter(|l| since.is_none_or(|s| l.time >= s))
        .collect();
    if let Some(n) = opts.tail_lines {
        let keep = usize::try_from(n).unwrap_or(0);
        backlog.drain(..backlog.len().saturating_sub(keep));
    }
    let mut out = Output {
        timestamps: opts.timestamps,
        remaining: opts
            .limit_bytes
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
    };
    let first: Vec<u8> = backlog
        .iter()
        .filter_map(|l| out.format(l))
        .flatten()
        .collect();
    let follow = if out.exhausted() { None } else { stream.follow };
    let state = (Some(first), follow, out, since);
    Body::from_stream(futures::stream::unfold(
        state,
        |(first, mut follow, mut out, since)| async move {
            if let Some(first) = first.filter(|b| !b.is_empty()) {
                return Some((
                    Ok::<_, std::convert::Infallible>(Bytes::from(first)),
                    (None, follow, out, since),
                ));
            }
            let rx: &mut mpsc::Receiver<LogLine> = follow.as_mut()?;
            loop {
                let line = rx.recv().await?;
                if since.is_some_and(|s| line.time < s) {
                    continue;
                }
                let chunk = out.format(&line)?;
                let next_follow = if out.exhausted() { None } else { follow };
                return Some((Ok(Bytes::from(chunk)), (None, next_follow, out, since)));
            }
        },
    ))
}

/// Formats lines and counts the byte budget.
struct Output {
    timestamps: bool,
    /// Bytes still allowed (`limitBytes`), if limited.
    remaining: Option<usize>,
}

impl Output {
    /// The line as sent (maybe cut short by the limit); `None` once the limit is reached.
    fn format(&mut self, l: &LogLine) -> Option<Vec<u8>> {
        if self.exhausted() {
            return None;
        }
        let mut s = if self.timestamps {
            format!("{} {}\n", rfc3339_nano(l.time), l.line)
        } else {
            format!("{}\n", l.line)
        }
        .into_bytes();
        if let Some(left) = self.remaining.as_mut() {
            s.truncate(*left);
            *left -= s.len();
        }
        Some(s)
    }

    fn exhausted(&self) -> bool {
        self.remaining == Some(0)
    }
}

/// Go's `time.RFC3339Nano` in UTC: nanoseconds with trailing zeros trimmed.
pub fn rfc3339_nano(t: DateTime<Utc>) -> String {
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = format!("{:09}", t.timestamp_subsec_nanos());
    let frac = nanos.trim_end_matches('0');
    if frac.is_empty() {
        format!("{base}Z")
    } else {
        format!("{base}.{frac}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn line(secs: i64, text: &str) -> LogLine {
        LogLine {
            time: Utc
                .timestamp_opt(1_732_615_200 + secs, 123_456_789)
                .single()
                .expect("time"),
            line: text.into(),
        }
    }

    async fn text(body: Body) -> String {
        let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn timestamps_are_rfc3339_nano_like_go() {
        let t = Utc
            .timestamp_opt(1_732_615_200, 123_456_789)
            .single()
            .expect("t");
        assert_eq!(rfc3339_nano(t), "2024-11-26T10:00:00.123456789Z");
        let t = Utc
            .timestamp_opt(1_732_615_200, 120_000_000)
            .single()
            .expect("t");
        assert_eq!(rfc3339_nano(t), "2024-11-26T10:00:00.12Z");
        let t = Utc.timestamp_opt(1_732_615_200, 0).single().expect("t");
        assert_eq!(rfc3339_nano(t), "2024-11-26T10:00:00Z");
    }

    #[tokio::test]
    async fn tail_since_timestamps_and_limit_apply_to_the_backlog() {
        let stream = || LogStream {
            backlog: vec![line(0, "one"), line(10, "two"), line(20, "three")],
            follow: None,
        };
        let now = line(30, "").time;
        let tail = LogOptions {
            tail_lines: Some(2),
            ..LogOptions::default()
        };
        assert_eq!(text(body(stream(), &tail, now)).await, "two\nthree\n");
        let since = LogOptions {
            since_seconds: Some(15),
            ..LogOptions::default()
        };
        assert_eq!(text(body(stream(), &since, now)).await, "three\n");
        let ts = LogOptions {
            tail_lines: Some(1),
            timestamps: true,
            ..LogOptions::default()
        };
        assert_eq!(
            text(body(stream(), &ts, now)).await,
            "2024-11-26T10:00:20.123456789Z three\n"
        );
        let limit = LogOptions {
            limit_bytes: Some(6),
            ..LogOptions::default()
        };
        assert_eq!(text(body(stream(), &limit, now)).await, "one\ntw");
        let zero_tail = LogOptions {
            tail_lines: Some(0),
            ..LogOptions::default()
        };
        assert_eq!(text(body(stream(), &zero_tail, now)).await, "");
    }

    #[tokio::test]
    async fn followed_lines_stream_until_the_sender_is_dropped_or_the_limit() {
        let (tx, rx) = mpsc::channel(4);
        let stream = LogStream {
            backlog: vec![line(0, "old")],
            follow: Some(rx),
        };
        let opts = LogOptions {
            follow: true,
            limit_bytes: Some(13),
            ..LogOptions::default()
        };
        tx.send(line(1, "new")).await.expect("send");
        tx.send(line(2, "newer")).await.expect("send");
        drop(tx);
        assert_eq!(
            text(body(stream, &opts, line(0, "").time)).await,
            "old\nnew\nnewer"
        );
    }
}
