//! The sandbox driven through kube-rs in-process (`kube::Client::new(router, ns)`).

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::ClusterRole;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::runtime::{WatchStreamExt, watcher};
use kubedojo_sandbox::Sandbox;
use serde_json::json;
use std::time::Duration;
use tokio::time::timeout;

const T: Duration = Duration::from_secs(10);

fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]}
    }))
    .expect("pod")
}

fn status_of(e: kube::Error) -> Box<kube::core::Status> {
    match e {
        kube::Error::Api(s) => s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn sts(name: &str, app: &str) -> StatefulSet {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "serviceName": name, "replicas": 2,
            "selector": {"matchLabels": {"app": app}},
            "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "db", "image": "mysql:8"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
        }
    }))
    .expect("sts")
}

#[tokio::test]
async fn fresh_cluster_has_kind_defaults() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let ns: Api<Namespace> = Api::all(client.clone());
    let names: Vec<String> = timeout(T, ns.list(&ListParams::default()))
        .await
        .expect("t")
        .expect("list")
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    for want in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(names.contains(&want.to_string()), "{names:?}");
    }
    let sa: Api<ServiceAccount> = Api::namespaced(client.clone(), "kube-public");
    timeout(T, sa.get("default"))
        .await
        .expect("t")
        .expect("default sa");
    let sc: Api<StorageClass> = Api::all(client.clone());
    let standard = timeout(T, sc.get("standard"))
        .await
        .expect("t")
        .expect("sc");
    assert_eq!(standard.provisioner, "rancher.io/local-path");
    assert_eq!(
        standard.volume_binding_mode.as_deref(),
        Some("WaitForFirstConsumer")
    );
    let svc: Api<Service> = Api::namespaced(client.clone(), "default");
    let k = timeout(T, svc.get("kubernetes"))
        .await
        .expect("t")
        .expect("svc");
    assert_eq!(
        k.spec.and_then(|s| s.cluster_ip).as_deref(),
        Some("10.96.0.1")
    );
    let cr: Api<ClusterRole> = Api::all(client.clone());
    for r in ["cluster-admin", "admin", "edit", "view"] {
        timeout(T, cr.get(r))
            .await
            .expect("t")
            .expect("clusterrole");
    }
    let dns = timeout(
        T,
        Api::<Service>::namespaced(client.clone(), "kube-system").get("kube-dns"),
    )
    .await
    .expect("t")
    .expect("kube-dns");
    assert_eq!(
        dns.spec.and_then(|s| s.cluster_ip).as_deref(),
        Some("10.96.0.10")
    );
    let root_ca = timeout(
        T,
        Api::<ConfigMap>::namespaced(client.clone(), "kube-public").get("kube-root-ca.crt"),
    )
    .await
    .expect("t")
    .expect("ca");
    assert!(
        root_ca
            .data
            .and_then(|d| d.get("ca.crt").cloned())
            .is_some_and(|pem| pem.contains("BEGIN CERTIFICATE"))
    );
    let v = timeout(T, client.apiserver_version())
        .await
        .expect("t")
        .expect("version");
    assert_eq!(v.minor, "32");
}

