//! `GET /api/terminal`: the WebSocket between a browser's terminal and the learner's session.
//!
//! Binary frames carry terminal bytes both ways. Text frames carry JSON control messages: the
//! browser sends `{"type":"resize","cols":…,"rows":…}`; the server sends
//! `{"type":"state","running":…}`. A malformed frame gets an error line on that browser's
//! screen and the connection goes on.

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kubedojo_progress::LearnerId;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::error::TerminalError;
use super::pty::TermSize;
use super::session::{Frame, Input, LabFile};
use crate::state::AppState;

/// Keystrokes and pastes are small; a bigger frame is not a terminal's.
const MAX_MESSAGE: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Control {
    Resize { cols: u16, rows: u16 },
}

/// `?lab=<lesson slug>`: the lab the page shows, whose files the terminal gets.
#[derive(Debug, Deserialize)]
pub(crate) struct TerminalQuery {
    lab: Option<String>,
}

pub(crate) async fn terminal(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    Extension(learner): Extension<LearnerId>,
    Query(query): Query<TerminalQuery>,
    headers: HeaderMap,
) -> Response {
    // The learner is known by a cookie, so another site's page must not open their terminal.
    if !same_origin(&headers) {
        return (
            StatusCode::FORBIDDEN,
            "the terminal accepts connections from kubedojo's own pages only",
        )
            .into_response();
    }
    ws.max_message_size(MAX_MESSAGE)
        .on_upgrade(move |socket| serve(socket, state, learner, query.lab))
}

fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        // Not a browser (browsers always send Origin on WebSocket requests).
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest);
    matches!((origin_host, host), (Some(o), Some(h)) if o == h)
}

async fn serve(mut socket: WebSocket, state: AppState, learner: LearnerId, lab: Option<String>) {
    let mut attachment = match state
        .terminals
        .attach(&learner.to_string(), &state.clusters)
    {
        Ok(attachment) => attachment,
        Err(e) => {
            let _ = socket.send(line(&e.to_string())).await;
            let _ = socket.send(close("terminal unavailable")).await;
            return;
        }
    };
    let greeting = [
        Message::Binary(attachment.replay.clone().into()),
        state_message(attachment.running),
    ];
    for message in greeting {
        if socket.send(message).await.is_err() {
            return;
        }
    }
    if let Some(slug) = lab {
        match state.labs.0.terminal_files(learner, &slug) {
            Ok(files) => {
                let files = files
                    .into_iter()
                    .map(|(name, text)| LabFile { name, text })
                    .collect();
                if !attachment.send(Input::Files(files)).await {
                    return;
                }
            }
            Err(e) => {
                let notice = format!("[the files of this lab are not available here: {e}]");
                if socket.send(line(&notice)).await.is_err() {
                    return;
                }
            }
        }
    }
    loop {
        tokio::select! {
            frame = attachment.frames.recv() => {
                let message = match frame {
                    Ok(Frame::Bytes(bytes)) => Message::Binary(bytes),
                    Ok(Frame::State { running }) => state_message(running),
                    Ok(Frame::Ended(reason)) => {
                        let _ = socket.send(close(reason)).await;
                        return;
                    }
                    Err(RecvError::Lagged(_)) => line("[output skipped: the connection was too slow]"),
                    Err(RecvError::Closed) => return,
                };
                if socket.send(message).await.is_err() {
                    return;
                }
            }
            message = socket.recv() => {
                let input = match message {
                    Some(Ok(Message::Binary(bytes))) => Input::Keys(bytes.to_vec()),
                    Some(Ok(Message::Text(text))) => match parse_control(&text) {
                        Ok(size) => Input::Resize(size),
                        Err(e) => {
                            if socket.send(line(&e.to_string())).await.is_err() {
                                return;
                            }
                            continue;
                        }
                    },
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                };
                if !attachment.send(input).await {
                    return;
                }
            }
        }
    }
}

fn parse_control(text: &str) -> Result<TermSize, TerminalError> {
    let control: Control =
        serde_json::from_str(text).map_err(|e| TerminalError::Control(e.to_string()))?;
    match control {
        Control::Resize { cols, rows }
            if (2..=1000).contains(&cols) && (1..=500).contains(&rows) =>
        {
            Ok(TermSize { cols, rows })
        }
        Control::Resize { cols, rows } => Err(TerminalError::Control(format!(
            "{cols}x{rows} is not a terminal size (columns 2-1000, rows 1-500)"
        ))),
    }
}

/// One line of text for the screen (an error or a notice), on a line of its own.
fn line(text: &str) -> Message {
    Message::Binary(format!("\r\n{text}\r\n").into_bytes().into())
}

fn state_message(running: bool) -> Message {
    Message::Text(
        serde_json::json!({ "type": "state", "running": running })
            .to_string()
            .into(),
    )
}

fn close(reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code: axum::extract::ws::close_code::NORMAL,
        reason: reason.into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_messages_are_checked() {
        assert_eq!(
            parse_control(r#"{"type":"resize","cols":120,"rows":30}"#).expect("works in tests"),
            TermSize {
                cols: 120,
                rows: 30
            }
        );
        for bad in [
            "resize",
            r#"{"type":"resize","cols":0,"rows":30}"#,
            r#"{"type":"resize","cols":80}"#,
            r#"{"type":"paste","text":"x"}"#,
            r#"{"type":"resize","cols":-3,"rows":30}"#,
        ] {
            let error = parse_control(bad).expect_err("refused").to_string();
            assert!(error.contains("resize"), "{bad}: {error}");
        }
    }

    #[test]
    fn only_the_sites_own_pages_may_connect() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::HOST,
            "127.0.0.1:3000".parse().expect("works in tests"),
        );
        assert!(same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            "http://127.0.0.1:3000".parse().expect("works in tests"),
        );
        assert!(same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            "https://evil.example".parse().expect("works in tests"),
        );
        assert!(!same_origin(&headers));
    }
}
