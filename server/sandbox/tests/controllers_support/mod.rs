//! Helpers for the controller tests: bounded polling and a fake kubelet that marks pods
//! Running and Ready with a fresh pod IP (the real runtime lives in another module).

#![allow(dead_code)]

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::time::{Instant, sleep, timeout};

/// Upper bound for any single wait.
pub const T: Duration = Duration::from_secs(10);

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

static NEXT_IP: AtomicU32 = AtomicU32::new(2);

/// A fresh pod IP in 10.244.0.0/16.
pub fn fresh_ip() -> String {
    let n = NEXT_IP.fetch_add(1, Ordering::Relaxed);
    format!("10.244.{}.{}", (n >> 8) & 0xff, n & 0xff)
}

/// What the kubelet would write for a started, ready pod.
pub async fn mark_ready(pods: &Api<Pod>, name: &str) -> String {
    let ip = fresh_ip();
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let cond = |t: &str| json!({"type": t, "status": "True", "lastTransitionTime": now});
    let status = json!({"status": {
        "phase": "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "hostIP": "172.18.0.3",
        "conditions": [cond("PodScheduled"), cond("Initialized"), cond("ContainersReady"), cond("Ready")]
    }});
    timeout(
        T,
        pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&status)),
    )
    .await
    .expect("patch in time")
    .expect("patch status");
    ip
}

/// Running with an IP but not Ready (a failing readiness probe).
pub async fn mark_running_not_ready(pods: &Api<Pod>, name: &str) -> String {
    let ip = fresh_ip();
    let status = json!({"status": {
        "phase": "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "conditions": [{"type": "Ready", "status": "False"}]
    }});
    timeout(
        T,
        pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&status)),
    )
    .await
    .expect("patch in time")
    .expect("patch status");
    ip
}

/// A background fake kubelet: every pending, non-terminating pod in the namespace becomes
/// Running and Ready. Abort the handle to stop it.
pub fn run_kubelet(pods: Api<Pod>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Ok(list) = pods.list(&ListParams::default()).await {
                for p in list.items {
                    let pending = p
                        .status
                        .as_ref()
                        .and_then(|s| s.phase.as_deref())
                        .is_none_or(|ph| ph == "Pending");
                    if pending
                        && p.metadata.deletion_timestamp.is_none()
                        && let Some(name) = p.metadata.name.as_deref()
                    {
                        mark_ready(&pods, name).await;
                    }
                }
            }
            sleep(Duration::from_millis(10)).await;
        }
    })
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
