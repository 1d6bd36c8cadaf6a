//! End to end: the mysql image's entrypoint, server, client and durability on a volume.

mod common;

use common::{Pod, layer, volume};
use kubedojo_images::testing::LocalNet;
use kubedojo_images::{Image, Mount};
use std::net::Ipv4Addr;

fn data_mount(host: std::path::PathBuf) -> Vec<Mount> {
    vec![Mount {
        path: "/var/lib/mysql".into(),
        host,
        read_only: false,
    }]
}

fn mysql_pod(
    base: &std::path::Path,
    name: &str,
    layer_name: &str,
    mounts: Vec<Mount>,
    net: &LocalNet,
    ip: Ipv4Addr,
) -> Pod {
    Pod::new(Image::Mysql, name, layer(base, layer_name), mounts, net, ip)
        .env("MYSQL_ROOT_PASSWORD", "change-me")
        .env("MYSQL_DATABASE", "shop")
        .env("MYSQL_USER", "app")
        .env("MYSQL_PASSWORD", "app-pass")
}

const READY: &str = "ready for connections. Version: '8.4.3'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.";

#[tokio::test]
async fn refuses_to_start_without_a_password_option() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let pod = Pod::new(
        Image::Mysql,
        "mysql-0",
        layer(dir.path(), "l"),
        vec![],
        &net,
        Ipv4Addr::new(10, 244, 1, 5),
    );
    let mut r = pod.start_main();
    assert_eq!(r.wait().await.0, 1);
    let err = r.stderr.text();
    assert!(
        err.contains(
            "[Note] [Entrypoint]: Entrypoint script for MySQL Server 8.4.3-1.el9 started."
        ),
        "{err}"
    );
    assert!(err.contains("[ERROR] [Entrypoint]: Database is uninitialized and password option is not specified\n    You need to specify one of the following as an environment variable:\n    - MYSQL_ROOT_PASSWORD\n    - MYSQL_ALLOW_EMPTY_PASSWORD\n    - MYSQL_RANDOM_ROOT_PASSWORD\n"), "{err}");
    assert!(!pod.fs.exists("/", "/var/lib/mysql/mysql.ibd"));
}

