//! Sandbox benchmark: cluster creation time and memory, GET latency in-process and over TLS,
//! bulk pod creation, watch fan-out latency, and StatefulSet → PVC Bound through the controllers. Run with `cargo bench -p kubedojo-sandbox`.

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams, WatchEvent, WatchParams};
use kubedojo_sandbox::Sandbox;
use serde_json::json;
use std::time::{Duration, Instant};

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}
    }))
    .unwrap_or_default()
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    let idx = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[idx.min(v.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

async fn get_latencies(api: &Api<Pod>, n: usize) -> Vec<Duration> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        if api.get("target").await.is_err() {
            eprintln!("GET failed");
        }
        out.push(t.elapsed());
    }
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    println!("kubedojo-sandbox benchmark");

    // 1. Cluster creation: time and memory.
    let sandbox = Sandbox::default();
    let first = Instant::now();
    let _warm = sandbox.create_cluster();
    let first_create = first.elapsed();
    let rss0 = rss_bytes();
    let t = Instant::now();
    let mut clusters = Vec::with_capacity(1000);
    let mut create_times = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let t1 = Instant::now();
        clusters.push(sandbox.create_cluster());
        create_times.push(t1.elapsed());
    }
    let total = t.elapsed();
    let rss1 = rss_bytes();
    let per_cluster_kib = (rss1.saturating_sub(rss0)) as f64 / 1000.0 / 1024.0;
    println!(
        "cluster creation: 1000 clusters in {} ({} mean, p99 {}, first {}); memory {:.1} KiB per cluster (RSS delta {:.1} MiB)",
        ms(total),
        ms(total / 1000),
        ms(pct(&mut create_times, 0.99)),
        ms(first_create),
        per_cluster_kib,
        (rss1.saturating_sub(rss0)) as f64 / 1048576.0
    );
    drop(clusters);

    // 2. GET p99, in-process and over TLS loopback.
    let cluster = sandbox.create_cluster();
    let pods: Api<Pod> = Api::default_namespaced(cluster.client());
    pods.create(&PostParams::default(), &pod("target")).await?;
    let _ = get_latencies(&pods, 200).await;
    let mut lat = get_latencies(&pods, 5000).await;
    println!(
        "GET in-process (kube-rs): p50 {} p99 {}",
        ms(pct(&mut lat, 0.5)),
        ms(pct(&mut lat, 0.99))
    );

    let listener = sandbox.serve_tls("127.0.0.1:0".parse()?).await?;
    let yaml = sandbox.kubeconfig(&listener, &cluster, &cluster.admin_token(), Some("default"));
    let kc = kube::config::Kubeconfig::from_yaml(&yaml)?;
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?;
    let tls_client = kube::Client::try_from(cfg)?;
    let tls_pods: Api<Pod> = Api::default_namespaced(tls_client);
    let _ = get_latencies(&tls_pods, 200).await;
    let mut lat = get_latencies(&tls_pods, 5000).await;
    println!(
        "GET over TLS loopback (kube-rs): p50 {} p99 {}",
        ms(pct(&mut lat, 0.5)),
        ms(pct(&mut lat, 0.99))
    );

    // 3. 10,000 pod creates.
    let bulk = sandbox.create_cluster();
    let bulk_pods: Api<Pod> = Api::default_namespaced(bulk.client());
    let t = Instant::now();
    for i in 0..10_000 {
        bulk_pods
            .create(&PostParams::default(), &pod(&format!("p-{i}")))
            .await?;
    }
    let total = t.elapsed();
    println!(
        "10,000 pod creates (kube-rs in-process): {} total, {} per op",
        ms(total),
        ms(total / 10_000)
    );

    // 4. Watch delivery with 100 watchers.
    let wc = sandbox.create_cluster();
    let wpods: Api<Pod> = Api::default_namespaced(wc.client());
    let rv = wpods
        .list(&Default::default())
        .await?
        .metadata
        .resource_version
        .unwrap_or_default();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let mut handles = Vec::new();
    for _ in 0..100 {
        let api = wpods.clone();
        let tx = tx.clone();
        let rv = rv.clone();
        handles.push(tokio::spawn(async move {
            let Ok(stream) = api.watch(&WatchParams::default().timeout(60), &rv).await else {
                return;
            };
            let mut stream = stream.boxed();
            while let Some(Ok(ev)) = stream.next().await {
                if let WatchEvent::Added(p) = ev {
                    let _ = tx.send((p.metadata.name.unwrap_or_default(), Instant::now()));
                }
            }
        }));
    }
    drop(tx);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let events = 200usize;
    let mut sent = std::collections::HashMap::new();
    for i in 0..events {
        let name = format!("w-{i}");
        sent.insert(name.clone(), Instant::now());
        wpods.create(&PostParams::default(), &pod(&name)).await?;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut lat = Vec::with_capacity(events * 100);
    let deadline = tokio::time::sleep(Duration::from_secs(20));
    tokio::pin!(deadline);
    while lat.len() < events * 100 {
        tokio::select! {
            _ = &mut deadline => break,
            got = rx.recv() => match got {
                Some((name, at)) => if let Some(s) = sent.get(&name) { lat.push(at.duration_since(*s)); },
                None => break,
            }
        }
    }
    println!(
        "watch delivery, 100 watchers x {events} events: {} delivered, p50 {} p99 {}",
        lat.len(),
        ms(pct(&mut lat, 0.5)),
        ms(pct(&mut lat, 0.99))
    );
    for h in handles {
        h.abort();
    }

    // 5. StatefulSet → PVC Bound (controllers, kind's WaitForFirstConsumer class; the bench
    // plays scheduler and kubelet: it sets the selected node and marks the pod Ready).
    let mut lat = Vec::new();
    for i in 0..50 {
        let c = sandbox.create_cluster();
        lat.push(statefulset_to_bound(&c, i).await?);
    }
    println!(
        "StatefulSet (1 replica, 1 claim) created → PVC Bound (fake scheduler/kubelet): p50 {} p99 {}",
        ms(pct(&mut lat, 0.5)),
        ms(pct(&mut lat, 0.99))
    );
    Ok(())
}

