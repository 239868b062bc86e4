//! One connection's outgoing queue, bounded in bytes.
//!
//! Publishers never wait on it: [`Outbox::push`] either queues, replaces a superseded progress event of
//! the same run (when the client lags), or reports overflow, after which the connection is closed with a
//! resumable code. The writer task takes everything queued at once and writes it with one flush: each message its own
//! frame, several frames in one write.
//! The outbox is also how the reader tells the writer the rest: a refreshed token's expiry, and the end.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    task::Poll,
    time::Instant,
};

use futures::task::AtomicWaker;
use tungstenite::Utf8Bytes;

/// How far back a push looks for a superseded progress event of the same run. Bounds the work a lagging
/// client can cause per publish.
const COALESCE_SCAN: usize = 64;

/// One queued message.
#[derive(Debug, Clone)]
pub struct Item {
    pub bytes: Utf8Bytes,
    /// The run this message belongs to, for run events.
    pub run: Option<Arc<str>>,
    /// Whether a newer progress event of the same run may replace this one while it waits.
    pub coalescable: bool,
    /// When it was published, for the publish→send latency metric.
    pub published_at: Instant,
}

impl Item {
    /// A message that is not a run event (answers, room events).
    pub fn control(bytes: Utf8Bytes) -> Self {
        Self {
            bytes,
            run: None,
            coalescable: false,
            published_at: Instant::now(),
        }
    }
}

/// What happened to a pushed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    /// It replaced an older, superseded progress event of the same run.
    Coalesced,
    /// The queue is over its byte bound: the message was not queued and the connection must close.
    Overflow,
    /// The connection is closing; nothing more is queued.
    Closed,
}

/// What [`Outbox::next`] woke the writer for.
#[derive(Debug)]
pub enum Wake {
    /// Everything queued, oldest first.
    Send(VecDeque<Item>),
    /// The token was refreshed: it now expires at this time (seconds since the Unix epoch).
    Expiry(u64),
    /// The queue went over its bound: the connection closes as a slow consumer.
    Overflow,
    /// The reader closed the outbox and everything queued before was taken: send the close frame.
    Closed,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Item>,
    bytes: usize,
    /// A token expiry the writer has not seen yet.
    expiry: Option<u64>,
    overflowed: bool,
    closed: bool,
}

/// Shared between the hub (pushing) and the connection's writer (draining).
///
/// One task drains it (the writer), so waking it is an [`AtomicWaker`]: a push is one atomic swap
/// and the writer's wake, with no list of waiters to lock as `tokio::sync::Notify` has.
pub struct Outbox {
    state: Mutex<State>,
    writer: AtomicWaker,
    max_bytes: usize,
}

impl Outbox {
    pub fn new(max_bytes: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State::default()),
            writer: AtomicWaker::new(),
            max_bytes,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a message without waiting.
    pub fn push(&self, item: Item) -> Pushed {
        let mut st = self.lock();
        if st.closed || st.overflowed {
            return Pushed::Closed;
        }
        if item.coalescable && !st.queue.is_empty() {
            if let Some(slot) = superseded_slot(&st.queue, item.run.as_deref()) {
                let old = std::mem::replace(&mut st.queue[slot], item);
                let new_len = st.queue[slot].bytes.len();
                st.bytes = st.bytes - old.bytes.len() + new_len;
                return Pushed::Coalesced;
            }
        }
        // An empty queue always takes one message, however big, so progress is always possible.
        if !st.queue.is_empty() && st.bytes + item.bytes.len() > self.max_bytes {
            st.overflowed = true;
            drop(st);
            self.writer.wake();
            return Pushed::Overflow;
        }
        st.bytes += item.bytes.len();
        st.queue.push_back(item);
        drop(st);
        self.writer.wake();
        Pushed::Queued
    }

