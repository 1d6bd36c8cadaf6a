//! The learner actions the storage labs added, against a real sandbox cluster: counting rows,
//! reading a file, cordon / drain / uncordon, and losing and restoring a node.

mod support;

use kubedojo_grader::model::Action;
use serde_json::Value;
use support::{LIMIT, started};
use tokio::time::{Instant, sleep, timeout};

fn action(text: &str) -> Action {
    toml::from_str(text).expect("action parses")
}

async fn node(env: &support::Env, name: &str) -> Value {
    env.grader
        .view()
        .get("Node", None, name)
        .await
        .expect("get node")
        .expect("node exists")
}

async fn node_of(env: &support::Env, pod: &str) -> String {
    let p = env
        .grader
        .view()
        .get("Pod", None, pod)
        .await
        .expect("get pod")
        .expect("pod exists");
    p["spec"]["nodeName"]
        .as_str()
        .expect("scheduled")
        .to_string()
}

fn ready(node: &Value) -> Option<String> {
    node["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready")
        .and_then(|c| c["status"].as_str())
        .map(str::to_string)
}

/// Polls until `f` holds, for at most [`LIMIT`].
async fn until<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + LIMIT;
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_rows_and_read_file_show_what_is_there_and_what_is_not() {
    let mut env = started("12-volumeclaimtemplates").await;
    for a in [
        "id = \"count\"\nlabel = \"Count\"\nkind = \"count_rows\"\nname = \"mysql-0\"\ndatabase = \"shop\"\ntable = \"orders\"\n",
        "id = \"insert\"\nlabel = \"Insert\"\nkind = \"insert_rows\"\nname = \"mysql-0\"\ndatabase = \"shop\"\ntable = \"orders\"\nrows = \"4\"\n",
        "id = \"write\"\nlabel = \"Write\"\nkind = \"write_file\"\nname = \"mysql-0\"\npath = \"/var/lib/mysql/note.txt\"\ncontent = \"kept on the claim\"\n",
        "id = \"read\"\nlabel = \"Read\"\nkind = \"read_file\"\nname = \"mysql-0\"\npath = \"/var/lib/mysql/note.txt\"\n",
    ] {
        env.lab.lab.actions.push(action(a));
    }
    let run = |id: &'static str| {
        let (g, lab) = (env.grader.clone(), env.lab.clone());
        async move {
            timeout(LIMIT, g.run_action(&lab, id))
                .await
                .expect("in time")
                .expect("action runs")
        }
    };

    let missing = run("count").await;
    assert_eq!(missing.message, "Pod/mysql-0: shop.orders does not exist");
    let shown = missing.output.expect("output");
    assert!(
        shown.starts_with("mysql> SELECT COUNT(*) FROM shop.orders;\n"),
        "{shown}"
    );
    assert!(shown.contains("doesn't exist"), "{shown}");

    run("insert").await;
    let counted = run("count").await;
    assert_eq!(counted.message, "Pod/mysql-0: 4 rows in shop.orders");
    assert_eq!(
        counted.output.as_deref(),
        Some("mysql> SELECT COUNT(*) FROM shop.orders;\n4")
    );

    let none = run("read").await;
    assert_eq!(
        none.message,
        "Pod/mysql-0 has no file /var/lib/mysql/note.txt"
    );
    run("write").await;
    let read = run("read").await;
    assert_eq!(read.message, "read /var/lib/mysql/note.txt in Pod/mysql-0");
    assert_eq!(read.output.as_deref(), Some("kept on the claim\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cordon_drain_and_uncordon_act_like_kubectl() {
    let mut env = started("12-volumeclaimtemplates").await;
    for a in [
        "id = \"cordon\"\nlabel = \"Cordon\"\nkind = \"cordon\"\nnode = \"kind-worker3\"\n",
        "id = \"uncordon-one\"\nlabel = \"Uncordon\"\nkind = \"uncordon\"\nnode = \"kind-worker3\"\n",
        "id = \"ghost\"\nlabel = \"Cordon\"\nkind = \"cordon\"\nnode = \"kind-worker9\"\n",
    ] {
        env.lab.lab.actions.push(action(a));
    }
    let run = |id: &'static str| {
        let (g, lab) = (env.grader.clone(), env.lab.clone());
        async move {
            timeout(LIMIT, g.run_action(&lab, id))
                .await
                .expect("in time")
        }
    };

    let c = run("cordon").await.expect("cordons");
    assert_eq!(c.message, "cordoned node/kind-worker3");
    assert_eq!(
        node(&env, "kind-worker3").await["spec"]["unschedulable"],
        true
    );
    run("uncordon-one").await.expect("uncordons");
    assert!(node(&env, "kind-worker3").await["spec"]["unschedulable"].is_null());
    let err = run("ghost").await.expect_err("no such node");
    assert!(
        err.to_string().contains("node \"kind-worker9\" not found"),
        "{err}"
    );

    // Drain the node of mysql-1: it is evicted, and its replacement cannot return there (the
    // node is cordoned) nor go elsewhere (its local-path volume lives there), so it waits.
    run("scale-3").await.expect("three ready");
    let drained_node = node_of(&env, "mysql-1").await;
    let uid_before = env
        .grader
        .view()
        .get("Pod", None, "mysql-1")
        .await
        .expect("get")
        .expect("pod")["metadata"]["uid"]
        .clone();
    let d = run("drain-node-of-mysql-1").await.expect("drains");
    assert!(
        d.message
            .starts_with(&format!("drained node/{drained_node}: evicted ")),
        "{}",
        d.message
    );
    assert!(d.message.contains("Pod/mysql-1"), "{}", d.message);
    assert_eq!(
        node(&env, &drained_node).await["spec"]["unschedulable"],
        true
    );
    until("a new mysql-1, Pending", || async {
        let p = env
            .grader
            .view()
            .get("Pod", None, "mysql-1")
            .await
            .ok()
            .flatten();
        p.is_some_and(|p| p["metadata"]["uid"] != uid_before && p["status"]["phase"] == "Pending")
    })
    .await;

    let u = run("uncordon-nodes").await.expect("uncordons every node");
    assert_eq!(u.message, format!("uncordoned node/{drained_node}"));
    until("mysql-1 Ready on its node again", || async {
        let p = env
            .grader
            .view()
            .get("Pod", None, "mysql-1")
            .await
            .ok()
            .flatten();
        p.is_some_and(|p| {
            p["spec"]["nodeName"] == drained_node.as_str()
                && p["status"]["conditions"].as_array().is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c["type"] == "Ready" && c["status"] == "True")
                })
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_refuses_a_bare_pod_like_kubectl_without_force() {
    let mut env = started("10-volume-types").await;
    env.lab.lab.actions.push(action(
        "id = \"drain-worker\"\nlabel = \"Drain\"\nkind = \"drain\"\nnode = \"kind-worker\"\n",
    ));
    // The static PV pins the bare pod `mysql` to kind-worker.
    timeout(
        LIMIT,
        env.grader.apply_file(&env.lab, "manifests/static.yaml"),
    )
    .await
    .expect("in time")
    .expect("applies");
    timeout(LIMIT, env.grader.run_action(&env.lab, "insert-static"))
        .await
        .expect("in time")
        .expect("mysql is up");
    let err = timeout(LIMIT, env.grader.run_action(&env.lab, "drain-worker"))
        .await
        .expect("in time")
        .expect_err("refuses");
    assert!(
        err.to_string().contains(
            "node/kind-worker cordoned, but cannot delete Pods that declare no controller (use --force to override): default/mysql"
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lose_and_restore_node_switch_a_sandbox_node_off_and_on() {
    let env = started("12-volumeclaimtemplates").await;
    let run = |id: &'static str| {
        let (g, lab) = (env.grader.clone(), env.lab.clone());
        async move {
            timeout(LIMIT, g.run_action(&lab, id))
                .await
                .expect("in time")
                .expect("action runs")
        }
    };
    run("scale-3").await;
    let lost = node_of(&env, "mysql-1").await;
    // A pod that tolerates the node's loss for ever stays bound to it, not Ready.
    let stays = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "stays", "namespace": "default"},
        "spec": {
            "nodeName": lost,
            "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}],
            "containers": [{"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 3600"]}]
        }
    });
    env.grader.view().apply(&stays).await.expect("create pod");
    let stays_ready: kubedojo_grader::Task = toml::from_str(
        "id = \"t\"\ntitle = \"t\"\ninstructions = \"x\"\n[[checks]]\nkind = \"pod_ready\"\nname = \"stays\"\n",
    )
    .expect("task");
    env.evaluate_until(&stays_ready, "pod stays Ready", |r| r.passed)
        .await;
    let l = run("lose-node-of-mysql-1").await;
    assert_eq!(l.message, format!("node/{lost} is lost (NotReady)"));
    let r = env
        .evaluate_until(&stays_ready, "the NotReady node's diagnosis", |r| !r.passed)
        .await;
    assert!(
        r.explain().contains(&format!(
            "Pod/stays runs on node {lost}, which is NotReady: its kubelet stopped reporting"
        )),
        "{}",
        r.explain()
    );
    let n = node(&env, &lost).await;
    assert_eq!(ready(&n).as_deref(), Some("Unknown"));
    assert_eq!(
        n["metadata"]["annotations"]["sandbox.kubedojo.dev/power"],
        "off"
    );
    let r = run("restore-nodes").await;
    assert_eq!(r.message, format!("node/{lost} is back (Ready)"));
    assert_eq!(ready(&node(&env, &lost).await).as_deref(), Some("True"));
    // Nothing is off any more: restoring again is a no-op that says so.
    let again = run("restore-nodes").await;
    assert_eq!(again.message, "no node was switched off");
}
