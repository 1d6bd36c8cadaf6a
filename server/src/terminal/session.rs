//! A learner's terminal session: the prompt, the running command and the screen that every
//! connected browser tab sees. A session outlives its WebSocket for a short grace period, so a
//! reload or a dropped connection comes back to the same screen (the replay buffer) and the same
//! running command.
//!
//! Each session is one task that owns all its state; sockets talk to it through a channel (keys,
//! resizes) and read the screen from a broadcast channel, so there are no locks around the
//! editor or the process.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use parking_lot::Mutex;
use tokio::sync::{broadcast, mpsc};

use super::command::{self, Command, HELP};
use super::error::TerminalError;
use super::line_editor::{Action, KeyDecoder, LineEditor};
use super::pty::{self, Launch, PtyEvent, RunningCommand, TermSize};
use super::replay::{REPLAY_CAPACITY, ReplayBuffer};
use crate::cluster::LearnerClusters;

/// Bounds on sessions; the defaults are what the server uses, tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct TerminalLimits {
    /// A session with no keystroke for this long ends (its command is stopped).
    pub idle: Duration,
    /// A session with no connected browser for this long ends.
    pub detached: Duration,
    /// Sessions on the whole server.
    pub max_sessions: usize,
}

impl Default for TerminalLimits {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(15 * 60),
            detached: Duration::from_secs(60),
            max_sessions: 500,
        }
    }
}

/// The first lines of every session.
const INTRO: &[u8] = b"kubectl terminal for your lab cluster. Type help for what it can do.\r\n";

/// What a connected browser receives.
#[derive(Debug, Clone)]
pub(crate) enum Frame {
    Bytes(Bytes),
    /// Whether a command is running (the browser's "run" queue waits for `false`).
    State {
        running: bool,
    },
    /// The session is over, with the reason (already shown on screen).
    Ended(&'static str),
}

/// What a browser sends to its session.
#[derive(Debug)]
pub(crate) enum Input {
    Keys(Vec<u8>),
    Resize(TermSize),
    /// The files of the lab the browser shows (they replace the previous lab's).
    Files(Vec<LabFile>),
}

/// A file of a lab (a manifest rendered with the learner's values), put in the terminal's
/// working directory so `kubectl apply -f NAME` works as the lesson says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabFile {
    /// A plain file name (`bare-pod.yaml`).
    pub name: String,
    pub text: String,
}

/// The screen: what was shown (for reconnects) and the live feed, under one lock so a new
/// browser gets the snapshot and then exactly what follows it.
#[derive(Debug)]
struct Screen {
    replay: ReplayBuffer,
    feed: broadcast::Sender<Frame>,
    running: bool,
}

impl Screen {
    fn show(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.replay.push(bytes);
        // No browser connected is fine: the replay keeps it.
        let _ = self.feed.send(Frame::Bytes(Bytes::copy_from_slice(bytes)));
    }

    fn set_running(&mut self, running: bool) {
        self.running = running;
        let _ = self.feed.send(Frame::State { running });
    }
}

#[derive(Debug)]
struct Handle {
    id: u64,
    inbox: mpsc::Sender<Input>,
    screen: Arc<Mutex<Screen>>,
    attached: Arc<AtomicUsize>,
}

/// Every learner's terminal session on this server, by learner key.
#[derive(Debug)]
pub struct TerminalSessions {
    sessions: Mutex<HashMap<String, Handle>>,
    limits: TerminalLimits,
    next_id: AtomicU64,
}

/// A browser connected to a session.
#[derive(Debug)]
pub(crate) struct Attachment {
    /// What the screen showed when the browser connected.
    pub(crate) replay: Vec<u8>,
    pub(crate) running: bool,
    pub(crate) frames: broadcast::Receiver<Frame>,
    inbox: mpsc::Sender<Input>,
    attached: Arc<AtomicUsize>,
}

impl Attachment {
    /// Sends input to the session; `false` when the session has ended.
    pub(crate) async fn send(&self, input: Input) -> bool {
        self.inbox.send(input).await.is_ok()
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        self.attached.fetch_sub(1, Ordering::SeqCst);
    }
}

