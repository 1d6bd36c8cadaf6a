//! Persistent clusters: a snapshot round-trips every object with its uid, resourceVersion and
//! creation timestamp, the resourceVersion keeps increasing after a reload, tokens and labels
//! survive, a removed cluster stays removed, and a corrupt snapshot is reported and set aside
//! (never a panic, never half a cluster).

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::PostParams;
use kubedojo_sandbox::persist::{MANIFEST_FILE, SNAPSHOT_FILE};
use kubedojo_sandbox::{Sandbox, SandboxOptions};
use std::path::Path;
use std::time::Duration;

fn persistent(dir: &Path) -> Sandbox {
    Sandbox::new(SandboxOptions {
        data_dir: Some(dir.to_path_buf()),
        persistent: true,
        ..Default::default()
    })
}

fn config_map(name: &str) -> ConfigMap {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name},
        "data": {"rows": "42"}
    }))
    .expect("config map")
}

#[tokio::test]
async fn a_reloaded_cluster_keeps_its_objects_tokens_and_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (id, admin, token, before, rv_before) = {
        let sandbox = persistent(dir.path());
        let c = sandbox.create_cluster();
        c.set_label("kubedojo.dev/learner-id", Some("learner-1"));
        let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
        let made = cms
            .create(&PostParams::default(), &config_map("kept"))
            .await
            .expect("create");
        let token = c.issue_token("default", "learner");
        c.persist_now().expect("persist");
        let rv = c.store().resource_version();
        (
            c.id().to_string(),
            c.admin_token(),
            token,
            made.metadata,
            rv,
        )
    };
    assert!(dir.path().join(&id).join(MANIFEST_FILE).is_file());

    let sandbox = persistent(dir.path());
    let (restored, failed) = sandbox.restore_clusters();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(restored.len(), 1);
    let c = &restored[0];
    assert_eq!(c.id(), id);
    assert_eq!(c.admin_token(), admin);
    assert!(c.authenticate(&token).is_some(), "issued tokens survive");
    assert!(sandbox.authenticate(&admin).is_some());
    assert_eq!(
        c.label("kubedojo.dev/learner-id").as_deref(),
        Some("learner-1")
    );
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    let got = cms.get("kept").await.expect("the object is back");
    assert_eq!(got.metadata.uid, before.uid);
    assert_eq!(got.metadata.resource_version, before.resource_version);
    assert_eq!(got.metadata.creation_timestamp, before.creation_timestamp);
    assert!(c.store().resource_version() > rv_before);
    let next = cms
        .create(&PostParams::default(), &config_map("after"))
        .await
        .expect("create after reload");
    let rv_next: u64 = next
        .metadata
        .resource_version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .expect("numeric rv");
    assert!(rv_next > rv_before, "{rv_next} > {rv_before}");
    // A new cluster does not take the reloaded one's id.
    assert_ne!(sandbox.create_cluster().id(), id);
}

#[tokio::test]
async fn the_write_behind_task_persists_a_change_within_the_debounce() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = {
        let sandbox = persistent(dir.path());
        let c = sandbox.create_cluster();
        let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
        cms.create(&PostParams::default(), &config_map("late"))
            .await
            .expect("create");
        // No explicit persist: only the write-behind task writes.
        tokio::time::sleep(kubedojo_sandbox::persist::DEBOUNCE * 5).await;
        c.id().to_string()
        // NB: dropping the sandbox keeps the files of a persistent cluster.
    };
    let sandbox = persistent(dir.path());
    let (restored, _) = sandbox.restore_clusters();
    let c = restored
        .iter()
        .find(|c| c.id() == id)
        .expect("the cluster is back");
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    cms.get("late").await.expect("the change was written");
}

#[tokio::test]
async fn a_removed_cluster_does_not_come_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let sandbox = persistent(dir.path());
        let c = sandbox.create_cluster();
        c.persist_now().expect("persist");
        assert!(sandbox.remove_cluster(c.id()));
    }
    let (restored, failed) = persistent(dir.path()).restore_clusters();
    assert!(restored.is_empty() && failed.is_empty());
}

#[tokio::test]
async fn a_corrupt_snapshot_is_reported_and_set_aside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = {
        let sandbox = persistent(dir.path());
        let c = sandbox.create_cluster();
        c.persist_now().expect("persist");
        c.id().to_string()
    };
    let snapshot = dir.path().join(&id).join(SNAPSHOT_FILE);
    let bytes = std::fs::read(&snapshot).expect("read");
    std::fs::write(&snapshot, &bytes[..bytes.len() / 2]).expect("truncate");

    let sandbox = persistent(dir.path());
    let (restored, failed) = sandbox.restore_clusters();
    assert!(restored.is_empty());
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].error.to_string().contains("truncated"),
        "{}",
        failed[0].error
    );
    let aside = failed[0].moved_to.clone().expect("moved aside");
    assert!(aside.join(SNAPSHOT_FILE).is_file());
    assert!(!dir.path().join(&id).exists());
    // The sandbox goes on: a fresh cluster works and does not reuse the id.
    let fresh = sandbox.create_cluster();
    assert_ne!(fresh.id(), id);
    let cms: Api<ConfigMap> = Api::default_namespaced(fresh.client());
    tokio::time::timeout(Duration::from_secs(10), cms.list(&Default::default()))
        .await
        .expect("bounded")
        .expect("list");
}
