//! Runs another node executes, followed through the broker so that this node's clients watch them
//! live, with the same `seq`, replay and snapshots as a run of its own.
//!
//! Joining is gap-free: the topic is opened in the joining state, the run's channel is subscribed
//! (live events from then on wait in `pending`), then the run's stream is read; the events after the
//! stored snapshot's `seq` are folded into it, history first and then the pending ones, in `seq` order,
//! each once, and every event is kept for replay. Events that
//! repeat a `seq` already applied are dropped. When the subscriber connection comes back after a
//! loss, every followed run is joined again the same way, so what was missed is filled from the
//! stream. A gap the stream cannot fill (trimmed, or lost by Redis) leaves a gap in the recent
//! events, and a client resuming across it gets a snapshot, never a partial replay.

use std::{collections::HashMap, collections::VecDeque, sync::Arc, time::Duration, time::Instant};

use tracing::warn;
use tungstenite::Utf8Bytes;

use super::{encode, fan_out, lock, Delivered, Hub, Item, Origin, RunAccess, Topic};
use crate::{
    broker::Broker,
    protocol::{event::new_epoch, RunSnapshot, ServerMessage},
    store::RunRecord,
};

/// How long a followed run that ended stays for subscribers that come just after its end.
const LINGER: Duration = Duration::from_secs(10);

impl Hub {
    /// The cluster's broker, when there is one.
    pub fn broker(&self) -> Option<&Broker> {
        self.inner.broker.as_ref()
    }

    /// Follows a stored run that has not finished, which another node of the cluster executes.
    /// `false` when it finished, there is no broker, or Redis fails.
    pub async fn follow_stored(&self, run: &RunRecord) -> bool {
        let access = RunAccess {
            owner: run.user_id,
            room: run.room.clone(),
        };
        !run.snapshot.status.is_finished()
            && self.inner.broker.is_some()
            && self.join_remote(access, run.snapshot.clone()).await
    }

    /// Follows a run that another node executes (its stored `snapshot` and `access`), so that
    /// [`Hub::subscribe`] can answer for it. `false` when there is no broker or Redis fails.
    pub async fn join_remote(&self, access: RunAccess, snapshot: RunSnapshot) -> bool {
        let Some(broker) = self.inner.broker.clone() else {
            return false;
        };
        let _one_at_a_time = self.inner.joining.lock().await;
        let id = snapshot.test_id.clone();
        if let Some(topic) = lock(&self.inner.runs).get(&id) {
            return topic.ready();
        }
        lock(&self.inner.runs).insert(
            id.clone(),
            Topic {
                id: Arc::from(id.as_str()),
                access,
                snapshot,
                recent: VecDeque::new(),
                subscribers: HashMap::new(),
                origin: Origin::Remote {
                    joined: false,
                    pending: Vec::new(),
                },
            },
        );
        if let Err(e) = broker.follow(&id).await {
            warn!(error = %e, run = id, "could not follow a run of another node");
            lock(&self.inner.runs).remove(&id);
            return false;
        }
        self.catch_up(&broker, &id).await;
        true
    }

    /// Reads the run's stream after what the topic has and folds it in with the events that came
    /// meanwhile; then the topic is joined.
    async fn catch_up(&self, broker: &Broker, id: &str) {
        // A first join reads the whole stream (the events before the stored snapshot too, so a
        // client resuming from an older `seq` is replayed); a catch-up, what came after the last.
        let Some(after) = lock(&self.inner.runs)
            .get(id)
            .map(|t| t.recent.back().map_or(0, |(seq, _)| *seq))
        else {
            return;
        };
        let history = match broker.history(id, after).await {
            Ok(found) => found,
            Err(e) => {
                warn!(error = %e, run = id, "could not read a run's stream; it may have a gap");
                None
            }
        };
        let mut counts = Vec::new();
        let finished = {
            let mut runs = lock(&self.inner.runs);
            let Some(topic) = runs.get_mut(id) else {
                return;
            };
            let pending = match &mut topic.origin {
                Origin::Remote { joined, pending } => {
                    *joined = true;
                    std::mem::take(pending)
                }
                Origin::Local => return,
            };
            let mut events = Vec::new();
            if let Some(history) = history {
                // Redis lost the run once and its history started over from a snapshot that this
                // topic is behind of: start from that snapshot too.
                let restarted = history
                    .snapshot
                    .and_then(|json| serde_json::from_str::<RunSnapshot>(&json).ok())
                    .filter(|s| s.epoch == history.epoch && s.epoch != topic.snapshot.epoch);
                if let Some(snapshot) = restarted {
                    for (item, kind) in rebase(topic, snapshot) {
                        counts.push(fan_out(topic, &item, kind));
                    }
                }
                events.extend(history.events.into_iter().map(|(_, bytes)| bytes));
            }
            for bytes in events.into_iter().chain(pending) {
                for (item, kind) in apply(topic, self.inner.settings.replay_buffer, bytes) {
                    counts.push(fan_out(topic, &item, kind));
                }
            }
            topic.snapshot.status.is_finished()
        };
        counts.into_iter().for_each(Delivered::record);
        if finished {
            self.close_remote_later(id);
        }
    }