#[tokio::test]
async fn pod_crud_and_status_errors() {
    let c = Sandbox::default().create_cluster();
    let pods: Api<Pod> = Api::default_namespaced(c.client());
    let created = timeout(T, pods.create(&PostParams::default(), &pod("web-0")))
        .await
        .expect("t")
        .expect("create");
    let md = &created.metadata;
    assert!(md.uid.is_some() && md.creation_timestamp.is_some() && md.resource_version.is_some());
    let spec = created.spec.clone().expect("spec");
    assert_eq!(spec.restart_policy.as_deref(), Some("Always"));
    assert_eq!(spec.service_account_name.as_deref(), Some("default"));
    assert_eq!(
        created.status.clone().and_then(|s| s.phase).as_deref(),
        Some("Pending")
    );

    let err = status_of(
        timeout(T, pods.create(&PostParams::default(), &pod("web-0")))
            .await
            .expect("t")
            .expect_err("dup"),
    );
    assert!(err.is_already_exists());
    assert_eq!(err.message, "pods \"web-0\" already exists");

    let err = status_of(
        timeout(T, pods.get("nope"))
            .await
            .expect("t")
            .expect_err("missing"),
    );
    assert!(err.is_not_found());
    assert_eq!(err.message, "pods \"nope\" not found");

    // Optimistic concurrency: a stale resourceVersion is a 409. (The scheduler and kubelet
    // write the pod too, so wait until it runs and read the fresh copy back first.)
    let created = timeout(T, async {
        loop {
            let p = pods.get("web-0").await.expect("get");
            let ready = p
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
            if ready {
                break p;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("web-0 ready in time");
    let mut stale = created.clone();
    stale.metadata.labels = Some(
        [
            ("v".to_string(), "2".to_string()),
            ("app".to_string(), "web".to_string()),
        ]
        .into(),
    );
    let mut fresh = stale.clone();
    let updated = timeout(T, pods.replace("web-0", &PostParams::default(), &fresh))
        .await
        .expect("t")
        .expect("replace");
    assert_ne!(
        updated.metadata.resource_version,
        created.metadata.resource_version
    );
    fresh.metadata.resource_version = created.metadata.resource_version.clone();
    stale.metadata.labels = Some([("v".to_string(), "3".to_string())].into());
    let err = status_of(
        timeout(T, pods.replace("web-0", &PostParams::default(), &stale))
            .await
            .expect("t")
            .expect_err("stale"),
    );
    assert!(err.is_conflict(), "{err:?}");

    let list = timeout(T, pods.list(&ListParams::default().labels("app=web")))
        .await
        .expect("t")
        .expect("list");
    assert_eq!(list.items.len(), 1);
    let list = timeout(T, pods.list(&ListParams::default().labels("app in (db)")))
        .await
        .expect("t")
        .expect("list");
    assert!(list.items.is_empty());
    let list = timeout(
        T,
        pods.list(&ListParams::default().fields("metadata.name=web-0,status.phase=Running")),
    )
    .await
    .expect("t")
    .expect("list");
    assert_eq!(list.items.len(), 1);

    timeout(T, pods.delete("web-0", &DeleteParams::default()))
        .await
        .expect("t")
        .expect("delete");
    let err = status_of(
        timeout(T, pods.get("web-0"))
            .await
            .expect("t")
            .expect_err("gone"),
    );
    assert!(err.is_not_found());
}

#[tokio::test]
async fn validation_errors_are_422_with_causes() {
    let c = Sandbox::default().create_cluster();
    let pods: Api<Pod> = Api::default_namespaced(c.client());
    let err = status_of(
        timeout(T, pods.create(&PostParams::default(), &pod("Web_0")))
            .await
            .expect("t")
            .expect_err("bad name"),
    );
    assert!(err.is_invalid());
    assert!(err.message.starts_with("Pod \"Web_0\" is invalid: metadata.name: Invalid value: \"Web_0\": a lowercase RFC 1123 subdomain"), "{}", err.message);

    let mut p = pod("empty");
    p.spec = Some(Default::default());
    let err = status_of(
        timeout(T, pods.create(&PostParams::default(), &p))
            .await
            .expect("t")
            .expect_err("no containers"),
    );
    assert_eq!(
        err.message,
        "Pod \"empty\" is invalid: spec.containers: Required value"
    );

    let sets: Api<StatefulSet> = Api::default_namespaced(c.client());
    timeout(T, sets.create(&PostParams::default(), &sts("web", "web")))
        .await
        .expect("t")
        .expect("create sts");
    let err = status_of(
        timeout(T, sets.create(&PostParams::default(), &sts("web", "web")))
            .await
            .expect("t")
            .expect_err("dup"),
    );
    assert_eq!(err.message, "statefulsets.apps \"web\" already exists");
    let patch = json!({"spec": {"selector": {"matchLabels": {"app": "other"}}, "template": {"metadata": {"labels": {"app": "other"}}}}});
    let err = status_of(
        timeout(
            T,
            sets.patch("web", &PatchParams::default(), &Patch::Merge(&patch)),
        )
        .await
        .expect("t")
        .expect_err("immutable"),
    );
    assert!(err.is_invalid());
    assert!(
        err.message
            .contains("updates to statefulset spec for fields other than"),
        "{}",
        err.message
    );

    // Unknown fields under Strict validation.
    let bad = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "dataa": {"k": "v"}});
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    let err = status_of(
        timeout(
            T,
            cms.patch(
                "x",
                &PatchParams::apply("test").force(),
                &Patch::Apply(&bad),
            ),
        )
        .await
        .expect("t")
        .expect_err("strict"),
    );
    assert_eq!(err.code, 400);
    assert!(
        err.message.contains(".dataa: field not declared in schema"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn all_patch_kinds() {
    let c = Sandbox::default().create_cluster();
    let pods: Api<Pod> = Api::default_namespaced(c.client());
    timeout(T, pods.create(&PostParams::default(), &pod("p")))
        .await
        .expect("t")
        .expect("create");
    let pp = PatchParams::default();

    let p = timeout(
        T,
        pods.patch(
            "p",
            &pp,
            &Patch::Merge(json!({"metadata": {"labels": {"tier": "front"}}})),
        ),
    )
    .await
    .expect("t")
    .expect("merge");
    assert_eq!(
        p.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("tier"))
            .map(String::as_str),
        Some("front")
    );

    let jp: json_patch::Patch = serde_json::from_value(
        json!([{"op": "add", "path": "/metadata/annotations", "value": {"a": "b"}}]),
    )
    .expect("jp");
    let p = timeout(T, pods.patch("p", &pp, &Patch::<()>::Json(jp)))
        .await
        .expect("t")
        .expect("json patch");
    assert_eq!(
        p.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("a"))
            .map(String::as_str),
        Some("b")
    );

    let smp = json!({"spec": {"containers": [{"name": "nginx", "image": "nginx:1.28"}]}});
    let p = timeout(T, pods.patch("p", &pp, &Patch::Strategic(smp)))
        .await
        .expect("t")
        .expect("smp");
    let cont = &p.spec.expect("spec").containers[0];
    assert_eq!(cont.image.as_deref(), Some("nginx:1.28"));
    assert_eq!(
        cont.ports.as_ref().map(Vec::len),
        Some(1),
        "ports kept by strategic merge"
    );

    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    let cfg = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1", "b": "2"}});
    let cm = timeout(
        T,
        cms.patch("cfg", &PatchParams::apply("mgr"), &Patch::Apply(&cfg)),
    )
    .await
    .expect("t")
    .expect("ssa create");
    assert_eq!(cm.data.as_ref().map(|d| d.len()), Some(2));
    let cfg = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1"}});
    let cm = timeout(
        T,
        cms.patch("cfg", &PatchParams::apply("mgr"), &Patch::Apply(&cfg)),
    )
    .await
    .expect("t")
    .expect("ssa update");
    assert_eq!(
        cm.data.as_ref().map(|d| d.len()),
        Some(1),
        "field dropped from the applied config is removed"
    );
    let other = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "9"}});
    let err = status_of(
        timeout(
            T,
            cms.patch("cfg", &PatchParams::apply("other"), &Patch::Apply(&other)),
        )
        .await
        .expect("t")
        .expect_err("conflict"),
    );
    assert!(err.is_conflict());
    assert_eq!(
        err.message,
        "Apply failed with 1 conflict: conflict with \"mgr\" using v1: .data.a"
    );
    let cm = timeout(
        T,
        cms.patch(
            "cfg",
            &PatchParams::apply("other").force(),
            &Patch::Apply(&other),
        ),
    )
    .await
    .expect("t")
    .expect("forced");
    assert_eq!(
        cm.data.and_then(|d| d.get("a").cloned()).as_deref(),
        Some("9")
    );

    // Status subresource only changes status.
    let st = json!({"status": {"phase": "Running"}, "metadata": {"labels": {"ignored": "yes"}}});
    let p = timeout(T, pods.patch_status("p", &pp, &Patch::Merge(&st)))
        .await
        .expect("t")
        .expect("status");
    assert_eq!(p.status.and_then(|s| s.phase).as_deref(), Some("Running"));
    assert!(!p.metadata.labels.expect("labels").contains_key("ignored"));

    // A JSON patch that does not apply is a 422.
    let bad: json_patch::Patch =
        serde_json::from_value(json!([{"op": "remove", "path": "/spec/nope"}])).expect("jp");
    let err = status_of(
        timeout(T, pods.patch("p", &pp, &Patch::<()>::Json(bad)))
            .await
            .expect("t")
            .expect_err("bad patch"),
    );
    assert_eq!(err.code, 422);
}

