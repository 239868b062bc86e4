//! The WebSocket hub: which connection follows which run or room, and the fan-out of run events.
//!
//! Engines publish [`RunEvent`]s; the hub numbers them (`seq`, within the run's `epoch`), folds them into
//! the run's snapshot, keeps the recent ones for resuming clients, hands them to the event log, serialises
//! each event once and queues the same bytes on every subscriber's [`Outbox`]. It never does I/O and never
//! waits on a client: an outbox that overflows makes its connection close (see [`conn`]), so a slow reader
//! cannot hold up a publisher or the other subscribers.
//!
//! Authorisation is the caller's job: a connection asks its [`RunDirectory`] (the `runs` layer's one
//! rule for who may see a run) before it subscribes, and the store before it joins a room; the hub
//! only keeps the facts needed for it.
//!
//! Locking: std `Mutex`es (runs, rooms, socket counts, socket closers), never held together and
//! never across an `.await`.

pub mod conn;
mod directory;
mod fanout;
pub mod limits;
pub mod outbox;
mod remote;
mod replay;
mod rooms;
mod writer;

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::{Duration, Instant},
};

use tokio_util::sync::CancellationToken;
use tungstenite::Utf8Bytes;

use crate::{
    broker::Broker,
    clock::now_ms,
    protocol::{RunEvent, RunSnapshot, ServerMessage, TestId},
    store::EventLog,
};
pub use directory::{RunDirectory, Visible};
use fanout::{fan_out, Delivered};
pub use outbox::{Item, Outbox, Pushed, Wake};

/// How a subscription started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscription {
    /// A snapshot was queued, live events follow.
    Snapshot,
    /// The missed events were replayed, live events follow.
    Recovered,
    /// Resuming was asked for but impossible; a snapshot was queued instead.
    NotRecovered,
}

/// Who may see a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAccess {
    pub owner: i64,
    pub room: Option<String>,
}

/// Hub-wide settings.
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// Events of a live run kept in memory for resuming clients.
    pub replay_buffer: usize,
}

impl Default for HubSettings {
    fn default() -> Self {
        Self {
            replay_buffer: 4096,
        }
    }
}

struct Topic {
    id: Arc<str>,
    access: RunAccess,
    snapshot: RunSnapshot,
    /// The most recent events, oldest first, for replay.
    recent: VecDeque<(u64, Utf8Bytes)>,
    subscribers: HashMap<u64, Arc<Outbox>>,
    /// Executed here, or on another node of the cluster (followed through the broker).
    origin: Origin,
}

enum Origin {
    Local,
    /// Another node executes the run. Until `joined`, its live events wait in `pending` while the
    /// history is read (see `remote`).
    Remote {
        joined: bool,
        pending: Vec<Utf8Bytes>,
    },
}

impl Topic {
    /// Whether subscribers may be answered from it (a remote run being joined may not yet).
    fn ready(&self) -> bool {
        !matches!(self.origin, Origin::Remote { joined: false, .. })
    }
}

#[derive(Default)]
struct Room {
    /// Connection id → outbox of every connection that joined.
    members: HashMap<u64, Arc<Outbox>>,
}

