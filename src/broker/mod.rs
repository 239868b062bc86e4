//! The cluster's message broker: Redis, through redis-rs. Off unless `LIVECHECK_REDIS_URL` is set.
//!
//! After Centrifugo's Redis engine (read, not copied), per run:
//! - a stream `PREFIX:{run:ID}:s` (the prefix is `lc` unless `LIVECHECK_REDIS_PREFIX` says otherwise) of its events (entry id `SEQ-0`, field `b` = the bytes as sent),
//!   trimmed to about [`BrokerSettings::stream_len`] entries;
//! - a meta hash `PREFIX:{run:ID}:m` with the run's `epoch` and `top` (the highest `seq` stored), and
//!   after Redis lost the run once, the snapshot its history started over from (`snap`, at `base`);
//! - a pub/sub channel `PREFIX:{run:ID}` carrying each event's bytes.
//!
//! One Lua script per event checks its `seq` against `top` (a repeated or stale event is dropped),
//! moves `top`, appends to the stream and publishes, atomically: whatever node reads the stream and
//! the channel sees the same numbering. Events are numbered by the node that executes the run (one
//! writer per run; see the hub), so publishing never waits on Redis; the script makes that numbering
//! the cluster's. A new epoch (a run marked interrupted and rebuilt, or one whose history Redis lost:
//! see `publish`) starts the stream over.
//!
//! Other channels: `PREFIX:control` (cancel a run, whichever node executes it; a cluster slot
//! freed; an account changed, so every node's sockets check their credential and access again)
//! and `PREFIX:rooms` (room broadcasts), each message tagged with the node it came from. The run limits hold
//! across the cluster through leased slots (see `slots`). The `{…}` hash tags keep a run's keys
//! in one slot of a Redis Cluster (docs/deploy.md has the plan).
//!
//! Publishing goes through one task with a bounded queue: the caller never waits, what is queued
//! goes to Redis as one pipeline per batch (events of one run in the order they were made), and
//! an event that does not fit is dropped and counted; a node that follows the run then finds a gap in
//! the stream and answers with a snapshot, never a partial replay. The subscriber connection is its
//! own (pub/sub blocks a connection); when it drops, the reader reconnects, subscribes again and
//! reports [`Incoming::Reconnected`] so that the hub fills what it missed from the streams.

mod presence;
mod publish;
mod slots;

use publish::{publish_loop, Op};

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::StreamExt;
use redis::{aio::ConnectionManager, RedisResult};
use tokio::sync::{mpsc, oneshot, Notify};
use tracing::{info, warn};
use tungstenite::Utf8Bytes;

/// What the broker keeps per run.
#[derive(Debug, Clone)]
pub struct BrokerSettings {
    /// Events kept in a run's stream (about: trimmed with `MAXLEN ~`).
    pub stream_len: usize,
    /// How long a run's stream and meta live after its last event.
    pub ttl: Duration,
    /// What every key and channel name starts with.
    pub prefix: String,
    /// For `rediss://`: the CA (PEM) to trust instead of the system's roots.
    pub ca: Option<Vec<u8>>,
}

impl Default for BrokerSettings {
    fn default() -> Self {
        Self {
            stream_len: 10_000,
            ttl: Duration::from_secs(3600),
            prefix: "lc".into(),
            ca: None,
        }
    }
}

/// What Redis has of a run (see [`Broker::history`]).
#[derive(Debug)]
pub struct History {
    pub epoch: String,
    /// The run's snapshot (JSON) where its history started over, after Redis lost it.
    pub snapshot: Option<String>,
    /// `(seq, bytes)` of the stored events asked for.
    pub events: Vec<(u64, Utf8Bytes)>,
}

