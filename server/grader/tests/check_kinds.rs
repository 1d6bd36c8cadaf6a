//! The check kinds and actions the shipped labs do not exercise, against a real sandbox
//! cluster: each one passes on the right state and fails (with its explanation) on the wrong one.

mod support;

use kubedojo_grader::model::Action;
use kubedojo_grader::{Status, Task};
use std::time::Duration;
use support::{LIMIT, started};
use tokio::time::timeout;

fn task(checks: &str) -> Task {
    toml::from_str(&format!(
        "id = \"t\"\ntitle = \"t\"\ninstructions = \"x\"\n{checks}"
    ))
    .expect("task parses")
}

fn action(text: &str) -> Action {
    toml::from_str(text).expect("action parses")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_kind_passes_and_fails_where_it_should() {
    let mut env = started("16-troubleshooting").await;
    let fix = env.task("no-endpoints");
    timeout(LIMIT, env.grader.apply_solution(&env.lab, &fix))
        .await
        .expect("in time")
        .expect("fix applies");

    let good = task(
        r#"
[[checks]]
kind = "pvc_bound_to"
claim = "data-mysql-0"
storage_class = "standard"
reclaim_policy = "Delete"
[[checks]]
kind = "absent"
resource = "Pod"
name = "nope"
[[checks]]
kind = "exists"
resource = "pod"
selector = "app=mysql"
[[checks]]
kind = "field"
resource = "Pod"
selector = "app=mysql"
path = "spec.containers[*].ports[*].containerPort"
op = "one_of"
value = [3306, 3307]
[[checks]]
kind = "field"
resource = "StatefulSet"
name = "mysql"
path = "spec.replicas"
op = "le"
value = 1
[[checks]]
kind = "statefulset_headless"
statefulset = "mysql"
[[checks]]
kind = "exec"
name = "mysql-0"
command = ["sh", "-c", "echo hello"]
stdout = { op = "matches", value = "^hel+o$" }
[[checks]]
kind = "dns"
name = "mysql-primary"
[[checks]]
kind = "survives_deletion"
name = "mysql-0"
marker = "file"
path = "/var/lib/mysql/marker.txt"
"#,
    );
    let r = env
        .evaluate_until(&good, "every check to pass", |r| r.passed)
        .await;
    assert!(
        r.checks.iter().all(|c| c.status == Status::Pass),
        "{}",
        r.explain()
    );

    let bad = task(
        r#"
[[checks]]
kind = "pvc_bound_to"
claim = "data-mysql-0"
reclaim_policy = "Retain"
[[checks]]
kind = "absent"
resource = "Pod"
name = "mysql-0"
[[checks]]
kind = "field"
resource = "Pod"
name = "mysql-0"
path = "spec.containers[*]"
op = "count"
value = 2
[[checks]]
kind = "statefulset_headless"
statefulset = "nope"
"#,
    );
    let r = env.grader.evaluate_task(&bad).await;
    let text = r.explain();
    assert!(r.checks.iter().all(|c| c.status == Status::Fail), "{text}");
    for want in [
        "its reclaim policy is `Delete`, not `Retain`",
        "Pod/mysql-0 still exists: mysql-0",
        "expected count 2, found 1 value(s)",
        "StatefulSet/nope does not exist",
    ] {
        assert!(text.contains(want), "no `{want}` in:\n{text}");
    }

    // A probe on a wrong state: a name that does not exist anywhere.
    let dns = task("[[checks]]\nkind = \"dns\"\nname = \"nope\"\n");
    let r = timeout(LIMIT, env.grader.evaluate_task(&dns))
        .await
        .expect("in time");
    assert!(!r.passed);
    assert!(
        r.explain()
            .contains("There is no Service `nope` in namespace `default`"),
        "{}",
        r.explain()
    );

    // Actions: scale and write a file.
    env.lab.lab.actions.push(action(
        "id = \"scale\"\nlabel = \"Scale\"\nkind = \"scale\"\nresource = \"StatefulSet\"\nname = \"mysql\"\nreplicas = \"2\"\n",
    ));
    env.lab.lab.actions.push(action(
        "id = \"write\"\nlabel = \"Write\"\nkind = \"write_file\"\nname = \"mysql-0\"\npath = \"/tmp/note\"\ncontent = \"it's here\"\n",
    ));
    timeout(LIMIT, env.grader.run_action(&env.lab, "scale"))
        .await
        .expect("in time")
        .expect("scales");
    let two = task(
        "[[checks]]\nkind = \"replicas_ready\"\nresource = \"StatefulSet\"\nname = \"mysql\"\n[[checks]]\nkind = \"pod_ready\"\nname = \"mysql-1\"\n",
    );
    env.evaluate_until(&two, "two ready replicas", |r| r.passed)
        .await;
    timeout(LIMIT, env.grader.run_action(&env.lab, "write"))
        .await
        .expect("in time")
        .expect("writes");
    let note = task(
        "[[checks]]\nkind = \"exec\"\nname = \"mysql-0\"\ncommand = [\"cat\", \"/tmp/note\"]\nstdout = { op = \"equals\", value = \"it's here\" }\n",
    );
    let r = timeout(Duration::from_secs(30), env.grader.evaluate_task(&note))
        .await
        .expect("in time");
    assert!(r.passed, "{}", r.explain());
}
