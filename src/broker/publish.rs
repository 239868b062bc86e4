//! Publishing a run's events, and starting a run's history over when Redis lost it.
//!
//! One Lua script per event checks its `seq` against the run's `top` (a repeated or stale event is
//! dropped), moves `top`, appends to the stream and publishes, atomically. It also notices when Redis
//! no longer has what it had of the run (restarted without persistence, flushed, evicted, expired):
//! the meta hash is gone although the run is past its first event, or the stream is gone although
//! events were stored since the last start-over. The executing node is told ([`Incoming::Lost`]);
//! its hub gives the run a new epoch and hands [`Broker::rebase`] the run's snapshot, which replaces
//! the stream and the meta hash (`epoch`, `top`, `base`, `snap`) and is published on the run's
//! channel, so that the nodes that follow the run start from it: clients get a snapshot, never a
//! partial replay.

use std::{collections::HashSet, sync::Arc};

use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};
use tracing::warn;
use tungstenite::Utf8Bytes;

use super::{Broker, BrokerSettings, Incoming, Names, BATCH};

/// `KEYS[1]` meta, `KEYS[2]` stream; `ARGV`: epoch, seq, bytes, stream length, channel, ttl (s).
/// Returns 0 for an event already stored, 1 when stored, 2 when stored after Redis lost the run.
const PUBLISH_SCRIPT: &str = r"
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local seq = tonumber(ARGV[2])
local lost = 0
if epoch ~= ARGV[1] then
  if not epoch and seq > 1 then lost = 1 end
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'top', 0, 'base', 0)
  redis.call('HDEL', KEYS[1], 'snap')
elseif tonumber(redis.call('HGET', KEYS[1], 'top')) > tonumber(redis.call('HGET', KEYS[1], 'base') or 0)
    and redis.call('EXISTS', KEYS[2]) == 0 then
  lost = 1
end
if seq <= tonumber(redis.call('HGET', KEYS[1], 'top')) then
  return 0
end
redis.call('HSET', KEYS[1], 'top', seq)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], seq .. '-0', 'b', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('PUBLISH', ARGV[5], ARGV[3])
return 1 + lost
";

pub(super) enum Op {
    Event {
        run: Arc<str>,
        epoch: String,
        seq: u64,
        bytes: Utf8Bytes,
    },
    Rebase {
        run: Arc<str>,
        epoch: String,
        seq: u64,
        snapshot: String,
        announce: Utf8Bytes,
    },
    Publish {
        channel: String,
        payload: String,
    },
    Flush(oneshot::Sender<()>),
}

impl Broker {
    /// Stores and fans out one event of a run this node executes. Never waits.
    pub fn publish(&self, run: &Arc<str>, epoch: &str, seq: u64, bytes: Utf8Bytes) {
        self.queue(Op::Event {
            run: run.clone(),
            epoch: epoch.to_owned(),
            seq,
            bytes,
        });
    }

    /// Starts a run's history over after Redis lost it: the run (which this node executes) now has
    /// `epoch`, and `snapshot` (JSON, at `seq`) is where nodes that follow it start from; `announce`
    /// goes to them on the run's channel. Queued after the events published before it.
    pub fn rebase(
        &self,
        run: &Arc<str>,
        (epoch, seq): (&str, u64),
        snapshot: String,
        announce: Utf8Bytes,
    ) {
        self.queue(Op::Rebase {
            run: run.clone(),
            epoch: epoch.to_owned(),
            seq,
            snapshot,
            announce,
        });
    }

    pub(super) fn queue(&self, op: Op) {
        if self.inner.ops.try_send(op).is_err() {
            metrics::counter!("livecheck_broker_dropped_total").increment(1);
        }
    }
}

/// Sends what is queued to Redis, one pipeline per batch, in order.
pub(super) async fn publish_loop(
    mut conn: ConnectionManager,
    mut rx: mpsc::Receiver<Op>,
    (settings, names): (BrokerSettings, Names),
    incoming: mpsc::Sender<Incoming>,
) {
    let script = redis::Script::new(PUBLISH_SCRIPT);
    let ttl = settings.ttl.as_secs().max(1);
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let mut flushes = Vec::new();
        // Everything queued goes in one pipeline: one write and one read per batch, in order. The
        // scripts' answers come back in the order of `events`; everything else is ignored.
        let mut pipe = redis::pipe();
        let mut events = Vec::new();
        let mut commands = 0usize;
        for op in batch.drain(..) {
            if let Op::Flush(done) = op {
                flushes.push(done);
                continue;
            }
            commands += 1;
            match op {
                Op::Flush(_) => {}
                Op::Event {
                    run,
                    epoch,
                    seq,
                    bytes,
                } => {
                    pipe.cmd("EVALSHA")
                        .arg(script.get_hash())
                        .arg(2)
                        .arg(names.meta(&run))
                        .arg(names.stream(&run))
                        .arg(epoch)
                        .arg(seq)
                        .arg(bytes.as_str())
                        .arg(settings.stream_len)
                        .arg(names.run_channel(&run))
                        .arg(ttl);
                    events.push(run);
                }
                Op::Rebase {
                    run,
                    epoch,
                    seq,
                    snapshot,
                    announce,
                } => {
                    let meta = names.meta(&run);
                    pipe.del(names.stream(&run)).ignore();
                    pipe.hset_multiple(
                        &meta,
                        &[
                            ("epoch", epoch),
                            ("top", seq.to_string()),
                            ("base", seq.to_string()),
                            ("snap", snapshot),
                        ],
                    )
                    .ignore();
                    pipe.expire(&meta, ttl as i64).ignore();
                    pipe.publish(names.run_channel(&run), announce.as_str())
                        .ignore();
                }
                Op::Publish { channel, payload } => {
                    pipe.publish(channel, payload).ignore();
                }
            }
        }
        if commands > 0 {
            let mut sent = pipe.query_async::<Vec<i64>>(&mut conn).await;
            if sent.as_ref().is_err_and(|e| {
                e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript)
            }) {
                // Redis restarted (or flushed its scripts): load it and send the batch again; the
                // script drops the events that did get through the first time.
                sent = match script.prepare_invoke().load_async(&mut conn).await {
                    Ok(_) => pipe.query_async(&mut conn).await,
                    Err(e) => Err(e),
                };
            }
            match sent {
                Ok(answers) => {
                    let lost: HashSet<&Arc<str>> = events
                        .iter()
                        .zip(answers)
                        .filter_map(|(run, answer)| (answer == 2).then_some(run))
                        .collect();
                    for run in lost {
                        warn!(run = &**run, "Redis lost a run's history; starting it over");
                        let _ = incoming.try_send(Incoming::Lost {
                            run: run.to_string(),
                        });
                    }
                }
                Err(e) => {
                    metrics::counter!("livecheck_broker_dropped_total").increment(commands as u64);
                    warn!(error = %e, commands, "could not publish to Redis");
                }
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}