/// What other nodes sent this one.
#[derive(Debug)]
pub enum Incoming {
    /// An event of a run this node follows, as its executing node sent it.
    Event { run: String, bytes: Utf8Bytes },
    /// Someone allowed to asked on another node to cancel this run.
    Cancel { run: String },
    /// A message for a room's members (e.g. a run started in it), from another node.
    Room { room: String, bytes: Utf8Bytes },
    /// The subscriber connection was lost and is back: events of followed runs may be missing.
    Reconnected,
    /// Redis lost the history of a run this node executes: it must start over (see `publish`).
    Lost { run: String },
    /// Something about an account (`user`) or an access token (`token`) changed on another node
    /// (sign-out, password, role, disabled, room removed, token revoked): its sockets here check
    /// again.
    AccountChanged(Account),
}

/// An account, or one access token of an account, whose change the nodes tell each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    User(i64),
    Token(i64),
}

/// Events waiting to be sent to Redis before new ones are dropped.
const QUEUE: usize = 65_536;
/// Commands sent per round trip at most.
const BATCH: usize = 512;
const SLOT_FREED: &[u8] = b"\nslot-freed";

/// Cheap to clone; all clones share one set of connections.
#[derive(Clone)]
pub struct Broker {
    inner: Arc<Inner>,
}

struct Inner {
    node: Arc<str>,
    names: Names,
    conn: ConnectionManager,
    ops: mpsc::Sender<Op>,
    subscriber: Arc<Subscriber>,
    /// Cluster slots this node holds (run → user), renewed while held.
    held: Arc<Mutex<HashMap<String, i64>>>,
    /// This node's connections in rooms, renewed while they stay.
    present: presence::Present,
}

/// The pub/sub side: the sink of the current subscriber connection, and what it must subscribe to
/// again after a reconnect.
struct Subscriber {
    sink: Mutex<redis::aio::PubSubSink>,
    followed: Mutex<HashSet<String>>,
    /// Woken when a node frees a cluster slot.
    slot_freed: Notify,
}

/// The names of the keys and channels, all under one prefix (`lc` unless the operator set another):
/// clusters that share a Redis, or tests, keep apart by their prefixes.
#[derive(Clone)]
struct Names {
    prefix: Arc<str>,
}

impl Names {
    fn run_channel(&self, run: &str) -> String {
        format!("{}:{{run:{run}}}", self.prefix)
    }

    fn meta(&self, run: &str) -> String {
        format!("{}:{{run:{run}}}:m", self.prefix)
    }

    fn stream(&self, run: &str) -> String {
        format!("{}:{{run:{run}}}:s", self.prefix)
    }

    fn control(&self) -> String {
        format!("{}:control", self.prefix)
    }

    fn rooms(&self) -> String {
        format!("{}:rooms", self.prefix)
    }

    fn running(&self) -> String {
        format!("{}:{{slots}}:running", self.prefix)
    }

    fn user(&self, user: i64) -> String {
        format!("{}:{{slots}}:user:{user}", self.prefix)
    }