/// Cheap to clone; all clones share one hub.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    runs: Mutex<HashMap<TestId, Topic>>,
    rooms: Mutex<HashMap<String, Room>>,
    /// Open sockets per user.
    sockets: Mutex<HashMap<i64, usize>>,
    /// How to close each open socket (connection id → token), for draining.
    closers: Mutex<HashMap<u64, CancellationToken>>,
    /// Set when the server starts draining: sockets opened from then on are closed at once.
    draining: AtomicBool,
    next_connection_id: AtomicU64,
    settings: HubSettings,
    /// Where events go to be persisted; `None` in tests and benchmarks of the hub alone.
    log: Option<EventLog>,
    /// The cluster's broker (Redis), when there is one.
    broker: Option<Broker>,
    /// Joins of remote runs, one at a time (they are rare: one per run and node).
    joining: tokio::sync::Mutex<()>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the maps consistent at each step, so a panic elsewhere while the
    // lock was held does not make the data unusable: keep going rather than take the hub down.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Hub {
    pub fn new(settings: HubSettings, log: Option<EventLog>, broker: Option<Broker>) -> Self {
        Self {
            inner: Arc::new(Inner {
                runs: Mutex::default(),
                rooms: Mutex::default(),
                sockets: Mutex::default(),
                closers: Mutex::default(),
                draining: AtomicBool::new(false),
                next_connection_id: AtomicU64::new(0),
                settings,
                log,
                broker,
                joining: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Counts a new socket of `user`, unless they already have `max` open, and gives it a connection
    /// id and the token that closes it when the server drains. Taken before the WebSocket upgrade, so
    /// a socket still being upgraded when the drain starts is waited for and closed too. The count
    /// and the registration end with the returned guard.
    pub fn open_socket(&self, user: i64, max: usize) -> Option<SocketSlot> {
        {
            let mut sockets = lock(&self.inner.sockets);
            let open = sockets.entry(user).or_default();
            if *open >= max {
                return None;
            }
            *open += 1;
        }
        let id = self
            .inner
            .next_connection_id
            .fetch_add(1, Ordering::Relaxed)
            + 1;
        let closer = CancellationToken::new();
        {
            let mut closers = lock(&self.inner.closers);
            // Under the same lock as the drain's flag: a socket is either in the drain's list, or
            // opens after it and is closed at once.
            if self.inner.draining.load(Ordering::Relaxed) {
                closer.cancel();
            }
            closers.insert(id, closer.clone());
        }
        Some(SocketSlot {
            hub: self.clone(),
            user,
            id,
            closer,
        })
    }

    /// Closes every open socket with 1012 ("reconnect, maybe elsewhere"), in ten batches spread
    /// over `over`, so the clients do not all reconnect in the same instant; sockets that open from
    /// now on are closed at once. Then waits (at most `CLOSE_WAIT`) until every socket has sent its
    /// close frame and ended, so that the process does not exit under them. Returns how many.
    pub async fn drain_sockets(&self, over: Duration) -> usize {
        const CLOSE_WAIT: Duration = Duration::from_secs(5);
        let tokens: Vec<CancellationToken> = {
            let closers = lock(&self.inner.closers);
            self.inner.draining.store(true, Ordering::Relaxed);
            closers.values().cloned().collect()
        };
        let batches = 10usize;
        let per_batch = tokens.len().div_ceil(batches).max(1);
        let pause = over / batches as u32;
        for (i, batch) in tokens.chunks(per_batch).enumerate() {
            if i > 0 {
                tokio::time::sleep(pause).await;
            }
            batch.iter().for_each(CancellationToken::cancel);
        }
        let deadline = tokio::time::Instant::now() + CLOSE_WAIT;
        while !lock(&self.inner.closers).is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokens.len()
    }

    /// The event log, so the runner can wait for a finished run's events to be stored.
    pub fn event_log(&self) -> Option<&EventLog> {
        self.inner.log.as_ref()
    }

    /// Makes a new run known before anyone can subscribe to it.
    pub fn open_run(&self, access: RunAccess, snapshot: RunSnapshot) {
        let id: Arc<str> = Arc::from(snapshot.test_id.as_str());
        lock(&self.inner.runs).insert(
            snapshot.test_id.clone(),
            Topic {
                id,
                access,
                snapshot,
                recent: VecDeque::new(),
                subscribers: HashMap::new(),
                origin: Origin::Local,
            },
        );
    }

    /// Publishes one event of a run to its subscribers. Returns false when the hub does not know the run.
    pub fn publish(&self, test_id: &str, event: RunEvent) -> bool {
        let published_at = Instant::now();
        let mut runs = lock(&self.inner.runs);
        let Some(topic) = runs.get_mut(test_id) else {
            return false;
        };
        if topic.snapshot.status.is_finished() {
            // A run has one end: nothing is published after it.
            return true;
        }
        let seq = topic.snapshot.seq + 1;
        // Only progress without a step result may be superseded in a lagging client's queue.
        let coalescable = event.is_coalescable();
        let kind = event.kind();
        let msg = event.into_message(
            test_id.to_owned(),
            seq,
            topic.snapshot.epoch.clone(),
            now_ms(),
        );
        topic.snapshot.apply(&msg);
        let bytes = encode(&msg);

        topic.recent.push_back((seq, bytes.clone()));
        if topic.recent.len() > self.inner.settings.replay_buffer {
            topic.recent.pop_front();
        }
        if let Some(log) = &self.inner.log {
            log.append(&topic.id, &topic.snapshot.epoch, seq, bytes.clone());
        }
        if let Some(broker) = &self.inner.broker {
            broker.publish(&topic.id, &topic.snapshot.epoch, seq, bytes.clone());
        }

        let item = Item {
            bytes,
            run: Some(topic.id.clone()),
            coalescable,
            published_at,
        };
        let delivered = fan_out(topic, &item, kind);
        drop(runs);
        delivered.record();
        true
    }

    /// The run's snapshot while it is live (no access check: for the run's own bookkeeping).
    pub fn live_snapshot(&self, test_id: &str) -> Option<RunSnapshot> {
        lock(&self.inner.runs)
            .get(test_id)
            .filter(|t| t.ready())
            .map(|t| t.snapshot.clone())
    }

    /// Whether a run this node knows has reached its end (its final event published), even if its
    /// end is not stored yet.
    pub fn has_ended(&self, test_id: &str) -> bool {
        lock(&self.inner.runs)
            .get(test_id)
            .is_some_and(|t| t.snapshot.status.is_finished())
    }

    /// Who may see a live run.
    pub fn access(&self, test_id: &str) -> Option<RunAccess> {
        lock(&self.inner.runs)
            .get(test_id)
            .filter(|t| t.ready())
            .map(|t| t.access.clone())
    }

    /// Whether this node executes the run (as opposed to following it for another node).
    pub fn is_local(&self, test_id: &str) -> bool {
        lock(&self.inner.runs)
            .get(test_id)
            .is_some_and(|t| matches!(t.origin, Origin::Local))
    }

    /// Forgets a finished run once its final state and events are stored; later subscribers read it
    /// from the store.
    pub fn close_run(&self, test_id: &str) {
        if let Some(topic) = lock(&self.inner.runs).remove(test_id) {
            metrics::gauge!("livecheck_ws_subscriptions").decrement(topic.subscribers.len() as f64);
        }
    }

    /// Subscribes a connection to a live run (already authorised by the caller). With `resume`
    /// (`since_seq`, `epoch`) it replays the missed events if it has all of them, else it sends a
    /// snapshot. Everything is queued under the run's lock, so no event is lost or doubled between the
    /// answer and the live stream. `None`: the run is not live.
    pub fn subscribe(
        &self,
        connection_id: u64,
        test_id: &str,
        resume: Option<(u64, &str)>,
        outbox: &Arc<Outbox>,
    ) -> Option<Subscription> {
        let mut runs = lock(&self.inner.runs);
        let topic = runs.get_mut(test_id).filter(|t| t.ready())?;
        let snap = &topic.snapshot;
        let missed = replay::resumable(snap, resume).map(|since| {
            topic
                .recent
                .iter()
                .filter(|(seq, _)| *seq > since)
                .map(|(_, bytes)| bytes.clone())
                .collect()
        });
        let outcome = replay::answer(outbox, &topic.id, snap, resume, missed);
        if topic
            .subscribers
            .insert(connection_id, outbox.clone())
            .is_none()
        {
            metrics::gauge!("livecheck_ws_subscriptions").increment(1.0);
        }
        Some(outcome)
    }

    pub fn unsubscribe(&self, connection_id: u64, test_id: &str) {
        let mut runs = lock(&self.inner.runs);
        let Some(topic) = runs.get_mut(test_id) else {
            return;
        };
        if topic.subscribers.remove(&connection_id).is_some() {
            metrics::gauge!("livecheck_ws_subscriptions").decrement(1.0);
        }
        // Nobody here follows another node's run any more: stop hearing it.
        if topic.subscribers.is_empty()
            && matches!(topic.origin, Origin::Remote { joined: true, .. })
        {
            runs.remove(test_id);
            drop(runs);
            self.unfollow(test_id);
        }
    }

    /// Whether the run is live here (executed or followed by this node); it stops being live once its
    /// end is stored ([`Hub::close_run`]).
    pub fn is_live(&self, test_id: &str) -> bool {
        lock(&self.inner.runs).contains_key(test_id)
    }

    /// Number of subscribers of a live run.
    pub fn subscriber_count(&self, test_id: &str) -> usize {
        lock(&self.inner.runs)
            .get(test_id)
            .map_or(0, |t| t.subscribers.len())
    }

    /// Live runs and rooms with members, for tests and metrics.
    pub fn sizes(&self) -> (usize, usize) {
        (lock(&self.inner.runs).len(), lock(&self.inner.rooms).len())
    }
}

/// One open socket of a user, counted and closable by the drain until dropped.
pub struct SocketSlot {
    hub: Hub,
    user: i64,
    id: u64,
    closer: CancellationToken,
}

impl SocketSlot {
    /// The connection's id, unique in this process.
    pub fn connection_id(&self) -> u64 {
        self.id
    }

    /// Fires when the server drains this socket.
    pub fn closer(&self) -> CancellationToken {
        self.closer.clone()
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        lock(&self.hub.inner.closers).remove(&self.id);
        let mut sockets = lock(&self.hub.inner.sockets);
        if let Some(open) = sockets.get_mut(&self.user) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                sockets.remove(&self.user);
            }
        }
    }
}

/// Serialises a server message once; the bytes are shared by every subscriber.
pub fn encode(msg: &ServerMessage) -> Utf8Bytes {
    // Server messages hold strings, numbers and vectors only: serialisation cannot fail.
    Utf8Bytes::from(serde_json::to_string(msg).unwrap_or_default())
}

#[cfg(test)]
mod tests;
