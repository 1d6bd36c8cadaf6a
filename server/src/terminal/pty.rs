//! kubectl in a pseudo-terminal: kubectl sees a real TTY (colours, `exec -it`, Ctrl-C as a
//! signal through the line discipline), with an environment that holds only what it needs.
//!
//! portable-pty's reader, writer and wait are blocking, so each runs on its own thread and
//! talks to the session through channels.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use portable_pty::{ChildKiller, CommandBuilder, MasterPty, PtySize, native_pty_system};
use tokio::sync::mpsc;

use super::error::TerminalError;

/// Output of one command beyond this is cut off and the command stopped.
pub(crate) const OUTPUT_LIMIT: u64 = 8 * 1024 * 1024;
/// Output faster than this is slowed down (the reader pauses), so a runaway command cannot
/// flood the learner's browser or the server.
const OUTPUT_RATE: u64 = 512 * 1024;
const READ_CHUNK: usize = 8 * 1024;

/// The terminal's size in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TermSize {
    pub(crate) cols: u16,
    pub(crate) rows: u16,
}

impl Default for TermSize {
    fn default() -> Self {
        Self { cols: 80, rows: 24 }
    }
}

impl TermSize {
    fn pty(self) -> PtySize {
        PtySize {
            rows: self.rows,
            cols: self.cols,
            pixel_width: 0,
            pixel_height: 0,
        }
    }
}

/// What a running command reports to its session.
#[derive(Debug)]
pub(crate) enum PtyEvent {
    Output(Vec<u8>),
    /// Output went over [`OUTPUT_LIMIT`]; the command is being stopped.
    OutputLimit,
    /// The command ended, after its last output (kubectl prints its own errors, so the exit
    /// status adds nothing for the learner).
    Exited,
}

/// The `kubectl` the terminal runs: the first one on the server's PATH.
pub(crate) fn find_kubectl() -> Result<PathBuf, TerminalError> {
    let path = std::env::var_os("PATH").ok_or(TerminalError::KubectlMissing)?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| is_executable(candidate))
        .ok_or(TerminalError::KubectlMissing)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A kubectl process on a PTY.
pub(crate) struct RunningCommand {
    master: Box<dyn MasterPty + Send>,
    input: std::sync::mpsc::Sender<Vec<u8>>,
    killer: Box<dyn ChildKiller + Send + Sync>,
}

impl std::fmt::Debug for RunningCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningCommand").finish_non_exhaustive()
    }
}

/// Where and how to run kubectl.
pub(crate) struct Launch<'a> {
    pub(crate) kubectl: &'a Path,
    pub(crate) args: &'a [String],
    /// The session's private directory: HOME, with the kubeconfig.
    pub(crate) home: &'a Path,
    /// The working directory: the lab's manifests, the only local files kubectl may name.
    pub(crate) workdir: &'a Path,
    pub(crate) kubeconfig: &'a Path,
    pub(crate) size: TermSize,
}

impl RunningCommand {
    /// Starts kubectl; its output and exit arrive on `events`.
    pub(crate) fn spawn(
        launch: &Launch<'_>,
        events: mpsc::Sender<PtyEvent>,
    ) -> Result<Self, TerminalError> {
        let spawn_error = |e: anyhow::Error| TerminalError::Spawn(e.to_string());
        let pair = native_pty_system()
            .openpty(launch.size.pty())
            .map_err(spawn_error)?;
        let mut command = CommandBuilder::new(launch.kubectl);
        command.args(launch.args);
        command.env_clear();
        command.env("KUBECONFIG", launch.kubeconfig);
        command.env("HOME", launch.home);
        if let Some(dir) = launch.kubectl.parent() {
            command.env("PATH", dir);
        }
        command.env("TERM", "xterm-256color");
        command.env("COLUMNS", launch.size.cols.to_string());
        command.env("LINES", launch.size.rows.to_string());
        command.cwd(launch.workdir);
        let mut child = pair.slave.spawn_command(command).map_err(spawn_error)?;
        // Only the child keeps the slave open, so the reader sees the end when it exits.
        drop(pair.slave);
        let killer = child.clone_killer();
        let reader = pair.master.try_clone_reader().map_err(spawn_error)?;
        let writer = pair.master.take_writer().map_err(spawn_error)?;

        let (input, input_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || write_input(writer, &input_rx));
        let mut output_killer = child.clone_killer();
        std::thread::spawn(move || {
            let over_limit = read_output(reader, &events);
            if over_limit {
                let _ = output_killer.kill();
            }
            let _ = child.wait();
            let _ = events.blocking_send(PtyEvent::Exited);
        });
        Ok(Self {
            master: pair.master,
            input,
            killer,
        })
    }

