//! PV binder, provisioner and storage protection driven through kube-rs in-process.

mod controllers_support;

use controllers_support::{T, eventually, has_event};
use k8s_openapi::api::core::v1::{Event, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kubedojo_sandbox::Sandbox;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::{sleep, timeout};

fn pvc(name: &str, class: Option<&str>, size: &str) -> PersistentVolumeClaim {
    let mut spec =
        json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}});
    if let Some(c) = class {
        spec["storageClassName"] = json!(c);
    }
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": spec
    }))
    .expect("pvc")
}

fn static_pv(name: &str, size: &str, modes: Value, policy: &str) -> PersistentVolume {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": size},
            "accessModes": modes,
            "persistentVolumeReclaimPolicy": policy,
            "storageClassName": "",
            "hostPath": {"path": format!("/data/{name}")}
        }
    }))
    .expect("pv")
}

/// Make `standard` non-default and, when `immediate` is given, add a default Immediate class.
async fn replace_default_class(client: &kube::Client, immediate: Option<&str>) {
    let classes: Api<StorageClass> = Api::all(client.clone());
    timeout(
        T,
        classes.patch(
            "standard",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {"storageclass.kubernetes.io/is-default-class": "false"}}})),
        ),
    )
    .await
    .expect("t")
    .expect("patch standard");
    if let Some(name) = immediate {
        let sc: StorageClass = serde_json::from_value(json!({
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": name, "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "Immediate"
        }))
        .expect("sc");
        timeout(T, classes.create(&PostParams::default(), &sc))
            .await
            .expect("t")
            .expect("create class");
    }
}

async fn bound_claim(pvcs: &Api<PersistentVolumeClaim>, name: &str) -> PersistentVolumeClaim {
    eventually(&format!("{name} Bound"), || async move {
        let c = pvcs.get(name).await.ok()?;
        (c.status.as_ref()?.phase.as_deref() == Some("Bound")).then_some(c)
    })
    .await
}

fn annotation(o: &impl kube::Resource, key: &str) -> Option<String> {
    o.meta()
        .annotations
        .as_ref()
        .and_then(|a| a.get(key).cloned())
}

#[tokio::test]
async fn default_immediate_class_provisions_and_binds() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    replace_default_class(&client, Some("fast-local")).await;
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let pvs: Api<PersistentVolume> = Api::all(client.clone());
    let events: Api<Event> = Api::default_namespaced(client.clone());
    let created = timeout(
        T,
        pvcs.create(&PostParams::default(), &pvc("data", None, "2Gi")),
    )
    .await
    .expect("t")
    .expect("create");
    let uid = created.metadata.uid.clone().expect("uid");
    assert_eq!(
        created
            .spec
            .as_ref()
            .and_then(|s| s.storage_class_name.as_deref()),
        Some("fast-local")
    );
    assert_eq!(
        created.metadata.finalizers,
        Some(vec!["kubernetes.io/pvc-protection".to_string()])
    );
    let claim = bound_claim(&pvcs, "data").await;
    let pv_name = format!("pvc-{uid}");
    assert_eq!(
        claim.spec.as_ref().and_then(|s| s.volume_name.as_deref()),
        Some(pv_name.as_str())
    );
    for (k, v) in [
        ("pv.kubernetes.io/bind-completed", "yes"),
        ("pv.kubernetes.io/bound-by-controller", "yes"),
        (
            "volume.kubernetes.io/storage-provisioner",
            "rancher.io/local-path",
        ),
        (
            "volume.beta.kubernetes.io/storage-provisioner",
            "rancher.io/local-path",
        ),
    ] {
        assert_eq!(annotation(&claim, k).as_deref(), Some(v), "{k}");
    }
    let st = claim.status.expect("status");
    assert_eq!(
        st.capacity
            .and_then(|c| c.get("storage").cloned())
            .map(|q| q.0),
        Some("2Gi".to_string())
    );
    assert_eq!(st.access_modes, Some(vec!["ReadWriteOnce".to_string()]));
    let pv = timeout(T, pvs.get(&pv_name)).await.expect("t").expect("pv");
    assert_eq!(
        annotation(&pv, "pv.kubernetes.io/provisioned-by").as_deref(),
        Some("rancher.io/local-path")
    );
    assert_eq!(
        pv.metadata.finalizers,
        Some(vec!["kubernetes.io/pv-protection".to_string()])
    );
    let spec = pv.spec.clone().expect("spec");
    assert_eq!(
        spec.persistent_volume_reclaim_policy.as_deref(),
        Some("Delete")
    );
    assert_eq!(spec.storage_class_name.as_deref(), Some("fast-local"));
    let cr = spec.claim_ref.expect("claimRef");
    assert_eq!(cr.uid.as_deref(), Some(uid.as_str()));
    assert_eq!(cr.name.as_deref(), Some("data"));
    assert!(cr.resource_version.is_some());
    assert_eq!(
        spec.host_path.map(|h| h.path),
        Some(format!(
            "/var/local-path-provisioner/{pv_name}_default_data"
        ))
    );
    assert_eq!(pv.status.and_then(|s| s.phase).as_deref(), Some("Bound"));
    assert!(
        has_event(
            &events,
            "data",
            "ProvisioningSucceeded",
            &format!("Successfully provisioned volume {pv_name}")
        )
        .await
    );
}