#[tokio::test]
async fn scale_subresource() {
    let c = Sandbox::default().create_cluster();
    let sets: Api<StatefulSet> = Api::default_namespaced(c.client());
    timeout(T, sets.create(&PostParams::default(), &sts("db", "db")))
        .await
        .expect("t")
        .expect("create");
    let s = timeout(
        T,
        sets.patch_scale(
            "db",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        ),
    )
    .await
    .expect("t")
    .expect("scale");
    assert_eq!(s.spec.and_then(|s| s.replicas), Some(5));
    let got = timeout(T, sets.get("db")).await.expect("t").expect("get");
    assert_eq!(got.spec.replicas, Some(5));
    assert_eq!(got.metadata.generation, Some(2));
}

#[tokio::test]
async fn watcher_and_reflector_see_changes() {
    let c = Sandbox::default().create_cluster();
    let pods: Api<Pod> = Api::default_namespaced(c.client());
    let (reader, writer) = kube::runtime::reflector::store();
    let stream =
        kube::runtime::reflector(writer, watcher(pods.clone(), watcher::Config::default()))
            .applied_objects()
            .boxed();
    // The scheduler and kubelet modify the pods too: wait until three distinct pods were seen.
    let handle = tokio::spawn(async move {
        let mut names = std::collections::BTreeSet::new();
        let mut stream = stream;
        while names.len() < 3 {
            match stream.try_next().await? {
                Some(p) => {
                    names.insert(p.metadata.name.unwrap_or_default());
                }
                None => break,
            }
        }
        Ok::<_, watcher::Error>(names)
    });
    for i in 0..3 {
        timeout(
            T,
            pods.create(&PostParams::default(), &pod(&format!("w-{i}"))),
        )
        .await
        .expect("t")
        .expect("create");
    }
    let seen = timeout(T, handle)
        .await
        .expect("watch in time")
        .expect("join")
        .expect("stream");
    assert_eq!(seen.len(), 3);
    assert_eq!(reader.state().len(), 3);
}

