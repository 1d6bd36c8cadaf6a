//! Endpoints, EndpointSlices, the namespace and ServiceAccount controllers, and foreground
//! deletion, driven through kube-rs in-process with the real runtime running the pods.

mod controllers_support;

use controllers_support::{
    T, eventually, never_ready_probe, phase, pod_ip, ready_ip, running_not_ready_ip,
};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Namespace, PersistentVolumeClaim, Pod, Service, ServiceAccount,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kubedojo_sandbox::Sandbox;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::{sleep, timeout};

fn pod(name: &str, app: &str, extra_spec: Value) -> Pod {
    let mut spec = json!({"containers": [{"name": "web", "image": "nginx:1.27",
        "ports": [{"name": "http", "containerPort": 8080}]}]});
    if let (Some(s), Some(e)) = (spec.as_object_mut(), extra_spec.as_object()) {
        for (k, v) in e {
            s.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": spec
    }))
    .expect("pod")
}

/// Like [`pod`], but its readiness probe never passes: Running with an IP, never Ready.
fn not_ready_pod(name: &str, app: &str, extra_spec: Value) -> Pod {
    let mut p = pod(name, app, extra_spec);
    if let Some(c) = p.spec.as_mut().and_then(|s| s.containers.first_mut()) {
        c.readiness_probe = Some(serde_json::from_value(never_ready_probe()).expect("probe"));
    }
    p
}

fn service(name: &str, app: &str, extra_spec: Value) -> Service {
    let mut spec = json!({"selector": {"app": app},
        "ports": [{"name": "web", "port": 80, "targetPort": "http"}]});
    if let (Some(s), Some(e)) = (spec.as_object_mut(), extra_spec.as_object()) {
        for (k, v) in e {
            s.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name},
        "spec": spec
    }))
    .expect("svc")
}

async fn create<K>(api: &Api<K>, obj: &K)
where
    K: kube::Resource + Clone + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    timeout(T, api.create(&PostParams::default(), obj))
        .await
        .expect("t")
        .expect("create");
}

async fn slice_of(slices: &Api<EndpointSlice>, svc: &str) -> Option<EndpointSlice> {
    let lp = ListParams::default().labels(&format!("kubernetes.io/service-name={svc}"));
    slices.list(&lp).await.ok()?.items.into_iter().next()
}