    /// The run a channel carries, if it is a run's channel.
    fn run_of<'a>(&self, channel: &'a str) -> Option<&'a str> {
        channel
            .strip_prefix(&*self.prefix)?
            .strip_prefix(":{run:")?
            .strip_suffix('}')
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Broker {
    /// Connects (commands and pub/sub) and starts the publishing and reading tasks. `node` tags what
    /// this node sends, so it ignores its own room broadcasts.
    pub async fn connect(
        url: &str,
        node: &str,
        settings: BrokerSettings,
    ) -> RedisResult<(Self, mpsc::Receiver<Incoming>)> {
        let client = match &settings.ca {
            Some(ca) => redis::Client::build_with_tls(
                url,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(ca.clone()),
                },
            )?,
            None => redis::Client::open(url)?,
        };
        // One plain connection first: it fails at once with the reason (refused, a certificate),
        // where the connection manager retries for seconds before it says.
        drop(client.get_multiplexed_async_connection().await?);
        let conn = client.get_connection_manager().await?;
        let names = Names {
            prefix: Arc::from(settings.prefix.as_str()),
        };
        let (sink, stream) = subscribe_base(&client, &names).await?;
        let subscriber = Arc::new(Subscriber {
            sink: Mutex::new(sink),
            followed: Mutex::default(),
            slot_freed: Notify::new(),
        });
        let node: Arc<str> = Arc::from(node);
        let (ops, ops_rx) = mpsc::channel(QUEUE);
        let (incoming, incoming_rx) = mpsc::channel(QUEUE);
        let (held, present) = (Arc::default(), presence::Present::default());
        tokio::spawn(publish_loop(
            conn.clone(),
            ops_rx,
            (settings, names.clone()),
            incoming.clone(),
        ));
        tokio::spawn(slots::renew_loop(
            conn.clone(),
            Arc::clone(&held),
            names.clone(),
        ));
        tokio::spawn(presence::renew_loop(
            conn.clone(),
            present.clone(),
            names.clone(),
            node.clone(),
        ));
        tokio::spawn(read_loop(
            client,
            stream,
            subscriber.clone(),
            (node.clone(), names.clone()),
            incoming,
        ));
        Ok((
            Self {
                inner: Arc::new(Inner {
                    node,
                    names,
                    conn,
                    ops,
                    subscriber,
                    held,
                    present,
                }),
            },
            incoming_rx,
        ))
    }

    /// Asks every node to cancel `run` (the one executing it does). The caller checked the right.
    pub fn cancel(&self, run: &str) {
        self.send(
            self.inner.names.control(),
            format!("{}\ncancel\n{run}", self.inner.node),
        );
    }

    /// Tells the other nodes that a user's account (or one access token) changed.
    pub fn account_changed(&self, account: Account) {
        let (kind, id) = match account {
            Account::User(id) => ("user", id),
            Account::Token(id) => ("token", id),
        };
        self.send(
            self.inner.names.control(),
            format!("{}\naccount\n{kind}\n{id}", self.inner.node),
        );
    }

    /// Sends a room message to the room's members on the other nodes.
    pub fn room_broadcast(&self, room: &str, bytes: &Utf8Bytes) {
        self.send(
            self.inner.names.rooms(),
            format!("{}\n{room}\n{}", self.inner.node, bytes.as_str()),
        );
    }

    fn send(&self, channel: String, payload: String) {
        self.queue(Op::Publish { channel, payload });
    }

    /// Waits until everything queued so far reached Redis (at most a few seconds).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.inner.ops.send(Op::Flush(done)).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(10), wait).await;
        }
    }

    /// Starts receiving a run's live events (as [`Incoming::Event`]); returns once Redis confirmed
    /// the subscription, so a history read after it misses nothing.
    pub async fn follow(&self, run: &str) -> RedisResult<()> {
        let subscriber = &self.inner.subscriber;
        lock(&subscriber.followed).insert(run.to_owned());
        let mut sink = lock(&subscriber.sink).clone();
        sink.subscribe(self.inner.names.run_channel(run)).await
    }

    /// Stops receiving a run's events.
    pub async fn unfollow(&self, run: &str) {
        let subscriber = &self.inner.subscriber;
        lock(&subscriber.followed).remove(run);
        let mut sink = lock(&subscriber.sink).clone();
        if let Err(e) = sink.unsubscribe(self.inner.names.run_channel(run)).await {
            warn!(error = %e, run, "could not unsubscribe from a run's channel");
        }
    }

    /// What Redis has of a run: its epoch, the snapshot its history started over from (if Redis
    /// once lost it), and its stored events after `seq` `after`, in order. `None` when Redis has
    /// nothing of the run (never had, expired or lost).
    pub async fn history(&self, run: &str, after: u64) -> RedisResult<Option<History>> {
        let mut conn = self.inner.conn.clone();
        type Reply = (
            (Option<String>, Option<String>),
            redis::streams::StreamRangeReply,
        );
        let ((epoch, snapshot), range): Reply = redis::pipe()
            .atomic()
            .hmget(self.inner.names.meta(run), &["epoch", "snap"])
            .cmd("XRANGE")
            .arg(self.inner.names.stream(run))
            .arg(after + 1)
            .arg("+")
            .query_async(&mut conn)
            .await?;
        let Some(epoch) = epoch else {
            return Ok(None);
        };
        let events = range
            .ids
            .iter()
            .filter_map(|entry| {
                let seq = entry.id.split('-').next()?.parse().ok()?;
                let bytes: String = entry.get("b")?;
                Some((seq, Utf8Bytes::from(bytes)))
            })
            .collect();
        Ok(Some(History {
            epoch,
            snapshot,
            events,
        }))
    }

    /// Whether Redis answers.
    pub async fn ping(&self) -> RedisResult<()> {
        let mut conn = self.inner.conn.clone();
        redis::cmd("PING").query_async::<()>(&mut conn).await
    }
}

