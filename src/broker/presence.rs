//! Who is online in a room, across the cluster: each connection in a room is a member of the sorted
//! set `PREFIX:room:NAME:online` (`NODE:CONNECTION`), scored by when its lease ends. The node renews
//! its connections' leases every few seconds, so the members of a node that died drop out within
//! [`LEASE`]; a count drops expired members first. Nodes tell each other the new count over the rooms
//! channel, as any room message (see the hub).

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use redis::{aio::ConnectionManager, RedisResult};
use tracing::warn;

use super::{lock, Broker, Names};
use crate::clock::now_ms;

/// How long a connection counts as online without a renewal.
const LEASE: Duration = Duration::from_secs(30);
const RENEW_EVERY: Duration = Duration::from_secs(5);

/// The rooms this node's connections are in: (room, connection id).
pub(super) type Present = Arc<Mutex<HashSet<(String, u64)>>>;

impl Names {
    fn online(&self, room: &str) -> String {
        format!("{}:room:{room}:online", self.prefix)
    }
}

impl Broker {
    /// Counts `connection` of this node in `room` (until [`Broker::leave_room`] or its lease ends)
    /// and returns how many connections of the cluster are in it.
    pub async fn enter_room(&self, room: &str, connection: u64) -> RedisResult<u32> {
        lock(&self.inner.present).insert((room.to_owned(), connection));
        self.count_online(room, connection, true).await
    }

    /// Stops counting `connection` in `room`; returns how many are left in it.
    pub async fn leave_room(&self, room: &str, connection: u64) -> RedisResult<u32> {
        lock(&self.inner.present).remove(&(room.to_owned(), connection));
        self.count_online(room, connection, false).await
    }

    /// Adds or removes the connection, drops expired members, and counts what is left.
    async fn count_online(&self, room: &str, connection: u64, add: bool) -> RedisResult<u32> {
        let key = self.inner.names.online(room);
        let now = now_ms();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("ZREMRANGEBYSCORE")
            .arg(&key)
            .arg("-inf")
            .arg(now)
            .ignore();
        let member = format!("{}:{connection}", self.inner.node);
        if add {
            pipe.zadd(&key, &member, now + LEASE.as_millis() as u64)
                .ignore()
                .pexpire(&key, LEASE.as_millis() as i64)
                .ignore();
        } else {
            pipe.zrem(&key, &member).ignore();
        }
        pipe.zcard(&key);
        let mut conn = self.inner.conn.clone();
        let (online,): (u32,) = pipe.query_async(&mut conn).await?;
        Ok(online)
    }
}

/// Extends the leases of this node's connections in rooms while they stay.
pub(super) async fn renew_loop(
    conn: ConnectionManager,
    present: Present,
    names: Names,
    node: Arc<str>,
) {
    let mut every = tokio::time::interval(RENEW_EVERY);
    loop {
        every.tick().await;
        let members: Vec<(String, u64)> = lock(&present).iter().cloned().collect();
        if members.is_empty() {
            continue;
        }
        let until = now_ms() + LEASE.as_millis() as u64;
        let mut pipe = redis::pipe();
        let mut rooms = HashSet::new();
        for (room, connection) in &members {
            let key = names.online(room);
            pipe.zadd(&key, format!("{node}:{connection}"), until)
                .ignore();
            if rooms.insert(room) {
                pipe.pexpire(&key, LEASE.as_millis() as i64).ignore();
            }
        }
        let mut conn = conn.clone();
        if let Err(e) = pipe.query_async::<()>(&mut conn).await {
            warn!(error = %e, "could not renew room presence");
        }
    }
}