#[tokio::test]
async fn endpoints_and_slices_list_ready_and_not_ready_pods_with_named_ports() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let svcs: Api<Service> = Api::default_namespaced(client.clone());
    let eps: Api<Endpoints> = Api::default_namespaced(client.clone());
    let slices: Api<EndpointSlice> = Api::default_namespaced(client.clone());
    create(&svcs, &service("web", "web", json!({}))).await;
    create(&pods, &pod("web-a", "web", json!({}))).await;
    create(&pods, &not_ready_pod("web-b", "web", json!({}))).await;
    // web-c cannot be scheduled, so it never gets an IP: it is in neither list.
    create(
        &pods,
        &pod(
            "web-c",
            "web",
            json!({"nodeSelector": {"kubernetes.io/hostname": "no-such-node"}}),
        ),
    )
    .await;
    let ready_ip = ready_ip(&pods, "web-a").await;
    let not_ready_ip = running_not_ready_ip(&pods, "web-b").await;
    let c_pod = pods.get("web-c").await.expect("web-c");
    assert_eq!(phase(&c_pod), Some("Pending"));
    assert_eq!(pod_ip(&c_pod), None);
    let ep = eventually("endpoints", || {
        let (eps, ip) = (&eps, &not_ready_ip);
        async move {
            let ep = eps.get("web").await.ok()?;
            let v = serde_json::to_value(&ep).ok()?;
            (v["subsets"][0]["notReadyAddresses"][0]["ip"] == ip.as_str()).then_some(v)
        }
    })
    .await;
    let subset = &ep["subsets"][0];
    assert_eq!(subset["addresses"].as_array().map(Vec::len), Some(1));
    assert_eq!(subset["addresses"][0]["ip"], json!(ready_ip));
    assert_eq!(subset["addresses"][0]["targetRef"]["kind"], "Pod");
    assert_eq!(subset["addresses"][0]["targetRef"]["name"], "web-a");
    assert_eq!(
        subset["notReadyAddresses"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        subset["ports"],
        json!([{"name": "web", "port": 8080, "protocol": "TCP"}])
    );
    let slice = eventually("slice", || {
        let slices = &slices;
        async move {
            let s = slice_of(slices, "web").await?;
            (s.endpoints.as_ref().map(Vec::len) == Some(2)).then_some(s)
        }
    })
    .await;
    let v = serde_json::to_value(&slice).expect("json");
    let name = v["metadata"]["name"].as_str().unwrap_or_default();
    assert!(name.starts_with("web-") && name.len() == 9, "{name}");
    assert_eq!(
        v["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
    assert_eq!(v["addressType"], "IPv4");
    assert_eq!(
        v["ports"],
        json!([{"name": "web", "port": 8080, "protocol": "TCP"}])
    );
    let by_ip = |ip: &str| {
        v["endpoints"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["addresses"][0] == ip).cloned())
            .expect("endpoint")
    };
    assert_eq!(
        by_ip(&ready_ip)["conditions"],
        json!({"ready": true, "serving": true, "terminating": false})
    );
    assert_eq!(
        by_ip(&not_ready_ip)["conditions"],
        json!({"ready": false, "serving": false, "terminating": false})
    );
    assert_eq!(by_ip(&ready_ip)["targetRef"]["name"], "web-a");
    // The pod goes: so does its address.
    timeout(T, pods.delete("web-a", &DeleteParams::default()))
        .await
        .expect("t")
        .expect("delete");
    eventually("address removed", || {
        let eps = &eps;
        async move {
            let v = serde_json::to_value(eps.get("web").await.ok()?).ok()?;
            v["subsets"][0]["addresses"].is_null().then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn headless_service_publishes_hostnames_and_not_ready_addresses_when_asked() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let svcs: Api<Service> = Api::default_namespaced(client.clone());
    let eps: Api<Endpoints> = Api::default_namespaced(client.clone());
    let slices: Api<EndpointSlice> = Api::default_namespaced(client.clone());
    create(
        &svcs,
        &service(
            "mysql",
            "mysql",
            json!({"clusterIP": "None", "ports": [{"port": 3306}]}),
        ),
    )
    .await;
    create(
        &svcs,
        &service("mysql-all", "mysql", json!({"clusterIP": "None", "publishNotReadyAddresses": true, "ports": [{"port": 3306}]})),
    )
    .await;
    let headless = svcs.get("mysql").await.expect("svc");
    assert_eq!(
        headless.spec.and_then(|s| s.cluster_ip).as_deref(),
        Some("None")
    );
    create(
        &pods,
        &pod(
            "mysql-0",
            "mysql",
            json!({"hostname": "mysql-0", "subdomain": "mysql"}),
        ),
    )
    .await;
    create(
        &pods,
        &not_ready_pod(
            "mysql-1",
            "mysql",
            json!({"hostname": "mysql-1", "subdomain": "mysql"}),
        ),
    )
    .await;
    let ip0 = ready_ip(&pods, "mysql-0").await;
    let ip1 = running_not_ready_ip(&pods, "mysql-1").await;
    let ep = eventually("headless endpoints", || {
        let (eps, ip1) = (&eps, &ip1);
        async move {
            let v = serde_json::to_value(eps.get("mysql").await.ok()?).ok()?;
            (v["subsets"][0]["notReadyAddresses"][0]["ip"] == ip1.as_str()).then_some(v)
        }
    })
    .await;
    assert_eq!(ep["subsets"][0]["addresses"][0]["ip"], json!(ip0));
    assert_eq!(ep["subsets"][0]["addresses"][0]["hostname"], "mysql-0");
    assert_eq!(
        ep["subsets"][0]["ports"],
        json!([{"port": 3306, "protocol": "TCP"}])
    );
    let slice = eventually("slice with hostname", || {
        let slices = &slices;
        async move {
            let s = slice_of(slices, "mysql").await?;
            (s.endpoints.as_ref().map(Vec::len) == Some(2)).then_some(s)
        }
    })
    .await;
    assert!(
        slice
            .endpoints
            .iter()
            .flatten()
            .any(|e| e.hostname.as_deref() == Some("mysql-0"))
    );
    // publishNotReadyAddresses: both pods are addresses; the subdomain is another Service,
    // so no hostname.
    let all = eventually("publish-not-ready endpoints", || {
        let eps = &eps;
        async move {
            let v = serde_json::to_value(eps.get("mysql-all").await.ok()?).ok()?;
            (v["subsets"][0]["addresses"].as_array().map(Vec::len) == Some(2)).then_some(v)
        }
    })
    .await;
    assert!(all["subsets"][0]["notReadyAddresses"].is_null());
    assert!(all["subsets"][0]["addresses"][0]["hostname"].is_null());
}

#[tokio::test]
async fn kubernetes_service_points_at_the_api_server() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let eps: Api<Endpoints> = Api::default_namespaced(client.clone());
    let ep = eventually("kubernetes endpoints", || {
        let eps = &eps;
        async move { eps.get("kubernetes").await.ok() }
    })
    .await;
    let v = serde_json::to_value(ep).expect("json");
    assert_eq!(
        v["subsets"],
        json!([{"addresses": [{"ip": "172.18.0.2"}], "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}])
    );
}

#[tokio::test]
async fn namespace_deletion_removes_contents_then_the_namespace() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let nss: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "team"}})).expect("ns");
    create(&nss, &ns).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "team");
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "team");
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "team");
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "team");
    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), "team");
    // The default ServiceAccount is there at once, and comes back when deleted.
    timeout(T, sas.delete("default", &DeleteParams::default()))
        .await
        .expect("t")
        .expect("delete sa");
    eventually("default sa back", || {
        let sas = &sas;
        async move { sas.get_opt("default").await.ok().flatten() }
    })
    .await;
    create(
        &pods,
        &pod(
            "web",
            "web",
            json!({"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}),
        ),
    )
    .await;
    let deploy: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "api"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "a", "image": "nginx"}]}}}
    }))
    .expect("deploy");
    create(&deploys, &deploy).await;
    let claim: PersistentVolumeClaim = serde_json::from_value(json!({
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    }))
    .expect("pvc");
    create(&pvcs, &claim).await;
    eventually("deployment pods", || {
        let pods = &pods;
        async move {
            let n = pods.list(&ListParams::default()).await.ok()?.items.len();
            (n == 3).then_some(())
        }
    })
    .await;
    // A finalizer nobody removes holds the namespace in Terminating.
    let held: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "held", "finalizers": ["example.com/hold"]}
    }))
    .expect("cm");
    create(&cms, &held).await;
    let answer = timeout(T, nss.delete("team", &DeleteParams::default()))
        .await
        .expect("t")
        .expect("delete ns");
    let terminating = answer.left().expect("the namespace object");
    assert_eq!(
        terminating.status.and_then(|s| s.phase).as_deref(),
        Some("Terminating")
    );
    let ns = eventually("content gone but the held ConfigMap", || {
        let (nss, pods) = (&nss, &pods);
        async move {
            let n = pods.list(&ListParams::default()).await.ok()?.items.len();
            let ns = nss.get("team").await.ok()?;
            let conds = ns.status.as_ref()?.conditions.clone()?;
            let fin = conds
                .iter()
                .any(|c| c.type_ == "NamespaceFinalizersRemaining" && c.status == "True");
            (n == 0 && fin).then_some(ns)
        }
    })
    .await;
    let conds = ns.status.and_then(|s| s.conditions).unwrap_or_default();
    let content = conds
        .iter()
        .find(|c| c.type_ == "NamespaceContentRemaining")
        .expect("content condition");
    assert_eq!(
        content.message.as_deref(),
        Some("Some resources are remaining: configmaps. has 1 resource instances")
    );
    timeout(
        T,
        cms.patch(
            "held",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"metadata": {"finalizers": null}})),
        ),
    )
    .await
    .expect("t")
    .expect("release");
    eventually("namespace gone", || {
        let nss = &nss;
        async move { nss.get_opt("team").await.ok()?.is_none().then_some(()) }
    })
    .await;
    assert!(
        timeout(T, cms.list(&ListParams::default()))
            .await
            .expect("t")
            .map(|l| l.items.is_empty())
            .unwrap_or(true)
    );
    let store = c.store();
    let leftover: usize = [
        "pods",
        "persistentvolumeclaims",
        "replicasets",
        "deployments",
        "serviceaccounts",
    ]
    .iter()
    .filter_map(|p| {
        kubedojo_sandbox::registry::RESOURCES
            .iter()
            .position(|r| r.plural == *p)
    })
    .map(|id| store.count(id, Some("team")))
    .sum();
    assert_eq!(leftover, 0);
}

