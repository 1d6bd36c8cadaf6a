//! Starting a program of an image with its argv, env, files, network and stdio.

use crate::programs::{self, Ctx};
use crate::stdio::{Input, Output};
use crate::{ContainerFs, Image, Network, normalize};
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
/// The program runs as a tokio task (so this must be called inside a runtime). SIGKILL ends it
/// at once (137); SIGTERM ends ordinary programs (143) while servers (mysqld, nginx) shut down
/// cleanly and exit 0.
///
/// # Errors
/// [`SpawnError`] when the program does not exist in the image.
pub fn spawn(spec: ProcessSpec, io: Stdio) -> Result<Process, SpawnError> {
    let Some(first) = spec.argv.first() else {
        return Err(SpawnError::Empty);
    };
    if !programs::exists(spec.image, first) {
        return Err(SpawnError::NotFound(first.clone()));
    }
    let (process, control) = Process::pair();
    let mut env = spec.image.default_env();
    for (k, v) in spec.env {
        env.retain(|(x, _)| *x != k);
        env.push((k, v));
    }
    if !env.iter().any(|(k, _)| k == "HOSTNAME") {
        env.insert(1, ("HOSTNAME".into(), spec.hostname.clone()));
    }
    if !env.iter().any(|(k, _)| k == "HOME") {
        env.push(("HOME".into(), "/root".into()));
    }
    if spec.tty && !env.iter().any(|(k, _)| k == "TERM") {
        env.push(("TERM".into(), "xterm".into()));
    }
    let workdir = if spec.workdir.is_empty() {
        "/".to_string()
    } else {
        normalize("/", &spec.workdir)
    };
    let mut ctx = Ctx {
        image: spec.image,
        env,
        cwd: workdir,
        hostname: spec.hostname,
        fs: spec.fs,
        net: spec.net,
        tty: spec.tty,
        signal: control.signal.clone(),
        stdin: io.stdin.map_or(Input::Empty, Input::stream),
        stdout: Output::stream(io.stdout, spec.tty),
        // With a terminal, stderr goes to the same terminal.
        stderr: Output::stream(io.stderr, spec.tty),
    };
    let argv = spec.argv;
    let handles_term = programs::handles_term(&argv);
    let mut signal = control.signal.clone();
    // On a terminal, Ctrl-C interrupts the program (SIGINT, 130) unless it runs its own line
    // discipline (an interactive shell or mysql client handles Ctrl-C itself).
    let watch_interrupt = spec.tty && !programs::own_line_discipline(&argv);
    let (feed, interrupt_input) = Input::channel();
    let echo_to = ctx.stdout.clone();
    let raw_stdin = ctx.stdin.clone();
    if watch_interrupt {
        ctx.stdin = interrupt_input;
    }
    tokio::spawn(async move {
        let code = {
            let program = programs::run(&mut ctx, &argv);
            tokio::pin!(program);
            let interrupt = async {
                if watch_interrupt {
                    let mut line = Vec::new();
                    crate::stdio::forward_until_interrupt(
                        raw_stdin,
                        feed,
                        Vec::new(),
                        echo_to,
                        &mut line,
                    )
                    .await;
                } else {
                    drop(feed);
                    std::future::pending::<()>().await;
                }
            };
            tokio::pin!(interrupt);
            loop {
                tokio::select! {
                    // The program first: it may turn echo off before the terminal feed runs.
                    biased;
                    code = &mut program => break code,
                    () = &mut interrupt => break 130,
                    changed = signal.changed() => {
                        if changed.is_err() {
                            // Nobody can signal any more: just run to completion.
                            break program.await;
                        }
                        match *signal.borrow_and_update() {
                            Some(Signal::Kill) => break 137,
                            Some(Signal::Term) if !handles_term => break 143,
                            _ => {}
                        }
                    }
                }
            }
        };
        control.exit(ExitStatus(code));
    });
    Ok(process)
}
