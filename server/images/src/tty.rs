//! The line discipline every interactive program shares: on a terminal the remote side sends raw
//! keystrokes, so we echo printable input, end lines on `\r`, erase on DEL/backspace, cancel on
//! Ctrl-C and end input on Ctrl-D. Without a terminal, input is plain lines.

use crate::stdio::{Input, Output};
use std::collections::VecDeque;

/// What one read produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineEvent {
    Line(String),
    /// Ctrl-C: the line was cancelled.
    Interrupt,
    /// Ctrl-D on an empty line, or end of input.
    Eof,
}

/// Reads lines from a program's stdin.
pub struct LineReader {
    input: Input,
    echo: Output,
    /// Print prompts (a terminal is attached).
    tty: bool,
    /// Do the line discipline here (raw terminal bytes); false when the input was already
    /// cooked by [`crate::stdio::forward_until_interrupt`] or there is no terminal.
    cook: bool,
    pending: VecDeque<u8>,
    eof: bool,
    last_was_cr: bool,
}

impl LineReader {
    /// A reader echoing to `echo` when `tty`.
    pub fn new(input: Input, echo: Output, tty: bool) -> LineReader {
        let cook = tty && !input.is_cooked();
        LineReader {
            input,
            echo,
            tty,
            cook,
            pending: VecDeque::new(),
            eof: false,
            last_was_cr: false,
        }
    }

    /// Bytes read ahead but not consumed yet.
    pub fn take_pending(&mut self) -> Vec<u8> {
        self.pending.drain(..).collect()
    }

    /// Put bytes in front of the pending input.
    pub fn unshift(&mut self, data: &[u8]) {
        for &b in data.iter().rev() {
            self.pending.push_front(b);
        }
    }

    async fn next_byte(&mut self) -> Option<u8> {
        loop {
            if let Some(b) = self.pending.pop_front() {
                return Some(b);
            }
            if self.eof {
                return None;
            }
            match self.input.read_chunk().await {
                Some(chunk) => self.pending.extend(chunk),
                None => self.eof = true,
            }
        }
    }

    /// Print `prompt` (terminal only) and read one line.
    pub async fn read_line(&mut self, prompt: &str) -> LineEvent {
        self.read(prompt, true).await
    }

    /// Read a line without echo (passwords).
    pub async fn read_secret(&mut self, prompt: &str) -> LineEvent {
        self.input.set_echo(false);
        let line = self.read(prompt, false).await;
        self.input.set_echo(true);
        line
    }

    async fn read(&mut self, prompt: &str, echo: bool) -> LineEvent {
        if self.tty && !prompt.is_empty() {
            self.echo.raw(prompt.as_bytes()).await;
        }
        let mut line: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.next_byte().await else {
                if line.is_empty() {
                    return LineEvent::Eof;
                }
                return LineEvent::Line(String::from_utf8_lossy(&line).into_owned());
            };
            if !self.cook {
                if b == b'\n' {
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    return LineEvent::Line(String::from_utf8_lossy(&line).into_owned());
                }
                line.push(b);
                continue;
            }
            let was_cr = std::mem::replace(&mut self.last_was_cr, b == b'\r');
            match b {
                b'\r' | b'\n' => {
                    if b == b'\n' && was_cr {
                        continue;
                    }
                    self.echo.raw(b"\r\n").await;
                    return LineEvent::Line(String::from_utf8_lossy(&line).into_owned());
                }
                0x03 => {
                    self.echo.raw(b"^C\r\n").await;
                    return LineEvent::Interrupt;
                }
                0x04 => {
                    if line.is_empty() {
                        return LineEvent::Eof;
                    }
                }
                0x7f | 0x08 => {
                    // Drop one whole UTF-8 character.
                    let mut popped = false;
                    while let Some(c) = line.pop() {
                        popped = true;
                        if c & 0xC0 != 0x80 {
                            break;
                        }
                    }
                    if popped && echo {
                        self.echo.raw(b"\x08 \x08").await;
                    }
                }
                0x15 => {
                    // Ctrl-U: kill the line.
                    if echo {
                        let n = String::from_utf8_lossy(&line).chars().count();
                        for _ in 0..n {
                            self.echo.raw(b"\x08 \x08").await;
                        }
                    }
                    line.clear();
                }
                0x1b => {
                    // Escape sequences (arrow keys): swallow `ESC [ ... letter`.
                    if let Some(b'[' | b'O') = self.next_byte().await {
                        while let Some(c) = self.next_byte().await {
                            if c.is_ascii_alphabetic() || c == b'~' {
                                break;
                            }
                        }
                    }
                }
                b'\t' => {}
                c if c < 0x20 => {}
                c => {
                    line.push(c);
                    if echo {
                        self.echo.raw(&[c]).await;
                    }
                }
            }
        }
    }
}

impl Drop for LineReader {
    fn drop(&mut self) {
        // Bytes read ahead belong to whoever reads stdin next (`read` in a loop, a client
        // reading the rest of a script after the password line).
        let rest: Vec<u8> = self.pending.drain(..).collect();
        self.input.unread(&rest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tty_editing_keys() {
        let out = Output::buffer();
        let input = Input::bytes(b"lsx\x7f -l\rab\x03cd\r\n\x04".to_vec());
        let mut r = LineReader::new(input, out.clone(), true);
        assert_eq!(r.read_line("/ # ").await, LineEvent::Line("ls -l".into()));
        assert_eq!(r.read_line("/ # ").await, LineEvent::Interrupt);
        assert_eq!(r.read_line("/ # ").await, LineEvent::Line("cd".into()));
        assert_eq!(r.read_line("/ # ").await, LineEvent::Eof);
        let echoed = String::from_utf8(out.take()).expect("utf8");
        assert_eq!(echoed, "/ # lsx\x08 \x08 -l\r\n/ # ab^C\r\n/ # cd\r\n/ # ");
    }

    #[tokio::test]
    async fn unread_bytes_go_back_to_the_input() {
        let input = Input::bytes(b"secret\nSELECT 1;\n".to_vec());
        {
            let mut r = LineReader::new(input.clone(), Output::Null, false);
            assert_eq!(r.read_secret("").await, LineEvent::Line("secret".into()));
        }
        assert_eq!(input.read_all().await, b"SELECT 1;\n");
    }

    #[tokio::test]
    async fn plain_lines_without_tty() {
        let out = Output::buffer();
        let mut r = LineReader::new(Input::bytes(b"a\r\nb\nc".to_vec()), out.clone(), false);
        assert_eq!(r.read_line("$ ").await, LineEvent::Line("a".into()));
        assert_eq!(r.read_line("$ ").await, LineEvent::Line("b".into()));
        assert_eq!(r.read_line("$ ").await, LineEvent::Line("c".into()));
        assert_eq!(r.read_line("$ ").await, LineEvent::Eof);
        assert!(out.take().is_empty());
    }
}