    /// An event the broker brought for a run this node follows.
    pub fn deliver_remote(&self, run: &str, bytes: Utf8Bytes) {
        let finished = {
            let mut runs = lock(&self.inner.runs);
            let Some(topic) = runs.get_mut(run) else {
                return;
            };
            match &mut topic.origin {
                Origin::Local => return, // our own run: the hub published it already
                Origin::Remote {
                    joined: false,
                    pending,
                } => {
                    pending.push(bytes);
                    return;
                }
                Origin::Remote { joined: true, .. } => {}
            }
            let delivered: Vec<Delivered> = apply(topic, self.inner.settings.replay_buffer, bytes)
                .into_iter()
                .map(|(item, kind)| fan_out(topic, &item, kind))
                .collect();
            (delivered, topic.snapshot.status.is_finished())
        };
        let (delivered, finished) = finished;
        delivered.into_iter().for_each(Delivered::record);
        if finished {
            self.close_remote_later(run);
        }
    }

    /// The subscriber connection was lost and is back: joins every followed run again, filling
    /// what was missed from the streams.
    pub async fn rejoin_remote(&self) {
        let Some(broker) = self.inner.broker.clone() else {
            return;
        };
        let ids: Vec<String> = {
            let mut runs = lock(&self.inner.runs);
            runs.iter_mut()
                .filter_map(|(id, topic)| match &mut topic.origin {
                    Origin::Remote { joined, .. } => {
                        *joined = false;
                        Some(id.clone())
                    }
                    Origin::Local => None,
                })
                .collect()
        };
        let _one_at_a_time = self.inner.joining.lock().await;
        for id in ids {
            self.catch_up(&broker, &id).await;
        }
    }

    /// Redis lost the history of a run this node executes: the run gets a new epoch (nothing before
    /// it can be replayed), its subscribers a fresh snapshot, and the broker starts the run's history
    /// over from it for the nodes that follow it. Under the runs lock, so that the broker has it
    /// between the events before and after.
    pub fn rebase_lost(&self, run: &str) {
        let Some(broker) = self.inner.broker.clone() else {
            return;
        };
        let mut runs = lock(&self.inner.runs);
        let Some(topic) = runs.get_mut(run) else {
            return;
        };
        if !matches!(topic.origin, Origin::Local) {
            return;
        }
        let mut snapshot = topic.snapshot.clone();
        snapshot.epoch = new_epoch();
        broker.rebase(
            &topic.id,
            (snapshot.epoch.as_str(), snapshot.seq),
            serde_json::to_string(&snapshot).unwrap_or_default(),
            subscribed(&snapshot),
        );
        let delivered: Vec<Delivered> = rebase(topic, snapshot)
            .into_iter()
            .map(|(item, kind)| fan_out(topic, &item, kind))
            .collect();
        drop(runs);
        delivered.into_iter().for_each(Delivered::record);
    }

    /// A run ended without its node (which died, or drained out of time), and the store marked it
    /// `interrupted` (`snapshot`, in a new epoch). Every node that follows the run, this one too,
    /// starts its topic over from it, as after [`Hub::rebase_lost`], so their clients hear that the
    /// run ended, instead of watching it "running" until they reload.
    pub fn announce_interrupted(&self, snapshot: &RunSnapshot) {
        if let Some(broker) = &self.inner.broker {
            broker.rebase(
                &Arc::from(snapshot.test_id.as_str()),
                (snapshot.epoch.as_str(), snapshot.seq),
                serde_json::to_string(snapshot).unwrap_or_default(),
                subscribed(snapshot),
            );
        }
    }

