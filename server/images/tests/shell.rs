//! End to end: the busybox shell and applets.

mod common;

use common::{Pod, layer, volume};
use kubedojo_images::testing::LocalNet;
use kubedojo_images::{Image, Mount, Signal};
use std::net::Ipv4Addr;
use std::time::Duration;

fn busybox(dir: &std::path::Path, net: &LocalNet) -> Pod {
    let data = volume(dir, "data");
    Pod::new(
        Image::Busybox,
        "box",
        layer(dir, "layer"),
        vec![Mount {
            path: "/data".into(),
            host: data,
            read_only: false,
        }],
        net,
        Ipv4Addr::new(10, 244, 1, 9),
    )
}

async fn sh(pod: &Pod, script: &str) -> (i32, String, String) {
    pod.exec(&["sh", "-c", script]).await
}

#[tokio::test]
async fn lists_pipes_redirects_and_substitution() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let pod = busybox(dir.path(), &net);
    let (code, out, err) = sh(&pod, "echo hello > /data/file && cat /data/file | wc -l; echo \"host=$(hostname)\" 'lit $HOME' ${NOPE:-dflt}").await;
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "1\nhost=box lit $HOME dflt\n", "")
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("data/file")).expect("file on the volume"),
        "hello\n"
    );
    let (code, out, _) = sh(&pod, "for x in a b c; do echo $x >> /data/l; done; grep -c . /data/l; false || echo $?; i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i").await;
    assert_eq!((code, out.as_str()), (0, "3\n1\n3\n"));
    let (code, _, err) = sh(&pod, "foo bar").await;
    assert_eq!((code, err.as_str()), (127, "sh: foo: not found\n"));
    let (code, out, _) = sh(&pod, "ls /nope 2>&1; exit 3").await;
    assert_eq!(
        (code, out.as_str()),
        (3, "ls: /nope: No such file or directory\n")
    );
    let (code, out, _) = sh(&pod, "if [ -f /data/file ]; then echo yes; else echo no; fi; mkdir -p /data/a/b && touch /data/a/b/c && ls /data/a/b; cd /data && pwd; ls | sort").await;
    assert_eq!((code, out.as_str()), (0, "yes\nc\n/data\na\nfile\nl\n"));
    let (_, out, _) = sh(
        &pod,
        "echo -n x; echo -e 'a\\tb'; seq 3 | tail -n 1; head -n 1 /data/l; cat < /data/file",
    )
    .await;
    assert_eq!(out, "xa\tb\n3\na\nhello\n");
}

#[tokio::test]
async fn writing_loop_ends_promptly_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let pod = busybox(dir.path(), &net);
    let mut r = pod.start(
        &[
            "sh",
            "-c",
            "while true; do date >> /data/log; sleep 5; done",
        ],
        None,
        false,
    );
    let log = dir.path().join("data/log");
    tokio::time::timeout(Duration::from_secs(5), async {
        while !log.exists() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("first line written");
    let started = std::time::Instant::now();
    r.process.signal(Signal::Term);
    assert_eq!(r.wait().await.0, 143);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "sleep must not delay termination"
    );
    let mut r = pod.start(
        &["sh", "-c", "echo hello > /data/file && sleep 3600"],
        None,
        false,
    );
    r.process.signal(Signal::Kill);
    assert_eq!(r.wait().await.0, 137);
}

#[tokio::test]
async fn interactive_shell_on_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let pod = busybox(dir.path(), &net);
    let keys = b"echo hi\rls /dat\x7fta\rsleep 100\x03cd /data\rexit 4\r";
    let (code, out, _) = pod.exec_stdin(&["sh"], keys, true).await;
    assert_eq!(code, 4, "{out}");
    assert_eq!(
        out,
        "/ # echo hi\r\nhi\r\n/ # ls /dat\x08 \x08ta\r\n/ # sleep 100^C\r\n/ # cd /data\r\n/data # exit 4\r\n"
    );
}

