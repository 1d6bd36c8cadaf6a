//! The streams a program reads and writes: the process's own pipes, in-memory buffers (shell
//! pipelines and `$(...)`), or files (shell redirects). Cheap to clone so a shell can hand the
//! same stream to several commands.

use crate::ContainerFs;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

type Reader = Box<dyn AsyncRead + Send + Unpin>;
type Writer = Box<dyn AsyncWrite + Send + Unpin>;

/// A stream input and the bytes pushed back into it.
pub struct StreamIn {
    reader: tokio::sync::Mutex<Reader>,
    unread: Mutex<VecDeque<u8>>,
}

/// Where a program reads from.
#[derive(Clone)]
pub enum Input {
    /// End of file at once.
    Empty,
    /// The process's stdin (with bytes a line reader read ahead and gave back).
    Stream(Arc<StreamIn>),
    /// Bytes produced earlier (pipeline stage, `< file`).
    Bytes(Arc<Mutex<VecDeque<u8>>>),
    /// Bytes forwarded by a terminal's interrupt watcher ([`forward_until_interrupt`]).
    Channel(Arc<ChannelIn>),
}

/// The receiving end of a forwarded terminal input.
pub struct ChannelIn {
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Vec<u8>>>,
    unread: Mutex<VecDeque<u8>>,
    /// The terminal's ECHO flag (programs turn it off to read passwords).
    echo: Arc<AtomicBool>,
}

/// The sending side of a terminal feed: cooked lines go to `tx`, echo is on while `echo` is.
pub struct TermFeed {
    pub tx: mpsc::UnboundedSender<Vec<u8>>,
    pub echo: Arc<AtomicBool>,
}

impl Input {
    /// An input holding `data`.
    pub fn bytes(data: Vec<u8>) -> Input {
        Input::Bytes(Arc::new(Mutex::new(data.into())))
    }

    /// A stream input.
    pub fn stream(r: Reader) -> Input {
        Input::Stream(Arc::new(StreamIn {
            reader: tokio::sync::Mutex::new(r),
            unread: Mutex::new(VecDeque::new()),
        }))
    }

    /// A terminal-fed input and the feed that writes into it.
    pub fn channel() -> (TermFeed, Input) {
        let (tx, rx) = mpsc::unbounded_channel();
        let echo = Arc::new(AtomicBool::new(true));
        let input = Input::Channel(Arc::new(ChannelIn {
            rx: tokio::sync::Mutex::new(rx),
            unread: Mutex::new(VecDeque::new()),
            echo: echo.clone(),
        }));
        (TermFeed { tx, echo }, input)
    }

    /// Input already cooked by a terminal line discipline (echoed, CR → LF, erase applied).
    pub fn is_cooked(&self) -> bool {
        matches!(self, Input::Channel(_))
    }

    /// Turn the terminal's echo on or off (no effect on other inputs).
    pub fn set_echo(&self, on: bool) {
        if let Input::Channel(c) = self {
            c.echo.store(on, Ordering::SeqCst);
        }
    }

    /// Bytes already available without waiting (what a finished command left unread).
    pub fn drain_now(&self) -> Vec<u8> {
        match self {
            Input::Empty | Input::Stream(_) => Vec::new(),
            Input::Bytes(b) => b
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .drain(..)
                .collect(),
            Input::Channel(c) => {
                let mut out: Vec<u8> = c
                    .unread
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .drain(..)
                    .collect();
                if let Ok(mut rx) = c.rx.try_lock() {
                    while let Ok(chunk) = rx.try_recv() {
                        out.extend(chunk);
                    }
                }
                out
            }
        }
    }

    /// Give bytes back so the next read returns them first (a line reader read too far).
    pub fn unread(&self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let q = match self {
            Input::Empty => return,
            Input::Stream(s) => &s.unread,
            Input::Bytes(b) => b.as_ref(),
            Input::Channel(c) => &c.unread,
        };
        let mut q = q.lock().unwrap_or_else(PoisonError::into_inner);
        for &b in data.iter().rev() {
            q.push_front(b);
        }
    }

    /// The next chunk, or None at end of file.
    pub async fn read_chunk(&self) -> Option<Vec<u8>> {
        match self {
            Input::Empty => None,
            Input::Stream(s) => {
                {
                    let mut q = s.unread.lock().unwrap_or_else(PoisonError::into_inner);
                    if !q.is_empty() {
                        return Some(q.drain(..).collect());
                    }
                }
                let mut buf = vec![0u8; 4096];
                let mut r = s.reader.lock().await;
                match r.read(&mut buf).await {
                    Ok(0) | Err(_) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some(buf)
                    }
                }
            }
            Input::Bytes(b) => {
                let mut b = b.lock().unwrap_or_else(PoisonError::into_inner);
                if b.is_empty() {
                    None
                } else {
                    Some(b.drain(..).collect())
                }
            }
            Input::Channel(c) => {
                {
                    let mut q = c.unread.lock().unwrap_or_else(PoisonError::into_inner);
                    if !q.is_empty() {
                        return Some(q.drain(..).collect());
                    }
                }
                c.rx.lock().await.recv().await
            }
        }
    }

    /// Everything up to end of file.
    pub async fn read_all(&self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(chunk) = self.read_chunk().await {
            out.extend(chunk);
        }
        out
    }
}

/// Where a program writes.
#[derive(Clone)]
pub enum Output {
    /// Discarded (`> /dev/null`).
    Null,
    /// The process's stdout/stderr; `crlf` when a terminal is attached (`\n` → `\r\n`).
    Stream {
        w: Arc<tokio::sync::Mutex<Writer>>,
        crlf: bool,
    },
    /// Collected in memory.
    Buffer(Arc<Mutex<Vec<u8>>>),
    /// Appended to a container file.
    File { fs: Arc<ContainerFs>, path: String },
}

