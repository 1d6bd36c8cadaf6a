//! The live cluster picture's stream (`GET /api/cluster/watch`) read as Server-Sent Events by a
//! plain HTTP client, against a real server and a provisioned sandbox cluster.

use std::time::Duration;

use anyhow::{Context as _, bail};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::DeleteParams;
use kubedojo_app::lab::picture::model::{ClusterSnapshot, PictureMessage};
use kubedojo_progress::LearnerId;
use kubedojo_tests::TestServer;

const WAIT: Duration = Duration::from_secs(20);
const POD: &str = "picture-web";
const POD_YAML: &str = "apiVersion: v1
kind: Pod
metadata:
  name: picture-web
  labels: {app: picture-web}
spec:
  containers:
  - name: nginx
    image: nginx:1.27
";

/// One open stream, parsed event by event.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(server: &TestServer, learner: &str) -> anyhow::Result<Self> {
        let response = reqwest::Client::new()
            .get(server.url("/api/cluster/watch"))
            .header("cookie", server.learner_cookie(learner.parse()?))
            .send()
            .await?;
        assert!(response.status().is_success(), "{}", response.status());
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert_eq!(content_type, "text/event-stream");
        Ok(Self {
            response,
            buffer: String::new(),
        })
    }

    /// The next message (keep-alive comments skipped), waiting at most [`WAIT`].
    async fn next(&mut self) -> anyhow::Result<PictureMessage> {
        tokio::time::timeout(WAIT, self.next_unbounded())
            .await
            .context("no message from the stream in time")?
    }

    async fn next_unbounded(&mut self) -> anyhow::Result<PictureMessage> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let data: Vec<&str> = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(|d| d.strip_prefix(' ').unwrap_or(d))
                    .collect();
                if data.is_empty() {
                    continue;
                }
                return Ok(serde_json::from_str(&data.join("\n"))?);
            }
            let Some(chunk) = self.response.chunk().await? else {
                bail!("the stream ended");
            };
            self.buffer.push_str(std::str::from_utf8(&chunk)?);
        }
    }

    async fn snapshot(&mut self) -> anyhow::Result<ClusterSnapshot> {
        match self.next().await? {
            PictureMessage::Snapshot(s) => Ok(*s),
            other => bail!("expected a snapshot, got {other:?}"),
        }
    }

    /// Reads snapshots until one satisfies `done`.
    async fn until(
        &mut self,
        what: &str,
        done: impl Fn(&ClusterSnapshot) -> bool,
    ) -> anyhow::Result<ClusterSnapshot> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let snapshot = tokio::time::timeout(left, self.snapshot())
                .await
                .with_context(|| format!("timed out waiting for {what}"))??;
            if done(&snapshot) {
                return Ok(snapshot);
            }
        }
    }
}

fn running(s: &ClusterSnapshot) -> bool {
    s.pods
        .iter()
        .any(|p| p.name == POD && p.phase == "Running" && p.ready_containers == 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_follows_a_pod_and_a_reconnect_starts_fresh() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let learner = LearnerId::generate().to_string();

    // Without a cluster the stream says so, and picks the cluster up once it exists.
    let mut stream = Stream::open(&server, &learner).await?;
    assert_eq!(stream.next().await?, PictureMessage::NoCluster);
    server.clusters.provision(&learner).wait().await?;
    let first = stream.snapshot().await?;
    assert_eq!(first.seq, 1);
    assert_eq!(first.namespace, "default");
    assert!(first.pods.iter().all(|p| p.name != POD));
    // The sandbox's whole cluster is the learner's: nodes, the default class, the services.
    assert!(
        first
            .nodes
            .iter()
            .any(|n| n.name == "kind-worker" && n.ready)
    );
    assert!(
        first
            .storage_classes
            .iter()
            .any(|c| c.name == "standard" && c.is_default)
    );
    assert!(first.services.iter().any(|s| s.name == "kubernetes"));

    server.clusters.apply(&learner, POD_YAML).await?;
    let live = stream.until("the pod Running", running).await?;
    let pod = live.pods.iter().find(|p| p.name == POD).context("pod")?;
    assert!(pod.node.is_some() && pod.ip.is_some() && !pod.uid.is_empty());
    assert!(live.seq > first.seq);
    assert!(
        live.events.iter().any(|e| e.object == format!("Pod/{POD}")),
        "the timeline has the pod's events: {:?}",
        live.events
    );

    let client = server
        .clusters
        .client_for(&learner)
        .await
        .context("client")?;
    let deleted_at = std::time::Instant::now();
    Api::<Pod>::namespaced(client, "default")
        .delete(POD, &DeleteParams::default())
        .await?;
    let terminating = stream
        .until("the pod Terminating or gone", |s| {
            s.pods.iter().all(|p| p.name != POD || p.deleting)
        })
        .await?;
    let terminating_after = deleted_at.elapsed();
    if let Some(p) = terminating.pods.iter().find(|p| p.name == POD) {
        assert_eq!(p.status, "Terminating");
        stream
            .until("the pod gone", |s| s.pods.iter().all(|p| p.name != POD))
            .await?;
    }
    println!(
        "stream: deletion seen after {terminating_after:?}, pod gone after {:?}",
        deleted_at.elapsed()
    );

    // A new pod, then a reconnect: the first message is a fresh snapshot with it, numbered 1.
    server.clusters.apply(&learner, POD_YAML).await?;
    stream.until("the second pod Running", running).await?;
    drop(stream);
    let mut again = Stream::open(&server, &learner).await?;
    let fresh = again.snapshot().await?;
    assert_eq!(fresh.seq, 1);
    let pods: Vec<_> = fresh.pods.iter().filter(|p| p.name == POD).collect();
    assert_eq!(pods.len(), 1, "exactly the live pod, no ghost");
    assert_ne!(pods[0].uid, pod.uid, "the replacement, not the deleted pod");

    server.stop().await;
    Ok(())
}