#[tokio::test]
async fn rows_survive_a_new_pod_on_the_same_volume_but_not_on_a_fresh_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let pv = volume(dir.path(), "pv");
    let ip = Ipv4Addr::new(10, 244, 1, 5);

    // First pod: initialises the volume, a row is inserted, then the pod is deleted.
    let pod = mysql_pod(
        dir.path(),
        "mysql-0",
        "layer-1",
        data_mount(pv.clone()),
        &net,
        ip,
    );
    let mut server = pod.start_main();
    server.wait_for(READY).await;
    let log = server.stderr.text();
    assert!(
        log.contains("[Note] [Entrypoint]: Initializing database files"),
        "{log}"
    );
    assert!(
        log.contains("[Note] [Entrypoint]: Creating database shop"),
        "{log}"
    );
    assert!(
        log.contains("[Note] [Entrypoint]: Creating user app"),
        "{log}"
    );
    assert!(
        log.contains("[Note] [Entrypoint]: Giving user app access to schema shop"),
        "{log}"
    );
    let (code, out, err) = pod
        .exec(&["mysql", "-uapp", "-papp-pass", "shop", "-e", "CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(50) NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB; INSERT INTO orders (item) VALUES ('apple'), ('pear');"])
        .await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        err,
        "mysql: [Warning] Using a password on the command line interface can be insecure.\n"
    );
    assert_eq!(server.stop().await.0, 0);
    assert!(
        server
            .stderr
            .text()
            .contains("Shutdown complete (mysqld 8.4.3)")
    );
    assert!(pv.join("shop/db.sqlite").exists());

    // Second pod, new layer, same volume: no init, env passwords ignored, rows still there.
    let pod2 = Pod::new(
        Image::Mysql,
        "mysql-0",
        layer(dir.path(), "layer-2"),
        data_mount(pv.clone()),
        &net,
        Ipv4Addr::new(10, 244, 2, 9),
    )
    .env("MYSQL_ROOT_PASSWORD", "a-different-one");
    let mut server2 = pod2.start_main();
    server2.wait_for(READY).await;
    assert!(
        !server2
            .stderr
            .text()
            .contains("Initializing database files")
    );
    let (code, out, _) = pod2
        .exec(&[
            "mysql",
            "-uroot",
            "-pchange-me",
            "-e",
            "SELECT id, item FROM shop.orders ORDER BY id",
        ])
        .await;
    assert_eq!(code, 0);
    assert_eq!(out, "id\titem\n1\tapple\n2\tpear\n");
    let (code, _, err) = pod2
        .exec(&["mysql", "-uroot", "-pa-different-one", "-e", "SELECT 1"])
        .await;
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: YES)"
        ),
        "{err}"
    );
    server2.stop().await;

    // A pod without the volume (data in its own layer) starts empty.
    let pod3 = mysql_pod(
        dir.path(),
        "mysql-0",
        "layer-3",
        vec![],
        &net,
        Ipv4Addr::new(10, 244, 3, 3),
    );
    let mut server3 = pod3.start_main();
    server3.wait_for(READY).await;
    assert!(
        server3
            .stderr
            .text()
            .contains("Initializing database files")
    );
    let (code, _, err) = pod3
        .exec(&[
            "mysql",
            "-uroot",
            "-pchange-me",
            "shop",
            "-e",
            "SELECT * FROM orders",
        ])
        .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("ERROR 1146 (42S02) at line 1: Table 'shop.orders' doesn't exist"),
        "{err}"
    );
    server3.stop().await;
}

