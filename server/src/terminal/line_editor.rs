//! The prompt's line editor: turns the learner's keystrokes into an edited line, the echo that
//! shows it, and the moments a line is submitted, interrupted, cleared or ended.
//!
//! It is pure (bytes in, bytes and actions out) so it tests without a socket. Input arrives in
//! arbitrary chunks, so an escape sequence or a UTF-8 character split across two chunks is kept
//! until the rest arrives.

use std::collections::VecDeque;

pub(crate) const PROMPT: &str = "$ ";
/// Lines kept for up/down and `history`.
const HISTORY_LIMIT: usize = 500;
/// A line longer than this is not a command anyone types; refuse more characters.
const LINE_LIMIT: usize = 4096;

/// A key, decoded from the terminal's input bytes (xterm's sequences).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    Char(char),
    Enter,
    Backspace,
    Delete,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    Interrupt,   // Ctrl-C
    EndOfInput,  // Ctrl-D
    ClearScreen, // Ctrl-L
    KillBefore,  // Ctrl-U
    KillWord,    // Ctrl-W
    Tab,
    /// A sequence or control byte the editor does not use.
    Ignored,
}

/// Splits input bytes into keys, keeping an unfinished sequence for the next chunk.
#[derive(Debug, Default)]
pub(crate) struct KeyDecoder {
    pending: Vec<u8>,
}

impl KeyDecoder {
    /// The keys in `input` (after whatever was pending), each with the bytes it was made of.
    pub(crate) fn push(&mut self, input: &[u8]) -> Vec<(Key, Vec<u8>)> {
        self.pending.extend_from_slice(input);
        let mut keys = Vec::new();
        let mut at = 0;
        while at < self.pending.len() {
            match decode_one(&self.pending[at..]) {
                Decoded::Key(key, len) => {
                    keys.push((key, self.pending[at..at + len].to_vec()));
                    at += len;
                }
                Decoded::Incomplete => break,
            }
        }
        self.pending.drain(..at);
        keys
    }

    /// Bytes of an unfinished sequence, handed back when the keys go elsewhere (to a command).
    pub(crate) fn take_pending(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }
}

enum Decoded {
    Key(Key, usize),
    Incomplete,
}

fn decode_one(bytes: &[u8]) -> Decoded {
    let Some(&first) = bytes.first() else {
        return Decoded::Incomplete;
    };
    let key = match first {
        b'\r' => {
            // A pasted "\r\n" is one Enter.
            let len = if bytes.get(1) == Some(&b'\n') { 2 } else { 1 };
            return Decoded::Key(Key::Enter, len);
        }
        b'\n' => Key::Enter,
        0x7f | 0x08 => Key::Backspace,
        0x03 => Key::Interrupt,
        0x04 => Key::EndOfInput,
        0x0c => Key::ClearScreen,
        0x15 => Key::KillBefore,
        0x17 => Key::KillWord,
        0x01 => Key::Home,
        0x05 => Key::End,
        0x02 => Key::Left,
        0x06 => Key::Right,
        0x10 => Key::Up,
        0x0e => Key::Down,
        b'\t' => Key::Tab,
        0x1b => return decode_escape(bytes),
        byte if byte < 0x20 => Key::Ignored,
        _ => return decode_utf8(bytes),
    };
    Decoded::Key(key, 1)
}

fn decode_escape(bytes: &[u8]) -> Decoded {
    match bytes.get(1) {
        None => Decoded::Incomplete,
        // CSI: parameters and intermediates, then one final byte in 0x40..=0x7e.
        Some(b'[') => {
            let Some(end) = bytes[2..].iter().position(|b| (0x40..=0x7e).contains(b)) else {
                // A runaway sequence is dropped rather than kept forever.
                return if bytes.len() > 32 {
                    Decoded::Key(Key::Ignored, bytes.len())
                } else {
                    Decoded::Incomplete
                };
            };
            let params = &bytes[2..2 + end];
            let key = match (params, bytes[2 + end]) {
                (_, b'A') => Key::Up,
                (_, b'B') => Key::Down,
                (_, b'C') => Key::Right,
                (_, b'D') => Key::Left,
                (_, b'H') | (b"1" | b"7", b'~') => Key::Home,
                (_, b'F') | (b"4" | b"8", b'~') => Key::End,
                (b"3", b'~') => Key::Delete,
                _ => Key::Ignored,
            };
            Decoded::Key(key, 3 + end)
        }
        // SS3: application cursor keys.
        Some(b'O') => match bytes.get(2) {
            None => Decoded::Incomplete,
            Some(b'A') => Decoded::Key(Key::Up, 3),
            Some(b'B') => Decoded::Key(Key::Down, 3),
            Some(b'C') => Decoded::Key(Key::Right, 3),
            Some(b'D') => Decoded::Key(Key::Left, 3),
            Some(b'H') => Decoded::Key(Key::Home, 3),
            Some(b'F') => Decoded::Key(Key::End, 3),
            Some(_) => Decoded::Key(Key::Ignored, 3),
        },
        // Alt+key and lone escapes are not used.
        Some(_) => Decoded::Key(Key::Ignored, 2),
    }
}