    /// Keystrokes for the command (Ctrl-C included: the PTY turns it into SIGINT).
    pub(crate) fn write(&self, bytes: Vec<u8>) {
        // A closed channel means the command is ending; its exit event is on the way.
        let _ = self.input.send(bytes);
    }

    pub(crate) fn resize(&self, size: TermSize) {
        let _ = self.master.resize(size.pty());
    }

    /// Stops the command (the session is ending).
    pub(crate) fn kill(&mut self) {
        let _ = self.killer.kill();
    }
}

fn write_input(mut writer: Box<dyn Write + Send>, input: &std::sync::mpsc::Receiver<Vec<u8>>) {
    while let Ok(bytes) = input.recv() {
        if writer
            .write_all(&bytes)
            .and_then(|()| writer.flush())
            .is_err()
        {
            return;
        }
    }
}

/// Forwards output until the command closes the PTY; returns whether it hit the size limit.
fn read_output(mut reader: Box<dyn Read + Send>, events: &mpsc::Sender<PtyEvent>) -> bool {
    let started = Instant::now();
    let mut total: u64 = 0;
    let mut buf = vec![0; READ_CHUNK];
    loop {
        // Linux reports EIO on the master once the child side has closed: that is the end.
        let n = match reader.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        total += n as u64;
        if events
            .blocking_send(PtyEvent::Output(buf[..n].to_vec()))
            .is_err()
        {
            return false;
        }
        if total > OUTPUT_LIMIT {
            let _ = events.blocking_send(PtyEvent::OutputLimit);
            return true;
        }
        let allowed = Duration::from_secs_f64(total as f64 / OUTPUT_RATE as f64);
        if let Some(ahead) = allowed.checked_sub(started.elapsed()) {
            std::thread::sleep(ahead);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_an_executable_kubectl_on_path_only() {
        // The machine's kubectl is a requirement of the test suite (README); the lookup must
        // find exactly an executable file named kubectl.
        let found = find_kubectl().expect("kubectl on PATH");
        assert!(found.ends_with("kubectl"));
        assert!(is_executable(&found));
        assert!(!is_executable(Path::new("/nonexistent/kubectl")));
    }

    #[tokio::test]
    async fn runs_kubectl_in_a_tty_with_only_the_given_environment() {
        let home = tempfile::tempdir().expect("works in tests");
        let kubeconfig = home.path().join("kubeconfig");
        std::fs::write(&kubeconfig, "apiVersion: v1\nkind: Config\n").expect("works in tests");
        let kubectl = find_kubectl().expect("works in tests");
        let (tx, mut rx) = mpsc::channel(64);
        let args = ["version".to_string(), "--client".to_string()];
        let _command = RunningCommand::spawn(
            &Launch {
                kubectl: &kubectl,
                args: &args,
                home: home.path(),
                workdir: home.path(),
                kubeconfig: &kubeconfig,
                size: TermSize::default(),
            },
            tx,
        )
        .expect("works in tests");
        let mut output = Vec::new();
        let exited = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                match rx.recv().await {
                    Some(PtyEvent::Output(bytes)) => output.extend(bytes),
                    Some(PtyEvent::Exited) => return true,
                    Some(PtyEvent::OutputLimit) | None => return false,
                }
            }
        })
        .await
        .expect("works in tests");
        let text = String::from_utf8_lossy(&output);
        assert!(exited, "{text}");
        assert!(text.contains("Client Version"), "{text}");
        // The PTY turns "\n" into "\r\n": kubectl ran on a terminal.
        assert!(text.contains("\r\n"), "{text:?}");
    }
}
