//! End to end: nginx, wget, curl and nslookup over the fake network.

mod common;

use common::{Pod, layer};
use kubedojo_images::Image;
use kubedojo_images::testing::LocalNet;
use std::net::Ipv4Addr;

#[tokio::test]
async fn nslookup_prints_like_busybox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    net.add_name(
        "mysql.default.svc.cluster.local",
        Ipv4Addr::new(10, 96, 123, 45),
    );
    let pod = Pod::new(
        Image::Busybox,
        "box",
        layer(dir.path(), "l"),
        vec![],
        &net,
        Ipv4Addr::new(10, 244, 1, 2),
    );
    let (code, out, _) = pod.exec(&["nslookup", "mysql"]).await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tmysql.default.svc.cluster.local\nAddress: 10.96.123.45\n\n"
    );
    let (code, out, _) = pod.exec(&["nslookup", "nope"]).await;
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find nope.default.svc.cluster.local: NXDOMAIN\n\n"
    );
}

#[tokio::test]
async fn nginx_serves_and_wget_fetches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let web_ip = Ipv4Addr::new(10, 244, 1, 3);
    let web = Pod::new(
        Image::Nginx,
        "web-abc",
        layer(dir.path(), "web"),
        vec![],
        &net,
        web_ip,
    );
    let mut server = web.start_main();
    server.wait_for("start worker processes").await;
    assert!(
        server
            .stdout
            .text()
            .contains("/docker-entrypoint.sh: Configuration complete; ready for start up\n")
    );
    net.add_name(
        "web.default.svc.cluster.local",
        Ipv4Addr::new(10, 96, 0, 20),
    );
    let listener = web
        .net
        .connect(Ipv4Addr::LOCALHOST, 80)
        .expect("nginx listens on 80");
    net.bind(Ipv4Addr::new(10, 96, 0, 20), 80, listener);

    let client = Pod::new(
        Image::Busybox,
        "box",
        layer(dir.path(), "box"),
        vec![],
        &net,
        Ipv4Addr::new(10, 244, 1, 4),
    );
    let (code, out, _) = client.exec(&["wget", "-qO-", "http://web"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("<h1>Welcome to nginx!</h1>"), "{out}");
    let (code, _, err) = client.exec(&["wget", "-qO-", "http://web/missing"]).await;
    assert_eq!(
        (code, err.as_str()),
        (1, "wget: server returned error: HTTP/1.1 404 Not Found\n")
    );
    let (code, _, err) = client.exec(&["wget", "-qO-", "http://nope"]).await;
    assert_eq!((code, err.as_str()), (1, "wget: bad address 'nope'\n"));
    net.add_name(
        "down.default.svc.cluster.local",
        Ipv4Addr::new(10, 96, 0, 21),
    );
    let (code, _, err) = client
        .exec(&["wget", "-q", "-O", "/tmp/x", "http://down:8080/"])
        .await;
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "wget: can't connect to remote host (10.96.0.21): Connection refused\n"
        )
    );
    let (code, _, _) = client
        .exec(&["wget", "-q", "-O", "/tmp/page.html", "http://web/"])
        .await;
    assert_eq!(code, 0);
    assert!(
        client
            .fs
            .read_string("/", "/tmp/page.html")
            .expect("saved")
            .contains("Welcome to nginx!")
    );

    // The access log: one combined-format line per request.
    let log = server.stdout.text();
    assert!(
        log.contains("\"GET / HTTP/1.1\" 200 615 \"-\" \"Wget\" \"-\""),
        "{log}"
    );
    assert!(log.contains("\"GET /missing HTTP/1.1\" 404"), "{log}");

    // curl inside the nginx image, against itself.
    web.fs
        .write("/", "/usr/share/nginx/html/index.html", b"pod web-abc\n")
        .expect("write page");
    let (code, out, _) = web.exec(&["curl", "-s", "http://localhost/"]).await;
    assert_eq!((code, out.as_str()), (0, "pod web-abc\n"));
    assert_eq!(server.stop().await.0, 0);
    assert!(
        server
            .stderr
            .text()
            .contains("signal 15 (SIGTERM) received, exiting")
    );
}