impl TerminalSessions {
    pub fn new(limits: TerminalLimits) -> Arc<Self> {
        Arc::new(Self {
            sessions: Mutex::new(HashMap::new()),
            limits,
            next_id: AtomicU64::new(1),
        })
    }

    /// Connects a browser to the learner's session, starting one if there is none.
    pub(crate) fn attach(
        self: &Arc<Self>,
        learner: &str,
        clusters: &Arc<LearnerClusters>,
    ) -> Result<Attachment, TerminalError> {
        let mut sessions = self.sessions.lock();
        let alive = sessions
            .get(learner)
            .is_some_and(|handle| !handle.inbox.is_closed());
        if !alive {
            sessions.remove(learner);
            if sessions.len() >= self.limits.max_sessions {
                return Err(TerminalError::TooManySessions);
            }
            let handle = self.start(learner, clusters.clone())?;
            sessions.insert(learner.to_owned(), handle);
        }
        let handle = sessions
            .get(learner)
            .ok_or(TerminalError::TooManySessions)?;
        let screen = handle.screen.lock();
        handle.attached.fetch_add(1, Ordering::SeqCst);
        Ok(Attachment {
            replay: screen.replay.snapshot(),
            running: screen.running,
            frames: screen.feed.subscribe(),
            inbox: handle.inbox.clone(),
            attached: handle.attached.clone(),
        })
    }

    /// Sessions currently open.
    pub fn len(&self) -> usize {
        self.sessions.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn start(
        self: &Arc<Self>,
        learner: &str,
        clusters: Arc<LearnerClusters>,
    ) -> Result<Handle, TerminalError> {
        let home = tempfile::Builder::new()
            .prefix("kubedojo-terminal-")
            .tempdir()
            .map_err(|source| TerminalError::Files {
                path: std::env::temp_dir(),
                source,
            })?;
        let workdir = home.path().join("lab");
        std::fs::create_dir(&workdir).map_err(|source| TerminalError::Files {
            path: workdir.clone(),
            source,
        })?;
        let (inbox_tx, inbox) = mpsc::channel(256);
        let (feed, _) = broadcast::channel(1024);
        let screen = Arc::new(Mutex::new(Screen {
            replay: ReplayBuffer::new(REPLAY_CAPACITY),
            feed,
            running: false,
        }));
        let editor = LineEditor::default();
        {
            // On screen before any browser attaches, so the first one's replay has it.
            let mut intro = INTRO.to_vec();
            editor.draw(&mut intro);
            screen.lock().show(&intro);
        }
        let attached = Arc::new(AtomicUsize::new(0));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (pty_tx, pty_events) = mpsc::channel(64);
        let session = Session {
            learner: learner.to_owned(),
            id,
            registry: Arc::downgrade(self),
            limits: self.limits,
            clusters,
            screen: screen.clone(),
            attached: attached.clone(),
            editor,
            decoder: KeyDecoder::default(),
            size: TermSize::default(),
            home,
            workdir,
            files: Vec::new(),
            running: None,
            last_output: b'\n',
            pty_tx,
            pty_events,
            inbox,
            last_input: Instant::now(),
        };
        tokio::spawn(session.run());
        Ok(Handle {
            id,
            inbox: inbox_tx,
            screen,
            attached,
        })
    }

    fn remove(&self, learner: &str, id: u64) {
        let mut sessions = self.sessions.lock();
        if sessions.get(learner).is_some_and(|h| h.id == id) {
            sessions.remove(learner);
        }
    }
}

struct Session {
    learner: String,
    id: u64,
    registry: Weak<TerminalSessions>,
    limits: TerminalLimits,
    clusters: Arc<LearnerClusters>,
    screen: Arc<Mutex<Screen>>,
    attached: Arc<AtomicUsize>,
    editor: LineEditor,
    decoder: KeyDecoder,
    size: TermSize,
    /// HOME of kubectl, with the kubeconfig; removed with the session.
    home: tempfile::TempDir,
    /// kubectl's working directory (inside `home`): the lab's files.
    workdir: std::path::PathBuf,
    /// Their names, for `help`.
    files: Vec<String>,
    running: Option<RunningCommand>,
    /// The last byte a command wrote, to start the prompt on a fresh line.
    last_output: u8,
    pty_tx: mpsc::Sender<PtyEvent>,
    pty_events: mpsc::Receiver<PtyEvent>,
    inbox: mpsc::Receiver<Input>,
    last_input: Instant,
}

impl Session {
    async fn run(mut self) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut detached_since: Option<Instant> = None;
        let reason = loop {
            tokio::select! {
                input = self.inbox.recv() => match input {
                    Some(Input::Keys(bytes)) => {
                        self.last_input = Instant::now();
                        if self.keys(&bytes).await {
                            break "Session ended (Ctrl-D).";
                        }
                    }
                    Some(Input::Resize(size)) => self.resize(size),
                    Some(Input::Files(files)) => self.put_files(&files),
                    None => break "Session ended.",
                },
                Some(event) = self.pty_events.recv() => self.pty_event(event),
                _ = tick.tick() => {
                    if self.last_input.elapsed() >= self.limits.idle {
                        break "Session ended: no keystroke for a long while.";
                    }
                    if self.attached.load(Ordering::SeqCst) > 0 {
                        detached_since = None;
                    } else if detached_since.get_or_insert_with(Instant::now).elapsed()
                        >= self.limits.detached
                    {
                        break "Session ended: no browser was connected.";
                    }
                }
            }
        };
        if let Some(mut command) = self.running.take() {
            command.kill();
        }
        self.show(format!("\r\n{reason}\r\n").as_bytes());
        let _ = self.screen.lock().feed.send(Frame::Ended(reason));
        if let Some(registry) = self.registry.upgrade() {
            registry.remove(&self.learner, self.id);
        }
    }

