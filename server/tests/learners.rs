//! Learner clusters on both backends. The sandbox backend runs in-process; the kubeconfig
//! (namespace) backend runs its real code path against a standalone sandbox served over TLS,
//! which enforces RBAC and quota, so these tests prove isolation between learners.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Pod, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::ClusterRole;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kubedojo_sandbox::{Cluster, Sandbox, TlsListener};
use kubedojo_server::cluster::names::{MANAGED_SELECTOR, namespace_for};
use kubedojo_server::cluster::{
    Backend, BackendKind, LearnerClusters, LearnerQuota, NamespaceBackend, SandboxBackend,
    StepStatus, client_from_kubeconfig,
};
use serde_json::json;
use tokio::time::timeout;

const T: Duration = Duration::from_secs(60);
const MYSQL_LAB: &str = include_str!("fixtures/mysql-lab.yaml");
const STORAGE_LAB: &str = include_str!("fixtures/storage-lab.yaml");

/// A `kubedojo sandbox`-style cluster: served over TLS, admin kubeconfig in a temp file.
struct Standalone {
    _sandbox: Sandbox,
    _cluster: Cluster,
    _listener: TlsListener,
    dir: tempfile::TempDir,
    kubeconfig: std::path::PathBuf,
}

async fn standalone() -> Standalone {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sandbox = Sandbox::default();
    let cluster = sandbox.create_cluster();
    let listener = timeout(T, sandbox.serve_tls("127.0.0.1:0".parse().expect("addr")))
        .await
        .expect("listen in time")
        .expect("listen");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("admin.kubeconfig");
    let yaml = sandbox.kubeconfig(&listener, &cluster, &cluster.admin_token(), Some("default"));
    std::fs::write(&kubeconfig, yaml).expect("write kubeconfig");
    Standalone {
        _sandbox: sandbox,
        _cluster: cluster,
        _listener: listener,
        dir,
        kubeconfig,
    }
}

async fn namespace_clusters(s: &Standalone) -> Arc<LearnerClusters> {
    let backend = timeout(
        T,
        NamespaceBackend::connect(&s.kubeconfig, None, LearnerQuota::default()),
    )
    .await
    .expect("connect in time")
    .expect("connect");
    LearnerClusters::new(
        Backend::Namespace(Box::new(backend)),
        Duration::from_secs(3600),
    )
}

fn admin_of(clusters: &LearnerClusters) -> kube::Client {
    match clusters.backend() {
        Backend::Namespace(b) => b.admin().clone(),
        Backend::Sandbox(_) => panic!("namespace backend expected"),
    }
}

fn is_forbidden<T: std::fmt::Debug>(r: Result<T, kube::Error>) -> bool {
    matches!(r, Err(kube::Error::Api(ref s)) if s.code == 403)
}

fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}
    }))
    .expect("pod")
}

async fn provision(
    clusters: &Arc<LearnerClusters>,
    learner: &str,
) -> kubedojo_server::cluster::LearnerCluster {
    timeout(T, clusters.provision(learner).wait())
        .await
        .expect("provision in time")
        .expect("provision")
}