impl Output {
    /// A stream output.
    pub fn stream(w: Writer, crlf: bool) -> Output {
        Output::Stream {
            w: Arc::new(tokio::sync::Mutex::new(w)),
            crlf,
        }
    }

    /// A fresh in-memory buffer.
    pub fn buffer() -> Output {
        Output::Buffer(Arc::new(Mutex::new(Vec::new())))
    }

    /// The bytes of a buffer output (empty for other kinds).
    pub fn take(&self) -> Vec<u8> {
        match self {
            Output::Buffer(b) => {
                std::mem::take(&mut *b.lock().unwrap_or_else(PoisonError::into_inner))
            }
            _ => Vec::new(),
        }
    }

    /// Write and flush (the learner watches output live).
    ///
    /// # Errors
    /// The message a tool would print (`No space left on device`, a closed stream).
    pub async fn write(&self, data: &[u8]) -> Result<(), String> {
        match self {
            Output::Null => Ok(()),
            Output::Stream { w, crlf } => {
                let data = if *crlf { to_crlf(data) } else { data.to_vec() };
                let mut w = w.lock().await;
                w.write_all(&data).await.map_err(|e| e.to_string())?;
                w.flush().await.map_err(|e| e.to_string())
            }
            Output::Buffer(b) => {
                b.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend_from_slice(data);
                Ok(())
            }
            Output::File { fs, path } => fs.append("/", path, data).map_err(|e| e.to_string()),
        }
    }

    /// Write text; errors are ignored (a closed terminal must not crash a program).
    pub async fn print(&self, text: &str) {
        let _ = self.write(text.as_bytes()).await;
    }

    /// Write raw bytes that already carry their own line ends (terminal control).
    pub async fn raw(&self, data: &[u8]) {
        if let Output::Stream { w, .. } = self {
            let mut w = w.lock().await;
            let _ = w.write_all(data).await;
            let _ = w.flush().await;
        } else {
            let _ = self.write(data).await;
        }
    }
}

/// `\n` → `\r\n` unless already preceded by `\r`.
fn to_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 8);
    let mut prev = 0u8;
    for &b in data {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// The terminal line discipline for programs that read a terminal without editing it
/// themselves (`cat`, `read`, a password prompt): echo typed characters while echo is on, erase
/// on DEL/backspace, deliver a line (CR → LF) on Enter, end of input on Ctrl-D at the start of
/// a line. Returns when Ctrl-C arrives (the caller stops the foreground command, as SIGINT
/// would); bytes after it are given back to `raw`. `first` holds bytes already read; `line`
/// keeps a half-typed line so the caller can recover it.
pub async fn forward_until_interrupt(
    raw: Input,
    feed: TermFeed,
    first: Vec<u8>,
    echo_to: Output,
    line: &mut Vec<u8>,
) {
    let mut tx = Some(feed.tx);
    let mut chunk = Some(first);
    let mut last_cr = false;
    loop {
        if let Some(data) = chunk.take() {
            let mut k = 0;
            while k < data.len() {
                let b = data[k];
                k += 1;
                let echo = feed.echo.load(Ordering::SeqCst);
                let was_cr = std::mem::replace(&mut last_cr, b == b'\r');
                match b {
                    0x03 => {
                        raw.unread(&data[k..]);
                        return;
                    }
                    b'\r' | b'\n' => {
                        if b == b'\n' && was_cr {
                            continue;
                        }
                        if echo {
                            echo_to.raw(b"\r\n").await;
                        }
                        line.push(b'\n');
                        if let Some(t) = &tx {
                            let _ = t.send(std::mem::take(line));
                        }
                        line.clear();
                    }
                    0x04 => {
                        if line.is_empty() {
                            // End of input for the command; what follows is for whoever reads
                            // the terminal next (the shell prompt).
                            drop(tx.take());
                            raw.unread(&data[k..]);
                            std::future::pending::<()>().await;
                        } else if let Some(t) = &tx {
                            let _ = t.send(std::mem::take(line));
                        }
                    }
                    0x7f | 0x08 => {
                        let mut popped = false;
                        while let Some(c) = line.pop() {
                            popped = true;
                            if c & 0xC0 != 0x80 {
                                break;
                            }
                        }
                        if popped && echo {
                            echo_to.raw(b"\x08 \x08").await;
                        }
                    }
                    0x15 => line.clear(),
                    0x1b => {
                        // Swallow an escape sequence (arrow keys) within this chunk.
                        if matches!(data.get(k), Some(b'[' | b'O')) {
                            k += 1;
                            while k < data.len()
                                && !(data[k].is_ascii_alphabetic() || data[k] == b'~')
                            {
                                k += 1;
                            }
                            k += 1;
                        }
                    }
                    b'\t' => {
                        line.push(b);
                        if echo {
                            echo_to.raw(b"\t").await;
                        }
                    }
                    c if c < 0x20 => {}
                    c => {
                        line.push(c);
                        if echo {
                            echo_to.raw(&[c]).await;
                        }
                    }
                }
            }
        }
        match raw.read_chunk().await {
            Some(d) => chunk = Some(d),
            None => {
                // End of input: deliver what was typed, then the command sees EOF.
                if let Some(t) = tx.take()
                    && !line.is_empty()
                {
                    let _ = t.send(std::mem::take(line));
                }
                std::future::pending::<()>().await;
            }
        }
    }
}