    /// Handles keystrokes; returns `true` when the learner ended the session.
    async fn keys(&mut self, bytes: &[u8]) -> bool {
        if let Some(command) = &self.running {
            command.write(bytes.to_vec());
            return false;
        }
        let keys = self.decoder.push(bytes);
        let mut echo = Vec::new();
        let mut keys = keys.into_iter();
        while let Some((key, _)) = keys.next() {
            let action = self.editor.key(&key, &mut echo);
            let Some(action) = action else { continue };
            self.show(&std::mem::take(&mut echo));
            match action {
                Action::Submit(line) => self.submit(&line).await,
                Action::Clear => self.clear_screen(),
                Action::EndOfInput => return true,
            }
            if let Some(command) = &self.running {
                // Typed ahead (or pasted) after Enter: it belongs to the command now.
                let mut rest: Vec<u8> = keys.by_ref().flat_map(|(_, raw)| raw).collect();
                rest.extend(self.decoder.take_pending());
                if !rest.is_empty() {
                    command.write(rest);
                }
                return false;
            }
        }
        self.show(&echo);
        false
    }

    async fn submit(&mut self, line: &str) {
        match command::parse(line) {
            Ok(Command::Empty) => self.show_prompt(),
            Ok(Command::Clear) => self.clear_screen(),
            Ok(Command::Help) => {
                self.show(HELP.as_bytes());
                if !self.files.is_empty() {
                    let listing = format!(
                        "Files of this lab (kubectl apply -f NAME): {}\r\n",
                        self.files.join("  ")
                    );
                    self.show(listing.as_bytes());
                }
                self.show_prompt();
            }
            Ok(Command::History) => {
                let listing: String = self
                    .editor
                    .history()
                    .enumerate()
                    .map(|(i, line)| format!("{:>5}  {line}\r\n", i + 1))
                    .collect();
                self.show(listing.as_bytes());
                self.show_prompt();
            }
            Ok(Command::Kubectl(args)) => {
                if let Err(e) = self.start_kubectl(&args).await {
                    self.show(format!("{e}\r\n").as_bytes());
                    self.show_prompt();
                }
            }
            Err(refusal) => {
                self.show(format!("{refusal}\r\n").as_bytes());
                self.show_prompt();
            }
        }
        if self.running.is_none() {
            // The line is done: a browser's queue of "Run" commands may send the next one.
            self.screen.lock().set_running(false);
        }
    }