async fn statefulset_to_bound(
    c: &kubedojo_sandbox::Cluster,
    i: usize,
) -> Result<Duration, Box<dyn std::error::Error>> {
    use k8s_openapi::api::apps::v1::StatefulSet;
    use k8s_openapi::api::core::v1::PersistentVolumeClaim;
    use kube::api::{Patch, PatchParams};
    let client = c.client();
    let sets: Api<StatefulSet> = Api::default_namespaced(client.clone());
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client);
    let set: StatefulSet = serde_json::from_value(json!({
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db", "replicas": 1,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "mysql:8.0"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
        }
    }))?;
    let t = Instant::now();
    sets.create(&PostParams::default(), &set).await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut scheduled = false;
    loop {
        if !scheduled && pods.get_opt("db-0").await?.is_some() {
            let node = json!({"metadata": {"annotations": {"volume.kubernetes.io/selected-node": "kind-worker"}}});
            pvcs.patch("data-db-0", &PatchParams::default(), &Patch::Merge(&node))
                .await?;
            let ip = format!("10.244.{}.{}", i / 200, i % 200 + 2);
            let ready = json!({"status": {"phase": "Running", "podIP": ip,
                "conditions": [{"type": "Ready", "status": "True"}]}});
            pods.patch_status("db-0", &PatchParams::default(), &Patch::Merge(&ready))
                .await?;
            scheduled = true;
        }
        let bound = pvcs
            .get_opt("data-db-0")
            .await?
            .and_then(|p| p.status)
            .and_then(|s| s.phase)
            .is_some_and(|p| p == "Bound");
        if bound {
            return Ok(t.elapsed());
        }
        if Instant::now() > deadline {
            return Err("PVC did not bind within 10 s".into());
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}
