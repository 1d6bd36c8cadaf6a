//! The real kubectl against the controllers: rollouts finish, history is readable, PVCs in use
//! stay Terminating. The sandbox's own runtime runs the pods (nginx and mysql for real).

use kubedojo_sandbox::{Sandbox, TlsListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use tokio::time::timeout;

struct Env {
    _sandbox: Sandbox,
    _cluster: kubedojo_sandbox::Cluster,
    _listener: TlsListener,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

async fn env() -> Env {
    let sandbox = Sandbox::default();
    let cluster = sandbox.create_cluster();
    let listener = sandbox
        .serve_tls("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("listen");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    let yaml = sandbox.kubeconfig(&listener, &cluster, &cluster.admin_token(), None);
    std::fs::write(&kubeconfig, yaml).expect("write kubeconfig");
    Env {
        _sandbox: sandbox,
        _cluster: cluster,
        _listener: listener,
        dir,
        kubeconfig,
    }
}

impl Env {
    async fn run(&self, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
        let mut c = Command::new("kubectl");
        c.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .env("KUBECACHEDIR", self.dir.path().join("cache"))
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = c.spawn().expect("spawn kubectl");
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input.as_bytes()).await.expect("stdin");
        }
        let out = timeout(Duration::from_secs(40), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} timed out"))
            .expect("kubectl output");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    async fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let (code, out, err) = self.run(args, stdin).await;
        assert_eq!(code, 0, "kubectl {args:?} failed: {out}{err}");
        out
    }
}

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
";

const STS: &str = "apiVersion: v1
kind: Service
metadata:
  name: mysql
spec:
  clusterIP: None
  selector: {app: mysql}
  ports: [{port: 3306}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: mysql
spec:
  serviceName: mysql
  replicas: 2
  selector:
    matchLabels: {app: mysql}
  template:
    metadata:
      labels: {app: mysql}
    spec:
      containers:
      - name: mysql
        image: mysql:8.0
        env: [{name: MYSQL_ROOT_PASSWORD, value: change-me}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_rollout_status_and_history_for_a_deployment() {
    let e = env().await;
    e.ok(&["apply", "-f", "-"], Some(DEPLOY)).await;
    let out = e
        .ok(
            &["rollout", "status", "deployment/web", "--timeout=30s"],
            None,
        )
        .await;
    assert!(
        out.ends_with("deployment \"web\" successfully rolled out\n"),
        "{out}"
    );
    e.ok(
        &["set", "image", "deployment/web", "nginx=nginx:1.28"],
        None,
    )
    .await;
    let out = e
        .ok(
            &["rollout", "status", "deployment/web", "--timeout=30s"],
            None,
        )
        .await;
    assert!(
        out.ends_with("deployment \"web\" successfully rolled out\n"),
        "{out}"
    );
    let history = e.ok(&["rollout", "history", "deployment/web"], None).await;
    let rows: Vec<&str> = history.lines().map(str::trim).collect();
    assert_eq!(rows[0], "deployment.apps/web");
    assert!(rows.iter().any(|r| r.starts_with("1 ")), "{history}");
    assert!(rows.iter().any(|r| r.starts_with("2 ")), "{history}");
    let rs = e.ok(&["get", "rs", "--no-headers"], None).await;
    let mut counts: Vec<String> = rs
        .lines()
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    counts.sort();
    assert_eq!(
        counts,
        vec!["0 0 0".to_string(), "3 3 3".to_string()],
        "{rs}"
    );
    // Undo: the first ReplicaSet comes back as revision 3.
    e.ok(&["rollout", "undo", "deployment/web"], None).await;
    e.ok(
        &["rollout", "status", "deployment/web", "--timeout=30s"],
        None,
    )
    .await;
    let image = e
        .ok(
            &[
                "get",
                "deploy",
                "web",
                "-o",
                "jsonpath={.spec.template.spec.containers[0].image}",
            ],
            None,
        )
        .await;
    assert_eq!(image, "nginx:1.27");
    let history = e.ok(&["rollout", "history", "deployment/web"], None).await;
    let revisions: Vec<&str> = history
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(revisions, vec!["2", "3"], "{history}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_rollout_status_for_a_statefulset_and_pvc_protection() {
    let e = env().await;
    e.ok(&["apply", "-f", "-"], Some(STS)).await;
    let out = e
        .ok(
            &["rollout", "status", "statefulset/mysql", "--timeout=30s"],
            None,
        )
        .await;
    assert!(
        out.contains("statefulset rolling update complete 2 pods at revision mysql-"),
        "{out}"
    );
    let crs = e
        .ok(&["get", "controllerrevisions", "--no-headers"], None)
        .await;
    let cols: Vec<&str> = crs.split_whitespace().collect();
    assert!(cols[0].starts_with("mysql-"), "{crs}");
    assert_eq!(cols[1], "statefulset.apps/mysql", "{crs}");
    assert_eq!(cols[2], "1", "{crs}");
    let pvcs = e.ok(&["get", "pvc", "--no-headers"], None).await;
    let names: Vec<&str> = pvcs
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, vec!["data-mysql-0", "data-mysql-1"], "{pvcs}");
    let eps = e
        .ok(&["get", "endpoints", "mysql", "--no-headers"], None)
        .await;
    assert!(eps.contains(":3306"), "{eps}");
    // A new image rolls through; undo goes back through the ControllerRevision's patch.
    e.ok(
        &["set", "image", "statefulset/mysql", "mysql=mysql:8.4"],
        None,
    )
    .await;
    e.ok(
        &["rollout", "status", "statefulset/mysql", "--timeout=30s"],
        None,
    )
    .await;
    e.ok(&["rollout", "undo", "statefulset/mysql"], None).await;
    e.ok(
        &["rollout", "status", "statefulset/mysql", "--timeout=30s"],
        None,
    )
    .await;
    let images = e
        .ok(
            &[
                "get",
                "pods",
                "-l",
                "app=mysql",
                "-o",
                "jsonpath={.items[*].spec.containers[0].image}",
            ],
            None,
        )
        .await;
    assert_eq!(images, "mysql:8.0 mysql:8.0");
    let revs = e
        .ok(
            &[
                "get",
                "controllerrevisions",
                "-o",
                "jsonpath={.items[*].revision}",
            ],
            None,
        )
        .await;
    let mut revs: Vec<&str> = revs.split_whitespace().collect();
    revs.sort_unstable();
    assert_eq!(
        revs,
        vec!["2", "3"],
        "the old revision is renumbered, not copied"
    );
    // A claim in use stays Terminating when deleted. (Last: like the real scheduler, the
    // sandbox's will not place a new pod on a claim that is being deleted, so no rollout
    // could replace mysql-0 after this.)
    e.ok(&["delete", "pvc", "data-mysql-0", "--wait=false"], None)
        .await;
    let status = e
        .ok(
            &[
                "get",
                "pvc",
                "data-mysql-0",
                "-o",
                "jsonpath={.metadata.finalizers}",
            ],
            None,
        )
        .await;
    assert_eq!(status, "[\"kubernetes.io/pvc-protection\"]");
    let row = e
        .ok(&["get", "pvc", "data-mysql-0", "--no-headers"], None)
        .await;
    assert!(
        row.split_whitespace().nth(1) == Some("Terminating"),
        "{row}"
    );
}