    async fn start_kubectl(&mut self, args: &[String]) -> Result<(), TerminalError> {
        let kubectl = pty::find_kubectl()?;
        let kubeconfig = self
            .clusters
            .kubeconfig_for(&self.learner)
            .await
            .ok_or(TerminalError::NoCluster)?;
        // Written before every command: the cluster may have been reset or started since.
        let path = self.home.path().join("kubeconfig");
        write_private(&path, &kubeconfig).map_err(|source| TerminalError::Files {
            path: path.clone(),
            source,
        })?;
        let command = RunningCommand::spawn(
            &Launch {
                kubectl: &kubectl,
                args,
                home: self.home.path(),
                workdir: &self.workdir,
                kubeconfig: &path,
                size: self.size,
            },
            self.pty_tx.clone(),
        )?;
        self.running = Some(command);
        self.last_output = b'\n';
        self.screen.lock().set_running(true);
        Ok(())
    }

    fn pty_event(&mut self, event: PtyEvent) {
        match event {
            PtyEvent::Output(bytes) => {
                if let Some(&last) = bytes.last() {
                    self.last_output = last;
                }
                self.show(&bytes);
            }
            PtyEvent::OutputLimit => {
                let limit = pty::OUTPUT_LIMIT / (1024 * 1024);
                self.show(
                    format!("\r\n[more than {limit} MiB of output: the command was stopped]\r\n")
                        .as_bytes(),
                );
                self.last_output = b'\n';
            }
            PtyEvent::Exited => {
                self.running = None;
                if self.last_output != b'\n' {
                    self.show(b"\r\n");
                }
                self.show_prompt();
                self.screen.lock().set_running(false);
            }
        }
    }

    /// Replaces the working directory's files with `files` (names already plain, checked by
    /// [`LabFile`]'s producer and again here).
    fn put_files(&mut self, files: &[LabFile]) {
        if let Ok(entries) = std::fs::read_dir(&self.workdir) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        self.files.clear();
        for file in files {
            if super::paths::is_plain_name(&file.name)
                && std::fs::write(self.workdir.join(&file.name), &file.text).is_ok()
            {
                self.files.push(file.name.clone());
            }
        }
    }

    fn resize(&mut self, size: TermSize) {
        self.size = size;
        if let Some(command) = &self.running {
            command.resize(size);
        }
    }

    fn clear_screen(&mut self) {
        {
            let mut screen = self.screen.lock();
            screen.replay.clear();
            screen.show(b"\x1b[H\x1b[2J\x1b[3J");
        }
        self.show_prompt();
    }

    fn show_prompt(&mut self) {
        let mut out = Vec::new();
        self.editor.draw(&mut out);
        self.show(&out);
    }

    fn show(&self, bytes: &[u8]) {
        self.screen.lock().show(bytes);
    }
}

