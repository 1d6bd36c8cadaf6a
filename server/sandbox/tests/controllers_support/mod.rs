//! Helpers for the controller tests: bounded polling, Events, and reading what the real
//! runtime (scheduler + simulated kubelets) wrote into pod status.

#![allow(dead_code)]

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams};
use serde_json::{Value, json};
use std::future::Future;
use std::time::Duration;
use tokio::time::{Instant, sleep, timeout};

/// Upper bound for any single wait (generous: the test machine is shared and loaded).
pub const T: Duration = Duration::from_secs(20);

/// Poll `f` every 20 ms until it returns Some, or panic after [`T`].
pub async fn eventually<V, F, Fut>(what: &str, mut f: F) -> V
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<V>>,
{
    let deadline = Instant::now() + T;
    loop {
        if let Ok(Some(v)) = timeout(T, f()).await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        sleep(Duration::from_millis(20)).await;
    }
}

/// A readiness probe that never succeeds: nothing listens on this port in any image.
pub fn never_ready_probe() -> Value {
    json!({"tcpSocket": {"port": 9999}, "periodSeconds": 1})
}

/// Whether the pod's Ready condition is True.
pub fn is_ready(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The pod's phase, if the kubelet wrote one.
pub fn phase(p: &Pod) -> Option<&str> {
    p.status.as_ref().and_then(|s| s.phase.as_deref())
}

/// The pod's IP, if the kubelet wrote one.
pub fn pod_ip(p: &Pod) -> Option<String> {
    p.status.as_ref().and_then(|s| s.pod_ip.clone())
}

/// Wait until the kubelet reports `name` Running and Ready; its IP.
pub async fn ready_ip(pods: &Api<Pod>, name: &str) -> String {
    eventually(&format!("{name} ready"), || async move {
        let p = pods.get_opt(name).await.ok()??;
        (phase(&p) == Some("Running") && is_ready(&p))
            .then(|| pod_ip(&p))
            .flatten()
    })
    .await
}

/// Wait until the kubelet reports `name` Running with an IP, its containers started but the
/// pod not Ready (a failing readiness probe); its IP.
pub async fn running_not_ready_ip(pods: &Api<Pod>, name: &str) -> String {
    eventually(&format!("{name} running, not ready"), || async move {
        let p = pods.get_opt(name).await.ok()??;
        let started = p
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .is_some_and(|cs| {
                !cs.is_empty()
                    && cs
                        .iter()
                        .all(|c| c.state.as_ref().is_some_and(|st| st.running.is_some()))
            });
        (phase(&p) == Some("Running") && started && !is_ready(&p))
            .then(|| pod_ip(&p))
            .flatten()
    })
    .await
}

/// Events about the object `name` (reason, message), oldest first.
pub async fn events_for(events: &Api<Event>, name: &str) -> Vec<(String, String)> {
    let list = timeout(T, events.list(&ListParams::default()))
        .await
        .expect("list in time")
        .expect("list events");
    let mut items: Vec<Event> = list
        .items
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(name))
        .collect();
    items.sort_by_key(|e| {
        e.metadata
            .resource_version
            .as_deref()
            .and_then(|r| r.parse::<u64>().ok())
            .unwrap_or(0)
    });
    items
        .into_iter()
        .map(|e| (e.reason.unwrap_or_default(), e.message.unwrap_or_default()))
        .collect()
}

/// Whether an Event with `reason` and `message` exists about `name`.
pub async fn has_event(events: &Api<Event>, name: &str, reason: &str, message: &str) -> bool {
    events_for(events, name)
        .await
        .iter()
        .any(|(r, m)| r == reason && m == message)
}