fn decode_utf8(bytes: &[u8]) -> Decoded {
    let len = match bytes[0] {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return Decoded::Key(Key::Ignored, 1),
    };
    if bytes.len() < len {
        return Decoded::Incomplete;
    }
    match std::str::from_utf8(&bytes[..len])
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) => Decoded::Key(Key::Char(c), len),
        None => Decoded::Key(Key::Ignored, 1),
    }
}

/// What a key did, beyond the echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Enter: the line to run (the echo already ended the line).
    Submit(String),
    /// Ctrl-L: clear the screen and draw the prompt again.
    Clear,
    /// Ctrl-D on an empty line.
    EndOfInput,
}

/// The line being edited, its cursor and the history.
#[derive(Debug, Default)]
pub(crate) struct LineEditor {
    line: Vec<char>,
    cursor: usize,
    history: VecDeque<String>,
    /// Position while browsing history with up/down (`None`: editing a new line).
    browsing: Option<usize>,
    /// The new line being typed before browsing started, restored by going down past the end.
    draft: Vec<char>,
}

impl LineEditor {
    /// Applies `key`, appending the bytes that show its effect to `echo`.
    pub(crate) fn key(&mut self, key: &Key, echo: &mut Vec<u8>) -> Option<Action> {
        match key {
            Key::Char(c) => {
                if self.line.len() >= LINE_LIMIT {
                    echo.push(0x07);
                    return None;
                }
                self.line.insert(self.cursor, *c);
                self.cursor += 1;
                if self.cursor == self.line.len() {
                    // The common case, typing at the end: echo the character alone.
                    let mut buf = [0; 4];
                    echo.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                } else {
                    self.redraw(echo);
                }
            }
            Key::Enter => {
                let line: String = self.line.iter().collect();
                echo.extend_from_slice(b"\r\n");
                self.remember(&line);
                self.reset_line();
                return Some(Action::Submit(line));
            }
            Key::Backspace => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    self.line.remove(self.cursor);
                    self.redraw(echo);
                }
            }
            Key::Delete => self.delete_under_cursor(echo),
            Key::Left => {
                if self.cursor > 0 {
                    self.cursor -= 1;
                    echo.extend_from_slice(b"\x1b[D");
                }
            }
            Key::Right => {
                if self.cursor < self.line.len() {
                    self.cursor += 1;
                    echo.extend_from_slice(b"\x1b[C");
                }
            }
            Key::Home => {
                self.cursor = 0;
                self.redraw(echo);
            }
            Key::End => {
                self.cursor = self.line.len();
                self.redraw(echo);
            }
            Key::Up => self.history_up(echo),
            Key::Down => self.history_down(echo),
            Key::Interrupt => {
                echo.extend_from_slice(b"^C\r\n");
                self.reset_line();
                echo.extend_from_slice(PROMPT.as_bytes());
            }
            Key::EndOfInput => {
                if self.line.is_empty() {
                    return Some(Action::EndOfInput);
                }
                self.delete_under_cursor(echo);
            }
            Key::ClearScreen => return Some(Action::Clear),
            Key::KillBefore => {
                self.line.drain(..self.cursor);
                self.cursor = 0;
                self.redraw(echo);
            }
            Key::KillWord => {
                let mut start = self.cursor;
                while start > 0 && self.line[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && self.line[start - 1] != ' ' {
                    start -= 1;
                }
                self.line.drain(start..self.cursor);
                self.cursor = start;
                self.redraw(echo);
            }
            Key::Tab => echo.push(0x07),
            Key::Ignored => {}
        }
        None
    }

    /// The prompt and the line as it stands, cursor in place (after a clear or a command).
    pub(crate) fn draw(&self, echo: &mut Vec<u8>) {
        echo.extend_from_slice(PROMPT.as_bytes());
        self.redraw(echo);
    }

    /// Lines entered so far, oldest first.
    pub(crate) fn history(&self) -> impl Iterator<Item = &str> {
        self.history.iter().map(String::as_str)
    }

    fn delete_under_cursor(&mut self, echo: &mut Vec<u8>) {
        if self.cursor < self.line.len() {
            self.line.remove(self.cursor);
            self.redraw(echo);
        }
    }

    /// Rewrites the line after the prompt and puts the cursor back. Lines are short, so a full
    /// redraw is simpler than tracking what changed.
    fn redraw(&self, echo: &mut Vec<u8>) {
        echo.extend_from_slice(b"\r\x1b[K");
        echo.extend_from_slice(PROMPT.as_bytes());
        let text: String = self.line.iter().collect();
        echo.extend_from_slice(text.as_bytes());
        let back = self.line.len() - self.cursor;
        if back > 0 {
            echo.extend_from_slice(format!("\x1b[{back}D").as_bytes());
        }
    }

    fn remember(&mut self, line: &str) {
        if line.trim().is_empty() || self.history.back().is_some_and(|last| last == line) {
            return;
        }
        if self.history.len() == HISTORY_LIMIT {
            self.history.pop_front();
        }
        self.history.push_back(line.to_owned());
    }

    fn reset_line(&mut self) {
        self.line.clear();
        self.cursor = 0;
        self.browsing = None;
        self.draft.clear();
    }

    fn history_up(&mut self, echo: &mut Vec<u8>) {
        let next = match self.browsing {
            None if self.history.is_empty() => return,
            None => {
                self.draft = self.line.clone();
                self.history.len() - 1
            }
            Some(0) => return,
            Some(i) => i - 1,
        };
        self.show_history(next, echo);
    }

    fn history_down(&mut self, echo: &mut Vec<u8>) {
        let Some(i) = self.browsing else { return };
        if i + 1 < self.history.len() {
            self.show_history(i + 1, echo);
        } else {
            self.browsing = None;
            self.line = std::mem::take(&mut self.draft);
            self.cursor = self.line.len();
            self.redraw(echo);
        }
    }

    fn show_history(&mut self, index: usize, echo: &mut Vec<u8>) {
        self.browsing = Some(index);
        self.line = self.history[index].chars().collect();
        self.cursor = self.line.len();
        self.redraw(echo);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` and returns the submitted lines and the editor.
    fn type_in(editor: &mut LineEditor, input: &[u8]) -> (Vec<Action>, Vec<u8>) {
        let mut decoder = KeyDecoder::default();
        let mut echo = Vec::new();
        let actions = decoder
            .push(input)
            .iter()
            .filter_map(|(key, _)| editor.key(key, &mut echo))
            .collect();
        (actions, echo)
    }

    #[test]
    fn typing_and_enter_submits_the_line_with_echo() {
        let mut editor = LineEditor::default();
        let (actions, echo) = type_in(&mut editor, b"kubectl get pods\r");
        assert_eq!(actions, [Action::Submit("kubectl get pods".into())]);
        assert_eq!(echo, b"kubectl get pods\r\n");
    }

    #[test]
    fn backspace_and_cursor_keys_edit_in_the_middle() {
        let mut editor = LineEditor::default();
        // "kubetl", left twice, insert "c", End, then fix a typo at the end with backspace.
        let (actions, _) = type_in(&mut editor, b"kubetl\x1b[D\x1b[Dc\x1b[F get podz\x7fs\r");
        assert_eq!(actions, [Action::Submit("kubectl get pods".into())]);
    }

    #[test]
    fn history_goes_up_and_down_and_keeps_the_draft() {
        let mut editor = LineEditor::default();
        type_in(&mut editor, b"kubectl get pods\rkubectl get nodes\r");
        let (actions, _) = type_in(&mut editor, b"draft\x1b[A\x1b[A\r");
        assert_eq!(actions, [Action::Submit("kubectl get pods".into())]);
        let (actions, _) = type_in(&mut editor, b"new\x1b[A\x1b[B\r");
        assert_eq!(actions, [Action::Submit("new".into())]);
        assert_eq!(
            editor.history().collect::<Vec<_>>(),
            [
                "kubectl get pods",
                "kubectl get nodes",
                "kubectl get pods",
                "new"
            ]
        );
    }

    #[test]
    fn ctrl_c_drops_the_line_and_draws_a_new_prompt() {
        let mut editor = LineEditor::default();
        let (actions, echo) = type_in(&mut editor, b"kubectl\x03");
        assert!(actions.is_empty());
        assert!(echo.ends_with(b"^C\r\n$ "));
        let (actions, _) = type_in(&mut editor, b"\r");
        assert_eq!(actions, [Action::Submit(String::new())]);
    }

    #[test]
    fn ctrl_l_clears_and_ctrl_d_ends_only_an_empty_line() {
        let mut editor = LineEditor::default();
        assert_eq!(type_in(&mut editor, b"\x0c").0, [Action::Clear]);
        assert_eq!(type_in(&mut editor, b"ab\x01\x04").0, []);
        assert_eq!(
            type_in(&mut editor, b"\x05\x15\x04").0,
            [Action::EndOfInput]
        );
    }

    #[test]
    fn sequences_and_utf8_split_across_chunks_are_joined() {
        let mut decoder = KeyDecoder::default();
        assert!(decoder.push(b"\x1b[").is_empty());
        assert_eq!(decoder.push(b"A")[0].0, Key::Up);
        let e_acute = "é".as_bytes();
        assert!(decoder.push(&e_acute[..1]).is_empty());
        assert_eq!(decoder.push(&e_acute[1..])[0].0, Key::Char('é'));
        assert_eq!(decoder.push(b"\x1b[3~")[0].0, Key::Delete);
        assert_eq!(decoder.push(b"\x1bOH")[0].0, Key::Home);
    }

    #[test]
    fn ctrl_w_deletes_the_word_before_the_cursor() {
        let mut editor = LineEditor::default();
        let (actions, _) = type_in(&mut editor, b"kubectl get podz  \x17pods\r");
        assert_eq!(actions, [Action::Submit("kubectl get pods".into())]);
    }
}
