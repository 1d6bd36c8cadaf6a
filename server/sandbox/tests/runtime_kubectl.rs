//! Node operations and the course's headline through the real kubectl: cordon and drain
//! (DaemonSet pods stay, a Deployment's pods move), and the StatefulSet life cycle with
//! `kubectl exec` into mysql.

mod scenario;

use scenario::{Kubectl, SECRET, env, eventually, mysql_statefulset};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cordon_and_drain_move_a_deployment_off_a_node() {
    let e = env().await;
    let k = Kubectl::new(&e);
    k.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "--replicas=3",
    ])
    .await;
    k.ok(&["rollout", "status", "deployment/web", "--timeout=20s"])
        .await;
    let ds = k
        .ok(&["get", "ds", "-n", "kube-system", "--no-headers"])
        .await;
    let proxy: Vec<&str> = ds
        .lines()
        .find(|l| l.starts_with("kube-proxy"))
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    assert_eq!(
        proxy.get(1..6),
        Some(&["4", "4", "4", "4", "4"][..]),
        "{ds}"
    );

    assert_eq!(
        k.ok(&["cordon", "kind-worker"]).await,
        "node/kind-worker cordoned\n"
    );
    let nodes = k.ok(&["get", "nodes", "--no-headers"]).await;
    assert!(
        nodes.lines().any(|l| l
            .split_whitespace()
            .take(2)
            .eq(["kind-worker", "Ready,SchedulingDisabled"])),
        "{nodes}"
    );

    // Without --ignore-daemonsets kubectl refuses, like on kind.
    let refused = k.run(&["drain", "kind-worker", "--timeout=20s"]).await;
    assert_ne!(refused.code, 0);
    assert!(
        refused
            .stderr
            .contains("cannot delete DaemonSet-managed Pods"),
        "{refused:?}"
    );
    let drained = k
        .run(&[
            "drain",
            "kind-worker",
            "--ignore-daemonsets",
            "--timeout=30s",
        ])
        .await;
    assert_eq!(drained.code, 0, "{drained:?}");
    assert!(
        drained.stdout.contains("node/kind-worker drained"),
        "{drained:?}"
    );

    k.ok(&["rollout", "status", "deployment/web", "--timeout=20s"])
        .await;
    let wide = k
        .ok(&["get", "pods", "-l", "app=web", "-o", "wide", "--no-headers"])
        .await;
    assert_eq!(wide.lines().count(), 3, "{wide}");
    assert!(
        !wide.contains("kind-worker "),
        "no web pod left on the drained node: {wide}"
    );
    let proxies = k
        .ok(&[
            "get",
            "pods",
            "-n",
            "kube-system",
            "-l",
            "k8s-app=kube-proxy",
            "-o",
            "wide",
            "--no-headers",
        ])
        .await;
    assert!(
        proxies.contains("kind-worker "),
        "the DaemonSet pod stays: {proxies}"
    );
    assert_eq!(
        k.ok(&["uncordon", "kind-worker"]).await,
        "node/kind-worker uncordoned\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statefulset_life_cycle_through_kubectl() {
    let e = env().await;
    let k = Kubectl::new(&e);
    e.apply(SECRET).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = dir.path().join("mysql.yaml");
    std::fs::write(&manifest, mysql_statefulset(2, true)).expect("write manifest");
    let path = manifest.to_string_lossy().to_string();
    assert_eq!(
        k.ok(&["apply", "-f", &path]).await,
        "service/mysql created\nstatefulset.apps/mysql created\n"
    );
    k.ok(&["rollout", "status", "statefulset/mysql", "--timeout=30s"])
        .await;
    let pvcs = k
        .ok(&[
            "get",
            "pvc",
            "--no-headers",
            "-o",
            "custom-columns=N:.metadata.name,S:.status.phase",
        ])
        .await;
    assert_eq!(pvcs, "data-mysql-0   Bound\ndata-mysql-1   Bound\n");
    let sql = |q: &'static str| {
        let k = &k;
        async move {
            k.run(&[
                "exec",
                "mysql-0",
                "--",
                "mysql",
                "-uroot",
                "-pchange-me",
                "-N",
                "-e",
                q,
            ])
            .await
        }
    };
    let created = sql(
        "CREATE DATABASE shop; CREATE TABLE shop.t (id INT); INSERT INTO shop.t VALUES (1),(2),(3)",
    )
    .await;
    assert_eq!(created.code, 0, "{created:?}");

    assert_eq!(
        k.ok(&["delete", "pod", "mysql-0"]).await,
        "pod \"mysql-0\" deleted\n"
    );
    k.ok(&["rollout", "status", "statefulset/mysql", "--timeout=30s"])
        .await;
    eventually("mysql-0 answers again", || async {
        let r = sql("SELECT COUNT(*) FROM shop.t").await;
        (r.code == 0).then_some(r.stdout)
    })
    .await
    .eq("3\n")
    .then_some(())
    .expect("the rows survived on the claim");

    // DNS names of the pods behind the headless Service, from inside the cluster.
    let r = k
        .run(&[
            "exec",
            "mysql-1",
            "--",
            "mysql",
            "-h",
            "mysql-0.mysql",
            "-uroot",
            "-pchange-me",
            "-N",
            "-e",
            "SELECT @@hostname",
        ])
        .await;
    assert_eq!((r.code, r.stdout.as_str()), (0, "mysql-0\n"), "{r:?}");

    // Scale down: the highest ordinal goes, its claim stays.
    k.ok(&["scale", "statefulset/mysql", "--replicas=1"]).await;
    eventually("mysql-1 gone", || async {
        let r = k.run(&["get", "pod", "mysql-1"]).await;
        (r.code != 0).then_some(())
    })
    .await;
    let pvcs = k
        .ok(&[
            "get",
            "pvc",
            "--no-headers",
            "-o",
            "custom-columns=N:.metadata.name",
        ])
        .await;
    assert_eq!(pvcs, "data-mysql-0\ndata-mysql-1\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_run_attaches_to_a_throwaway_pod_and_removes_it() {
    let e = env().await;
    let k = Kubectl::new(&e);
    let r = k
        .run(&[
            "run",
            "once",
            "-i",
            "--rm",
            "--restart=Never",
            "--image=busybox:1.36",
            "--",
            "sh",
            "-c",
            "echo hello from $(hostname)",
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("hello from once"), "{r:?}");
    assert!(r.stdout.contains("pod \"once\" deleted"), "{r:?}");
    let gone = k.run(&["get", "pod", "once"]).await;
    assert_ne!(gone.code, 0, "the pod is removed: {gone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_and_events_tell_the_story_of_a_crash_loop() {
    let e = env().await;
    let k = Kubectl::new(&e);
    k.ok(&[
        "run",
        "crash",
        "--image=busybox:1.36",
        "--",
        "sh",
        "-c",
        "echo boom; exit 3",
    ])
    .await;
    eventually("CrashLoopBackOff", || async {
        let r = k.run(&["get", "pod", "crash", "--no-headers"]).await;
        r.stdout.contains("CrashLoopBackOff").then_some(())
    })
    .await;
    // NB: at instant pace a back-off lasts milliseconds, so by the time `describe` runs the
    // container may be running again; describe until it is caught waiting (the back-off
    // doubles with every restart, so it soon is).
    let describe = eventually("describe during a back-off", || async {
        let d = k.ok(&["describe", "pod", "crash"]).await;
        d.contains("State:          Waiting").then_some(d)
    })
    .await;
    for needle in [
        "State:          Waiting",
        "Reason:       CrashLoopBackOff",
        "Last State:     Terminated",
        "Exit Code:    3",
        "Back-off restarting failed container crash",
        "Successfully assigned default/crash to kind-worker",
    ] {
        assert!(
            describe.contains(needle),
            "missing {needle:?} in\n{describe}"
        );
    }
    let logs = k.ok(&["logs", "crash", "--previous"]).await;
    assert_eq!(logs, "boom\n");
}
