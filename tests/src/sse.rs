//! Reading a Server-Sent Events stream in tests: the JSON of named events, until one is the
//! awaited one.

use anyhow::{Context as _, ensure};
use serde_json::Value;

/// Opens `url` with `client` and reads `kind` events until one's JSON satisfies `done`;
/// fails with the last one seen after `limit`.
///
/// # Errors
/// A status other than 200, the stream ending, bad JSON, or the time running out.
pub async fn wait_for_event(
    client: &reqwest::Client,
    url: String,
    kind: &str,
    what: &str,
    limit: std::time::Duration,
    done: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    let mut response = client.get(url).send().await?;
    ensure!(response.status() == 200, "events: {}", response.status());
    let mut buffer = String::new();
    let deadline = tokio::time::Instant::now() + limit;
    let mut last = Value::Null;
    let event_line = format!("event: {kind}");
    loop {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .with_context(|| format!("timed out waiting for {what}; last: {last}"))??
            .context("the event stream ended")?;
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let message: String = buffer.drain(..end + 2).collect();
            if message.lines().any(|l| l == event_line) {
                let data: String = message
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                last = serde_json::from_str(&data)?;
                if done(&last) {
                    return Ok(last);
                }
            }
        }
    }
}
