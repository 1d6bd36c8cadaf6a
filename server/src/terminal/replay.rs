//! The replay buffer: the last bytes written to a terminal, so a browser that reconnects (a
//! reload, a dropped connection) shows what was on the screen.

use std::collections::VecDeque;

/// How far back a reconnecting terminal sees.
pub(crate) const REPLAY_CAPACITY: usize = 64 * 1024;
/// When trimming, cut at a line start if one is this close, so the replay does not begin in
/// the middle of a line or an escape sequence.
const LINE_SEARCH: usize = 4096;

/// A bounded byte buffer that keeps the most recent output.
#[derive(Debug)]
pub(crate) struct ReplayBuffer {
    bytes: VecDeque<u8>,
    capacity: usize,
}

impl ReplayBuffer {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            bytes: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// Appends output, dropping the oldest bytes beyond the capacity.
    pub(crate) fn push(&mut self, data: &[u8]) {
        let data = &data[data.len().saturating_sub(self.capacity)..];
        self.bytes.extend(data);
        let excess = self.bytes.len().saturating_sub(self.capacity);
        if excess == 0 {
            return;
        }
        let line_start = self
            .bytes
            .range(excess..)
            .take(LINE_SEARCH)
            .position(|b| *b == b'\n')
            .map(|i| excess + i + 1);
        self.bytes.drain(..line_start.unwrap_or(excess));
    }

    /// Forgets everything (the screen was cleared).
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
    }

    pub(crate) fn snapshot(&self) -> Vec<u8> {
        self.bytes.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_under_the_capacity() {
        let mut replay = ReplayBuffer::new(16);
        replay.push(b"$ k get pods\r\n");
        assert_eq!(replay.snapshot(), b"$ k get pods\r\n");
    }

    #[test]
    fn drops_the_oldest_lines_first() {
        let mut replay = ReplayBuffer::new(12);
        replay.push(b"first\r\nsecond\r\n");
        replay.push(b"third\r\n");
        // 22 bytes → over by 10: the cut moves on to the next line start.
        assert_eq!(replay.snapshot(), b"third\r\n");
        assert!(replay.snapshot().len() <= 12);
    }

    #[test]
    fn a_huge_write_keeps_only_its_tail() {
        let mut replay = ReplayBuffer::new(8);
        replay.push(&[b'x'; 100]);
        assert_eq!(replay.snapshot(), [b'x'; 8]);
        replay.clear();
        assert!(replay.snapshot().is_empty());
    }
}
