//! The WebSocket hub: which connection follows which run, and the fan-out of run events.
//!
//! Engines publish [`RunEvent`]s; the hub numbers them (`seq`), folds them into the run's snapshot,
//! serialises each event once and queues the same bytes on every subscriber's outbox. It never does I/O
//! itself and never waits on a client: a subscriber whose bounded outbox is full is told to close
//! (see [`conn`]), so one slow reader cannot hold up a publisher or the other subscribers.
//!
//! Locking: one std `Mutex` over the run table, held only for in-memory work (no `.await` inside).

pub mod conn;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::protocol::{
    RunResults, RunSnapshot, RunStatus, ServerMessage, StepResult, TestId, TestProgress,
};

/// An event of a run, as an engine reports it. The hub adds the run id, `seq` and the timestamp.
#[derive(Debug, Clone)]
pub enum RunEvent {
    Progress {
        /// Steps finished; the percentage is derived from it.
        done_steps: u32,
        /// The step being executed, or the one that just finished (1-based).
        current_step: u32,
        total_steps: u32,
        message: String,
        step: Option<StepResult>,
    },
    Status(RunStatus),
    Completed {
        success: bool,
        results: RunResults,
    },
    Error(String),
}

/// The sending half of one connection's queue, as the hub holds it.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Utf8Bytes>,
    /// Cancelled when the queue overflowed: the connection must close so the client reconnects.
    overflow: CancellationToken,
}

impl Outbox {
    pub fn new(capacity: usize) -> (Self, mpsc::Receiver<Utf8Bytes>, CancellationToken) {
        let (tx, rx) = mpsc::channel(capacity);
        let overflow = CancellationToken::new();
        (
            Self {
                tx,
                overflow: overflow.clone(),
            },
            rx,
            overflow,
        )
    }

    /// Queues a message without waiting. Returns false (and flags the connection) when it is full.
    fn offer(&self, bytes: Utf8Bytes) -> bool {
        match self.tx.try_send(bytes) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.overflow.cancel();
                false
            }
            // The connection is gone; its cleanup will remove the subscription.
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// What [`Hub::subscribe`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Subscribed {
    /// The run is live in memory: its snapshot was queued, live events follow.
    Live,
    /// The run is live but belongs to someone else. Reported to the client exactly like `NotLive`
    /// followed by a failed database lookup, so a refusal reveals nothing.
    Forbidden,
    /// The hub has no live run by that id: the caller looks in the store.
    NotLive,
}

struct Topic {
    owner: i64,
    snapshot: RunSnapshot,
    subscribers: HashMap<u64, Outbox>,
}

/// Cheap to clone; all clones share one run table.
#[derive(Clone, Default)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    topics: Mutex<HashMap<TestId, Topic>>,
    next_connection_id: AtomicU64,
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn next_connection_id(&self) -> u64 {
        self.inner
            .next_connection_id
            .fetch_add(1, Ordering::Relaxed)
            + 1
    }

    fn topics(&self) -> MutexGuard<'_, HashMap<TestId, Topic>> {
        // A panic while the lock was held cannot leave the map half-updated in a way that matters
        // more than losing the whole hub, so a poisoned lock is used as is.
        self.inner.topics.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes a new run known to the hub before anyone can subscribe to it.
    pub fn open_run(&self, owner: i64, snapshot: RunSnapshot) {
        let id = snapshot.test_id.clone();
        self.topics().insert(
            id,
            Topic {
                owner,
                snapshot,
                subscribers: HashMap::new(),
            },
        );
    }

    /// Publishes one event of a run to its subscribers. Returns the run's snapshot after the event,
    /// or `None` when the hub does not know the run.
    pub fn publish(&self, test_id: &str, event: RunEvent) -> Option<RunSnapshot> {
        let mut topics = self.topics();
        let topic = topics.get_mut(test_id)?;
        let seq = topic.snapshot.seq + 1;
        let msg = event.into_message(test_id.to_owned(), seq, crate::server::now_ms());
        topic.snapshot.apply(&msg);
        let bytes = encode(&msg);
        // A subscriber whose outbox is full has been told to close; it resubscribes on reconnect.
        topic
            .subscribers
            .retain(|_, outbox| outbox.offer(bytes.clone()));
        Some(topic.snapshot.clone())
    }

    /// Forgets a finished run once its final state is stored; later subscribers read it from the store.
    pub fn close_run(&self, test_id: &str) {
        self.topics().remove(test_id);
    }

    /// Subscribes a connection to a live run, queuing `subscribed` with the snapshot first. Holding the
    /// lock while queuing guarantees no event is lost or doubled between the snapshot and the live stream.
    pub fn subscribe(
        &self,
        connection_id: u64,
        user_id: i64,
        test_id: &str,
        outbox: &Outbox,
    ) -> Subscribed {
        let mut topics = self.topics();
        let Some(topic) = topics.get_mut(test_id) else {
            return Subscribed::NotLive;
        };
        if topic.owner != user_id {
            return Subscribed::Forbidden;
        }
        let msg = ServerMessage::Subscribed {
            test_id: test_id.to_owned(),
            snapshot: topic.snapshot.clone(),
        };
        if outbox.offer(encode(&msg)) {
            topic.subscribers.insert(connection_id, outbox.clone());
        }
        Subscribed::Live
    }

    pub fn unsubscribe(&self, connection_id: u64, test_id: &str) {
        if let Some(topic) = self.topics().get_mut(test_id) {
            topic.subscribers.remove(&connection_id);
        }
    }

    /// The live snapshot of a run the user owns.
    pub fn snapshot(&self, user_id: i64, test_id: &str) -> Option<RunSnapshot> {
        self.topics()
            .get(test_id)
            .filter(|t| t.owner == user_id)
            .map(|t| t.snapshot.clone())
    }

    /// Number of subscribers of a run (for tests and metrics).
    pub fn subscriber_count(&self, test_id: &str) -> usize {
        self.topics()
            .get(test_id)
            .map_or(0, |t| t.subscribers.len())
    }
}

