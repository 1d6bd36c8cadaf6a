//! Helpers for end-to-end tests: a pod = a layer dir + mounts + a view of a fake network.
#![allow(dead_code)]

use kubedojo_images::testing::{Capture, LocalNet};
use kubedojo_images::{
    ContainerFs, ExitStatus, Image, Mount, Process, ProcessSpec, Signal, Stdio, spawn,
};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Everything tests wait for is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(10);

pub struct Pod {
    pub image: Image,
    pub hostname: String,
    pub fs: Arc<ContainerFs>,
    pub net: Arc<dyn kubedojo_images::Network>,
    pub env: Vec<(String, String)>,
}

pub struct Running {
    pub process: Process,
    pub stdout: Capture,
    pub stderr: Capture,
}

impl Running {
    pub async fn wait(&mut self) -> ExitStatus {
        tokio::time::timeout(LIMIT, self.process.wait())
            .await
            .expect("process ended in time")
    }

    /// Wait until stderr or stdout contains `needle`.
    pub async fn wait_for(&self, needle: &str) {
        let deadline = tokio::time::Instant::now() + LIMIT;
        loop {
            if self.stderr.text().contains(needle) || self.stdout.text().contains(needle) {
                return;
            }
            if let Some(s) = self.process.try_status() {
                panic!(
                    "exited {s:?} before printing {needle:?}\nstdout:\n{}\nstderr:\n{}",
                    self.stdout.text(),
                    self.stderr.text()
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {needle:?}\nstderr:\n{}",
                self.stderr.text()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    pub async fn stop(&mut self) -> ExitStatus {
        self.process.signal(Signal::Term);
        self.wait().await
    }
}

/// A directory for a pod's layer under `base`.
pub fn layer(base: &Path, name: &str) -> PathBuf {
    let p = base.join(name);
    std::fs::create_dir_all(&p).expect("layer dir");
    p
}

pub fn volume(base: &Path, name: &str) -> PathBuf {
    let p = base.join(name);
    std::fs::create_dir_all(&p).expect("volume dir");
    p
}

impl Pod {
    pub fn new(
        image: Image,
        hostname: &str,
        root: PathBuf,
        mounts: Vec<Mount>,
        net: &LocalNet,
        ip: Ipv4Addr,
    ) -> Pod {
        let fs = ContainerFs::new(root, mounts);
        image.populate(&fs).expect("populate image files");
        net.add_name(hostname, ip);
        Pod {
            image,
            hostname: hostname.to_string(),
            fs: Arc::new(fs),
            net: net.pod(ip),
            env: Vec::new(),
        }
    }

    pub fn env(mut self, k: &str, v: &str) -> Pod {
        self.env.push((k.to_string(), v.to_string()));
        self
    }

    pub fn start(&self, argv: &[&str], stdin: Option<&[u8]>, tty: bool) -> Running {
        let stdout = Capture::new();
        let stderr = Capture::new();
        let stdin: Option<Box<dyn tokio::io::AsyncRead + Send + Unpin>> = stdin.map(|b| {
            Box::new(std::io::Cursor::new(b.to_vec()))
                as Box<dyn tokio::io::AsyncRead + Send + Unpin>
        });
        let process = spawn(
            ProcessSpec {
                image: self.image,
                argv: argv.iter().map(|s| s.to_string()).collect(),
                env: self.env.clone(),
                workdir: "/".into(),
                hostname: self.hostname.clone(),
                fs: self.fs.clone(),
                net: self.net.clone(),
                tty,
            },
            Stdio {
                stdin,
                stdout: stdout.writer(),
                stderr: stderr.writer(),
            },
        )
        .expect("spawn");
        Running {
            process,
            stdout,
            stderr,
        }
    }

    /// The image's default command (ENTRYPOINT + CMD).
    pub fn start_main(&self) -> Running {
        let argv: Vec<&str> = self
            .image
            .entrypoint()
            .iter()
            .chain(self.image.cmd())
            .copied()
            .collect();
        self.start(&argv, None, false)
    }

    /// Run to completion: (exit code, stdout, stderr).
    pub async fn exec(&self, argv: &[&str]) -> (i32, String, String) {
        let mut r = self.start(argv, None, false);
        let s = r.wait().await;
        (s.0, r.stdout.text(), r.stderr.text())
    }

    pub async fn exec_stdin(
        &self,
        argv: &[&str],
        stdin: &[u8],
        tty: bool,
    ) -> (i32, String, String) {
        let mut r = self.start(argv, Some(stdin), tty);
        let s = r.wait().await;
        (s.0, r.stdout.text(), r.stderr.text())
    }
}
