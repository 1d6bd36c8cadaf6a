//! Start-up and statement timings of the simulated mysql image (plain `Instant`, no harness).
//!
//! `cargo bench -p kubedojo-images` prints the median of several runs of:
//! - mysqld via the entrypoint on an empty data dir (init + ready for connections),
//! - mysqld on an already initialised data dir,
//! - one INSERT through a server session (autocommit, in the file when it returns),
//! - one `mysql -e "INSERT ..."` client process (spawn + connect + auth + INSERT).

use kubedojo_images::mysql::{Flavor, Server};
use kubedojo_images::testing::{Capture, LocalNet};
use kubedojo_images::{ContainerFs, Image, Mount, Network, ProcessSpec, Signal, Stdio, spawn};
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn spec(fs: &Arc<ContainerFs>, net: Arc<dyn Network>, argv: &[&str]) -> ProcessSpec {
    ProcessSpec {
        image: Image::Mysql,
        argv: argv.iter().map(|s| s.to_string()).collect(),
        env: vec![
            ("MYSQL_ROOT_PASSWORD".into(), "change-me".into()),
            ("MYSQL_DATABASE".into(), "shop".into()),
            ("MYSQL_USER".into(), "app".into()),
            ("MYSQL_PASSWORD".into(), "pw".into()),
        ],
        workdir: "/".into(),
        hostname: "mysql-0".into(),
        fs: fs.clone(),
        net,
        tty: false,
    }
}

fn stdio() -> Stdio {
    Stdio {
        stdin: None,
        stdout: Capture::new().writer(),
        stderr: Capture::new().writer(),
    }
}

/// Start mysqld on `pv` and return the time until port 3306 accepts connections.
async fn start_mysqld(
    base: &Path,
    layer: &str,
    pv: &Path,
    ip: Ipv4Addr,
) -> (Duration, kubedojo_images::Process) {
    let root = base.join(layer);
    std::fs::create_dir_all(&root).expect("layer");
    let fs = ContainerFs::new(
        root,
        vec![Mount {
            path: "/var/lib/mysql".into(),
            host: pv.to_path_buf(),
            read_only: false,
        }],
    );
    Image::Mysql.populate(&fs).expect("populate");
    let fs = Arc::new(fs);
    let net = LocalNet::new();
    let pod = net.pod(ip);
    let start = Instant::now();
    let process = spawn(
        spec(&fs, pod.clone(), &["docker-entrypoint.sh", "mysqld"]),
        stdio(),
    )
    .expect("spawn");
    while pod.connect(Ipv4Addr::LOCALHOST, 3306).is_err() {
        assert!(process.try_status().is_none(), "mysqld exited");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "mysqld did not become ready"
        );
        tokio::task::yield_now().await;
    }
    (start.elapsed(), process)
}

async fn run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut init = Vec::new();
    let mut restart = Vec::new();
    for i in 0..15 {
        let pv = dir.path().join(format!("pv-{i}"));
        std::fs::create_dir_all(&pv).expect("pv");
        let (t, mut p) = start_mysqld(
            dir.path(),
            &format!("a-{i}"),
            &pv,
            Ipv4Addr::new(10, 0, 0, 1),
        )
        .await;
        init.push(t);
        p.signal(Signal::Term);
        p.wait().await;
        let (t, mut p) = start_mysqld(
            dir.path(),
            &format!("b-{i}"),
            &pv,
            Ipv4Addr::new(10, 0, 0, 1),
        )
        .await;
        restart.push(t);
        p.signal(Signal::Term);
        p.wait().await;
    }
    println!(
        "mysqld start, empty data dir (init):    median {:?}",
        median(init)
    );
    println!(
        "mysqld start, initialised data dir:     median {:?}",
        median(restart)
    );

    // One INSERT through a session.
    let pv = dir.path().join("pv-insert");
    std::fs::create_dir_all(&pv).expect("pv");
    let (_, mut p) = start_mysqld(dir.path(), "c", &pv, Ipv4Addr::new(10, 0, 0, 2)).await;
    let fs = Arc::new(ContainerFs::new(
        dir.path().join("c"),
        vec![Mount {
            path: "/var/lib/mysql".into(),
            host: pv.clone(),
            read_only: false,
        }],
    ));
    let server =
        Server::open(Flavor::Mysql, "mysql-0", fs.clone(), "/var/lib/mysql").expect("open");
    let mut session = server
        .connect("root", "change-me", Some("shop"))
        .expect("connect");
    session
        .query("CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(50))")
        .expect("create");
    let mut inserts = Vec::new();
    for i in 0..200 {
        let t = Instant::now();
        session
            .query(&format!("INSERT INTO orders (item) VALUES ('item {i}')"))
            .expect("insert");
        inserts.push(t.elapsed());
    }
    println!(
        "INSERT via session (autocommit):        median {:?}",
        median(inserts)
    );

    // One `mysql -e` client process against the running server.
    let net = LocalNet::new();
    let pod = net.pod(Ipv4Addr::new(10, 0, 0, 3));
    let _guard = pod
        .listen(3306, kubedojo_images::Listener::Mysql(server.clone()))
        .expect("listen");
    let mut clients = Vec::new();
    for i in 0..50 {
        let t = Instant::now();
        let sql = format!("INSERT INTO orders (item) VALUES ('client {i}')");
        let mut c = spawn(
            spec(
                &fs,
                pod.clone(),
                &["mysql", "-uroot", "-pchange-me", "shop", "-e", &sql],
            ),
            stdio(),
        )
        .expect("spawn client");
        let code = c.wait().await;
        assert_eq!(code.0, 0);
        clients.push(t.elapsed());
    }
    println!(
        "`mysql -e INSERT` client process:       median {:?}",
        median(clients)
    );
    p.signal(Signal::Term);
    p.wait().await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}