impl RunEvent {
    fn into_message(self, test_id: TestId, seq: u64, timestamp: u64) -> ServerMessage {
        match self {
            RunEvent::Progress {
                done_steps,
                current_step,
                total_steps,
                message,
                step,
            } => ServerMessage::TestProgress(TestProgress {
                test_id,
                seq,
                progress: percent(done_steps, total_steps),
                current_step,
                total_steps,
                message,
                step,
                timestamp,
            }),
            RunEvent::Status(status) => ServerMessage::TestStatusUpdate {
                test_id,
                seq,
                status,
                timestamp,
            },
            RunEvent::Completed { success, results } => ServerMessage::TestCompleted {
                test_id,
                seq,
                success,
                results,
                timestamp,
            },
            RunEvent::Error(error) => ServerMessage::TestError {
                test_id,
                seq,
                error,
                timestamp,
            },
        }
    }
}

/// Whole percent of `done` out of `total`, clamped to 0–100.
pub fn percent(done: u32, total: u32) -> u8 {
    if total == 0 {
        return 0;
    }
    ((u64::from(done.min(total)) * 100) / u64::from(total)) as u8
}

/// Serialises a server message once; the bytes are shared by every subscriber.
pub fn encode(msg: &ServerMessage) -> Utf8Bytes {
    // Server messages hold strings, numbers and vectors only: serialisation cannot fail.
    Utf8Bytes::from(serde_json::to_string(msg).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(n: u32) -> RunEvent {
        RunEvent::Progress {
            done_steps: n,
            current_step: n,
            total_steps: 4,
            message: format!("{n}/4"),
            step: None,
        }
    }

    #[test]
    fn percent_is_clamped() {
        assert_eq!(percent(3, 8), 37);
        assert_eq!(percent(9, 8), 100);
        assert_eq!(percent(1, 0), 0);
    }

    #[tokio::test]
    async fn events_fan_out_in_order_after_the_snapshot() {
        let hub = Hub::new();
        hub.open_run(1, RunSnapshot::queued("r".into(), "T".into(), 4));
        let (a, mut rx_a, _) = Outbox::new(16);
        let (b, mut rx_b, _) = Outbox::new(16);
        assert_eq!(hub.subscribe(1, 1, "r", &a), Subscribed::Live);
        hub.publish("r", progress(1));
        assert_eq!(hub.subscribe(2, 1, "r", &b), Subscribed::Live);
        hub.publish("r", progress(2));

        let first: ServerMessage = serde_json::from_str(&rx_a.recv().await.unwrap()).unwrap();
        assert!(
            matches!(first, ServerMessage::Subscribed { ref snapshot, .. } if snapshot.seq == 0)
        );
        let b_first: ServerMessage = serde_json::from_str(&rx_b.recv().await.unwrap()).unwrap();
        assert!(
            matches!(b_first, ServerMessage::Subscribed { ref snapshot, .. } if snapshot.seq == 1)
        );
        for (rx, want) in [(&mut rx_a, vec![1, 2]), (&mut rx_b, vec![2])] {
            for seq in want {
                let msg: ServerMessage = serde_json::from_str(&rx.recv().await.unwrap()).unwrap();
                assert_eq!(msg.run_event().unwrap().1, seq);
            }
        }
    }

    #[test]
    fn other_users_are_refused_and_full_outboxes_flagged() {
        let hub = Hub::new();
        hub.open_run(1, RunSnapshot::queued("r".into(), "T".into(), 4));
        let (outbox, _rx, overflow) = Outbox::new(1);
        assert_eq!(hub.subscribe(9, 2, "r", &outbox), Subscribed::Forbidden);
        assert_eq!(hub.subscribe(9, 1, "nope", &outbox), Subscribed::NotLive);
        assert_eq!(hub.subscribe(9, 1, "r", &outbox), Subscribed::Live);
        // The snapshot filled the only slot: the next event overflows and drops the subscriber.
        hub.publish("r", progress(1));
        assert!(overflow.is_cancelled());
        assert_eq!(hub.subscriber_count("r"), 0);
    }
}
