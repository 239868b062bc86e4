//! The answer to `subscribe_test`, for a live run (from the hub's recent events) and for a finished
//! one (from the event log) alike: the missed events when every one of them is at hand, else a
//! snapshot. Never a partial replay. A snapshot of a finished run is followed by the event that ended
//! it (same `seq`), so a client that only waits for `test_completed` / `test_error` hears it.

use std::{sync::Arc, time::Instant};

use tungstenite::Utf8Bytes;

use super::{encode, Item, Outbox, Subscription};
use crate::protocol::{RunSnapshot, ServerMessage};

/// The `since_seq` a client may resume `snap`'s stream from: same epoch, and not ahead of it.
pub fn resumable(snap: &RunSnapshot, resume: Option<(u64, &str)>) -> Option<u64> {
    let (since, epoch) = resume?;
    (epoch == snap.epoch && since <= snap.seq).then_some(since)
}

/// Queues the `subscribed` answer on `outbox`. When `missed` holds exactly the events after the
/// client's `since_seq`, they follow it (`recovered: true`); otherwise the snapshot goes in it.
pub fn answer(
    outbox: &Outbox,
    run: &Arc<str>,
    snap: &RunSnapshot,
    resume: Option<(u64, &str)>,
    missed: Option<Vec<Utf8Bytes>>,
) -> Subscription {
    let complete = resume
        .zip(missed)
        .filter(|((since, _), missed)| missed.len() as u64 == snap.seq.saturating_sub(*since));
    if let Some((_, missed)) = complete {
        outbox.push(Item::control(encode(&ServerMessage::Subscribed {
            test_id: snap.test_id.clone(),
            epoch: snap.epoch.clone(),
            recovered: Some(true),
            replayed: Some(missed.len() as u64),
            snapshot: None,
        })));
        for bytes in missed {
            outbox.push(Item {
                bytes,
                run: Some(run.clone()),
                coalescable: false,
                published_at: Instant::now(),
            });
        }
        return Subscription::Recovered;
    }
    outbox.push(Item::control(encode(&ServerMessage::Subscribed {
        test_id: snap.test_id.clone(),
        epoch: snap.epoch.clone(),
        recovered: resume.map(|_| false),
        replayed: None,
        snapshot: Some(snap.clone()),
    })));
    if let Some(end) = snap.terminal_event() {
        outbox.push(Item::control(encode(&end)));
    }
    if resume.is_some() {
        Subscription::NotRecovered
    } else {
        Subscription::Snapshot
    }
}
