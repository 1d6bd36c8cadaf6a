//! Starting a program of an image with its argv, env, files, network and stdio.

use crate::{ContainerFs, Image, Network};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

/// Everything a process starts with.
pub struct ProcessSpec {
    pub image: Image,
    /// The full argv (Kubernetes `command`/`args` already applied over ENTRYPOINT/CMD).
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub workdir: String,
    pub hostname: String,
    pub fs: Arc<ContainerFs>,
    pub net: Arc<dyn Network>,
    /// A terminal is attached (`-t`): echo input, `\r\n` line ends, prompts, tables.
    pub tty: bool,
}

/// The process's standard streams. No stdin reads as immediate end-of-file.
pub struct Stdio {
    pub stdin: Option<Box<dyn AsyncRead + Send + Unpin>>,
    pub stdout: Box<dyn AsyncWrite + Send + Unpin>,
    pub stderr: Box<dyn AsyncWrite + Send + Unpin>,
}

/// Terminal size for TTY sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermSize {
    pub cols: u16,
    pub rows: u16,
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus(pub i32);

/// Why a process could not start.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// Like runc: `exec: "foo": executable file not found in $PATH`.
    #[error("exec: \"{0}\": executable file not found in $PATH")]
    NotFound(String),
    #[error("no command specified")]
    Empty,
}

/// A signal sent to a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM: servers shut down cleanly (exit 0); most tools exit 143.
    Term,
    /// SIGKILL: exit 137 at once.
    Kill,
}

/// A running process. Dropping the handle does not stop the process.
pub struct Process {
    exit: watch::Receiver<Option<ExitStatus>>,
    signal: watch::Sender<Option<Signal>>,
    resize: watch::Sender<Option<TermSize>>,
}

/// The process side of a [`Process`] handle: where a program learns of signals and resizes,
/// and reports its exit.
pub struct Control {
    pub signal: watch::Receiver<Option<Signal>>,
    pub resize: watch::Receiver<Option<TermSize>>,
    exit: watch::Sender<Option<ExitStatus>>,
}

impl Control {
    /// Report the exit status (the handle's `wait` returns it).
    pub fn exit(&self, status: ExitStatus) {
        let _ = self.exit.send(Some(status));
    }
}

impl Process {
    /// A handle and its control side.
    pub fn pair() -> (Process, Control) {
        let (exit_tx, exit_rx) = watch::channel(None);
        let (sig_tx, sig_rx) = watch::channel(None);
        let (size_tx, size_rx) = watch::channel(None);
        (
            Process {
                exit: exit_rx,
                signal: sig_tx,
                resize: size_tx,
            },
            Control {
                signal: sig_rx,
                resize: size_rx,
                exit: exit_tx,
            },
        )
    }

    /// Wait for the process to end. A process whose task vanished without reporting counts as
    /// killed (137).
    pub async fn wait(&mut self) -> ExitStatus {
        loop {
            if let Some(s) = *self.exit.borrow_and_update() {
                return s;
            }
            if self.exit.changed().await.is_err() {
                return (*self.exit.borrow()).unwrap_or(ExitStatus(137));
            }
        }
    }

    /// The exit status if it has ended.
    pub fn try_status(&self) -> Option<ExitStatus> {
        *self.exit.borrow()
    }

    /// Send a signal.
    pub fn signal(&self, sig: Signal) {
        let _ = self.signal.send(Some(sig));
    }

    /// Tell a TTY process its terminal size changed.
    pub fn resize(&self, size: TermSize) {
        let _ = self.resize.send(Some(size));
    }
}

/// Start `spec.argv[0]` of `spec.image`.
///
/// # Errors
/// [`SpawnError`] when the program does not exist in the image.
pub fn spawn(spec: ProcessSpec, io: Stdio) -> Result<Process, SpawnError> {
    let _ = io;
    Err(SpawnError::NotFound(
        spec.argv.first().cloned().unwrap_or_default(),
    ))
}
