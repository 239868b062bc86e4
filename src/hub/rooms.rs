//! Rooms on the hub: the connections in each room on this node, what they are told (runs started
//! in the room, who is online), and with a broker the same across the cluster: presence counts every
//! node's connections (see `broker::presence`) and room messages reach every node's members.

use std::sync::Arc;

use tracing::warn;
use tungstenite::Utf8Bytes;

use super::{encode, lock, Hub, Item, Outbox, Pushed};
use crate::protocol::{ServerMessage, TestId};

impl Hub {
    /// Adds a connection (already checked to be a member) to a room. Returns the members online (in
    /// the whole cluster when there is one) and the room's live runs on this node; the others are
    /// told someone joined.
    pub async fn join_room(
        &self,
        connection_id: u64,
        room: &str,
        outbox: &Arc<Outbox>,
    ) -> (u32, Vec<TestId>) {
        let here = {
            let mut rooms = lock(&self.inner.rooms);
            let r = rooms.entry(room.to_owned()).or_default();
            r.members.insert(connection_id, outbox.clone());
            r.members.len() as u32
        };
        let online = match &self.inner.broker {
            Some(broker) => broker
                .enter_room(room, connection_id)
                .await
                .unwrap_or_else(|e| {
                    warn!(error = %e, room, "could not count the room's members in the cluster");
                    here
                }),
            None => here,
        };
        self.tell_presence(room, online, connection_id);
        let runs = lock(&self.inner.runs)
            .values()
            .filter(|t| {
                t.ready()
                    && t.access.room.as_deref() == Some(room)
                    && !t.snapshot.status.is_finished()
            })
            .map(|t| t.snapshot.test_id.clone())
            .collect();
        (online, runs)
    }

    /// Removes a connection from a room; returns whether it was in it. The others are told.
    pub fn leave_room(&self, connection_id: u64, room: &str) -> bool {
        let here = {
            let mut rooms = lock(&self.inner.rooms);
            let Some(r) = rooms.get_mut(room) else {
                return false;
            };
            if r.members.remove(&connection_id).is_none() {
                return false;
            }
            let here = r.members.len() as u32;
            if here == 0 {
                rooms.remove(room);
            }
            here
        };
        match self.inner.broker.clone() {
            Some(broker) => {
                let (hub, room) = (self.clone(), room.to_owned());
                tokio::spawn(async move {
                    match broker.leave_room(&room, connection_id).await {
                        Ok(online) => hub.tell_presence(&room, online, connection_id),
                        Err(e) => warn!(error = %e, room, "could not leave a room in the cluster"),
                    }
                });
            }
            None if here > 0 => self.tell_presence(room, here, connection_id),
            None => {}
        }
        true
    }

    /// Tells the room's members (but `except`), here and on the other nodes, how many are online.
    fn tell_presence(&self, room: &str, members_online: u32, except: u64) {
        let bytes = encode(&ServerMessage::RoomPresence {
            room: room.to_owned(),
            members_online,
        });
        if let Some(broker) = &self.inner.broker {
            broker.room_broadcast(room, &bytes);
        }
        let item = Item::control(bytes);
        if let Some(r) = lock(&self.inner.rooms).get(room) {
            for (id, outbox) in &r.members {
                if *id != except {
                    outbox.push(item.clone());
                }
            }
        }
    }

    /// Tells everyone in a room about a message (a run started there), on every node.
    pub fn room_broadcast(&self, room: &str, msg: &ServerMessage) {
        let bytes = encode(msg);
        if let Some(broker) = &self.inner.broker {
            broker.room_broadcast(room, &bytes);
        }
        self.room_broadcast_here(room, bytes);
    }

    /// Tells the room's members connected to this node.
    pub fn room_broadcast_here(&self, room: &str, bytes: Utf8Bytes) {
        let item = Item::control(bytes);
        if let Some(r) = lock(&self.inner.rooms).get_mut(room) {
            r.members.retain(|_, outbox| {
                !matches!(outbox.push(item.clone()), Pushed::Overflow | Pushed::Closed)
            });
        }
    }
}
