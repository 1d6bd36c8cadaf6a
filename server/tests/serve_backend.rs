//! `kubedojo serve --kubeconfig` refuses to start, with one sentence naming what is wrong, when
//! the kubeconfig does not parse, the API server is unreachable, or the server's own account
//! lacks the permissions learner namespaces need.

use std::path::Path;
use std::time::Duration;

use kubedojo_sandbox::{Sandbox, render_kubeconfig};
use tokio::time::timeout;

const BINARY: &str = env!("CARGO_BIN_EXE_kubedojo");

/// Runs `kubedojo serve --kubeconfig PATH` and returns (exit code, the "Error:" line).
async fn serve_with(kubeconfig: &Path) -> (Option<i32>, String) {
    let dir = kubeconfig.parent().unwrap_or_else(|| Path::new("."));
    let kc = kubeconfig.to_string_lossy().into_owned();
    let out = timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(BINARY)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--db",
                ":memory:",
                "--kubeconfig",
                &kc,
            ])
            .current_dir(dir)
            .output(),
    )
    .await
    .expect("serve gives up in time")
    .expect("run kubedojo");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let line = stderr
        .lines()
        .find(|l| l.starts_with("Error:"))
        .unwrap_or_default()
        .to_string();
    (
        out.status.code(),
        format!("{line}\n--- stderr ---\n{stderr}"),
    )
}

#[tokio::test]
async fn serve_refuses_a_kubeconfig_that_does_not_parse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.kubeconfig");
    std::fs::write(&path, "clusters: [ this is not: a kubeconfig\n").expect("write");
    let (code, err) = serve_with(&path).await;
    assert_eq!(code, Some(1), "{err}");
    // One line: the parser's excerpt of the file is not repeated.
    assert!(
        err.contains("unclosed bracket") && !err.contains("-->"),
        "{err}"
    );
    assert!(
        err.starts_with(&format!(
            "Error: refusing to start: the kubeconfig {} cannot be used:",
            path.display()
        )),
        "{err}"
    );
}

#[tokio::test]
async fn serve_refuses_an_unreachable_api_server() {
    let sandbox = Sandbox::default();
    let ca = sandbox.ca_pem().expect("ca");
    // A port nothing listens on any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gone.kubeconfig");
    let server = format!("https://127.0.0.1:{port}");
    std::fs::write(
        &path,
        render_kubeconfig(&server, &ca, "gone", "kd.x.admin.y", None),
    )
    .expect("write");
    let (code, err) = serve_with(&path).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.starts_with(&format!(
            "Error: refusing to start: the Kubernetes API server at {server}/ is unreachable:"
        )),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_an_account_without_the_permissions_it_needs() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sandbox = Sandbox::default();
    let cluster = sandbox.create_cluster();
    let listener = sandbox
        .serve_tls("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("listen");
    // A ServiceAccount nobody bound a role to.
    let token = cluster.issue_token("default", "nobody");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("weak.kubeconfig");
    std::fs::write(
        &path,
        sandbox.kubeconfig(&listener, &cluster, &token, Some("default")),
    )
    .expect("write");
    let (code, err) = serve_with(&path).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.starts_with(
            "Error: refusing to start: the account in the kubeconfig may not create namespaces"
        ),
        "{err}"
    );
}
