//! The node side through kube-rs: nodes like kind's, scheduling, the pod life cycle with the
//! kubelet's Events, image pull failures, and losing a node. Uses system images (which idle)
//! so these tests do not depend on the simulated application images.

use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kubedojo_sandbox::Sandbox;
use serde_json::json;
use std::time::Duration;

async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn pod(name: &str, image: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"containers": [{"name": "c", "image": image}]}
    }))
    .expect("pod")
}

async fn events_for(client: &kube::Client, name: &str) -> Vec<(String, String)> {
    let evs: Api<Event> = Api::namespaced(client.clone(), "default");
    evs.list(&ListParams::default())
        .await
        .expect("events")
        .items
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(name))
        .map(|e| (e.reason.unwrap_or_default(), e.message.unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn a_fresh_cluster_has_kinds_nodes_and_running_system_pods() {
    let cluster = Sandbox::default().create_cluster();
    let nodes: Api<Node> = Api::all(cluster.client());
    let names: Vec<String> = nodes
        .list(&ListParams::default())
        .await
        .expect("nodes")
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    assert_eq!(
        names,
        ["kind-control-plane", "kind-worker", "kind-worker2", "kind-worker3"]
    );
    let pods: Api<Pod> = Api::namespaced(cluster.client(), "kube-system");
    eventually("system pods running", || {
        let pods = pods.clone();
        async move {
            let list = pods.list(&ListParams::default()).await.ok()?;
            let running = list
                .items
                .iter()
                .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
                .count();
            (running >= 12).then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn a_pod_is_scheduled_to_a_worker_and_runs_with_the_kubelets_events() {
    let cluster = Sandbox::default().create_cluster();
    let client = cluster.client();
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    pods.create(&PostParams::default(), &pod("web", "registry.k8s.io/pause:3.10"))
        .await
        .expect("create");
    let running = eventually("web running and ready", || {
        let pods = pods.clone();
        async move {
            let p = pods.get("web").await.ok()?;
            let st = p.status.clone()?;
            let ready = st
                .conditions
                .as_ref()?
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True");
            (st.phase.as_deref() == Some("Running") && ready).then_some(p)
        }
    })
    .await;
    let spec = running.spec.clone().expect("spec");
    let node = spec.node_name.expect("scheduled");
    assert_ne!(node, "kind-control-plane", "the control plane is tainted");
    let ip = running.status.clone().and_then(|s| s.pod_ip).expect("ip");
    assert!(ip.starts_with("10.244."), "{ip}");
    let reasons: Vec<String> = events_for(&client, "web").await.into_iter().map(|e| e.0).collect();
    for r in ["Scheduled", "Pulling", "Pulled", "Created", "Started"] {
        assert!(reasons.iter().any(|x| x == r), "missing {r} in {reasons:?}");
    }
    // Deleting it stops the container and removes the pod; a new pod gets a new IP.
    pods.delete("web", &DeleteParams::default()).await.expect("delete");
    eventually("web gone", || {
        let pods = pods.clone();
        async move { pods.get_opt("web").await.ok()?.is_none().then_some(()) }
    })
    .await;
    pods.create(&PostParams::default(), &pod("web", "registry.k8s.io/pause:3.10"))
        .await
        .expect("create again");
    let again = eventually("web running again", || {
        let pods = pods.clone();
        async move { pods.get("web").await.ok()?.status?.pod_ip }
    })
    .await;
    assert_ne!(again, ip, "a new pod gets a new IP");
}

#[tokio::test]
async fn an_unknown_image_goes_to_image_pull_back_off() {
    let cluster = Sandbox::default().create_cluster();
    let pods: Api<Pod> = Api::default_namespaced(cluster.client());
    pods.create(&PostParams::default(), &pod("typo", "mysqll:8.4"))
        .await
        .expect("create");
    eventually("ImagePullBackOff", || {
        let pods = pods.clone();
        async move {
            let st = pods.get("typo").await.ok()?.status?;
            let reason = st.container_statuses?.first()?.state.clone()?.waiting?.reason?;
            (reason == "ImagePullBackOff" && st.phase.as_deref() == Some("Pending")).then_some(())
        }
    })
    .await;
    let events = events_for(&cluster.client(), "typo").await;
    assert!(
        events.iter().any(|(r, m)| r == "Failed" && m.contains("pull access denied")),
        "{events:?}"
    );
}

#[tokio::test]
async fn an_impossible_node_selector_is_failed_scheduling_with_the_real_message() {
    let cluster = Sandbox::default().create_cluster();
    let pods: Api<Pod> = Api::default_namespaced(cluster.client());
    let mut p = pod("picky", "registry.k8s.io/pause:3.10");
    if let Some(spec) = p.spec.as_mut() {
        spec.node_selector = Some([("disk".to_string(), "ssd".to_string())].into());
    }
    pods.create(&PostParams::default(), &p).await.expect("create");
    let msg = eventually("FailedScheduling", || {
        let client = cluster.client();
        async move {
            events_for(&client, "picky")
                .await
                .into_iter()
                .find(|(r, _)| r == "FailedScheduling")
                .map(|e| e.1)
        }
    })
    .await;
    assert_eq!(
        msg,
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."
    );
}

#[tokio::test]
async fn a_lost_node_goes_not_ready_and_its_pods_are_evicted_but_stay_terminating() {
    let cluster = Sandbox::default().create_cluster();
    let pods: Api<Pod> = Api::default_namespaced(cluster.client());
    pods.create(&PostParams::default(), &pod("victim", "registry.k8s.io/pause:3.10"))
        .await
        .expect("create");
    let node = eventually("victim running", || {
        let pods = pods.clone();
        async move {
            let p = pods.get("victim").await.ok()?;
            (p.status.as_ref()?.phase.as_deref() == Some("Running")).then(|| p.spec?.node_name)?
        }
    })
    .await;
    cluster.lose_node(&node).expect("lose");
    let nodes: Api<Node> = Api::all(cluster.client());
    eventually("node not ready", || {
        let nodes = nodes.clone();
        let node = node.clone();
        async move {
            let n = nodes.get(&node).await.ok()?;
            let ready = n.status?.conditions?.into_iter().find(|c| c.type_ == "Ready")?;
            (ready.status == "Unknown").then_some(())
        }
    })
    .await;
    eventually("victim terminating", || {
        let pods = pods.clone();
        async move { pods.get("victim").await.ok()?.metadata.deletion_timestamp.map(|_| ()) }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(pods.get_opt("victim").await.expect("get").is_some(), "no kubelet confirms the deletion");
    cluster.restore_node(&node).expect("restore");
    eventually("victim gone after the node is back", || {
        let pods = pods.clone();
        async move { pods.get_opt("victim").await.ok()?.is_none().then_some(()) }
    })
    .await;
}

#[tokio::test]
async fn a_cluster_refuses_objects_beyond_its_limit_with_a_clear_forbidden() {
    let probe = Sandbox::default().create_cluster();
    let base = probe.store().total();
    let sandbox = Sandbox::new(kubedojo_sandbox::SandboxOptions {
        limits: kubedojo_sandbox::runtime::Limits {
            objects: base + 40,
            ..Default::default()
        },
        ..Default::default()
    });
    let cluster = sandbox.create_cluster();
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::default_namespaced(cluster.client());
    let mut refused = None;
    for i in 0..100 {
        let cm = serde_json::from_value(json!({"metadata": {"name": format!("c{i}")}})).expect("cm");
        if let Err(kube::Error::Api(s)) = cms.create(&PostParams::default(), &cm).await {
            refused = Some(s);
            break;
        }
    }
    let s = refused.expect("the limit is enforced");
    assert_eq!(s.code, 403);
    assert!(s.message.contains("its limit; delete some first"), "{}", s.message);
}