/// Writes `contents` to a file only its owner may read (it holds the learner's token).
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // The mode above applies only when the file is created; make sure of it either way.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn next_bytes_until(
        frames: &mut broadcast::Receiver<Frame>,
        needle: &str,
    ) -> Result<String, String> {
        let mut seen = String::new();
        let found = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                match frames.recv().await {
                    Ok(Frame::Bytes(b)) => {
                        seen.push_str(&String::from_utf8_lossy(&b));
                        if seen.contains(needle) {
                            return true;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => return false,
                }
            }
        })
        .await;
        match found {
            Ok(true) => Ok(seen),
            _ => Err(seen),
        }
    }

    #[tokio::test]
    async fn refuses_other_programs_and_explains_a_missing_cluster() {
        let sessions = TerminalSessions::new(TerminalLimits::default());
        let clusters = LearnerClusters::sandbox_default();
        let mut attachment = sessions
            .attach("learner-a", &clusters)
            .expect("works in tests");
        assert!(attachment.send(Input::Keys(b"ls\r".to_vec())).await);
        let seen = next_bytes_until(&mut attachment.frames, "only kubectl")
            .await
            .expect("works in tests");
        assert!(seen.contains("ls: command not available"), "{seen}");
        assert!(
            attachment
                .send(Input::Keys(b"kubectl get pods\r".to_vec()))
                .await
        );
        next_bytes_until(&mut attachment.frames, "press Start in the lab panel")
            .await
            .expect("works in tests");
    }

    #[tokio::test]
    async fn a_reconnecting_browser_gets_the_screen_and_the_same_session() {
        let sessions = TerminalSessions::new(TerminalLimits::default());
        let clusters = LearnerClusters::sandbox_default();
        let mut first = sessions
            .attach("learner-b", &clusters)
            .expect("works in tests");
        assert!(first.send(Input::Keys(b"help\r".to_vec())).await);
        next_bytes_until(&mut first.frames, "Up/Down for history")
            .await
            .expect("works in tests");
        drop(first);
        let second = sessions
            .attach("learner-b", &clusters)
            .expect("works in tests");
        let replay = String::from_utf8_lossy(&second.replay).to_string();
        assert!(replay.contains("$ help\r\n"), "{replay}");
        assert!(replay.contains("Up/Down for history"), "{replay}");
        assert_eq!(sessions.len(), 1);
    }

    #[tokio::test]
    async fn ctrl_d_and_detaching_end_the_session() {
        let limits = TerminalLimits {
            detached: Duration::from_millis(200),
            ..TerminalLimits::default()
        };
        let sessions = TerminalSessions::new(limits);
        let clusters = LearnerClusters::sandbox_default();
        let mut attachment = sessions
            .attach("learner-c", &clusters)
            .expect("works in tests");
        assert!(attachment.send(Input::Keys(vec![0x04])).await);
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Ok(Frame::Ended(reason)) = attachment.frames.recv().await {
                    return reason;
                }
            }
        })
        .await
        .expect("works in tests");
        assert!(ended.contains("Ctrl-D"));
        drop(attachment);

        let attachment = sessions
            .attach("learner-c", &clusters)
            .expect("works in tests");
        drop(attachment);
        let gone = tokio::time::timeout(Duration::from_secs(5), async {
            while !sessions.is_empty() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        assert!(gone.is_ok(), "the detached session should end");
    }

    /// Types `line` and Enter, and returns what the screen showed until the prompt was back.
    async fn run_line(attachment: &mut Attachment, line: &str) -> String {
        let keys = format!("{line}\r").into_bytes();
        assert!(attachment.send(Input::Keys(keys)).await);
        let mut seen = String::new();
        let finished = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                match attachment.frames.recv().await {
                    Ok(Frame::Bytes(b)) => seen.push_str(&String::from_utf8_lossy(&b)),
                    Ok(Frame::State { running: false }) if seen.contains(line) => return,
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        })
        .await;
        assert!(finished.is_ok(), "{line:?} did not finish: {seen:?}");
        seen
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kubectl_applies_the_labs_files_by_name_and_nothing_else() {
        if pty::find_kubectl().is_err() {
            eprintln!("skipped: kubectl is not installed");
            return;
        }
        let sessions = TerminalSessions::new(TerminalLimits::default());
        let clusters = LearnerClusters::sandbox_default();
        clusters
            .provision("learner-f")
            .wait()
            .await
            .expect("provisioned");
        let mut attachment = sessions
            .attach("learner-f", &clusters)
            .expect("works in tests");
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: from-file\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n";
        let files = vec![LabFile {
            name: "bare-pod.yaml".into(),
            text: pod.into(),
        }];
        assert!(attachment.send(Input::Files(files)).await);
        let help = run_line(&mut attachment, "help").await;
        assert!(
            help.contains("Files of this lab (kubectl apply -f NAME): bare-pod.yaml"),
            "{help}"
        );
        let applied = run_line(&mut attachment, "kubectl apply -f bare-pod.yaml").await;
        assert!(applied.contains("pod/from-file created"), "{applied}");
        for escape in ["../kubeconfig", "/etc/hostname"] {
            let refused = run_line(&mut attachment, &format!("kubectl apply -f {escape}")).await;
            assert!(
                refused.contains(&format!(
                    "`{escape}`: only the lab's own files can be used here"
                )),
                "{refused}"
            );
        }
        // Another lab's files replace these.
        assert!(attachment.send(Input::Files(Vec::new())).await);
        let gone = run_line(&mut attachment, "kubectl apply -f bare-pod.yaml").await;
        assert!(gone.contains("does not exist"), "{gone}");
    }

    #[test]
    fn the_kubeconfig_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("works in tests");
        let path = dir.path().join("kubeconfig");
        write_private(&path, "token: secret").expect("works in tests");
        let mode = std::fs::metadata(&path)
            .expect("works in tests")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
