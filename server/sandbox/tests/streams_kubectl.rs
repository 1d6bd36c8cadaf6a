//! The real kubectl 1.32 against `pods/exec` and `pods/log` over the sandbox's TLS listener,
//! with a fake pod runtime. Expected outputs are what kubectl prints against a real cluster.

mod streams_fake;

use kubedojo_sandbox::{Cluster, Sandbox, TlsListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use tokio::time::timeout;

/// The real kubectl, from PATH.
const KUBECTL: &str = "kubectl";
const T: Duration = Duration::from_secs(30);

struct Env {
    sandbox: Sandbox,
    cluster: Cluster,
    listener: TlsListener,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

struct Out {
    stdout: String,
    stderr: String,
    code: i32,
}

async fn env() -> Env {
    // NB: a missing kubectl fails these tests instead of skipping them.
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
    Env {
        sandbox,
        cluster,
        listener,
        dir,
        kubeconfig,
    }
}

impl Env {
    fn command(&self, kubeconfig: &PathBuf, args: &[&str]) -> Command {
        let mut c = Command::new(KUBECTL);
        c.args(args)
            .env("KUBECONFIG", kubeconfig)
            .env("HOME", self.dir.path())
            .env("KUBECACHEDIR", self.dir.path().join("cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        c
    }

    async fn finish(child: tokio::process::Child, args: &[&str]) -> Out {
        let out = timeout(T, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} timed out"))
            .expect("kubectl output");
        Out {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    }

    async fn run(&self, args: &[&str]) -> Out {
        let child = self
            .command(&self.kubeconfig, args)
            .spawn()
            .expect("spawn kubectl");
        Self::finish(child, args).await
    }

    /// Run with `input` piped to kubectl's stdin (then closed).
    async fn run_with_input(&self, args: &[&str], input: &[u8]) -> Out {
        let mut child = self
            .command(&self.kubeconfig, args)
            .stdin(Stdio::piped())
            .spawn()
            .expect("spawn kubectl");
        let mut stdin = child.stdin.take().expect("stdin");
        timeout(T, stdin.write_all(input))
            .await
            .expect("write in time")
            .expect("write stdin");
        drop(stdin);
        Self::finish(child, args).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_exec_prints_output_and_propagates_exit_codes() {
    let e = env().await;
    let fake = streams_fake::install(&e.cluster);
    streams_fake::running_pod(&e.cluster, "p", &["mysql"]).await;

    let hi = e.run(&["exec", "p", "--", "echo", "hi"]).await;
    assert_eq!(
        (hi.code, hi.stdout.as_str(), hi.stderr.as_str()),
        (0, "hi\n", "")
    );
    {
        let seen = fake.seen.lock();
        let req = seen.execs.last().expect("the runtime was asked");
        assert_eq!(req.command, ["echo", "hi"]);
        assert_eq!(
            (
                req.namespace.as_str(),
                req.pod.as_str(),
                req.container.as_str()
            ),
            ("default", "p", "mysql")
        );
        assert_eq!(
            (req.stdin, req.stdout, req.stderr, req.tty),
            (false, true, true, false)
        );
    }

    let three = e.run(&["exec", "p", "--", "sh", "-c", "exit 3"]).await;
    assert_eq!(
        (three.code, three.stdout.as_str(), three.stderr.as_str()),
        (3, "", "command terminated with exit code 3\n")
    );

    // stdout and stderr stay separate streams.
    let warn = e.run(&["exec", "p", "--", "warn", "careful"]).await;
    assert_eq!(
        (warn.code, warn.stdout.as_str(), warn.stderr.as_str()),
        (
            1,
            "to stdout\n",
            "careful\ncommand terminated with exit code 1\n"
        )
    );
    // kubectl pings every 5 s; a session that outlives a ping still ends cleanly.
    let long = e.run(&["exec", "p", "--", "sleep", "6"]).await;
    assert_eq!((long.code, long.stderr.as_str()), (0, ""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_exec_with_piped_stdin_echoes_it_back() {
    let e = env().await;
    let fake = streams_fake::install(&e.cluster);
    streams_fake::running_pod(&e.cluster, "p", &["mysql"]).await;
    let input = "line one\nline two\n".repeat(500);
    let out = e
        .run_with_input(&["exec", "-i", "p", "--", "cat"], input.as_bytes())
        .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, input);
    assert!(fake.seen.lock().execs.last().is_some_and(|r| r.stdin));

    // `kubectl attach -i` talks to the main process the same way.
    let att = e.run_with_input(&["attach", "-i", "p"], b"typed\n").await;
    assert_eq!(
        (att.code, att.stdout.as_str()),
        (0, "hello from main\ntyped\n"),
        "{}",
        att.stderr
    );
    assert_eq!(fake.seen.lock().attaches.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_exec_errors_read_like_a_real_cluster() {
    let e = env().await;
    streams_fake::running_pod(&e.cluster, "p", &["mysql", "starting"]).await;

    // (Every cluster has the kubelets' backend; the tests swap in a fake one.)
    streams_fake::install(&e.cluster);
    let missing = e.run(&["exec", "nope", "--", "echo", "hi"]).await;
    assert_eq!(
        (missing.code, missing.stderr.as_str()),
        (1, "Error from server (NotFound): pods \"nope\" not found\n")
    );

    let unknown = e.run(&["exec", "p", "-c", "foo", "--", "echo", "hi"]).await;
    assert_eq!(
        (unknown.code, unknown.stderr.as_str()),
        (
            1,
            "Error from server (BadRequest): container foo is not valid for pod p\n"
        )
    );

    let not_started = e
        .run(&["exec", "p", "-c", "starting", "--", "echo", "hi"])
        .await;
    assert_eq!(
        (not_started.code, not_started.stderr.as_str()),
        (
            1,
            "error: Internal error occurred: unable to upgrade connection: container not found (\"starting\")\n"
        )
    );

    let no_binary = e.run(&["exec", "p", "-c", "mysql", "--", "nope"]).await;
    assert_eq!(
        (no_binary.code, no_binary.stderr.as_str()),
        (
            1,
            "error: Internal error occurred: error executing command in container: OCI runtime exec failed: exec failed: unable to start container process: exec: \"nope\": executable file not found in $PATH: unknown\n"
        )
    );

    // kubectl's SPDY path (used only when the WebSocket upgrade fails) gets a clear refusal.
    let mut spdy = e.command(
        &e.kubeconfig,
        &["exec", "p", "-c", "mysql", "--", "echo", "hi"],
    );
    spdy.env("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false");
    let spdy = Env::finish(spdy.spawn().expect("spawn"), &["exec (spdy)"]).await;
    assert_eq!(
        (spdy.code, spdy.stderr.as_str()),
        (
            1,
            "Error from server (BadRequest): the sandbox serves exec and attach over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io) only, not SPDY/3.1\n"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_exec_is_forbidden_for_a_view_only_service_account() {
    let e = env().await;
    streams_fake::install(&e.cluster);
    streams_fake::running_pod(&e.cluster, "p", &["mysql"]).await;
    for args in [
        &["create", "serviceaccount", "viewer"][..],
        &[
            "create",
            "rolebinding",
            "viewer-view",
            "--clusterrole=view",
            "--serviceaccount=default:viewer",
        ],
    ] {
        let o = e.run(args).await;
        assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
    }
    let token = e.cluster.issue_token("default", "viewer");
    let kubeconfig = e.dir.path().join("viewer-kubeconfig");
    std::fs::write(
        &kubeconfig,
        e.sandbox
            .kubeconfig(&e.listener, &e.cluster, &token, Some("default")),
    )
    .expect("write kubeconfig");

    let exec = Env::finish(
        e.command(&kubeconfig, &["exec", "p", "--", "echo", "hi"])
            .spawn()
            .expect("spawn"),
        &["exec as viewer"],
    )
    .await;
    assert_eq!(
        (exec.code, exec.stderr.as_str()),
        (
            1,
            "Error from server (Forbidden): pods \"p\" is forbidden: User \"system:serviceaccount:default:viewer\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"default\"\n"
        )
    );
    // Logs are readable with `view`.
    let logs = Env::finish(
        e.command(&kubeconfig, &["logs", "p", "--tail=1"])
            .spawn()
            .expect("spawn"),
        &["logs as viewer"],
    )
    .await;
    assert_eq!(
        (logs.code, logs.stdout.as_str()),
        (0, "query ok\n"),
        "{}",
        logs.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_logs_tail_timestamps_limit_follow_and_previous() {
    let e = env().await;
    let fake = streams_fake::install(&e.cluster);
    streams_fake::running_pod(&e.cluster, "p", &["mysql"]).await;

    let all = e.run(&["logs", "p"]).await;
    assert_eq!(
        (all.code, all.stdout.as_str()),
        (0, "starting mysqld\nready for connections\nquery ok\n"),
        "{}",
        all.stderr
    );
    assert_eq!(e.run(&["logs", "p", "--tail=1"]).await.stdout, "query ok\n");
    assert_eq!(
        e.run(&["logs", "p", "--tail=1", "--timestamps"])
            .await
            .stdout,
        "2024-11-26T10:00:02.123456789Z query ok\n"
    );
    assert_eq!(
        e.run(&["logs", "p", "--limit-bytes=12"]).await.stdout,
        "starting mys"
    );
    {
        let seen = fake.seen.lock();
        let req = seen.logs.last().expect("asked");
        assert_eq!(req.limit_bytes, Some(12));
        assert_eq!((req.container.as_str(), req.follow), ("mysql", false));
    }

    // -f streams the followed lines and returns once the container's log ends.
    let follow = e.run(&["logs", "-f", "p"]).await;
    assert_eq!(
        (follow.code, follow.stdout.as_str()),
        (
            0,
            "starting mysqld\nready for connections\nquery ok\nfollow one\nfollow two\n"
        ),
        "{}",
        follow.stderr
    );
    assert!(fake.seen.lock().logs.last().is_some_and(|r| r.follow));

    let previous = e.run(&["logs", "p", "--previous"]).await;
    assert_eq!(
        (previous.code, previous.stderr.as_str()),
        (
            1,
            "Error from server (BadRequest): previous terminated container \"mysql\" in pod \"p\" not found\n"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_logs_of_a_container_that_has_not_started() {
    let e = env().await;
    streams_fake::install(&e.cluster);
    streams_fake::running_pod(&e.cluster, "p", &["mysql", "starting"]).await;
    let o = e.run(&["logs", "p", "-c", "starting"]).await;
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (
            1,
            "Error from server (BadRequest): container \"starting\" in pod \"p\" is waiting to start: ContainerCreating\n"
        )
    );
    // The server names the choices when no container is given (kubectl itself defaults to the
    // first container, so ask through the raw API).
    let raw = e
        .run(&["get", "--raw", "/api/v1/namespaces/default/pods/p/log"])
        .await;
    assert_eq!(
        raw.stderr,
        "Error from server (BadRequest): a container name must be specified for pod p, choose one of: [mysql starting]\n"
    );
}
