//! The `kubedojo` binary's commands, run as a user runs them.

use std::path::Path;
use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_kubedojo");

fn kubedojo(args: &[&str], dir: &Path) -> Output {
    Command::new(BINARY)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BINARY}: {e}"))
}

fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| Path::new("."))
}

fn write_lesson(dir: &Path, folder: &str, text: &str) {
    let folder = dir.join(folder);
    std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("mkdir: {e}"));
    std::fs::write(folder.join("lesson.md"), text).unwrap_or_else(|e| panic!("write: {e}"));
}

#[test]
fn lessons_check_passes_on_the_course() {
    let out = kubedojo(&["lessons", "check"], repository_root());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("18 lessons OK"), "{stdout}");
}

#[test]
fn lessons_check_names_file_and_line_and_fails() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write_lesson(
        dir.path(),
        "01-broken",
        "+++\ntitle = \"Broken\"\nsummary = \"S\"\nobjectives = [\"o\"]\nestimated_minutes = 10\ntags = [\"t\"]\ncolour = \"red\"\n+++\n\nShort.\n\n```yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx\n    imagePullPolicy: Always\n    volumeMount: []\n```\n",
    );
    let out = kubedojo(&["lessons", "check", "."], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("./01-broken/lesson.md:7: front matter: unknown field `colour`"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "./01-broken/lesson.md:22: Pod: unknown field \"spec.containers[0].volumeMount\""
        ),
        "{stdout}"
    );
    assert!(stdout.contains("words of prose"), "{stdout}");
}

#[test]
fn serve_refuses_a_broken_course_naming_the_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write_lesson(dir.path(), "01-broken", "no front matter here\n");
    let lessons = dir.path().to_string_lossy().into_owned();
    let out = kubedojo(
        &[
            "serve",
            "--lessons",
            &lessons,
            "--addr",
            "127.0.0.1:0",
            "--db",
            ":memory:",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("refusing to start"), "{stderr}");
    assert!(stderr.contains("01-broken/lesson.md:1:"), "{stderr}");
}

#[test]
fn serve_refuses_to_start_without_the_bundle() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let out = kubedojo(
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--db",
            ":memory:",
            "--site-root",
            "nowhere",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("nowhere/pkg/kubedojo.wasm is missing"),
        "{stderr}"
    );
}

#[test]
fn every_command_has_help() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["lessons", "check", "--help"],
    ] {
        let out = kubedojo(args, repository_root());
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage: kubedojo"),
            "{args:?}"
        );
    }
}

/// `kubedojo sandbox` writes a kubeconfig once it serves, and the real kubectl can use it.
#[test]
fn sandbox_serves_kubectl_with_the_written_kubeconfig() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let kubeconfig = dir.path().join("sandbox.kubeconfig");
    let mut child = Command::new(BINARY)
        .args(["sandbox", "--write-kubeconfig"])
        .arg(&kubeconfig)
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the sandbox: {e}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !kubeconfig.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["get", "namespaces", "-o", "name", "--request-timeout=10s"])
        .env("HOME", dir.path())
        .output();
    let _ = child.kill();
    let _ = child.wait();
    let out = out.unwrap_or_else(|e| panic!("cannot run kubectl: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "namespace/default",
            "namespace/kube-node-lease",
            "namespace/kube-public",
            "namespace/kube-system",
            "namespace/local-path-storage"
        ]
    );
}