#[tokio::test]
async fn foreground_deletion_keeps_the_owner_until_dependents_are_gone() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let deploys: Api<Deployment> = Api::default_namespaced(client.clone());
    let rss: Api<ReplicaSet> = Api::default_namespaced(client.clone());
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let deploy: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "api"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "a", "image": "nginx"}]}}}
    }))
    .expect("deploy");
    create(&deploys, &deploy).await;
    eventually("2 available", || {
        let deploys = &deploys;
        async move {
            let st = deploys.get("api").await.ok()?.status?;
            (st.available_replicas == Some(2)).then_some(())
        }
    })
    .await;
    // A finalizer on one pod holds the chain: pod → ReplicaSet → Deployment.
    let name = pods.list(&ListParams::default()).await.expect("list").items[0]
        .metadata
        .name
        .clone()
        .expect("name");
    timeout(
        T,
        pods.patch(
            &name,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"metadata": {"finalizers": ["example.com/hold"]}})),
        ),
    )
    .await
    .expect("t")
    .expect("finalizer");
    timeout(T, deploys.delete("api", &DeleteParams::foreground()))
        .await
        .expect("t")
        .expect("delete");
    sleep(Duration::from_millis(200)).await;
    let d = deploys
        .get_opt("api")
        .await
        .expect("get")
        .expect("still there");
    assert!(d.metadata.deletion_timestamp.is_some());
    assert!(
        d.metadata
            .finalizers
            .unwrap_or_default()
            .contains(&"foregroundDeletion".to_string())
    );
    assert_eq!(
        rss.list(&ListParams::default())
            .await
            .expect("rs")
            .items
            .len(),
        1
    );
    timeout(
        T,
        pods.patch(
            &name,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"metadata": {"finalizers": null}})),
        ),
    )
    .await
    .expect("t")
    .expect("release");
    eventually("deployment gone", || {
        let deploys = &deploys;
        async move { deploys.get_opt("api").await.ok()?.is_none().then_some(()) }
    })
    .await;
    assert!(
        rss.list(&ListParams::default())
            .await
            .expect("rs")
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn service_type_changes_keep_the_cluster_ip_and_manage_node_ports() {
    let c = Sandbox::default().create_cluster();
    let svcs: Api<Service> = Api::default_namespaced(c.client());
    create(
        &svcs,
        &service("web", "web", json!({"ports": [{"port": 80}]})),
    )
    .await;
    let before = serde_json::to_value(svcs.get("web").await.expect("svc")).expect("json");
    let ip = before["spec"]["clusterIP"].clone();
    assert!(ip.as_str().is_some_and(|s| s.starts_with("10.96.")), "{ip}");
    let patch = |ty: &str| json!({"spec": {"type": ty}});
    let node_port = timeout(
        T,
        svcs.patch(
            "web",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(patch("NodePort")),
        ),
    )
    .await
    .expect("t")
    .expect("to NodePort");
    let v = serde_json::to_value(node_port).expect("json");
    assert_eq!(v["spec"]["clusterIP"], ip);
    let np = v["spec"]["ports"][0]["nodePort"]
        .as_i64()
        .expect("nodePort");
    assert!((30000..=32767).contains(&np), "{np}");
    let back = timeout(
        T,
        svcs.patch(
            "web",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(patch("ClusterIP")),
        ),
    )
    .await
    .expect("t")
    .expect("to ClusterIP");
    let v = serde_json::to_value(back).expect("json");
    assert_eq!(v["spec"]["clusterIP"], ip);
    assert!(v["spec"]["ports"][0]["nodePort"].is_null(), "{v}");
}

/// Controllers write only when something changed: once a mixed workload has settled, the
/// cluster's resourceVersion stands still (no hot write loops between controllers).
#[tokio::test]
async fn settled_cluster_stops_writing() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let svcs: Api<Service> = Api::default_namespaced(client.clone());
    let deploys: Api<Deployment> = Api::default_namespaced(client.clone());
    create(
        &svcs,
        &service("empty", "nobody", json!({"ports": [{"port": 80}]})),
    )
    .await;
    create(&svcs, &service("web", "web", json!({}))).await;
    create(
        &svcs,
        &service(
            "db",
            "db",
            json!({"clusterIP": "None", "ports": [{"port": 3306}]}),
        ),
    )
    .await;
    let deploy: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "a", "image": "nginx",
                "ports": [{"name": "http", "containerPort": 8080}]}]}}}
    }))
    .expect("deploy");
    create(&deploys, &deploy).await;
    let sets: Api<k8s_openapi::api::apps::v1::StatefulSet> =
        Api::default_namespaced(client.clone());
    let set: k8s_openapi::api::apps::v1::StatefulSet = serde_json::from_value(json!({
        "metadata": {"name": "db"},
        "spec": {"serviceName": "db", "replicas": 2, "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "mysql:8.0",
                "env": [{"name": "MYSQL_ROOT_PASSWORD", "value": "change-me"}]}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}
    }))
    .expect("sts");
    create(&sets, &set).await;
    eventually("settled", || {
        let (deploys, sets) = (&deploys, &sets);
        async move {
            let d = deploys.get("web").await.ok()?.status?.available_replicas == Some(2);
            let s = sets.get("db").await.ok()?.status?.ready_replicas == Some(2);
            (d && s).then_some(())
        }
    })
    .await;
    sleep(Duration::from_millis(300)).await;
    let rv = c.store().resource_version();
    sleep(Duration::from_millis(700)).await;
    assert_eq!(c.store().resource_version(), rv, "something keeps writing");
}