#[tokio::test]
async fn raw_watch_resumes_and_expires() {
    let c = Sandbox::default().create_cluster();
    let pods: Api<Pod> = Api::default_namespaced(c.client());
    let list = timeout(T, pods.list(&ListParams::default()))
        .await
        .expect("t")
        .expect("list");
    let rv = list.metadata.resource_version.expect("rv");
    timeout(T, pods.create(&PostParams::default(), &pod("a")))
        .await
        .expect("t")
        .expect("create");
    let mut stream = timeout(T, pods.watch(&WatchParams::default().timeout(5), &rv))
        .await
        .expect("t")
        .expect("watch")
        .boxed();
    match timeout(T, stream.next()).await.expect("event in time") {
        Some(Ok(WatchEvent::Added(p))) => assert_eq!(p.metadata.name.as_deref(), Some("a")),
        other => panic!("unexpected {other:?}"),
    }
    // Compact the history: resuming from the old version is a 410 Expired event in the stream.
    for i in 0..3 {
        timeout(
            T,
            pods.create(&PostParams::default(), &pod(&format!("b{i}"))),
        )
        .await
        .expect("t")
        .expect("create");
    }
    c.store().compact(1);
    let mut stream = timeout(T, pods.watch(&WatchParams::default().timeout(5), &rv))
        .await
        .expect("t")
        .expect("watch")
        .boxed();
    match timeout(T, stream.next()).await.expect("event in time") {
        Some(Ok(WatchEvent::Error(e))) => {
            assert_eq!(e.code, 410);
            assert_eq!(e.reason, "Expired");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn streaming_list_watch_ends_initial_events_with_bookmark() {
    let c = Sandbox::default().create_cluster();
    let pods: Api<Pod> = Api::default_namespaced(c.client());
    timeout(T, pods.create(&PostParams::default(), &pod("s")))
        .await
        .expect("t")
        .expect("create");
    let cfg = watcher::Config::default().streaming_lists();
    let mut stream = watcher(pods.clone(), cfg).boxed();
    let mut saw_init_done = false;
    for _ in 0..4 {
        match timeout(T, stream.next()).await.expect("event in time") {
            Some(Ok(watcher::Event::InitDone)) => {
                saw_init_done = true;
                break;
            }
            Some(Ok(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(saw_init_done);
}

#[tokio::test]
async fn rbac_confines_service_accounts_to_their_namespace() {
    let c = Sandbox::default().create_cluster();
    let admin = c.client();
    let ns: Api<Namespace> = Api::all(admin.clone());
    for n in ["team-a", "team-b"] {
        let obj: Namespace = serde_json::from_value(json!({"metadata": {"name": n}})).expect("ns");
        timeout(T, ns.create(&PostParams::default(), &obj))
            .await
            .expect("t")
            .expect("create ns");
    }
    let rb: Api<k8s_openapi::api::rbac::v1::RoleBinding> = Api::namespaced(admin.clone(), "team-a");
    let binding = serde_json::from_value(json!({
        "metadata": {"name": "learner-edit"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "team-a"}]
    }))
    .expect("rb");
    timeout(T, rb.create(&PostParams::default(), &binding))
        .await
        .expect("t")
        .expect("create rb");
    let sas: Api<ServiceAccount> = Api::namespaced(admin.clone(), "team-a");
    let tr = timeout(
        T,
        sas.create_token_request("default", &PostParams::default(), &Default::default()),
    )
    .await
    .expect("t")
    .expect("token");
    let token = tr.status.and_then(|s| s.token).expect("token");
    let learner = c.client_with_token(&token, "team-a");
    let mine: Api<Pod> = Api::namespaced(learner.clone(), "team-a");
    timeout(T, mine.create(&PostParams::default(), &pod("ok")))
        .await
        .expect("t")
        .expect("allowed in own ns");
    let theirs: Api<Pod> = Api::namespaced(learner.clone(), "team-b");
    let err = status_of(
        timeout(T, theirs.list(&ListParams::default()))
            .await
            .expect("t")
            .expect_err("forbidden"),
    );
    assert!(err.is_forbidden());
    assert_eq!(
        err.message,
        "pods is forbidden: User \"system:serviceaccount:team-a:default\" cannot list resource \"pods\" in API group \"\" in the namespace \"team-b\""
    );
    // Another cluster's token does not work here.
    let other = Sandbox::default().create_cluster();
    let foreign = c.client_with_token(&other.admin_token(), "default");
    let err = status_of(
        timeout(
            T,
            Api::<Pod>::default_namespaced(foreign).list(&ListParams::default()),
        )
        .await
        .expect("t")
        .expect_err("401"),
    );
    assert_eq!(err.code, 401);
    // The audit log recorded the forbidden request.
    let log = c.audit_log();
    assert!(
        log.iter()
            .any(|e| e.code == 403 && e.verb == "list" && e.namespace.as_deref() == Some("team-b"))
    );
}

#[tokio::test]
async fn namespace_deletion_and_garbage_collection() {
    let c = Sandbox::default().create_cluster();
    let admin = c.client();
    let ns: Api<Namespace> = Api::all(admin.clone());
    let obj: Namespace = serde_json::from_value(json!({"metadata": {"name": "tmp"}})).expect("ns");
    timeout(T, ns.create(&PostParams::default(), &obj))
        .await
        .expect("t")
        .expect("create");
    let cms: Api<ConfigMap> = Api::namespaced(admin.clone(), "tmp");
    let owner = timeout(
        T,
        cms.create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "owner"}})).expect("cm"),
        ),
    )
    .await
    .expect("t")
    .expect("owner");
    let uid = owner.metadata.uid.clone().expect("uid");
    let dep = json!({"metadata": {"name": "dep", "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid}]}});
    timeout(
        T,
        cms.create(
            &PostParams::default(),
            &serde_json::from_value(dep).expect("cm"),
        ),
    )
    .await
    .expect("t")
    .expect("dep");
    timeout(T, cms.delete("owner", &DeleteParams::background()))
        .await
        .expect("t")
        .expect("delete");
    assert!(
        timeout(T, cms.get_opt("dep"))
            .await
            .expect("t")
            .expect("get")
            .is_none(),
        "dependent collected"
    );

    let deleted = timeout(T, ns.delete("tmp", &DeleteParams::default()))
        .await
        .expect("t")
        .expect("delete ns");
    let phase = deleted.left().and_then(|n| n.status).and_then(|s| s.phase);
    assert_eq!(phase.as_deref(), Some("Terminating"));
    let gone = timeout(T, async {
        loop {
            if ns.get_opt("tmp").await.expect("get").is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(gone.is_ok(), "namespace removed");
}

#[tokio::test]
async fn discovery_works_for_kube_rs() {
    let c = Sandbox::default().create_cluster();
    let d = timeout(T, kube::discovery::Discovery::new(c.client()).run())
        .await
        .expect("t")
        .expect("discovery");
    assert!(d.has_group("apps"));
    let (ar, caps) = d
        .resolve_gvk(&kube::core::GroupVersionKind::gvk(
            "apps",
            "v1",
            "StatefulSet",
        ))
        .expect("sts");
    assert_eq!(ar.plural, "statefulsets");
    assert!(caps.supports_operation(kube::discovery::verbs::WATCH));
    let agg = timeout(
        T,
        kube::discovery::Discovery::new(c.client()).run_aggregated(),
    )
    .await
    .expect("t")
    .expect("aggregated");
    let (ar, _) = agg
        .resolve_gvk(&kube::core::GroupVersionKind::gvk("", "v1", "Pod"))
        .expect("pods");
    assert_eq!(ar.plural, "pods");
    assert!(agg.has_group("rbac.authorization.k8s.io"));
}

#[tokio::test]
async fn ssar_answers_can_i() {
    let c = Sandbox::default().create_cluster();
    let api: Api<k8s_openapi::api::authorization::v1::SelfSubjectAccessReview> =
        Api::all(c.client());
    let review = serde_json::from_value(json!({"spec": {"resourceAttributes": {"verb": "delete", "resource": "pods", "namespace": "default"}}})).expect("ssar");
    let out = timeout(T, api.create(&PostParams::default(), &review))
        .await
        .expect("t")
        .expect("ssar");
    assert!(out.status.expect("status").allowed);
}

#[tokio::test]
async fn quota_and_limit_range_admission() {
    let c = Sandbox::default().create_cluster();
    let client = c.client();
    let quotas: Api<k8s_openapi::api::core::v1::ResourceQuota> =
        Api::default_namespaced(client.clone());
    let q = serde_json::from_value(json!({"metadata": {"name": "compute"}, "spec": {"hard": {"pods": "2", "requests.cpu": "1", "requests.storage": "2Gi"}}})).expect("q");
    timeout(T, quotas.create(&PostParams::default(), &q))
        .await
        .expect("t")
        .expect("quota");
    let lrs: Api<k8s_openapi::api::core::v1::LimitRange> = Api::default_namespaced(client.clone());
    let lr = serde_json::from_value(json!({"metadata": {"name": "defaults"}, "spec": {"limits": [
        {"type": "Container", "default": {"cpu": "500m", "memory": "128Mi"}, "defaultRequest": {"cpu": "400m"}, "max": {"cpu": "1"}},
        {"type": "PersistentVolumeClaim", "max": {"storage": "1Gi"}}
    ]}}))
    .expect("lr");
    timeout(T, lrs.create(&PostParams::default(), &lr))
        .await
        .expect("t")
        .expect("lr");

    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let p = timeout(T, pods.create(&PostParams::default(), &pod("a")))
        .await
        .expect("t")
        .expect("a");
    let res = p.spec.expect("spec").containers[0]
        .resources
        .clone()
        .expect("resources");
    assert_eq!(
        res.requests
            .and_then(|r| r.get("cpu").cloned())
            .map(|q| q.0),
        Some("400m".into())
    );
    assert_eq!(
        res.limits
            .and_then(|r| r.get("memory").cloned())
            .map(|q| q.0),
        Some("128Mi".into())
    );
    timeout(T, pods.create(&PostParams::default(), &pod("b")))
        .await
        .expect("t")
        .expect("b");
    let err = status_of(
        timeout(T, pods.create(&PostParams::default(), &pod("c")))
            .await
            .expect("t")
            .expect_err("quota"),
    );
    assert!(err.is_forbidden());
    assert_eq!(
        err.message,
        "pods \"c\" is forbidden: exceeded quota: compute, requested: pods=1,requests.cpu=400m, used: pods=2,requests.cpu=800m, limited: pods=2,requests.cpu=1"
    );
    let status = timeout(T, quotas.get("compute"))
        .await
        .expect("t")
        .expect("get")
        .status
        .expect("status");
    assert_eq!(
        status
            .used
            .and_then(|u| u.get("pods").cloned())
            .map(|q| q.0),
        Some("2".into())
    );

    let mut big = pod("big");
    if let Some(spec) = big.spec.as_mut() {
        spec.containers[0].resources =
            Some(serde_json::from_value(json!({"limits": {"cpu": "2"}})).expect("r"));
    }
    timeout(T, pods.delete("b", &DeleteParams::default()))
        .await
        .expect("t")
        .expect("delete");
    let err = status_of(
        timeout(T, pods.create(&PostParams::default(), &big))
            .await
            .expect("t")
            .expect_err("max"),
    );
    assert_eq!(
        err.message,
        "pods \"big\" is forbidden: maximum cpu usage per Container is 1, but limit is 2"
    );

    let pvcs: Api<k8s_openapi::api::core::v1::PersistentVolumeClaim> =
        Api::default_namespaced(client.clone());
    let claim = serde_json::from_value(json!({"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}})).expect("pvc");
    let err = status_of(
        timeout(T, pvcs.create(&PostParams::default(), &claim))
            .await
            .expect("t")
            .expect_err("pvc max"),
    );
    assert_eq!(
        err.message,
        "persistentvolumeclaims \"data\" is forbidden: maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 5Gi"
    );
    let small = serde_json::from_value(json!({"metadata": {"name": "small"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})).expect("pvc");
    let created = timeout(T, pvcs.create(&PostParams::default(), &small))
        .await
        .expect("t")
        .expect("pvc");
    assert_eq!(
        created.spec.and_then(|s| s.storage_class_name).as_deref(),
        Some("standard"),
        "default StorageClass admission"
    );
}

#[tokio::test]
async fn orphan_and_foreground_propagation() {
    let c = Sandbox::default().create_cluster();
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    let make = |name: &str, owner: Option<&str>| -> ConfigMap {
        let mut v = json!({"metadata": {"name": name}});
        if let Some(uid) = owner {
            v["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": uid, "blockOwnerDeletion": true}]);
        }
        serde_json::from_value(v).expect("cm")
    };
    // Orphan: dependents stay, without the ownerReference.
    let owner = timeout(T, cms.create(&PostParams::default(), &make("o", None)))
        .await
        .expect("t")
        .expect("owner");
    let uid = owner.metadata.uid.expect("uid");
    timeout(
        T,
        cms.create(&PostParams::default(), &make("d1", Some(&uid))),
    )
    .await
    .expect("t")
    .expect("dep");
    timeout(T, cms.delete("o", &DeleteParams::orphan()))
        .await
        .expect("t")
        .expect("delete");
    let d1 = timeout(T, cms.get("d1"))
        .await
        .expect("t")
        .expect("orphaned dependent stays");
    assert!(d1.metadata.owner_references.is_none_or(|r| r.is_empty()));
    assert!(
        timeout(T, cms.get_opt("o"))
            .await
            .expect("t")
            .expect("get")
            .is_none()
    );
    // Foreground: dependents go first, then the owner.
    let owner = timeout(T, cms.create(&PostParams::default(), &make("o", None)))
        .await
        .expect("t")
        .expect("owner");
    let uid = owner.metadata.uid.expect("uid");
    timeout(
        T,
        cms.create(&PostParams::default(), &make("d2", Some(&uid))),
    )
    .await
    .expect("t")
    .expect("dep");
    timeout(T, cms.delete("o", &DeleteParams::foreground()))
        .await
        .expect("t")
        .expect("delete");
    assert!(
        timeout(T, cms.get_opt("d2"))
            .await
            .expect("t")
            .expect("get")
            .is_none()
    );
    assert!(
        timeout(T, cms.get_opt("o"))
            .await
            .expect("t")
            .expect("get")
            .is_none()
    );
    // Finalizers keep an object until they are removed.
    let mut f = make("fin", None);
    f.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    timeout(T, cms.create(&PostParams::default(), &f))
        .await
        .expect("t")
        .expect("create");
    timeout(T, cms.delete("fin", &DeleteParams::default()))
        .await
        .expect("t")
        .expect("delete");
    let held = timeout(T, cms.get("fin"))
        .await
        .expect("t")
        .expect("still there");
    assert!(held.metadata.deletion_timestamp.is_some());
    let patch = json!({"metadata": {"finalizers": null}});
    timeout(
        T,
        cms.patch("fin", &PatchParams::default(), &Patch::Merge(&patch)),
    )
    .await
    .expect("t")
    .expect("patch");
    assert!(
        timeout(T, cms.get_opt("fin"))
            .await
            .expect("t")
            .expect("get")
            .is_none()
    );
}

#[tokio::test]
async fn dry_run_generate_name_paging_and_deletecollection() {
    let c = Sandbox::default().create_cluster();
    let pods: Api<Pod> = Api::default_namespaced(c.client());
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let p = timeout(T, pods.create(&dry, &pod("dry")))
        .await
        .expect("t")
        .expect("dry run");
    assert_eq!(p.metadata.name.as_deref(), Some("dry"));
    assert!(
        timeout(T, pods.get_opt("dry"))
            .await
            .expect("t")
            .expect("get")
            .is_none(),
        "dry run stores nothing"
    );

    let mut g = pod("");
    g.metadata.name = None;
    g.metadata.generate_name = Some("gen-".into());
    let made = timeout(T, pods.create(&PostParams::default(), &g))
        .await
        .expect("t")
        .expect("generateName");
    let name = made.metadata.name.expect("name");
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");

    for i in 0..7 {
        timeout(
            T,
            pods.create(&PostParams::default(), &pod(&format!("page-{i}"))),
        )
        .await
        .expect("t")
        .expect("create");
    }
    let mut seen = Vec::new();
    let mut lp = ListParams::default().limit(3);
    loop {
        let page = timeout(T, pods.list(&lp)).await.expect("t").expect("page");
        assert!(page.items.len() <= 3);
        seen.extend(page.items.into_iter().filter_map(|p| p.metadata.name));
        match page.metadata.continue_ {
            Some(c) if !c.is_empty() => lp = ListParams::default().limit(3).continue_token(&c),
            _ => break,
        }
    }
    assert_eq!(seen.len(), 8);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "lists are ordered by name");

    let deleted = timeout(
        T,
        pods.delete_collection(
            &DeleteParams::default(),
            &ListParams::default().labels("app=web"),
        ),
    )
    .await
    .expect("t")
    .expect("deletecollection");
    assert_eq!(deleted.left().map(|l| l.items.len()), Some(8));
    assert!(
        timeout(T, pods.list(&ListParams::default()))
            .await
            .expect("t")
            .expect("list")
            .items
            .is_empty()
    );

    let bad = status_of(
        timeout(T, pods.list(&ListParams::default().labels("app in web")))
            .await
            .expect("t")
            .expect_err("bad selector"),
    );
    assert_eq!(bad.code, 400);
    let bad = status_of(
        timeout(T, pods.list(&ListParams::default().fields("spec.image=x")))
            .await
            .expect("t")
            .expect_err("bad field"),
    );
    assert_eq!(bad.message, "field label not supported: spec.image");
}

#[tokio::test]
async fn label_selector_watch_sees_objects_enter_and_leave() {
    let c = Sandbox::default().create_cluster();
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    let rv = timeout(T, cms.list(&ListParams::default()))
        .await
        .expect("t")
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    let mut stream = timeout(
        T,
        cms.watch(&WatchParams::default().labels("team=a").timeout(5), &rv),
    )
    .await
    .expect("t")
    .expect("watch")
    .boxed();
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "x", "labels": {"team": "b"}}}))
            .expect("cm");
    timeout(T, cms.create(&PostParams::default(), &cm))
        .await
        .expect("t")
        .expect("create");
    let pp = PatchParams::default();
    timeout(
        T,
        cms.patch(
            "x",
            &pp,
            &Patch::Merge(json!({"metadata": {"labels": {"team": "a"}}})),
        ),
    )
    .await
    .expect("t")
    .expect("enter");
    timeout(
        T,
        cms.patch(
            "x",
            &pp,
            &Patch::Merge(json!({"metadata": {"labels": {"team": "c"}}})),
        ),
    )
    .await
    .expect("t")
    .expect("leave");
    let kinds: Vec<&str> = {
        let mut v = Vec::new();
        for _ in 0..2 {
            match timeout(T, stream.next()).await.expect("event in time") {
                Some(Ok(WatchEvent::Added(_))) => v.push("ADDED"),
                Some(Ok(WatchEvent::Deleted(_))) => v.push("DELETED"),
                other => panic!("unexpected {other:?}"),
            }
        }
        v
    };
    assert_eq!(kinds, ["ADDED", "DELETED"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_patches_do_not_conflict() {
    let c = Sandbox::default().create_cluster();
    let cms: Api<ConfigMap> = Api::default_namespaced(c.client());
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "shared"}})).expect("cm");
    timeout(T, cms.create(&PostParams::default(), &cm))
        .await
        .expect("t")
        .expect("create");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let cms = cms.clone();
        tasks.push(tokio::spawn(async move {
            let p = json!({"data": {format!("k{i}"): "v"}});
            cms.patch("shared", &PatchParams::default(), &Patch::Merge(&p))
                .await
        }));
    }
    for t in tasks {
        timeout(T, t)
            .await
            .expect("t")
            .expect("join")
            .expect("patch without resourceVersion never conflicts");
    }
    let got = timeout(T, cms.get("shared"))
        .await
        .expect("t")
        .expect("get");
    assert_eq!(got.data.map(|d| d.len()), Some(20));
}

#[tokio::test]
async fn watch_timeout_and_graceful_pod_deletion() {
    let c = Sandbox::default().create_cluster();
    let pods: Api<Pod> = Api::default_namespaced(c.client());
    // timeoutSeconds ends the stream.
    let stream = timeout(T, pods.watch(&WatchParams::default().timeout(1), "0"))
        .await
        .expect("t")
        .expect("watch");
    let events: Vec<_> = timeout(T, stream.collect::<Vec<_>>())
        .await
        .expect("stream ends after timeoutSeconds");
    assert!(events.is_empty());
    // A pod bound to a node is deleted gracefully: first a deletionTimestamp, then gone.
    let mut p = pod("bound");
    if let Some(spec) = p.spec.as_mut() {
        spec.node_name = Some("kind-worker".into());
    }
    timeout(T, pods.create(&PostParams::default(), &p))
        .await
        .expect("t")
        .expect("create");
    let deleted = timeout(T, pods.delete("bound", &DeleteParams::default()))
        .await
        .expect("t")
        .expect("delete");
    let obj = deleted.left().expect("graceful delete returns the object");
    assert!(obj.metadata.deletion_timestamp.is_some());
    assert_eq!(obj.metadata.deletion_grace_period_seconds, Some(30));
    let gone = timeout(T, async {
        while pods.get_opt("bound").await.ok().flatten().is_some() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        gone.is_ok(),
        "pod removed after its (instant-paced) grace period"
    );
    // The audit log has the requests with their codes.
    let log = c.audit_log();
    let del = log
        .iter()
        .find(|e| e.verb == "delete" && e.resource == "pods")
        .expect("audited");
    assert_eq!(
        (del.name.as_deref(), del.namespace.as_deref(), del.code),
        (Some("bound"), Some("default"), 200)
    );
    assert_eq!(del.user, "kubernetes-admin");
}

#[tokio::test]
async fn events_k8s_io_is_a_view_of_core_events() {
    use k8s_openapi::api::core::v1::Event as CoreEvent;
    use k8s_openapi::api::events::v1::Event as NewEvent;
    let c = Sandbox::default().create_cluster();
    let core: Api<CoreEvent> = Api::default_namespaced(c.client());
    let v1: Api<NewEvent> = Api::default_namespaced(c.client());
    let rv = timeout(T, v1.list(&ListParams::default()))
        .await
        .expect("t")
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    let mut stream = timeout(T, v1.watch(&WatchParams::default().timeout(5), &rv))
        .await
        .expect("t")
        .expect("watch")
        .boxed();
    let ev: NewEvent = serde_json::from_value(json!({
        "metadata": {"name": "e1"},
        "eventTime": "2026-01-01T00:00:00.000000Z",
        "reportingController": "kubedojo/test", "reportingInstance": "i1",
        "action": "Testing", "reason": "Tested", "type": "Normal", "note": "hello",
        "regarding": {"kind": "Pod", "name": "web-0", "namespace": "default"}
    }))
    .expect("event");
    timeout(T, v1.create(&PostParams::default(), &ev))
        .await
        .expect("t")
        .expect("create v1");
    let as_core = timeout(T, core.get("e1"))
        .await
        .expect("t")
        .expect("core view");
    assert_eq!(as_core.message.as_deref(), Some("hello"));
    assert_eq!(as_core.involved_object.name.as_deref(), Some("web-0"));
    let listed = timeout(
        T,
        v1.list(&ListParams::default().fields("regarding.name=web-0")),
    )
    .await
    .expect("t")
    .expect("list v1");
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].note.as_deref(), Some("hello"));
    match timeout(T, stream.next()).await.expect("event in time") {
        Some(Ok(WatchEvent::Added(e))) => {
            assert_eq!(e.regarding.and_then(|r| r.name).as_deref(), Some("web-0"))
        }
        other => panic!("unexpected {other:?}"),
    }
}