#[tokio::test]
async fn client_formats_errors_and_hostname_through_a_service() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let db_ip = Ipv4Addr::new(10, 244, 1, 5);
    let pod = mysql_pod(dir.path(), "mysql-0", "db", vec![], &net, db_ip);
    net.add_name(
        "mysql.default.svc.cluster.local",
        Ipv4Addr::new(10, 96, 0, 50),
    );
    let mut server = pod.start_main();
    server.wait_for(READY).await;
    // The Service address forwards to the pod.
    if let Ok(l) = kubedojo_images::Network::connect(&*net.pod(db_ip), Ipv4Addr::LOCALHOST, 3306) {
        net.bind(Ipv4Addr::new(10, 96, 0, 50), 3306, l);
    }

    // A client pod (another mysql image) talks to it by Service name.
    let client = Pod::new(
        Image::Mysql,
        "client",
        layer(dir.path(), "client"),
        vec![],
        &net,
        Ipv4Addr::new(10, 244, 2, 2),
    );
    let (code, out, err) = client
        .exec(&[
            "mysql",
            "-h",
            "mysql",
            "-uroot",
            "-pchange-me",
            "-N",
            "-e",
            "SELECT @@hostname",
        ])
        .await;
    assert_eq!((code, out.as_str()), (0, "mysql-0\n"), "{err}");
    let (code, out, _) = client
        .exec(&[
            "mysql",
            "-h",
            "mysql",
            "-uroot",
            "-pchange-me",
            "-e",
            "SELECT @@hostname, VERSION()",
        ])
        .await;
    assert_eq!(code, 0);
    assert_eq!(out, "@@hostname\tVERSION()\nmysql-0\t8.4.3\n");
    let (code, out, _) = client
        .exec(&[
            "mysql",
            "-h",
            "mysql",
            "-uroot",
            "-pchange-me",
            "--table",
            "-e",
            "SHOW DATABASES",
        ])
        .await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "+--------------------+\n| Database           |\n+--------------------+\n| information_schema |\n| mysql              |\n| performance_schema |\n| shop               |\n| sys                |\n+--------------------+\n"
    );

    let (code, _, err) = client
        .exec(&[
            "mysql",
            "-h",
            "nope",
            "-uroot",
            "-pchange-me",
            "-e",
            "SELECT 1",
        ])
        .await;
    assert_eq!(code, 1);
    assert!(
        err.ends_with("ERROR 2005 (HY000): Unknown MySQL server host 'nope' (-2)\n"),
        "{err}"
    );
    net.add_name(
        "down.default.svc.cluster.local",
        Ipv4Addr::new(10, 96, 0, 99),
    );
    let (_, _, err) = client
        .exec(&[
            "mysql",
            "-h",
            "down",
            "-uroot",
            "-pchange-me",
            "-e",
            "SELECT 1",
        ])
        .await;
    assert!(
        err.ends_with("ERROR 2003 (HY000): Can't connect to MySQL server on 'down:3306' (111)\n"),
        "{err}"
    );
    let (_, _, err) = client
        .exec(&["mysql", "-uroot", "-pchange-me", "-e", "SELECT 1"])
        .await;
    assert!(err.ends_with("ERROR 2002 (HY000): Can't connect to local MySQL server through socket '/var/run/mysqld/mysqld.sock' (2)\n"), "{err}");

    let sql = |q: &str| {
        vec![
            "mysql".to_string(),
            "-uroot".into(),
            "-pchange-me".into(),
            "-e".into(),
            q.to_string(),
        ]
    };
    for (q, want) in [
        (
            "USE nope",
            "ERROR 1049 (42000) at line 1: Unknown database 'nope'",
        ),
        (
            "CREATE DATABASE shop",
            "ERROR 1007 (HY000) at line 1: Can't create database 'shop'; database exists",
        ),
        (
            "SELEC 1",
            "ERROR 1064 (42000) at line 1: You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near 'SELEC 1' at line 1",
        ),
        (
            "SELECT * FROM t",
            "ERROR 1046 (3D000) at line 1: No database selected",
        ),
    ] {
        let argv = sql(q);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let (code, _, err) = pod.exec(&argv).await;
        assert_eq!(code, 1, "{q}");
        assert!(err.contains(want), "{q}: {err}");
    }

    // mysqladmin ping, as a readiness probe uses it.
    let (code, out, _) = pod
        .exec(&["mysqladmin", "ping", "-uroot", "-pchange-me"])
        .await;
    assert_eq!((code, out.as_str()), (0, "mysqld is alive\n"));
    let (code, out, _) = pod
        .exec(&["mysqladmin", "-uroot", "-pchange-me", "status"])
        .await;
    assert_eq!(code, 0);
    assert!(
        out.starts_with("Uptime: ") && out.contains("  Threads: 1  Questions: "),
        "{out}"
    );
    // A heredoc script through bash in the mysql image, like a learner would type it.
    let (code, out, err) = pod
        .exec(&["bash", "-c", "mysql -uroot -pchange-me -N shop <<EOF\nCREATE TABLE IF NOT EXISTS n (v INT);\nINSERT INTO n VALUES (41 + 1);\nSELECT v FROM n;\nEOF"])
        .await;
    assert_eq!((code, out.as_str()), (0, "42\n"), "{err}");
    server.stop().await;
    let (code, _, err) = pod.exec(&["mysqladmin", "ping"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("Can't connect to local MySQL server"), "{err}");
}