    /// Stops following a run (after its end, subscribers that come later read the store).
    fn close_remote_later(&self, id: &str) {
        let (hub, id) = (self.clone(), id.to_owned());
        tokio::spawn(async move {
            tokio::time::sleep(LINGER).await;
            let removed = {
                let mut runs = lock(&hub.inner.runs);
                let remote = runs
                    .get(&id)
                    .is_some_and(|t| matches!(t.origin, Origin::Remote { .. }));
                remote.then(|| runs.remove(&id)).flatten()
            };
            if let Some(topic) = removed {
                metrics::gauge!("livecheck_ws_subscriptions")
                    .decrement(topic.subscribers.len() as f64);
                hub.unfollow(&id);
            }
        });
    }

    pub(super) fn unfollow(&self, id: &str) {
        if let Some(broker) = self.inner.broker.clone() {
            let id = id.to_owned();
            tokio::spawn(async move { broker.unfollow(&id).await });
        }
    }
}

/// Folds one event of a followed run into its topic: the next `seq`s only, each once. Returns the
/// items to fan out (none, one, or a snapshot and the event that ended the run) and their kinds.
fn apply(topic: &mut Topic, keep: usize, bytes: Utf8Bytes) -> Vec<(Item, &'static str)> {
    let Ok(msg) = serde_json::from_str::<ServerMessage>(&bytes) else {
        return Vec::new();
    };
    if let ServerMessage::Subscribed {
        snapshot: Some(snapshot),
        ..
    } = msg
    {
        // The run's history started over (Redis lost it, or the run was marked interrupted after
        // its node stopped): a new epoch.
        return if snapshot.epoch != topic.snapshot.epoch {
            rebase(topic, snapshot)
        } else {
            Vec::new()
        };
    }
    let Some((_, seq)) = msg.run_event() else {
        return Vec::new();
    };
    if seq <= topic.snapshot.seq {
        // Already in the stored snapshot the join started from: kept for replay only.
        if topic.recent.back().is_none_or(|(last, _)| seq > *last) {
            topic.recent.push_back((seq, bytes));
            if topic.recent.len() > keep {
                topic.recent.pop_front();
            }
        }
        return Vec::new();
    }
    topic.snapshot.apply(&msg);
    topic.recent.push_back((seq, bytes.clone()));
    if topic.recent.len() > keep {
        topic.recent.pop_front();
    }
    let (kind, coalescable) = match &msg {
        ServerMessage::TestProgress(p) => ("test_progress", p.step.is_none() && p.load.is_none()),
        ServerMessage::TestStatusUpdate { .. } => ("test_status_update", false),
        ServerMessage::TestCompleted { .. } => ("test_completed", false),
        _ => ("test_error", false),
    };
    let item = Item {
        bytes,
        run: Some(topic.id.clone()),
        coalescable,
        published_at: Instant::now(),
    };
    vec![(item, kind)]
}

/// The `subscribed` answer that starts a run's stream over from `snapshot`.
fn subscribed(snapshot: &RunSnapshot) -> Utf8Bytes {
    encode(&ServerMessage::Subscribed {
        test_id: snapshot.test_id.clone(),
        epoch: snapshot.epoch.clone(),
        recovered: None,
        replayed: None,
        snapshot: Some(snapshot.clone()),
    })
}

/// Starts a topic over from `snapshot` (a new epoch: nothing before it can be replayed). Returns
/// what tells its subscribers: the `subscribed` answer with the snapshot and, for a run that has
/// ended, the event that ended it (as a subscription to a finished run has it, for clients that
/// only wait for `test_completed` / `test_error`).
fn rebase(topic: &mut Topic, snapshot: RunSnapshot) -> Vec<(Item, &'static str)> {
    let item = |bytes| Item {
        bytes,
        run: Some(topic.id.clone()),
        coalescable: false,
        published_at: Instant::now(),
    };
    let mut items = vec![(item(subscribed(&snapshot)), "subscribed")];
    if let Some(end) = snapshot.terminal_event() {
        let kind = match end {
            ServerMessage::TestCompleted { .. } => "test_completed",
            ServerMessage::TestStatusUpdate { .. } => "test_status_update",
            _ => "test_error",
        };
        items.push((item(encode(&end)), kind));
    }
    topic.snapshot = snapshot;
    topic.recent.clear();
    items
}