#[tokio::test]
async fn wait_for_first_consumer_waits_for_the_selected_node() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let pvs: Api<PersistentVolume> = Api::all(client.clone());
    let events: Api<Event> = Api::default_namespaced(client.clone());
    let created = timeout(
        T,
        pvcs.create(&PostParams::default(), &pvc("data", None, "1Gi")),
    )
    .await
    .expect("t")
    .expect("create");
    let uid = created.metadata.uid.expect("uid");
    eventually("WaitForFirstConsumer event", || {
        let events = &events;
        async move {
            has_event(
                events,
                "data",
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
            )
            .await
            .then_some(())
        }
    })
    .await;
    sleep(Duration::from_millis(100)).await;
    let still = pvcs.get("data").await.expect("get");
    assert_eq!(
        still.status.and_then(|s| s.phase).as_deref(),
        Some("Pending")
    );
    // The first consumer: the scheduler picks a node and records it on the claim.
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let consumer: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "consumer"},
        "spec": {
            "containers": [{"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 3600"],
                "volumeMounts": [{"name": "d", "mountPath": "/data"}]}],
            "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
        }
    }))
    .expect("pod");
    timeout(T, pods.create(&PostParams::default(), &consumer))
        .await
        .expect("t")
        .expect("create pod");
    let claim = bound_claim(&pvcs, "data").await;
    let selected = annotation(&claim, "volume.kubernetes.io/selected-node").expect("selected-node");
    let node = eventually("consumer bound to a node", || {
        let pods = &pods;
        async move { pods.get("consumer").await.ok()?.spec?.node_name }
    })
    .await;
    assert_eq!(selected, node);
    assert!(node.starts_with("kind-worker"), "{node}");
    let pv = pvs.get(&format!("pvc-{uid}")).await.expect("pv");
    let affinity = serde_json::to_value(pv.spec.and_then(|s| s.node_affinity)).expect("json");
    assert_eq!(
        affinity["required"]["nodeSelectorTerms"][0]["matchExpressions"][0],
        json!({"key": "kubernetes.io/hostname", "operator": "In", "values": [node]})
    );
}