/// A new subscriber connection, subscribed to the channels every node hears.
async fn subscribe_base(
    client: &redis::Client,
    names: &Names,
) -> RedisResult<(redis::aio::PubSubSink, redis::aio::PubSubStream)> {
    let (mut sink, stream) = client.get_async_pubsub().await?.split();
    sink.subscribe(&[names.control(), names.rooms()]).await?;
    Ok((sink, stream))
}

async fn read_loop(
    client: redis::Client,
    mut stream: redis::aio::PubSubStream,
    subscriber: Arc<Subscriber>,
    (node, names): (Arc<str>, Names),
    incoming: mpsc::Sender<Incoming>,
) {
    let control = names.control();
    loop {
        while let Some(msg) = stream.next().await {
            if msg.get_channel_name() == control && msg.get_payload_bytes().ends_with(SLOT_FREED) {
                subscriber.slot_freed.notify_waiters();
                continue;
            }
            let Some(message) = decode(&msg, &node, &names) else {
                continue;
            };
            if incoming.send(message).await.is_err() {
                return; // the server is gone
            }
        }
        warn!("lost the Redis subscriber connection; reconnecting");
        let mut pause = Duration::from_millis(100);
        stream = loop {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
            let Ok((mut sink, stream)) = subscribe_base(&client, &names).await else {
                continue;
            };
            let followed: Vec<String> = lock(&subscriber.followed)
                .iter()
                .map(|run| names.run_channel(run))
                .collect();
            if !followed.is_empty() && sink.subscribe(&followed).await.is_err() {
                continue;
            }
            *lock(&subscriber.sink) = sink;
            break stream;
        };
        info!("Redis subscriber connection is back");
        if incoming.send(Incoming::Reconnected).await.is_err() {
            return;
        }
    }
}

/// What a pub/sub message means; `None` for this node's own messages and anything unreadable.
fn decode(msg: &redis::Msg, node: &str, names: &Names) -> Option<Incoming> {
    let channel = msg.get_channel_name();
    let payload = std::str::from_utf8(msg.get_payload_bytes()).ok()?;
    if let Some(run) = names.run_of(channel) {
        return Some(Incoming::Event {
            run: run.to_owned(),
            bytes: Utf8Bytes::from(payload.to_owned()),
        });
    }
    let (from, rest) = payload.split_once('\n')?;
    if channel == names.control() {
        if let Some(subject) = rest.strip_prefix("account\n") {
            if from == node {
                return None; // this node told its own sockets already
            }
            let (kind, id) = subject.split_once('\n')?;
            let id = id.parse().ok()?;
            return match kind {
                "user" => Some(Incoming::AccountChanged(Account::User(id))),
                "token" => Some(Incoming::AccountChanged(Account::Token(id))),
                _ => None,
            };
        }
        let run = rest.strip_prefix("cancel\n")?;
        return Some(Incoming::Cancel {
            run: run.to_owned(),
        });
    }
    if channel == names.rooms() && from != node {
        let (room, bytes) = rest.split_once('\n')?;
        return Some(Incoming::Room {
            room: room.to_owned(),
            bytes: Utf8Bytes::from(bytes.to_owned()),
        });
    }
    None
}