/// What every backend on a shared cluster must guarantee. Also run against a real cluster by
/// `real_cluster_suite` (ignored).
async fn isolation_suite(clusters: Arc<LearnerClusters>) {
    let admin = admin_of(&clusters);
    let a = provision(&clusters, "learner-a").await;
    let b = provision(&clusters, "learner-b").await;
    assert_eq!(a.kind, BackendKind::Namespace);
    assert_ne!(a.namespace, b.namespace);

    // A works in its own namespace with its own token.
    let a_pods: Api<Pod> = Api::namespaced(a.client.clone(), &a.namespace);
    a_pods
        .create(&PostParams::default(), &pod("mine"))
        .await
        .expect("A creates in A");
    // B has things A must not touch.
    let b_pods: Api<Pod> = Api::namespaced(b.client.clone(), &b.namespace);
    b_pods
        .create(&PostParams::default(), &pod("theirs"))
        .await
        .expect("B creates in B");
    clusters
        .apply("learner-b", MYSQL_LAB)
        .await
        .expect("lab applied for B");

    // A's client cannot list, read, change or delete in B's namespace.
    let a_in_b: Api<Pod> = Api::namespaced(a.client.clone(), &b.namespace);
    assert!(
        is_forbidden(a_in_b.list(&ListParams::default()).await),
        "list"
    );
    assert!(is_forbidden(a_in_b.get("theirs").await), "get");
    assert!(
        is_forbidden(
            a_in_b
                .create(&PostParams::default(), &pod("intruder"))
                .await
        ),
        "create"
    );
    assert!(
        is_forbidden(
            a_in_b
                .patch(
                    "theirs",
                    &PatchParams::default(),
                    &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}}))
                )
                .await
        ),
        "patch"
    );
    assert!(
        is_forbidden(a_in_b.delete("theirs", &DeleteParams::default()).await),
        "delete"
    );
    let a_secrets_in_b: Api<Secret> = Api::namespaced(a.client.clone(), &b.namespace);
    assert!(
        is_forbidden(a_secrets_in_b.get("mysql-secret").await),
        "secret"
    );
    // Nor anything cluster-wide.
    assert!(is_forbidden(
        Api::<Namespace>::all(a.client.clone())
            .list(&ListParams::default())
            .await
    ));
    assert!(is_forbidden(
        Api::<Pod>::all(a.client.clone())
            .list(&ListParams::default())
            .await
    ));
    assert!(is_forbidden(
        Api::<ClusterRole>::all(a.client.clone())
            .get("cluster-admin")
            .await
    ));
    assert!(is_forbidden(
        Api::<Namespace>::all(a.client.clone())
            .delete(&b.namespace, &DeleteParams::default())
            .await
    ));
    // Nor loosen its own fences.
    let quotas: Api<k8s_openapi::api::core::v1::ResourceQuota> =
        Api::namespaced(a.client.clone(), &a.namespace);
    assert!(
        is_forbidden(
            quotas
                .delete("kubedojo-learner", &DeleteParams::default())
                .await
        ),
        "own quota"
    );

    // Cluster-scoped objects of a lab get learner-unique names; only their owner reaches them.
    let applied = clusters
        .apply("learner-a", STORAGE_LAB)
        .await
        .expect("storage lab for A");
    let sc_name = applied
        .iter()
        .find(|x| x.kind == "StorageClass")
        .map(|x| x.name.clone())
        .expect("a StorageClass");
    assert_eq!(sc_name, format!("{}-fast", a.namespace));
    let a_scs: Api<StorageClass> = Api::all(a.client.clone());
    let b_scs: Api<StorageClass> = Api::all(b.client.clone());
    a_scs
        .get(&sc_name)
        .await
        .expect("A reads its own StorageClass");
    assert!(is_forbidden(b_scs.get(&sc_name).await), "B reads A's class");
    assert!(
        is_forbidden(b_scs.delete(&sc_name, &DeleteParams::default()).await),
        "B deletes A's class"
    );
    assert!(
        is_forbidden(b_scs.list(&ListParams::default()).await),
        "B lists classes"
    );
    assert!(
        is_forbidden(a_scs.get("standard").await),
        "A reads the shared default class"
    );
    // Re-applying a lab is safe (server-side apply, field manager kubedojo).
    clusters
        .apply("learner-a", STORAGE_LAB)
        .await
        .expect("re-apply");
    let pvc = Api::<k8s_openapi::api::core::v1::PersistentVolumeClaim>::namespaced(
        a.client.clone(),
        &a.namespace,
    )
    .get("data")
    .await
    .expect("A's claim");
    assert_eq!(
        pvc.spec.and_then(|s| s.storage_class_name),
        Some(sc_name.clone())
    );

    // Removing A removes everything of A and nothing of B.
    assert!(clusters.remove("learner-a").await.expect("remove A"));
    assert!(
        Api::<Namespace>::all(admin.clone())
            .get_opt(&a.namespace)
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        Api::<StorageClass>::all(admin.clone())
            .get_opt(&sc_name)
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        Api::<ClusterRole>::all(admin.clone())
            .get_opt(&a.namespace)
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        is_forbidden(a_pods.list(&ListParams::default()).await),
        "A's old token is powerless"
    );
    b_pods.get("theirs").await.expect("B untouched");

    // cleanup removes everything kubedojo made.
    clusters.cleanup_all().await.expect("cleanup");
    let left = Api::<Namespace>::all(admin.clone())
        .list(&ListParams::default().labels(MANAGED_SELECTOR))
        .await
        .expect("list");
    assert!(
        left.items.is_empty(),
        "namespaces left: {:?}",
        left.items.len()
    );
    let left = Api::<ClusterRole>::all(admin.clone())
        .list(&ListParams::default().labels(MANAGED_SELECTOR))
        .await
        .expect("list");
    assert!(left.items.is_empty(), "cluster roles left");
    assert!(clusters.client_for("learner-b").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_backend_isolates_learners_through_rbac() {
    let s = standalone().await;
    let clusters = namespace_clusters(&s).await;
    timeout(Duration::from_secs(120), isolation_suite(clusters))
        .await
        .expect("suite in time");
}

/// The same suite against a real cluster (kind): `KUBECONFIG=... cargo test -p kubedojo-server
/// --test learners -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real cluster"]
async fn real_cluster_suite() {
    let path = std::env::var("KUBECONFIG").expect("KUBECONFIG names a real cluster");
    let backend =
        NamespaceBackend::connect(std::path::Path::new(&path), None, LearnerQuota::default())
            .await
            .expect("connect");
    let clusters = LearnerClusters::new(
        Backend::Namespace(Box::new(backend)),
        Duration::from_secs(3600),
    );
    timeout(Duration::from_secs(600), isolation_suite(clusters))
        .await
        .expect("suite in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_stops_a_create_storm() {
    let s = standalone().await;
    let clusters = namespace_clusters(&s).await;
    let a = provision(&clusters, "stormy").await;
    let pods: Api<Pod> = Api::namespaced(a.client.clone(), &a.namespace);
    let (mut created, mut refused) = (0, 0);
    for i in 0..40 {
        match pods
            .create(&PostParams::default(), &pod(&format!("p{i}")))
            .await
        {
            Ok(_) => created += 1,
            Err(kube::Error::Api(e)) if e.code == 403 && e.message.contains("exceeded quota") => {
                refused += 1;
            }
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    // 10 pods, or 2Gi of requests at the LimitRange default of 256Mi: 8 pods.
    assert!(created > 0 && created <= 10, "created {created}");
    assert_eq!(created + refused, 40);
    clusters.cleanup_all().await.expect("cleanup");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_step_leaves_nothing_and_a_retry_after_a_crash_finishes() {
    let s = standalone().await;
    let clusters = namespace_clusters(&s).await;
    let admin = admin_of(&clusters);
    let ns = namespace_for("fragile");

    clusters.faults().fail_step_once("token");
    let p = clusters.provision("fragile");
    let mut progress = p.progress();
    let err = timeout(T, p.wait())
        .await
        .expect("in time")
        .expect_err("injected failure");
    assert!(err.to_string().contains("token"), "{err}");
    let last = progress.borrow_and_update().clone();
    assert_eq!(last.failure().map(|f| f.0), Some("token"));
    assert_eq!(last.steps[0].status, StepStatus::Done);
    assert!(
        Api::<Namespace>::all(admin.clone())
            .get_opt(&ns)
            .await
            .expect("get")
            .is_none(),
        "namespace left behind"
    );
    assert!(
        Api::<ClusterRole>::all(admin.clone())
            .get_opt(&ns)
            .await
            .expect("get")
            .is_none(),
        "cluster role left behind"
    );

    // A crash mid-way leaves a namespace and a ServiceAccount; provisioning again finishes them.
    Api::<Namespace>::all(admin.clone())
        .create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": ns, "labels": {"app.kubernetes.io/managed-by": "kubedojo"}}})).expect("ns"))
        .await
        .expect("half-made namespace");
    Api::<ServiceAccount>::namespaced(admin.clone(), &ns)
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "learner"}})).expect("sa"),
        )
        .await
        .expect("half-made service account");
    let p = clusters.provision("fragile");
    let progress = p.progress();
    let lc = timeout(T, p.wait())
        .await
        .expect("in time")
        .expect("retry finishes");
    assert!(progress.borrow().is_done());
    Api::<Pod>::namespaced(lc.client.clone(), &ns)
        .list(&ListParams::default())
        .await
        .expect("the learner's token works");

    // Reset: everything deleted and made again; the new kubeconfig works.
    Api::<Pod>::namespaced(lc.client.clone(), &ns)
        .create(&PostParams::default(), &pod("before-reset"))
        .await
        .expect("pod");
    let lc2 = timeout(T, clusters.reset("fragile").wait())
        .await
        .expect("in time")
        .expect("reset");
    let client = client_from_kubeconfig(&lc2.kubeconfig)
        .await
        .expect("kubeconfig loads");
    let pods = Api::<Pod>::namespaced(client, &ns)
        .list(&ListParams::default())
        .await
        .expect("list");
    assert!(pods.items.is_empty(), "reset keeps nothing");
    clusters.cleanup_all().await.expect("cleanup");
    drop(s.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_backend_gives_each_learner_a_whole_cluster() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sandbox = Sandbox::default();
    let clusters = LearnerClusters::new(
        Backend::Sandbox(SandboxBackend::new(sandbox.clone())),
        Duration::from_secs(3600),
    );
    let p = clusters.provision("ada");
    let progress = p.progress();
    let a = timeout(T, p.wait())
        .await
        .expect("in time")
        .expect("provision");
    assert!(progress.borrow().is_done());
    assert_eq!(a.kind, BackendKind::Sandbox);
    let b = provision(&clusters, "bob").await;
    assert_ne!(a.id, b.id);
    // A failing step leaves no cluster behind.
    clusters.faults().fail_step_once("credentials");
    let before = sandbox.cluster_ids().len();
    let failed = timeout(T, clusters.provision("unlucky").wait())
        .await
        .expect("in time");
    assert!(failed.is_err());
    assert_eq!(sandbox.cluster_ids().len(), before, "cluster left behind");
    assert!(clusters.client_for("unlucky").await.is_none());
    // Provisioning again is a no-op returning the same cluster.
    assert_eq!(provision(&clusters, "ada").await.id, a.id);

    // Cluster-scoped objects are the learner's own: same names, separate clusters.
    clusters
        .apply("ada", STORAGE_LAB)
        .await
        .expect("storage lab");
    clusters.apply("ada", MYSQL_LAB).await.expect("mysql lab");
    clusters
        .apply("ada", MYSQL_LAB)
        .await
        .expect("re-apply is safe");
    Api::<StorageClass>::all(a.client.clone())
        .get("fast")
        .await
        .expect("ada's class");
    assert!(
        Api::<StorageClass>::all(b.client.clone())
            .get_opt("fast")
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        Api::<Pod>::default_namespaced(b.client.clone())
            .get_opt("mysql")
            .await
            .expect("get")
            .is_none()
    );

    // The kubeconfig works over loopback TLS, as kubectl would use it.
    let kc = clusters.kubeconfig_for("ada").await.expect("kubeconfig");
    let tls_client = client_from_kubeconfig(&kc).await.expect("loads");
    Api::<Pod>::default_namespaced(tls_client)
        .get("mysql")
        .await
        .expect("over TLS");

    // Reset: a fresh cluster, the old one gone.
    let fresh = timeout(T, clusters.reset("ada").wait())
        .await
        .expect("in time")
        .expect("reset");
    assert_ne!(fresh.id, a.id);
    assert!(sandbox.cluster(&a.id).is_none());
    assert!(
        Api::<Pod>::default_namespaced(fresh.client.clone())
            .get_opt("mysql")
            .await
            .expect("get")
            .is_none()
    );

    // Removal and cleanup.
    assert!(clusters.remove("bob").await.expect("remove"));
    assert!(sandbox.cluster(&b.id).is_none());
    assert!(!clusters.remove("bob").await.expect("remove twice"));
    assert_eq!(clusters.cleanup_all().await.expect("cleanup"), 1);
    assert!(sandbox.cluster_ids().is_empty());
    assert!(clusters.client_for("ada").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_learner_clusters_are_reaped_after_the_ttl() {
    let sandbox = Sandbox::default();
    let clusters = LearnerClusters::new(
        Backend::Sandbox(SandboxBackend::new(sandbox.clone())),
        Duration::from_millis(300),
    );
    provision(&clusters, "idle").await;
    provision(&clusters, "busy").await;
    assert_eq!(clusters.reap_idle().await, 0, "nobody idle yet");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        clusters.client_for("busy").await.is_some(),
        "use refreshes the clock"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(clusters.reap_idle().await, 1);
    assert!(clusters.client_for("idle").await.is_none());
    assert!(clusters.client_for("busy").await.is_some());
    assert_eq!(sandbox.cluster_ids().len(), 1);
}

/// The learner's kubeconfig as the terminal uses it: the real kubectl, the learner's token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_with_the_learners_kubeconfig_sees_only_its_namespace() {
    let s = standalone().await;
    let clusters = namespace_clusters(&s).await;
    let a = provision(&clusters, "kubectl-a").await;
    let b = provision(&clusters, "kubectl-b").await;
    let path = s.dir.path().join("a.kubeconfig");
    std::fs::write(&path, &a.kubeconfig).expect("write");
    let kubectl = |args: &[&str]| {
        let mut cmd = tokio::process::Command::new("kubectl");
        cmd.arg("--kubeconfig").arg(&path).args(args);
        async move {
            timeout(T, cmd.output())
                .await
                .expect("kubectl in time")
                .expect("kubectl on PATH")
        }
    };
    let out = kubectl(&["get", "networkpolicy", "-o", "name"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "networkpolicy.networking.k8s.io/same-namespace-only\n"
    );
    let out = kubectl(&["get", "pods", "-n", &b.namespace]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Forbidden"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kubectl(&["auth", "can-i", "create", "pods"]).await;
    assert_eq!(String::from_utf8_lossy(&out.stdout), "yes\n");
    let out = kubectl(&["auth", "can-i", "delete", "resourcequotas"]).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "no\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    clusters.cleanup_all().await.expect("cleanup");
}

/// `serve --kubeconfig` after a restart: the learners' namespaces are found by their label and
/// adopted with their labs (a new token each), not provisioned again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learner_namespaces_are_adopted_by_label_after_a_restart() {
    let s = standalone().await;
    let before = namespace_clusters(&s).await;
    let lc = provision(&before, "learner-r").await;
    before
        .record_lab("learner-r", "02-bare-pod-data-loss")
        .await
        .expect("record lab");
    drop(before);

    let after = namespace_clusters(&s).await;
    let adopted = timeout(T, after.adopt_existing())
        .await
        .expect("adopt in time");
    assert_eq!(adopted, 1);
    let back = after.cluster_for("learner-r").await.expect("adopted");
    assert_eq!(back.kind, BackendKind::Namespace);
    assert_eq!(back.namespace, lc.namespace);
    assert!(
        back.labs.contains("02-bare-pod-data-loss"),
        "{:?}",
        back.labs
    );
    let pods: Api<Pod> = Api::namespaced(back.client.clone(), &back.namespace);
    timeout(T, pods.list(&ListParams::default()))
        .await
        .expect("list in time")
        .expect("the adopted learner's token works");
}

/// A server on a real cluster has the embedded sandbox beside it: a learner sent there (a
/// workshop's choice) gets a whole cluster, everyone else a namespace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_can_be_sent_to_the_sandbox_beside_a_real_cluster() {
    let s = standalone().await;
    let namespaces = timeout(
        T,
        NamespaceBackend::connect(&s.kubeconfig, None, LearnerQuota::default()),
    )
    .await
    .expect("connect in time")
    .expect("connect");
    let clusters = LearnerClusters::with_backends(
        Backend::Namespace(Box::new(namespaces)),
        Some(SandboxBackend::new(Sandbox::default())),
        Duration::from_secs(3600),
    );
    assert_eq!(
        clusters.available(),
        [BackendKind::Namespace, BackendKind::Sandbox]
    );

    let a = provision(&clusters, "learner-ns").await;
    assert_eq!(a.kind, BackendKind::Namespace);
    clusters
        .prefer("learner-sb", BackendKind::Sandbox)
        .expect("the sandbox is offered");
    assert_eq!(clusters.kind_for("learner-sb"), BackendKind::Sandbox);
    let b = provision(&clusters, "learner-sb").await;
    assert_eq!(b.kind, BackendKind::Sandbox);
    // A whole cluster: the learner may list nodes, which a namespace learner may not.
    let nodes: Api<k8s_openapi::api::core::v1::Node> = Api::all(b.client.clone());
    let listed = timeout(T, nodes.list(&ListParams::default()))
        .await
        .expect("list in time")
        .expect("nodes");
    assert!(!listed.items.is_empty());
    timeout(T, clusters.apply("learner-sb", MYSQL_LAB))
        .await
        .expect("apply in time")
        .expect("apply on the sandbox");
    assert!(clusters.pace("learner-sb").await.is_some());
    assert!(clusters.pace("learner-ns").await.is_none());

    // Back to the default: the next cluster (after a reset) is a namespace again.
    clusters
        .prefer("learner-sb", BackendKind::Namespace)
        .expect("the default");
    let again = timeout(T, clusters.reset("learner-sb").wait())
        .await
        .expect("reset in time")
        .expect("reset");
    assert_eq!(again.kind, BackendKind::Namespace);
    assert_eq!(
        timeout(T, clusters.cleanup_all())
            .await
            .expect("in time")
            .expect("cleanup"),
        2
    );

    // A sandbox-only server cannot send anyone to a real cluster.
    let sandbox_only = LearnerClusters::sandbox_default();
    let refused = sandbox_only.prefer("x", BackendKind::Namespace);
    assert!(
        refused.is_err_and(|e| e.to_string().contains("--kubeconfig")),
        "a clear refusal"
    );
}