    /// Waits until the writer has something to do: messages to send (all that is queued, taken at
    /// once; the queue keeps no buffer while the connection is idle), a new token expiry, or the end
    /// (the queue overflowed, or it was closed and everything before that was taken).
    /// Only one task may wait on it at a time (the connection's writer).
    pub async fn next(&self) -> Wake {
        std::future::poll_fn(|cx| {
            // Register before looking, so a push between the check and the wait is not missed.
            self.writer.register(cx.waker());
            let mut st = self.lock();
            if st.overflowed {
                return Poll::Ready(Wake::Overflow);
            }
            if let Some(expires_at) = st.expiry.take() {
                return Poll::Ready(Wake::Expiry(expires_at));
            }
            if !st.queue.is_empty() {
                st.bytes = 0;
                return Poll::Ready(Wake::Send(std::mem::take(&mut st.queue)));
            }
            if st.closed {
                return Poll::Ready(Wake::Closed);
            }
            Poll::Pending
        })
        .await
    }

    /// Tells the writer the token now expires at `expires_at` (seconds since the Unix epoch).
    pub fn set_expiry(&self, expires_at: u64) {
        self.lock().expiry = Some(expires_at);
        self.writer.wake();
    }

    /// Whether the queue overflowed (the connection is being closed for it).
    pub fn overflowed(&self) -> bool {
        self.lock().overflowed
    }

    /// Stops accepting messages and wakes the writer, which sends what is queued, then its close
    /// frame.
    pub fn close(&self) {
        self.lock().closed = true;
        self.writer.wake();
    }

    /// Bytes waiting to be sent.
    pub fn queued_bytes(&self) -> usize {
        self.lock().bytes
    }
}

/// The queue position a new progress event of `run` may take over: the latest queued message of that run,
/// if it is itself a coalescable progress event. Anything later of the same run (a step result, a status
/// change) pins the order, so nothing is reordered.
fn superseded_slot(queue: &VecDeque<Item>, run: Option<&str>) -> Option<usize> {
    let run = run?;
    let start = queue.len().saturating_sub(COALESCE_SCAN);
    (start..queue.len())
        .rev()
        .find(|&i| queue[i].run.as_deref() == Some(run))
        .filter(|&i| queue[i].coalescable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(run: &str, text: &str, coalescable: bool) -> Item {
        Item {
            bytes: Utf8Bytes::from(text.to_owned()),
            run: Some(Arc::from(run)),
            coalescable,
            published_at: Instant::now(),
        }
    }

    async fn drained(outbox: &Outbox) -> Vec<String> {
        match outbox.next().await {
            Wake::Send(items) => items.iter().map(|i| i.bytes.as_str().to_owned()).collect(),
            other => panic!("expected messages, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn progress_is_coalesced_but_never_reordered_or_dropped_past_a_result() {
        let outbox = Outbox::new(1 << 20);
        assert_eq!(outbox.push(progress("a", "p1", true)), Pushed::Queued);
        assert_eq!(outbox.push(progress("a", "p2", true)), Pushed::Coalesced);
        assert_eq!(outbox.push(progress("b", "q1", true)), Pushed::Queued);
        assert_eq!(outbox.push(progress("a", "p3", true)), Pushed::Coalesced);
        assert_eq!(outbox.push(progress("a", "step", false)), Pushed::Queued);
        assert_eq!(outbox.push(progress("a", "p4", true)), Pushed::Queued);
        assert_eq!(drained(&outbox).await, ["p3", "q1", "step", "p4"]);
    }

    #[tokio::test]
    async fn overflow_is_reported_and_ends_draining() {
        let outbox = Outbox::new(10);
        assert_eq!(
            outbox.push(progress("a", "0123456789", false)),
            Pushed::Queued
        );
        assert_eq!(outbox.push(progress("a", "x", false)), Pushed::Overflow);
        assert!(outbox.overflowed());
        assert_eq!(outbox.push(progress("a", "y", false)), Pushed::Closed);
        assert!(matches!(outbox.next().await, Wake::Overflow));
    }

    #[tokio::test]
    async fn a_closed_outbox_hands_over_what_was_queued_then_ends() {
        let outbox = Outbox::new(1 << 20);
        outbox.push(progress("a", "last", false));
        outbox.set_expiry(42);
        outbox.close();
        assert_eq!(outbox.push(progress("a", "late", false)), Pushed::Closed);
        assert!(matches!(outbox.next().await, Wake::Expiry(42)));
        assert_eq!(drained(&outbox).await, ["last"]);
        assert!(matches!(outbox.next().await, Wake::Closed));
    }
}
