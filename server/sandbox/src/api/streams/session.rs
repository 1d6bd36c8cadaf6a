//! Pumping one exec/attach session over an upgraded WebSocket.
//!
//! Output (stdout, stderr) is forwarded as it comes; when the process has exited and its
//! output ended, the final `Status` goes on the error channel and the socket is closed.
//! A client that goes away only closes the process's stdin: nothing is killed, and the
//! process's further writes fail like writes to a closed pipe.

use super::channel::{self, ERROR, Protocol, STDERR, STDIN, STDOUT};
use crate::streams::Session;
use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use futures::stream::SplitStream;
use futures::{SinkExt, StreamExt};
use kubedojo_images::TermSize;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// How long output may still arrive after the process exited (a child may hold stdout open).
const DRAIN_GRACE: Duration = Duration::from_secs(1);
/// How long to wait for the client's close frame after sending ours.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// Largest chunk read from an output stream into one message.
const CHUNK: usize = 32 * 1024;

type Input = Box<dyn AsyncWrite + Send + Unpin>;
type Resize = Box<dyn Fn(TermSize) + Send + Sync>;

/// Serve `session` on `socket` until the process ends or the client goes. `what` names the
/// session in a non-zero exit `Status` (`error executing command [sh -c exit 3]`).
pub async fn run(socket: WebSocket, protocol: Protocol, session: Session, what: String) {
    let Session {
        stdin,
        stdout,
        stderr,
        resize,
        mut exit,
    } = session;
    let (mut sink, stream) = socket.split();
    let (out_tx, mut out_rx) = mpsc::channel::<Message>(16);
    let mut readers = JoinSet::new();
    for (ch, reader) in [(STDOUT, stdout), (STDERR, stderr)] {
        if let Some(reader) = reader {
            readers.spawn(forward(reader, ch, out_tx.clone()));
        }
    }
    drop(out_tx);
    let mut inbound = tokio::spawn(inbound(stream, stdin, resize, protocol));

    let mut output_open = true;
    let outcome = loop {
        tokio::select! {
            msg = out_rx.recv(), if output_open => match msg {
                Some(m) => {
                    if sink.send(m).await.is_err() {
                        return; // client gone; dropping the readers closes the pipes
                    }
                }
                None => output_open = false,
            },
            o = &mut exit => break o,
            _ = &mut inbound => {
                tracing::debug!("exec client went away before the process ended");
                return;
            }
        }
    };
    // The process exited: forward what it wrote last, unless a child keeps the pipe open.
    while output_open {
        match tokio::time::timeout(DRAIN_GRACE, out_rx.recv()).await {
            Ok(Some(m)) => {
                if sink.send(m).await.is_err() {
                    return;
                }
            }
            Ok(None) | Err(_) => output_open = false,
        }
    }
    drop(readers);
    let _ = send_status(&mut sink, &channel::exit_status(&outcome, &what)).await;
    let _ = sink.send(normal_close()).await;
    // Let the client's close frame arrive (clean close handshake), then drop stdin and go.
    if tokio::time::timeout(CLOSE_GRACE, &mut inbound)
        .await
        .is_err()
    {
        inbound.abort();
    }
}

/// Serve a session that failed to start: only the error channel, then close.
pub async fn refuse(socket: WebSocket, status: Value) {
    let (mut sink, mut stream) = socket.split();
    let _ = send_status(&mut sink, &status).await;
    let _ = sink.send(normal_close()).await;
    let _ = tokio::time::timeout(CLOSE_GRACE, async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
}

/// A close frame with code 1000: client-go reads it as a clean end of every stream, while a
/// close without a code (1005) is an error ("next reader: websocket: close 1005").
fn normal_close() -> Message {
    Message::Close(Some(CloseFrame {
        code: close_code::NORMAL,
        reason: "".into(),
    }))
}

async fn send_status<S>(sink: &mut S, status: &Value) -> Result<(), S::Error>
where
    S: futures::Sink<Message> + Unpin,
{
    let mut msg = vec![ERROR];
    msg.extend_from_slice(&serde_json::to_vec(status).unwrap_or_default());
    sink.send(Message::Binary(msg.into())).await
}

/// Copy one output stream into channel messages until end-of-file.
async fn forward(mut reader: Box<dyn AsyncRead + Send + Unpin>, ch: u8, tx: mpsc::Sender<Message>) {
    let mut buf = vec![0u8; CHUNK + 1];
    buf[0] = ch;
    loop {
        match reader.read(&mut buf[1..]).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let msg = Message::Binary(bytes::Bytes::copy_from_slice(&buf[..=n]));
                if tx.send(msg).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// Read the client's messages: stdin data, v5 stdin close, resizes. Ends when the client
/// closes or disconnects, closing the process's stdin. (Pings are answered by the socket.)
async fn inbound(
    mut stream: SplitStream<WebSocket>,
    mut stdin: Option<Input>,
    resize: Option<Resize>,
    protocol: Protocol,
) {
    while let Some(Ok(msg)) = stream.next().await {
        let data = match msg {
            Message::Binary(data) => data,
            Message::Close(_) => break,
            _ => continue,
        };
        let Some((&ch, payload)) = data.split_first() else {
            continue;
        };
        match ch {
            STDIN => {
                if let Some(w) = stdin.as_mut()
                    && (w.write_all(payload).await.is_err() || w.flush().await.is_err())
                {
                    stdin = None; // the process closed its stdin
                }
            }
            channel::RESIZE => {
                if let (Some(f), Some(size)) = (&resize, channel::parse_resize(payload)) {
                    f(size);
                }
            }
            channel::CLOSE if protocol.supports_close() && payload.first() == Some(&STDIN) => {
                if let Some(mut w) = stdin.take() {
                    let _ = w.shutdown().await;
                }
            }
            _ => {}
        }
    }
    if let Some(mut w) = stdin {
        let _ = w.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn forward_prefixes_the_channel_byte_and_stops_at_eof() {
        let (tx, mut rx) = mpsc::channel(4);
        let reader: Box<dyn AsyncRead + Send + Unpin> = Box::new(&b"hi\n"[..]);
        forward(reader, STDERR, tx).await;
        let msg = rx.recv().await.expect("one message");
        assert_eq!(msg, Message::Binary(bytes::Bytes::from_static(b"\x02hi\n")));
        assert!(rx.recv().await.is_none());
    }
}
