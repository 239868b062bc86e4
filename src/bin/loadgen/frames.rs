//! The generator's receive path for the fan-out: WebSocket frames read straight from the TCP socket.
//!
//! The handshake and the subscribe go through tokio-tungstenite; after that a fan-out client only
//! counts messages and reads one number from each, so it reads the socket itself: one `read` takes
//! every frame that has arrived, each frame's header is parsed in place (servers never mask), and
//! the payload is scanned where it lies, with no message built, copied or allocated. The generator
//! must cost less per message than the servers it measures, or it becomes what is measured.

use std::sync::{atomic::Ordering, Arc};

use hdrhistogram::Histogram;
use tokio::net::TcpStream;
use tokio_tungstenite::MaybeTlsStream;

use crate::{now_us, unreachable_hist, Tally, Ws};

const TEXT: u8 = 0x1;
const CONTINUATION: u8 = 0x0;
const CLOSE: u8 = 0x8;

/// Frames arriving on one socket, parsed in place from one buffer.
struct FrameReader {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl FrameReader {
    fn new() -> Self {
        Self {
            buf: vec![0; 16 * 1024],
            start: 0,
            end: 0,
        }
    }

    /// Waits for the socket and reads what it has. `Ok(false)`: the peer closed it.
    async fn fill(&mut self, tcp: &TcpStream) -> std::io::Result<bool> {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.end == self.buf.len() {
            // Keep the partial frame, at the front, and make room for the rest of it.
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        loop {
            tcp.readable().await?;
            match tcp.try_read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The next complete frame: its opcode and payload. `None`: more bytes are needed.
    fn next(&mut self) -> Option<(u8, &[u8])> {
        let b = &self.buf[self.start..self.end];
        let (&first, &second) = (b.first()?, b.get(1)?);
        let (len, mut header) = match second & 0x7f {
            126 => (u16::from_be_bytes([*b.get(2)?, *b.get(3)?]) as usize, 4),
            127 => (
                u64::from_be_bytes(b.get(2..10)?.try_into().ok()?) as usize,
                10,
            ),
            n => (usize::from(n), 2),
        };
        if second & 0x80 != 0 {
            header += 4;
        }
        if b.len() < header + len {
            return None;
        }
        let payload = (self.start + header)..(self.start + header + len);
        self.start = payload.end;
        Some((first & 0x0f, &self.buf[payload]))
    }
}

/// Reads one client's socket until the run completes, counting progress messages and recording the
/// publish→receive latency carried in each message (`t=<µs>`). A frame of several messages (the
/// `batch` frames of builds before 2026-12-03, which a baseline may be) counts message by message.
pub async fn drain(mut ws: Ws, tally: Arc<Tally>, deadline: std::time::Instant) {
    let mut local = Histogram::<u64>::new(3).unwrap_or_else(|_| unreachable_hist());
    let mut count = 0u64;
    if let MaybeTlsStream::Plain(tcp) = ws.get_ref() {
        let mut frames = FrameReader::new();
        'read: while let Ok(Ok(true)) =
            tokio::time::timeout_at(deadline.into(), frames.fill(tcp)).await
        {
            let received = now_us();
            while let Some((opcode, payload)) = frames.next() {
                match opcode {
                    TEXT | CONTINUATION => {
                        let text = std::str::from_utf8(payload).unwrap_or_default();
                        if scan(text, received, &mut local, &mut count) {
                            break 'read;
                        }
                    }
                    CLOSE => break 'read,
                    _ => {}
                }
            }
        }
    }
    tally.delivered.fetch_add(count, Ordering::Relaxed);
    if let Ok(mut h) = tally.latency.lock() {
        match h.as_mut() {
            Some(h) => {
                let _ = h.add(&local);
            }
            None => *h = Some(local),
        }
    }
    let _ = futures::SinkExt::close(&mut ws).await;
}

/// Counts the progress messages in one frame (a message or a batch) and records each one's latency
/// from the publish time it carries. Returns whether the run completed.
fn scan(text: &str, received: u64, hist: &mut Histogram<u64>, count: &mut u64) -> bool {
    let mut done = false;
    for (i, _) in text.match_indices("\"type\":\"") {
        let rest = &text[i + 8..];
        if rest.starts_with("test_progress") {
            *count += 1;
            if let Some(sent) = rest
                .find(" t=")
                .and_then(|p| leading_number(&rest[p + 3..]))
            {
                let _ = hist.record(received.saturating_sub(sent).max(1));
            }
        } else if rest.starts_with("test_completed") {
            done = true;
        }
    }
    done
}

fn leading_number(s: &str) -> Option<u64> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    s[..digits].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_parsed_in_place_across_lengths_and_partial_reads() {
        let mut wire = Vec::new();
        for payload in ["a".repeat(5), "b".repeat(300), "c".repeat(70_000)] {
            wire.push(0x80 | TEXT);
            match payload.len() {
                n if n < 126 => wire.push(n as u8),
                n if n <= 0xffff => {
                    wire.push(126);
                    wire.extend((n as u16).to_be_bytes());
                }
                n => {
                    wire.push(127);
                    wire.extend((n as u64).to_be_bytes());
                }
            }
            wire.extend(payload.as_bytes());
        }
        let mut frames = FrameReader::new();
        let mut seen = Vec::new();
        // Feed the bytes in pieces, as reads would, growing and compacting like `fill`.
        for piece in wire.chunks(1000) {
            if frames.end + piece.len() > frames.buf.len() {
                frames.buf.copy_within(frames.start..frames.end, 0);
                (frames.start, frames.end) = (0, frames.end - frames.start);
                let need = frames.end + piece.len();
                if need > frames.buf.len() {
                    frames.buf.resize(need, 0);
                }
            }
            frames.buf[frames.end..frames.end + piece.len()].copy_from_slice(piece);
            frames.end += piece.len();
            while let Some((op, payload)) = frames.next() {
                seen.push((op, payload.len(), payload[0]));
            }
        }
        assert_eq!(
            seen,
            [(TEXT, 5, b'a'), (TEXT, 300, b'b'), (TEXT, 70_000, b'c')]
        );
    }

    #[test]
    fn a_batch_counts_each_progress_message_and_its_latency() {
        let mut hist = Histogram::<u64>::new(3).unwrap();
        let mut count = 0;
        let batch = r#"{"type":"batch","messages":[{"type":"test_progress","message":"event 1 t=100"},{"type":"test_progress","message":"event 2 t=150"}]}"#;
        assert!(!scan(batch, 200, &mut hist, &mut count));
        assert_eq!(count, 2);
        assert_eq!(hist.len(), 2);
        assert_eq!(hist.max(), 100);
        assert!(scan(
            r#"{"type":"test_completed"}"#,
            300,
            &mut hist,
            &mut count
        ));
    }
}
