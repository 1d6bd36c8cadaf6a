//! The real kubectl (from PATH) against the sandbox's TLS listener. Expected outputs
//! are what kubectl 1.32 prints against a real cluster (AGE columns normalised).

use kubedojo_sandbox::{Cluster, Sandbox, TlsListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;
use tokio::time::timeout;

/// The real kubectl, from PATH (`cargo xtask test` checks that it is there).
const KUBECTL: &str = "kubectl";

struct Env {
    _sandbox: Sandbox,
    cluster: Cluster,
    _listener: TlsListener,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

struct Out {
    stdout: String,
    stderr: String,
    code: i32,
}

async fn env() -> Option<Env> {
    // NB: a missing kubectl fails these tests instead of skipping them, so a machine without
    // it cannot pass them by accident.
    let version = std::process::Command::new(KUBECTL)
        .args(["version", "--client"])
        .output();
    assert!(
        version.is_ok_and(|o| o.status.success()),
        "these tests drive the real kubectl, which is not on PATH"
    );
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
    Some(Env {
        _sandbox: sandbox,
        cluster,
        _listener: listener,
        dir,
        kubeconfig,
    })
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

impl Env {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(KUBECTL);
        c.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .env("KUBECACHEDIR", self.dir.path().join("cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        c
    }

    async fn run(&self, args: &[&str]) -> Out {
        let child = self.command(args).spawn().expect("spawn kubectl");
        let out = timeout(Duration::from_secs(30), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} timed out"))
            .expect("kubectl output");
        Out {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }

    async fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args).await;
        assert_eq!(
            o.code, 0,
            "kubectl {args:?} failed: {}{}",
            o.stdout, o.stderr
        );
        o.stdout
    }
}

/// Replace AGE-like cells (`5s`, `2m3s`, `<unknown>`) with `AGE` and squeeze column padding.
fn norm(table: &str) -> String {
    table
        .lines()
        .map(|l| {
            l.split_whitespace()
                .map(|cell| {
                    let is_age = cell.len() <= 6
                        && cell.chars().next().is_some_and(|c| c.is_ascii_digit())
                        && cell
                            .chars()
                            .last()
                            .is_some_and(|c| matches!(c, 's' | 'm' | 'h' | 'd' | 'y'))
                        && cell.chars().all(|c| {
                            c.is_ascii_digit() || matches!(c, 's' | 'm' | 'h' | 'd' | 'y')
                        });
                    if is_age { "AGE" } else { cell }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_basics() {
    let Some(e) = env().await else { return };
    assert_eq!(
        e.ok(&["create", "namespace", "demo"]).await,
        "namespace/demo created\n"
    );
    assert_eq!(
        norm(&e.ok(&["get", "namespaces"]).await),
        "NAME STATUS AGE\ndefault Active AGE\ndemo Active AGE\nkube-node-lease Active AGE\nkube-public Active AGE\nkube-system Active AGE\nlocal-path-storage Active AGE"
    );
    let pod = fixture("pod.yaml");
    assert_eq!(e.ok(&["apply", "-f", &pod]).await, "pod/web created\n");
    assert_eq!(e.ok(&["apply", "-f", &pod]).await, "pod/web unchanged\n");
    assert_eq!(
        e.ok(&["wait", "--for=condition=Ready", "pod/web", "--timeout=20s"]).await,
        "pod/web condition met\n"
    );
    assert_eq!(
        norm(&e.ok(&["get", "pods"]).await),
        "NAME READY STATUS RESTARTS AGE\nweb 1/1 Running 0 AGE"
    );
    let wide = norm(&e.ok(&["get", "pods", "-o", "wide"]).await);
    let row: Vec<&str> = wide.lines().nth(1).unwrap_or_default().split(' ').collect();
    assert_eq!(
        wide.lines().next(),
        Some("NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES")
    );
    assert_eq!(row[..5], ["web", "1/1", "Running", "0", "AGE"], "{wide}");
    assert!(row[5].starts_with("10.244."), "{wide}");
    assert!(row[6].starts_with("kind-worker"), "{wide}");
    assert_eq!(
        e.ok(&[
            "get",
            "pod",
            "web",
            "-o",
            "jsonpath={.spec.containers[0].image}"
        ])
        .await,
        "nginx:1.27"
    );
    let json = e.ok(&["get", "pod", "web", "-o", "json"]).await;
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        v["spec"]["containers"][0]["imagePullPolicy"],
        "IfNotPresent"
    );
    let yaml = e.ok(&["get", "pod", "web", "-o", "yaml"]).await;
    assert!(
        yaml.contains("kubectl.kubernetes.io/last-applied-configuration"),
        "{yaml}"
    );
    assert_eq!(
        norm(
            &e.ok(&["get", "pods", "-l", "app=web", "--no-headers"])
                .await
        ),
        "web 1/1 Running 0 AGE"
    );
    assert_eq!(e.ok(&["get", "pods", "-l", "app=db"]).await, "");
    let none = e.run(&["get", "pods", "-l", "app=db"]).await;
    assert_eq!(none.stderr, "No resources found in default namespace.\n");
    assert_eq!(
        norm(
            &e.ok(&[
                "get",
                "pods",
                "--field-selector",
                "status.phase=Running",
                "--no-headers"
            ])
            .await
        ),
        "web 1/1 Running 0 AGE"
    );
    let bad = e
        .run(&["get", "pods", "--field-selector", "spec.bogus=1"])
        .await;
    assert_eq!(bad.code, 1);
    assert_eq!(
        bad.stderr,
        "Error from server (BadRequest): Unable to find \"/v1, Resource=pods\" that match label selector \"\", field selector \"spec.bogus=1\": field label not supported: spec.bogus\n"
    );

    let missing = e.run(&["get", "pod", "nope"]).await;
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.stderr,
        "Error from server (NotFound): pods \"nope\" not found\n"
    );

    assert_eq!(
        e.ok(&["label", "pod", "web", "tier=front"]).await,
        "pod/web labeled\n"
    );
    assert_eq!(
        e.ok(&["annotate", "pod", "web", "note=hello"]).await,
        "pod/web annotated\n"
    );
    assert_eq!(
        e.ok(&[
            "patch",
            "pod",
            "web",
            "-p",
            r#"{"metadata":{"labels":{"a":"b"}}}"#
        ])
        .await,
        "pod/web patched\n"
    );
    assert_eq!(
        e.ok(&[
            "patch",
            "pod",
            "web",
            "--type=merge",
            "-p",
            r#"{"metadata":{"labels":{"c":"d"}}}"#
        ])
        .await,
        "pod/web patched\n"
    );
    assert_eq!(
        e.ok(&[
            "patch",
            "pod",
            "web",
            "--type=json",
            "-p",
            r#"[{"op":"add","path":"/metadata/labels/e","value":"f"}]"#
        ])
        .await,
        "pod/web patched\n"
    );
    let noop = e
        .ok(&[
            "patch",
            "pod",
            "web",
            "--type=merge",
            "-p",
            r#"{"metadata":{"labels":{"c":"d"}}}"#,
        ])
        .await;
    assert_eq!(noop, "pod/web patched (no change)\n");
    assert_eq!(
        e.ok(&["get", "pod", "web", "-o", "jsonpath={.metadata.labels}"])
            .await,
        r#"{"a":"b","app":"web","c":"d","e":"f","tier":"front"}"#
    );
    let describe = e.ok(&["describe", "pod", "web"]).await;
    assert!(
        describe.starts_with("Name:             web\nNamespace:        default\n"),
        "{describe}"
    );

    assert_eq!(
        e.ok(&["delete", "pod", "web"]).await,
        "pod \"web\" deleted\n"
    );
    let gone = e.run(&["get", "pod", "web"]).await;
    assert_eq!(
        gone.stderr,
        "Error from server (NotFound): pods \"web\" not found\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_statefulset_scale_and_server_side() {
    let Some(e) = env().await else { return };
    let sts = fixture("sts.yaml");
    assert_eq!(
        e.ok(&["apply", "-f", &sts]).await,
        "service/db created\nstatefulset.apps/db created\n"
    );
    e.ok(&["rollout", "status", "statefulset/db", "--timeout=20s"]).await;
    assert_eq!(
        norm(&e.ok(&["get", "sts"]).await),
        "NAME READY AGE\ndb 1/1 AGE"
    );
    assert_eq!(
        norm(&e.ok(&["get", "svc", "db"]).await),
        "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE\ndb ClusterIP None <none> 3306/TCP AGE"
    );
    assert_eq!(
        e.ok(&["apply", "--server-side", "-f", &sts]).await,
        "service/db serverside-applied\nstatefulset.apps/db serverside-applied\n"
    );
    assert_eq!(
        e.ok(&["scale", "statefulset", "db", "--replicas=3"]).await,
        "statefulset.apps/db scaled\n"
    );
    assert_eq!(
        e.ok(&["get", "sts", "db", "-o", "jsonpath={.spec.replicas}"])
            .await,
        "3"
    );
    // Changing an immutable field is rejected like the real server does.
    let bad = e
        .run(&[
            "patch",
            "sts",
            "db",
            "--type=merge",
            "-p",
            r#"{"spec":{"serviceName":"other"}}"#,
        ])
        .await;
    assert_eq!(bad.code, 1);
    assert_eq!(
        bad.stderr,
        "The StatefulSet \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden\n"
    );
    assert_eq!(
        norm(&e.ok(&["get", "sc"]).await),
        "NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE\nstandard (default) rancher.io/local-path Delete WaitForFirstConsumer false AGE"
    );
    assert_eq!(
        e.ok(&["delete", "-f", &sts]).await,
        "service \"db\" deleted\nstatefulset.apps \"db\" deleted\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_discovery_and_auth() {
    let Some(e) = env().await else { return };
    let res = e.ok(&["api-resources"]).await;
    let first = res.lines().next().unwrap_or_default();
    assert_eq!(
        first.split_whitespace().collect::<Vec<_>>(),
        ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    );
    assert!(
        res.lines().any(
            |l| l.split_whitespace().collect::<Vec<_>>() == ["pods", "po", "v1", "true", "Pod"]
        ),
        "{res}"
    );
    assert!(
        res.lines().any(|l| l.split_whitespace().collect::<Vec<_>>()
            == ["statefulsets", "sts", "apps/v1", "true", "StatefulSet"]),
        "{res}"
    );
    assert_eq!(e.ok(&["auth", "can-i", "create", "pods"]).await, "yes\n");
    // A ServiceAccount token that only has `edit` in its own namespace.
    e.ok(&["create", "namespace", "team-a"]).await;
    e.ok(&[
        "create",
        "rolebinding",
        "sa-edit",
        "--clusterrole=edit",
        "--serviceaccount=team-a:default",
        "-n",
        "team-a",
    ])
    .await;
    let token = e.ok(&["create", "token", "default", "-n", "team-a"]).await;
    let token = token.trim();
    assert!(!token.is_empty());
    let no = e
        .run(&[
            "--token", token, "auth", "can-i", "list", "pods", "-n", "default",
        ])
        .await;
    assert_eq!((no.stdout.as_str(), no.code), ("no\n", 1));
    let yes = e
        .run(&[
            "--token", token, "auth", "can-i", "list", "pods", "-n", "team-a",
        ])
        .await;
    assert_eq!((yes.stdout.as_str(), yes.code), ("yes\n", 0));
    let forbidden = e
        .run(&["--token", token, "get", "pods", "-n", "default"])
        .await;
    assert_eq!(forbidden.code, 1);
    assert_eq!(
        forbidden.stderr,
        "Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:team-a:default\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"\n"
    );
    let log = e.cluster.audit_log();
    assert!(
        log.iter()
            .any(|a| a.code == 403 && a.user == "system:serviceaccount:team-a:default")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_watch_prints_new_rows() {
    let Some(e) = env().await else { return };
    let child = e.command(&["get", "pods", "-w"]).spawn().expect("spawn");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    e.ok(&["apply", "-f", &fixture("pod.yaml")]).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mut child = child;
    let _ = child.start_kill();
    let out = timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("t")
        .expect("out");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<String> = norm(&stdout).lines().map(String::from).collect();
    assert_eq!(rows.first().map(String::as_str), Some("NAME READY STATUS RESTARTS AGE"), "{stdout}");
    assert_eq!(rows.get(1).map(String::as_str), Some("web 0/1 Pending 0 AGE"), "{stdout}");
    assert_eq!(rows.last().map(String::as_str), Some("web 1/1 Running 0 AGE"), "{stdout}");
    // delete waits for the pod to be gone, via a watch with fieldSelector=metadata.name.
    assert_eq!(
        e.ok(&["delete", "pod", "web", "--wait=true"]).await,
        "pod \"web\" deleted\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_typed_creates_and_namespace_lifecycle() {
    let Some(e) = env().await else { return };
    // Typed `kubectl create` subcommands send protobuf bodies.
    assert_eq!(
        e.ok(&[
            "create",
            "deployment",
            "web",
            "--image=nginx:1.27",
            "--replicas=2",
            "--port=80"
        ])
        .await,
        "deployment.apps/web created\n"
    );
    e.ok(&["rollout", "status", "deployment/web", "--timeout=20s"]).await;
    assert_eq!(
        norm(&e.ok(&["get", "deploy", "web"]).await),
        "NAME READY UP-TO-DATE AVAILABLE AGE\nweb 2/2 2 2 AGE"
    );
    assert_eq!(
        e.ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.spec.strategy.type}"
        ])
        .await,
        "RollingUpdate"
    );
    // Its ReplicaSet and (unscheduled) pods go with it, so the quota below counts no pods.
    e.ok(&["delete", "deploy", "web", "--wait=true"]).await;
    assert_eq!(
        e.ok(&["create", "configmap", "cfg", "--from-literal=a=b"])
            .await,
        "configmap/cfg created\n"
    );
    assert_eq!(
        e.ok(&["create", "secret", "generic", "s", "--from-literal=x=y"])
            .await,
        "secret/s created\n"
    );
    assert_eq!(
        e.ok(&["get", "secret", "s", "-o", "jsonpath={.data.x}"])
            .await,
        "eQ=="
    );
    assert_eq!(
        e.ok(&["create", "serviceaccount", "bot"]).await,
        "serviceaccount/bot created\n"
    );
    assert_eq!(
        e.ok(&["create", "service", "clusterip", "svc", "--tcp=80:8080"])
            .await,
        "service/svc created\n"
    );
    assert_eq!(
        e.ok(&[
            "get",
            "svc",
            "svc",
            "-o",
            "jsonpath={.spec.ports[0].targetPort}"
        ])
        .await,
        "8080"
    );
    assert_eq!(
        e.ok(&["create", "quota", "q", "--hard=pods=10"]).await,
        "resourcequota/q created\n"
    );
    assert_eq!(
        e.ok(&["get", "quota", "q", "-o", "jsonpath={.status.used.pods}"])
            .await,
        "0"
    );
    e.ok(&["run", "sorted-b", "--image=busybox"]).await;
    e.ok(&["run", "sorted-a", "--image=alpine"]).await;
    assert_eq!(
        norm(
            &e.ok(&[
                "get",
                "pods",
                "--sort-by=.spec.containers[0].image",
                "--no-headers",
                "-o",
                "custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image"
            ])
            .await
        ),
        "sorted-a alpine\nsorted-b busybox"
    );
    let dup = e.run(&["create", "configmap", "cfg"]).await;
    assert_eq!(
        (dup.code, dup.stderr.as_str()),
        (
            1,
            "error: failed to create configmap: configmaps \"cfg\" already exists\n"
        )
    );
    let protected = e.run(&["delete", "namespace", "default"]).await;
    assert_eq!(
        protected.stderr,
        "Error from server (Forbidden): namespaces \"default\" is forbidden: this namespace may not be deleted\n"
    );
    e.ok(&["create", "namespace", "scratch"]).await;
    e.ok(&["create", "configmap", "x", "-n", "scratch"]).await;
    assert_eq!(
        e.ok(&["delete", "namespace", "scratch"]).await,
        "namespace \"scratch\" deleted\n"
    );
    let gone = e.run(&["get", "namespace", "scratch"]).await;
    assert_eq!(
        gone.stderr,
        "Error from server (NotFound): namespaces \"scratch\" not found\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_whoami_can_i_list_and_logs() {
    let Some(e) = env().await else { return };
    assert_eq!(
        e.ok(&["auth", "whoami"]).await,
        "ATTRIBUTE   VALUE\nUsername    kubernetes-admin\nGroups      [system:masters system:authenticated]\n"
    );
    let list = e.ok(&["auth", "can-i", "--list"]).await;
    let first: Vec<&str> = list
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        first,
        [
            "Resources",
            "Non-Resource",
            "URLs",
            "Resource",
            "Names",
            "Verbs"
        ]
    );
    assert!(
        list.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["*.*", "[]", "[]", "[*]"]),
        "{list}"
    );
    e.ok(&["run", "p", "--image=nginx"]).await;
    e.ok(&["wait", "--for=condition=Ready", "pod/p", "--timeout=20s"]).await;
    let logs = e.run(&["logs", "p"]).await;
    assert_eq!(logs.code, 0, "{}", logs.stderr);
    assert!(logs.stdout.contains("Configuration complete; ready for start up"), "{}", logs.stdout);
    // A typo in the image: the container never starts, and logs say why.
    e.ok(&["run", "q", "--image=nginxx"]).await;
    let logs = e.run(&["logs", "q"]).await;
    assert_eq!(logs.code, 1);
    assert!(
        logs.stderr.starts_with("Error from server (BadRequest): container \"q\" in pod \"q\" is waiting to start: "),
        "{}",
        logs.stderr
    );
    let missing = e.run(&["logs", "nope"]).await;
    assert_eq!(
        missing.stderr,
        "error: error from server (NotFound): pods \"nope\" not found in namespace \"default\"\n"
    );
}
