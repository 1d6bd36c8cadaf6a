//! The headline of the course, end to end: rows inserted into a mysql pod survive or vanish
//! with the pod depending on where /var/lib/mysql lives.

mod scenario;

use scenario::{SECRET, env, eventually, mysql_pod};

const INSERT: &str = "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(40)); INSERT INTO shop.orders VALUES (1, 'book'), (2, 'lamp');";
const COUNT: &str = "SELECT COUNT(*) FROM shop.orders";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_volume_the_rows_die_with_the_pod() {
    let e = env().await;
    e.apply(SECRET).await;
    let pod = mysql_pod("mysql", "app: mysql", "", "");
    e.apply(&pod).await;
    e.mysql_ready("mysql").await;
    let out = e.sql("mysql", INSERT).await;
    assert_eq!(out.code, 0, "{out:?}");
    let out = e.sql("mysql", COUNT).await;
    assert_eq!((out.stdout.as_str(), out.code), ("2\n", 0), "{out:?}");

    e.delete_pod("mysql").await;
    e.apply(&pod).await;
    e.mysql_ready("mysql").await;
    let out = e.sql("mysql", COUNT).await;
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("ERROR 1146 (42S02) at line 1: Table 'shop.orders' doesn't exist"), "{out:?}");
    let dbs = e.sql("mysql", "SHOW DATABASES").await.stdout;
    assert!(!dbs.contains("shop"), "{dbs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_dir_also_dies_with_the_pod() {
    let e = env().await;
    e.apply(SECRET).await;
    let pod = mysql_pod(
        "mysql",
        "app: mysql",
        "    volumeMounts:\n    - name: data\n      mountPath: /var/lib/mysql",
        "  volumes:\n  - name: data\n    emptyDir: {}",
    );
    e.apply(&pod).await;
    e.mysql_ready("mysql").await;
    assert_eq!(e.sql("mysql", INSERT).await.code, 0);
    assert_eq!(e.sql("mysql", COUNT).await.stdout, "2\n");
    e.delete_pod("mysql").await;
    e.apply(&pod).await;
    e.mysql_ready("mysql").await;
    let out = e.sql("mysql", COUNT).await;
    assert!(out.stderr.contains("Table 'shop.orders' doesn't exist"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_root_password_mysql_crash_loops_and_says_why() {
    let e = env().await;
    e.apply(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nopass\nspec:\n  containers:\n  - name: mysql\n    image: mysql:8.4\n",
    )
    .await;
    let pods = e.pods();
    eventually("CrashLoopBackOff", || async {
        let st = pods.get("nopass").await.ok()?.status?;
        let cs = st.container_statuses?.into_iter().next()?;
        let waiting = cs.state?.waiting?.reason?;
        (waiting == "CrashLoopBackOff" && cs.restart_count >= 1).then_some(())
    })
    .await;
    let logs = pods
        .logs("nopass", &kube::api::LogParams { previous: true, ..Default::default() })
        .await
        .expect("previous logs");
    assert!(
        logs.contains("Database is uninitialized and password option is not specified"),
        "{logs}"
    );
}