#[tokio::test]
async fn a_class_whose_provisioner_does_not_run_leaves_the_claim_pending() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let classes: Api<StorageClass> = Api::all(client.clone());
    let sc: StorageClass = serde_json::from_value(json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "fast-ssd"},
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3"},
        "volumeBindingMode": "Immediate"
    }))
    .expect("sc");
    timeout(T, classes.create(&PostParams::default(), &sc))
        .await
        .expect("t")
        .expect("create class");
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let events: Api<Event> = Api::default_namespaced(client.clone());
    timeout(
        T,
        pvcs.create(
            &PostParams::default(),
            &pvc("data", Some("fast-ssd"), "1Gi"),
        ),
    )
    .await
    .expect("t")
    .expect("create");
    eventually("ExternalProvisioning", || {
        let events = &events;
        async move {
            has_event(
                events,
                "data",
                "ExternalProvisioning",
                "Waiting for a volume to be created either by the external provisioner 'ebs.csi.aws.com' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
            )
            .await
            .then_some(())
        }
    })
    .await;
    // Long enough for the instant-pace local-path provisioner to have acted, had it wrongly done so.
    sleep(Duration::from_millis(300)).await;
    let claim = pvcs.get("data").await.expect("get");
    assert_eq!(
        claim.status.and_then(|s| s.phase).as_deref(),
        Some("Pending")
    );
    let pvs: Api<PersistentVolume> = Api::all(client.clone());
    assert!(
        pvs.list(&Default::default())
            .await
            .expect("list")
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn missing_class_reports_provisioning_failed() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let events: Api<Event> = Api::default_namespaced(client.clone());
    timeout(
        T,
        pvcs.create(&PostParams::default(), &pvc("data", Some("fast"), "1Gi")),
    )
    .await
    .expect("t")
    .expect("create");
    eventually("ProvisioningFailed", || {
        let events = &events;
        async move {
            has_event(
                events,
                "data",
                "ProvisioningFailed",
                "storageclass.storage.k8s.io \"fast\" not found",
            )
            .await
            .then_some(())
        }
    })
    .await;
    let claim = pvcs.get("data").await.expect("get");
    assert_eq!(
        claim.status.and_then(|s| s.phase).as_deref(),
        Some("Pending")
    );
}

#[tokio::test]
async fn no_class_and_no_default_reports_failed_binding() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    replace_default_class(&client, None).await;
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let events: Api<Event> = Api::default_namespaced(client.clone());
    let created = timeout(
        T,
        pvcs.create(&PostParams::default(), &pvc("data", None, "1Gi")),
    )
    .await
    .expect("t")
    .expect("create");
    assert_eq!(
        created.spec.and_then(|s| s.storage_class_name),
        None,
        "no default class to fill in"
    );
    eventually("FailedBinding", || {
        let events = &events;
        async move {
            has_event(
                events,
                "data",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            )
            .await
            .then_some(())
        }
    })
    .await;
    let claim = pvcs.get("data").await.expect("get");
    assert_eq!(
        claim.status.and_then(|s| s.phase).as_deref(),
        Some("Pending")
    );
}

#[tokio::test]
async fn static_binding_picks_the_smallest_matching_volume() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let pvs: Api<PersistentVolume> = Api::all(client.clone());
    for (n, size, modes) in [
        ("big", "10Gi", json!(["ReadWriteOnce"])),
        ("small", "2Gi", json!(["ReadWriteOnce", "ReadOnlyMany"])),
        ("tiny", "500Mi", json!(["ReadWriteOnce"])),
        ("rwx-only", "1Gi", json!(["ReadWriteMany"])),
    ] {
        timeout(
            T,
            pvs.create(&PostParams::default(), &static_pv(n, size, modes, "Retain")),
        )
        .await
        .expect("t")
        .expect("create pv");
    }
    eventually("PVs Available", || {
        let pvs = &pvs;
        async move {
            let pv = pvs.get("small").await.ok()?;
            (pv.status?.phase.as_deref() == Some("Available")).then_some(())
        }
    })
    .await;
    timeout(
        T,
        pvcs.create(&PostParams::default(), &pvc("data", Some(""), "1Gi")),
    )
    .await
    .expect("t")
    .expect("create pvc");
    let claim = bound_claim(&pvcs, "data").await;
    assert_eq!(
        claim.spec.and_then(|s| s.volume_name).as_deref(),
        Some("small")
    );
    let pv = pvs.get("small").await.expect("pv");
    assert_eq!(
        annotation(&pv, "pv.kubernetes.io/bound-by-controller").as_deref(),
        Some("yes")
    );
    assert_eq!(pv.status.and_then(|s| s.phase).as_deref(), Some("Bound"));
    let big = pvs.get("big").await.expect("pv");
    assert_eq!(
        big.status.and_then(|s| s.phase).as_deref(),
        Some("Available")
    );
}