#[tokio::test]
async fn not_found_is_worded_like_each_images_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let ip = Ipv4Addr::new(10, 244, 1, 20);
    for (image, shell, want) in [
        (Image::Busybox, "sh", "sh: foo: not found\n"),
        (
            Image::Mysql,
            "bash",
            "bash: line 1: foo: command not found\n",
        ),
        (Image::Nginx, "sh", "sh: 1: foo: not found\n"),
        (
            Image::Nginx,
            "bash",
            "bash: line 1: foo: command not found\n",
        ),
    ] {
        let pod = Pod::new(
            image,
            "p",
            layer(dir.path(), &format!("{image:?}-{shell}")),
            vec![],
            &net,
            ip,
        );
        let (code, _, err) = pod.exec(&[shell, "-c", "foo"]).await;
        assert_eq!((code, err.as_str()), (127, want), "{image:?} {shell}");
    }
}

#[tokio::test]
async fn spawn_rejects_programs_the_image_lacks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let pod = busybox(dir.path(), &net);
    let err = kubedojo_images::spawn(
        kubedojo_images::ProcessSpec {
            image: Image::Busybox,
            argv: vec!["mysqld".into()],
            env: vec![],
            workdir: "/".into(),
            hostname: "box".into(),
            fs: pod.fs.clone(),
            net: pod.net.clone(),
            tty: false,
        },
        kubedojo_images::Stdio {
            stdin: None,
            stdout: Box::new(tokio::io::sink()),
            stderr: Box::new(tokio::io::sink()),
        },
    )
    .err()
    .expect("mysqld is not in busybox");
    assert_eq!(
        err.to_string(),
        "exec: \"mysqld\": executable file not found in $PATH"
    );
}

#[tokio::test]
async fn ctrl_c_stops_the_foreground_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let pod = busybox(dir.path(), &net);
    // In an interactive shell: the loop is interrupted, the shell goes on.
    let keys = b"while true; do sleep 1; done\r\x03echo after\rexit\r";
    let (code, out, _) = pod.exec_stdin(&["sh"], keys, true).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "/ # while true; do sleep 1; done\r\n^C\r\n/ # echo after\r\nafter\r\n/ # exit\r\n"
    );
    // `kubectl exec -it pod -- sleep 100` then Ctrl-C.
    let (code, _, _) = pod.exec_stdin(&["sleep", "100"], b"\x03", true).await;
    assert_eq!(code, 130);
    // Without a terminal a 0x03 byte is just data.
    let (code, out, _) = pod.exec_stdin(&["cat"], b"a\x03b", false).await;
    assert_eq!((code, out.as_str()), (0, "a\x03b"));
}

#[tokio::test]
async fn read_loop_consumes_stdin_line_by_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let pod = busybox(dir.path(), &net);
    let (code, out, _) = pod
        .exec_stdin(
            &["sh", "-c", "while read l; do echo \"<$l>\"; done; echo end"],
            b"one\ntwo\n",
            false,
        )
        .await;
    assert_eq!((code, out.as_str()), (0, "<one>\n<two>\nend\n"));
}

#[tokio::test]
async fn here_documents_feed_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let pod = busybox(dir.path(), &net);
    let (code, out, err) = sh(&pod, "X=world; cat <<EOF > /data/h\nhello $X\n'quoted' $(echo sub)\nEOF\ncat <<'RAW'\n$X stays\nRAW\ncat /data/h").await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "$X stays\nhello world\n'quoted' sub\n");
}

#[tokio::test]
async fn terminal_input_is_cooked_for_plain_programs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let net = LocalNet::new();
    let pod = busybox(dir.path(), &net);
    // `kubectl exec -it box -- sh -c 'cat > /data/typed'`: Enter ends lines, DEL erases, Ctrl-D ends.
    let (code, out, _) = pod
        .exec_stdin(
            &["sh", "-c", "cat > /data/typed"],
            b"hello\rwor\x7fld\r\x04",
            true,
        )
        .await;
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("data/typed")).expect("typed file"),
        "hello\nwold\n"
    );
    assert_eq!(out, "hello\r\nwor\x08 \x08ld\r\n");
    // The same inside an interactive shell, then back at the prompt.
    let (code, out, _) = pod
        .exec_stdin(&["sh"], b"cat > /data/t2\rline\r\x04ls /data\rexit\r", true)
        .await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("data/t2")).expect("t2"),
        "line\n"
    );
    assert_eq!(
        out,
        "/ # cat > /data/t2\r\nline\r\n/ # ls /data\r\nt2  typed\r\n/ # exit\r\n"
    );
}
