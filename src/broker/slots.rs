//! Run limits across the cluster: a run executes only while it holds a slot, a member of the sorted
//! set `PREFIX:{slots}:running` (and of its user's `PREFIX:{slots}:user:ID`) scored by when its lease ends.
//! One Lua script drops expired leases and takes a slot if both limits leave room, atomically; the
//! node renews the leases of the slots it holds every few seconds, so the slots of a node that died
//! free themselves within [`LEASE`]. Freeing a slot tells every node (the control channel), whose waiting
//! runs then try again; they also retry every second, in case a message was missed.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use redis::{aio::ConnectionManager, RedisResult};
use tracing::warn;

use super::{lock, Broker, Names, Op};
use crate::clock::now_ms;

/// How long a slot stays taken without a renewal.
const LEASE: Duration = Duration::from_secs(30);
const RENEW_EVERY: Duration = Duration::from_secs(5);

/// `KEYS[1]` all slots, `KEYS[2]` the user's; `ARGV`: run, now, lease end, global, per user.
const TAKE_SCRIPT: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return 0 end
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
";

impl Broker {
    /// Takes a cluster slot for `run` of `user` if fewer than `global` runs in all and fewer than
    /// `per_user` of the user's hold one. Held until [`Broker::free_slot`] (renewed meanwhile).
    pub async fn take_slot(
        &self,
        run: &str,
        user: i64,
        global: usize,
        per_user: usize,
    ) -> RedisResult<bool> {
        let now = now_ms();
        let mut conn = self.inner.conn.clone();
        let taken: i64 = redis::Script::new(TAKE_SCRIPT)
            .key(self.inner.names.running())
            .key(self.inner.names.user(user))
            .arg(run)
            .arg(now)
            .arg(now + LEASE.as_millis() as u64)
            .arg(global)
            .arg(per_user)
            .invoke_async(&mut conn)
            .await?;
        if taken == 1 {
            lock(&self.inner.held).insert(run.to_owned(), user);
        }
        Ok(taken == 1)
    }

    /// Gives a slot back and tells the nodes whose runs wait for one.
    pub async fn free_slot(&self, run: &str, user: i64) {
        lock(&self.inner.held).remove(run);
        let mut conn = self.inner.conn.clone();
        let freed: RedisResult<()> = redis::pipe()
            .zrem(self.inner.names.running(), run)
            .zrem(self.inner.names.user(user), run)
            .query_async(&mut conn)
            .await;
        if let Err(e) = freed {
            warn!(error = %e, run, "could not free a cluster slot; its lease will");
        }
        let _ = self.inner.ops.try_send(Op::Publish {
            channel: self.inner.names.control(),
            payload: format!("{}\nslot-freed", self.inner.node),
        });
    }

    /// Resolves when some node freed a slot (or after a second: messages can be missed).
    pub async fn slot_freed(&self) {
        let wake = self.inner.subscriber.slot_freed.notified();
        let _ = tokio::time::timeout(Duration::from_secs(1), wake).await;
    }
}

/// Extends the leases of the slots this node holds while it lives.
pub(super) async fn renew_loop(
    conn: ConnectionManager,
    held: Arc<Mutex<HashMap<String, i64>>>,
    names: Names,
) {
    let mut every = tokio::time::interval(RENEW_EVERY);
    loop {
        every.tick().await;
        let slots: Vec<(String, i64)> = lock(&held).iter().map(|(r, u)| (r.clone(), *u)).collect();
        if slots.is_empty() {
            continue;
        }
        let until = now_ms() + LEASE.as_millis() as u64;
        let mut pipe = redis::pipe();
        for (run, user) in &slots {
            pipe.cmd("ZADD")
                .arg(names.running())
                .arg("XX")
                .arg(until)
                .arg(run);
            pipe.cmd("ZADD")
                .arg(names.user(*user))
                .arg("XX")
                .arg(until)
                .arg(run);
        }
        let mut conn = conn.clone();
        if let Err(e) = pipe.query_async::<()>(&mut conn).await {
            warn!(error = %e, "could not renew the cluster slots");
        }
    }
}