#[tokio::test]
async fn reclaim_retain_releases_and_delete_removes_the_volume() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    replace_default_class(&client, Some("fast-local")).await;
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let pvs: Api<PersistentVolume> = Api::all(client.clone());
    timeout(
        T,
        pvs.create(
            &PostParams::default(),
            &static_pv("kept", "1Gi", json!(["ReadWriteOnce"]), "Retain"),
        ),
    )
    .await
    .expect("t")
    .expect("pv");
    timeout(
        T,
        pvcs.create(&PostParams::default(), &pvc("static", Some(""), "1Gi")),
    )
    .await
    .expect("t")
    .expect("pvc");
    let dynamic = timeout(
        T,
        pvcs.create(&PostParams::default(), &pvc("dynamic", None, "1Gi")),
    )
    .await
    .expect("t")
    .expect("pvc");
    let dyn_pv = format!("pvc-{}", dynamic.metadata.uid.expect("uid"));
    bound_claim(&pvcs, "static").await;
    bound_claim(&pvcs, "dynamic").await;
    for n in ["static", "dynamic"] {
        timeout(T, pvcs.delete(n, &DeleteParams::default()))
            .await
            .expect("t")
            .expect("delete");
    }
    let kept = eventually("kept Released", || {
        let pvs = &pvs;
        async move {
            let pv = pvs.get("kept").await.ok()?;
            (pv.status.as_ref()?.phase.as_deref() == Some("Released")).then_some(pv)
        }
    })
    .await;
    assert_eq!(
        kept.spec
            .and_then(|s| s.claim_ref)
            .and_then(|r| r.name)
            .as_deref(),
        Some("static")
    );
    eventually("dynamic PV deleted", || {
        let (pvs, n) = (&pvs, &dyn_pv);
        async move { pvs.get_opt(n).await.ok()?.is_none().then_some(()) }
    })
    .await;
}

#[tokio::test]
async fn pvc_protection_keeps_a_claim_in_use_terminating() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    replace_default_class(&client, Some("fast-local")).await;
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    timeout(
        T,
        pvcs.create(&PostParams::default(), &pvc("data", None, "1Gi")),
    )
    .await
    .expect("t")
    .expect("pvc");
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "db"},
        "spec": {
            "containers": [{"name": "db", "image": "mysql:8.0", "volumeMounts": [{"name": "d", "mountPath": "/var/lib/mysql"}],
                "env": [{"name": "MYSQL_ROOT_PASSWORD", "value": "change-me"}]}],
            "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
        }
    }))
    .expect("pod");
    timeout(T, pods.create(&PostParams::default(), &pod))
        .await
        .expect("t")
        .expect("pod");
    bound_claim(&pvcs, "data").await;
    timeout(T, pvcs.delete("data", &DeleteParams::default()))
        .await
        .expect("t")
        .expect("delete");
    sleep(Duration::from_millis(200)).await;
    let claim = pvcs.get("data").await.expect("still there");
    assert!(claim.metadata.deletion_timestamp.is_some());
    assert_eq!(
        claim.metadata.finalizers,
        Some(vec!["kubernetes.io/pvc-protection".to_string()])
    );
    timeout(T, pods.delete("db", &DeleteParams::default()))
        .await
        .expect("t")
        .expect("delete pod");
    eventually("claim gone", || {
        let pvcs = &pvcs;
        async move { pvcs.get_opt("data").await.ok()?.is_none().then_some(()) }
    })
    .await;
}

#[tokio::test]
async fn lifelike_pace_provisions_after_a_visible_delay() {
    let sandbox = Sandbox::new(kubedojo_sandbox::SandboxOptions {
        pace: kubedojo_sandbox::Pace::Lifelike,
        ..Default::default()
    });
    let c = sandbox.create_cluster();
    let client = c.client();
    replace_default_class(&client, Some("fast-local")).await;
    let pvcs: Api<PersistentVolumeClaim> = Api::default_namespaced(client.clone());
    let events: Api<Event> = Api::default_namespaced(client.clone());
    let started = std::time::Instant::now();
    timeout(
        T,
        pvcs.create(&PostParams::default(), &pvc("data", None, "1Gi")),
    )
    .await
    .expect("t")
    .expect("create");
    eventually("ExternalProvisioning", || {
        let events = &events;
        async move {
            controllers_support::events_for(events, "data")
                .await
                .iter()
                .any(|(r, _)| r == "ExternalProvisioning")
                .then_some(())
        }
    })
    .await;
    let pending = pvcs.get("data").await.expect("get");
    assert_eq!(
        pending.status.and_then(|s| s.phase).as_deref(),
        Some("Pending")
    );
    bound_claim(&pvcs, "data").await;
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}
