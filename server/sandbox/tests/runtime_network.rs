//! Network scenarios through the real controllers and kubelet: cluster DNS for ClusterIP,
//! headless and per-pod names, and a ClusterIP that spreads connections over its endpoints
//! (three mysql pods with their own data behind one Service answer differently).

mod scenario;

use scenario::{SECRET, env, eventually};

const MYSQL_DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: mysql
spec:
  replicas: 3
  selector:
    matchLabels:
      app: mysql
  template:
    metadata:
      labels:
        app: mysql
    spec:
      containers:
      - name: mysql
        image: mysql:8.4
        env:
        - name: MYSQL_ROOT_PASSWORD
          valueFrom:
            secretKeyRef:
              name: mysql-secret
              key: root-password
        ports:
        - containerPort: 3306
        readinessProbe:
          exec:
            command: ["mysqladmin", "ping", "-uroot", "-pchange-me"]
---
apiVersion: v1
kind: Service
metadata:
  name: mysql
spec:
  selector:
    app: mysql
  ports:
  - port: 3306
"#;

const CLIENT: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  containers:
  - name: client
    image: busybox:1.36
    command: ["sleep", "3600"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clusterip_in_front_of_three_separate_databases_gives_inconsistent_answers() {
    let e = env().await;
    e.apply(SECRET).await;
    e.apply(MYSQL_DEPLOYMENT).await;
    let pods = e.pods();
    let names: Vec<String> = eventually("three ready mysql pods", || async {
        let list = pods.list(&kube::api::ListParams::default().labels("app=mysql")).await.ok()?;
        let ready: Vec<String> = list
            .items
            .iter()
            .filter(|p| {
                p.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
            })
            .filter_map(|p| p.metadata.name.clone())
            .collect();
        (ready.len() == 3).then_some(ready)
    })
    .await;
    // Through the Service, from one of the pods: which pod answered?
    let mut hosts = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let out = e
            .exec(&names[0], &["mysql", "-h", "mysql", "-uroot", "-pchange-me", "-N", "-e", "SELECT @@hostname"])
            .await;
        assert_eq!(out.code, 0, "{out:?}");
        hosts.insert(out.stdout.trim().to_string());
    }
    assert!(hosts.len() >= 2, "a ClusterIP spreads connections: {hosts:?}");
    assert!(hosts.iter().all(|h| names.contains(h)), "{hosts:?} vs {names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_answers_like_coredns_for_clusterip_headless_and_pod_names() {
    let e = env().await;
    e.apply(
        r#"
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web-headless
spec:
  clusterIP: None
  selector:
    app: web
  ports:
  - port: 80
---
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  labels:
    app: web
spec:
  hostname: web-0
  subdomain: web-headless
  containers:
  - name: nginx
    image: nginx:1.27
"#,
    )
    .await;
    e.apply(CLIENT).await;
    let web = e.ready("web-0").await;
    e.ready("client").await;
    let pod_ip = web.status.and_then(|s| s.pod_ip).expect("pod ip");
    let svc: k8s_openapi::api::core::v1::Service = kube::Api::default_namespaced(e.client.clone())
        .get("web")
        .await
        .expect("svc");
    let cluster_ip = svc.spec.and_then(|s| s.cluster_ip).expect("cluster ip");

    let lookup = |name: &'static str| {
        let e = &e;
        async move { e.exec("client", &["nslookup", name]).await }
    };
    let out = eventually("web resolves", || async {
        let o = lookup("web").await;
        (o.code == 0).then_some(o)
    })
    .await;
    assert!(out.stdout.contains("Name:\tweb.default.svc.cluster.local"), "{out:?}");
    assert!(out.stdout.contains(&format!("Address: {cluster_ip}")), "{out:?}");

    let out = lookup("web-headless").await;
    assert!(out.stdout.contains(&format!("Address: {pod_ip}")), "headless → pod IPs: {out:?}");
    let out = lookup("web-0.web-headless.default.svc.cluster.local").await;
    assert!(out.stdout.contains(&format!("Address: {pod_ip}")), "pod FQDN: {out:?}");
    let out = lookup("nope").await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("NXDOMAIN") || out.stderr.contains("NXDOMAIN"), "{out:?}");

    // And HTTP through the ClusterIP reaches nginx.
    let out = e.exec("client", &["wget", "-qO-", "http://web"]).await;
    assert!(out.stdout.contains("Welcome to nginx!"), "{out:?}");
}
