//! Persistence benchmark: what one snapshot costs after a change (encode + write + fsync +
//! rename, the write-behind task's work per burst) for a booted cluster, and how long a
//! restarted process takes to reload N persistent clusters. Run with
//! `cargo bench -p kubedojo-sandbox --bench persist` (`PERSIST_BENCH_CLUSTERS`, default 50).

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use kubedojo_sandbox::persist::SNAPSHOT_FILE;
use kubedojo_sandbox::{Sandbox, SandboxOptions};
use std::time::{Duration, Instant};

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let n: usize = std::env::var("PERSIST_BENCH_CLUSTERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = || SandboxOptions {
        data_dir: Some(dir.path().to_path_buf()),
        persistent: true,
        ..Default::default()
    };
    rt.block_on(async {
        let sandbox = Sandbox::new(opts());
        let clusters: Vec<_> = (0..n).map(|_| sandbox.create_cluster()).collect();
        // Let the clusters boot (system pods Running) so the snapshots are realistic.
        tokio::time::sleep(Duration::from_secs(2)).await;
        for c in &clusters {
            c.persist_now().expect("persist");
        }
        let c = &clusters[0];
        let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
        let mut costs = Vec::new();
        for i in 0..100 {
            let cm: ConfigMap = serde_json::from_value(serde_json::json!({
                "metadata": {"name": format!("change-{i}")}, "data": {"i": i.to_string()}
            }))
            .expect("cm");
            cms.create(&PostParams::default(), &cm)
                .await
                .expect("create");
            let t = Instant::now();
            c.persist_now().expect("persist");
            costs.push(t.elapsed());
        }
        costs.sort();
        let size = std::fs::metadata(c.data_dir().join(SNAPSHOT_FILE))
            .map(|m| m.len())
            .unwrap_or(0);
        println!(
            "snapshot per change ({} objects, {} KiB): p50 {}, p95 {}, max {}",
            c.store().total(),
            size / 1024,
            ms(percentile(&costs, 0.5)),
            ms(percentile(&costs, 0.95)),
            ms(percentile(&costs, 1.0)),
        );
        drop(cms);
        drop(clusters);
        drop(sandbox);
        tokio::time::sleep(Duration::from_millis(300)).await;

        let t = Instant::now();
        let sandbox = Sandbox::new(opts());
        let (restored, failed) = sandbox.restore_clusters();
        let took = t.elapsed();
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(restored.len(), n);
        println!(
            "reload of {n} clusters: {} ({} per cluster)",
            ms(took),
            ms(took / u32::try_from(n).unwrap_or(1))
        );
    });
}