#[tokio::test]
async fn interactive_client_on_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let pod = mysql_pod(
        dir.path(),
        "mysql-0",
        "db",
        vec![],
        &net,
        Ipv4Addr::new(10, 244, 1, 5),
    );
    let mut server = pod.start_main();
    server.wait_for(READY).await;
    let keys = b"change-me\rUSE shop;\rCREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10));\rINSERT INTO t VALUES (1, 'a'), (2, NULL);\rSELECT * FROM t\r;\rexit\r";
    let (code, out, _) = pod.exec_stdin(&["mysql", "-uroot", "-p"], keys, true).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with(
            "Enter password: \r\n\r\nWelcome to the MySQL monitor.  Commands end with ; or \\g.\r\n"
        ),
        "{out:?}"
    );
    assert!(!out.contains("change-me"), "password must not be echoed");
    assert!(
        out.contains("mysql> USE shop;\r\nDatabase changed\r\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "Query OK, 2 rows affected (0.00 sec)\r\nRecords: 2  Duplicates: 0  Warnings: 0\r\n"
        ),
        "{out}"
    );
    assert!(out.contains("mysql> SELECT * FROM t\r\n    -> ;\r\n+----+------+\r\n| id | name |\r\n+----+------+\r\n|  1 | a    |\r\n|  2 | NULL |\r\n+----+------+\r\n2 rows in set (0.00 sec)\r\n"), "{out}");
    assert!(out.ends_with("mysql> exit\r\nBye\r\n"), "{out}");
    // `kubectl exec -it mysql-0 -- mysql -uroot -p -e ...`: the password is not echoed.
    let (code, out, _) = pod
        .exec_stdin(
            &["mysql", "-uroot", "-p", "-e", "SELECT 1 AS one"],
            b"change-me\r",
            true,
        )
        .await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "Enter password: \r\n+-----+\r\n| one |\r\n+-----+\r\n|   1 |\r\n+-----+\r\n"
    );
    server.stop().await;
}

#[tokio::test]
async fn random_root_password_and_sql_dialect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let pod = Pod::new(
        Image::Mariadb,
        "maria-0",
        layer(dir.path(), "db"),
        vec![],
        &net,
        Ipv4Addr::new(10, 244, 1, 7),
    )
    .env("MARIADB_RANDOM_ROOT_PASSWORD", "1")
    .env("MARIADB_DATABASE", "shop")
    .env("MARIADB_USER", "app")
    .env("MARIADB_PASSWORD", "pw");
    let mut server = pod.start_main();
    server.wait_for("mariadbd: ready for connections.").await;
    let out = server.stdout.text();
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("GENERATED ROOT PASSWORD: "))
        .expect("generated password printed")
        .to_string();
    let p = format!("-p{password}");
    let (code, out, err) = pod
        .exec(&[
            "mariadb",
            "-uroot",
            &p,
            "-N",
            "-e",
            "SELECT DATABASE(), CURRENT_USER()",
        ])
        .await;
    assert_eq!((code, out.as_str()), (0, "NULL\troot@localhost\n"), "{err}");
    let script = "CREATE TABLE IF NOT EXISTS `items` (`id` int NOT NULL AUTO_INCREMENT, `name` varchar(20) DEFAULT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\
        INSERT INTO items (name) VALUES ('a'),('b'),('c');\n\
        UPDATE items SET name = 'B' WHERE id = 2;\n\
        DELETE FROM items WHERE id = 3;\n\
        SELECT COUNT(*) FROM items;\n\
        SELECT name FROM items ORDER BY id DESC LIMIT 1;\n\
        SHOW TABLES;\n\
        DESCRIBE items;\n";
    let (code, out, err) = pod
        .exec_stdin(
            &["mariadb", "-uapp", "-ppw", "shop"],
            script.as_bytes(),
            false,
        )
        .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "COUNT(*)\n2\nname\nB\nTables_in_shop\nitems\nField\tType\tNull\tKey\tDefault\tExtra\nid\tint\tNO\tPRI\tNULL\tauto_increment\nname\tvarchar(20)\tYES\t\tNULL\t\n"
    );
    // app has no rights on other databases.
    let (code, _, err) = pod
        .exec(&["mariadb", "-uapp", "-ppw", "-e", "CREATE DATABASE other"])
        .await;
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "ERROR 1044 (42000) at line 1: Access denied for user 'app'@'%' to database 'other'"
        ),
        "{err}"
    );
    server.stop().await;
}
