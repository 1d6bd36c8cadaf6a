//! The lab terminal's WebSocket (`/api/terminal`) against a real server and a provisioned
//! sandbox cluster, driven by a real WebSocket client: the real kubectl runs and its output
//! arrives, other programs are refused, bad control frames get an error line, and a reconnect
//! replays the screen.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use kubedojo_progress::LearnerId;
use kubedojo_tests::TestServer;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(30);

/// Connects as `learner` and reads the greeting (the replay of the screen, then the state);
/// returns the socket and the replayed screen.
async fn connect(server: &TestServer, learner: &LearnerId) -> anyhow::Result<(Socket, String)> {
    let url = format!("ws://{}/api/terminal", server.addr);
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("cookie", server.learner_cookie(*learner).parse()?);
    let (mut socket, _) =
        tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request)).await??;
    let replay = until_prompt(&mut socket, "the greeting").await?;
    Ok((socket, replay))
}

/// Reads terminal bytes until `needle` shows up; fails with what was seen after [`WAIT`].
async fn read_until(socket: &mut Socket, needle: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + WAIT;
    let mut seen = String::new();
    while !seen.contains(needle) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => anyhow::bail!("socket error {e}; seen so far:\n{seen}"),
            Ok(None) => anyhow::bail!("socket closed; seen so far:\n{seen}"),
            Err(_) => anyhow::bail!("no {needle:?} within {WAIT:?}; seen:\n{seen}"),
        }
    }
    Ok(seen)
}

/// Types `line` and Enter, and returns the screen output until the prompt is back (the server's
/// `{"type":"state","running":false}`), so the next line goes to the prompt, not to kubectl.
async fn run_line(socket: &mut Socket, line: &str) -> anyhow::Result<String> {
    socket
        .send(Message::binary(format!("{line}\r").into_bytes()))
        .await?;
    until_prompt(socket, line).await
}

async fn until_prompt(socket: &mut Socket, what: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + WAIT;
    let mut seen = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(Some(Ok(Message::Text(text)))) if text.contains(r#""running":false"#) => {
                return Ok(seen);
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => anyhow::bail!("socket error {e}; seen so far:\n{seen}"),
            Ok(None) => anyhow::bail!("socket closed; seen so far:\n{seen}"),
            Err(_) => anyhow::bail!("{what:?} did not finish within {WAIT:?}; seen:\n{seen}"),
        }
    }
}

#[tokio::test]
async fn kubectl_runs_against_the_learners_cluster_and_a_reconnect_replays_the_screen()
-> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let learner = LearnerId::generate();
    tokio::time::timeout(WAIT, server.clusters.provision(&learner.to_string()).wait()).await??;

    let (mut socket, greeting) = connect(&server, &learner).await?;
    assert!(greeting.contains("Type help"), "{greeting}");
    let nodes = run_line(&mut socket, "kubectl get nodes").await?;
    assert!(nodes.contains("kind-control-plane"), "{nodes}");
    assert!(nodes.contains("kind-worker3"), "{nodes}");

    let pods = run_line(&mut socket, "k get pods").await?;
    assert!(
        pods.contains("No resources found in default namespace."),
        "{pods}"
    );

    // A watch runs until Ctrl-C, which reaches kubectl through the PTY; then the prompt is back.
    socket
        .send(Message::binary(b"kubectl get pods -w\r".to_vec()))
        .await?;
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.next()).await? {
            Some(Ok(Message::Text(text))) if text.contains(r#""running":true"#) => break,
            Some(Ok(_)) => {}
            other => anyhow::bail!("the watch did not start: {other:?}"),
        }
    }
    socket.send(Message::binary(vec![0x03])).await?;
    until_prompt(&mut socket, "Ctrl-C on kubectl get pods -w").await?;

    let refused = run_line(&mut socket, "ls").await?;
    assert!(
        refused.contains("ls: command not available here"),
        "{refused}"
    );
    let refused = run_line(&mut socket, "kubectl get pods | wc -l").await?;
    assert!(refused.contains("pipes, redirection"), "{refused}");

    socket.send(Message::text("not json")).await?;
    read_until(&mut socket, "a control message must be JSON").await?;
    socket
        .send(Message::text(r#"{"type":"resize","cols":100,"rows":30}"#))
        .await?;
    socket.close(None).await?;

    // The same learner comes back: the screen so far arrives first.
    let (mut again, replay) = connect(&server, &learner).await?;
    assert!(replay.contains("pipes, redirection"), "{replay}");
    assert!(replay.contains("kind-worker3"), "{replay}");
    assert!(replay.contains("$ k get pods"), "{replay}");
    // Up arrow brings back the last command from the same session's history.
    again.send(Message::binary(b"\x1b[A\r".to_vec())).await?;
    read_until(&mut again, "needs a shell").await?;
    Ok(())
}

#[tokio::test]
async fn without_a_cluster_the_terminal_says_to_press_start() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (mut socket, _) = connect(&server, &LearnerId::generate()).await?;
    let seen = run_line(&mut socket, "kubectl get pods").await?;
    assert!(
        seen.contains("your cluster is not running: press Start in the lab panel"),
        "{seen}"
    );
    Ok(())
}

#[tokio::test]
async fn another_sites_page_cannot_open_the_terminal() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let url = format!("ws://{}/api/terminal", server.addr);
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("origin", "https://evil.example".parse()?);
    let refused = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request)).await?;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
        }
        other => anyhow::bail!("expected 403, got {other:?}"),
    }
    Ok(())
}

/// A keystroke at the prompt comes back as its echo quickly: the figure is printed (run with
/// `--nocapture`), and a loopback round trip over 50 ms at the median would be felt as lag.
#[tokio::test]
async fn keystroke_echo_round_trip_is_fast() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (mut socket, _) = connect(&server, &LearnerId::generate()).await?;
    let mut samples = Vec::new();
    for _ in 0..200 {
        let sent = Instant::now();
        socket.send(Message::binary(b"x".to_vec())).await?;
        read_until(&mut socket, "x").await?;
        samples.push(sent.elapsed());
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    let p99 = samples[samples.len() * 99 / 100];
    eprintln!("keystroke echo round trip over 200 keys: median {median:?}, p99 {p99:?}");
    assert!(median < Duration::from_millis(50), "median {median:?}");
    Ok(())
}
