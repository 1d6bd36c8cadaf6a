//! One TLS listener serves every cluster of a sandbox, routed by bearer token.

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, ListParams, PostParams};
use kubedojo_sandbox::Sandbox;
use serde_json::json;
use std::time::Duration;
use tokio::time::timeout;

const T: Duration = Duration::from_secs(15);

async fn tls_client(
    sandbox: &Sandbox,
    listener: &kubedojo_sandbox::TlsListener,
    cluster: &kubedojo_sandbox::Cluster,
    token: &str,
) -> kube::Client {
    let yaml = sandbox.kubeconfig(listener, cluster, token, Some("default"));
    let kc = kube::config::Kubeconfig::from_yaml(&yaml).expect("kubeconfig");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("config");
    kube::Client::try_from(cfg).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_listener_routes_clusters_by_token() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sandbox = Sandbox::default();
    let a = sandbox.create_cluster();
    let b = sandbox.create_cluster();
    let listener = timeout(T, sandbox.serve_tls("127.0.0.1:0".parse().expect("addr")))
        .await
        .expect("t")
        .expect("listen");
    let ca = timeout(T, tls_client(&sandbox, &listener, &a, &a.admin_token()))
        .await
        .expect("t");
    let cb = timeout(T, tls_client(&sandbox, &listener, &b, &b.admin_token()))
        .await
        .expect("t");
    let cms: Api<ConfigMap> = Api::default_namespaced(ca.clone());
    let cm = serde_json::from_value(json!({"metadata": {"name": "only-in-a"}})).expect("cm");
    timeout(T, cms.create(&PostParams::default(), &cm))
        .await
        .expect("t")
        .expect("create");
    let in_b: Api<ConfigMap> = Api::default_namespaced(cb.clone());
    assert!(
        timeout(T, in_b.get_opt("only-in-a"))
            .await
            .expect("t")
            .expect("get")
            .is_none()
    );
    assert!(
        timeout(T, cms.get_opt("only-in-a"))
            .await
            .expect("t")
            .expect("get")
            .is_some()
    );
    let ns: Api<Namespace> = Api::all(cb);
    assert!(
        !timeout(T, ns.list(&ListParams::default()))
            .await
            .expect("t")
            .expect("list")
            .items
            .is_empty()
    );
    // A bad token is 401.
    let bad = timeout(T, tls_client(&sandbox, &listener, &a, "kd.c1.admin.nope"))
        .await
        .expect("t");
    let err = timeout(
        T,
        Api::<ConfigMap>::default_namespaced(bad).list(&ListParams::default()),
    )
    .await
    .expect("t")
    .expect_err("401");
    match err {
        kube::Error::Api(s) => assert_eq!(s.code, 401),
        other => panic!("unexpected {other:?}"),
    }
    // Removing a cluster revokes its tokens.
    assert!(sandbox.remove_cluster(b.id()));
    let gone = timeout(T, tls_client(&sandbox, &listener, &b, &b.admin_token()))
        .await
        .expect("t");
    assert!(
        timeout(
            T,
            Api::<ConfigMap>::default_namespaced(gone).list(&ListParams::default())
        )
        .await
        .expect("t")
        .is_err()
    );
}
