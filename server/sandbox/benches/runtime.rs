//! Runtime benchmark: how long a fresh cluster takes to run the course's mysql StatefulSet (one
//! replica Ready, its claim Bound) at instant pace, how much memory and disk such a cluster
//! uses, and whether 1,000 of them fit in one process. Run with
//! `cargo bench -p kubedojo-sandbox --bench runtime` (set `RUNTIME_BENCH_CLUSTERS` to change
//! the 1,000).

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret, Service};
use kube::api::{Api, PostParams};
use kubedojo_sandbox::{Cluster, Sandbox};
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

fn du(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => du(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let idx = ((v.len().saturating_sub(1)) as f64 * p).round() as usize;
    v.get(idx).copied().unwrap_or_default()
}

/// The lesson's mysql: Secret, headless Service, StatefulSet with one claim template.
async fn apply_mysql(client: &kube::Client) -> Result<(), kube::Error> {
    let pp = PostParams::default();
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "mysql-secret"},
        "stringData": {"root-password": "change-me"}
    }))
    .map_err(kube::Error::SerdeError)?;
    Api::<Secret>::default_namespaced(client.clone()).create(&pp, &secret).await?;
    let svc: Service = serde_json::from_value(json!({
        "metadata": {"name": "mysql"},
        "spec": {"clusterIP": "None", "selector": {"app": "mysql"}, "ports": [{"port": 3306}]}
    }))
    .map_err(kube::Error::SerdeError)?;
    Api::<Service>::default_namespaced(client.clone()).create(&pp, &svc).await?;
    let sts: StatefulSet = serde_json::from_value(json!({
        "metadata": {"name": "mysql"},
        "spec": {
            "serviceName": "mysql",
            "replicas": 1,
            "selector": {"matchLabels": {"app": "mysql"}},
            "template": {
                "metadata": {"labels": {"app": "mysql"}},
                "spec": {"containers": [{
                    "name": "mysql",
                    "image": "mysql:8.4",
                    "env": [{"name": "MYSQL_ROOT_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "mysql-secret", "key": "root-password"}}}],
                    "ports": [{"containerPort": 3306}],
                    "volumeMounts": [{"name": "data", "mountPath": "/var/lib/mysql"}]
                }]}
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
            }]
        }
    }))
    .map_err(kube::Error::SerdeError)?;
    Api::<StatefulSet>::default_namespaced(client.clone()).create(&pp, &sts).await?;
    Ok(())
}

/// Poll until the StatefulSet reports one ready replica and its claim is Bound.
async fn wait_ready(client: &kube::Client, limit: Duration) -> bool {
    let sets: Api<StatefulSet> = Api::default_namespaced(client.clone());
    let claims: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let ready = sets
            .get("mysql")
            .await
            .ok()
            .and_then(|s| s.status)
            .and_then(|s| s.ready_replicas)
            == Some(1);
        let bound = claims
            .get_opt("data-mysql-0")
            .await
            .ok()
            .flatten()
            .and_then(|c| c.status)
            .and_then(|s| s.phase)
            .as_deref()
            == Some("Bound");
        if ready && bound {
            return true;
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    false
}

async fn one(sandbox: &Sandbox) -> Result<(Cluster, Duration), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let cluster = sandbox.create_cluster();
    let client = cluster.client();
    apply_mysql(&client).await?;
    if !wait_ready(&client, Duration::from_secs(30)).await {
        return Err("mysql did not become ready within 30 s".into());
    }
    Ok((cluster, t.elapsed()))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("kubedojo-sandbox runtime benchmark (instant pace)");
    let sandbox = Sandbox::default();
    let _ = one(&sandbox).await?; // warm-up (first-use costs)

    // 1. Time to "mysql StatefulSet Ready and PVC Bound", one cluster at a time.
    let mut times = Vec::new();
    for _ in 0..50 {
        let (cluster, took) = one(&sandbox).await?;
        times.push(took);
        sandbox.remove_cluster(cluster.id());
    }
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "create cluster → mysql StatefulSet Ready + PVC Bound: mean {}, p50 {}, p99 {} (50 clusters, one at a time; goal < 50 ms)",
        ms(mean),
        ms(pct(&mut times, 0.5)),
        ms(pct(&mut times, 0.99))
    );

    // 2 + 3. Many such clusters in one process: memory, disk, time.
    let n: usize = std::env::var("RUNTIME_BENCH_CLUSTERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss0 = rss_bytes();
    let t = Instant::now();
    let mut clusters = Vec::with_capacity(n);
    let mut failed = 0;
    for _ in 0..n {
        match one(&sandbox).await {
            Ok((c, _)) => clusters.push(c),
            Err(e) => {
                failed += 1;
                eprintln!("cluster failed: {e}");
            }
        }
    }
    let total = t.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss1 = rss_bytes();
    let disk: u64 = clusters.iter().map(|c| du(c.data_dir())).sum();
    let per = clusters.len().max(1) as f64;
    println!(
        "{} clusters each running mysql: built in {:.1} s, {failed} failed; memory {:.2} MiB per cluster (RSS {:.0} → {:.0} MiB; goal ≤ 2 MiB); data files {:.1} KiB per cluster",
        clusters.len(),
        total.as_secs_f64(),
        (rss1.saturating_sub(rss0)) as f64 / per / 1024.0 / 1024.0,
        rss0 as f64 / 1024.0 / 1024.0,
        rss1 as f64 / 1024.0 / 1024.0,
        disk as f64 / per / 1024.0
    );
    Ok(())
}
