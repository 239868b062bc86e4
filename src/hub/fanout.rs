//! One event onto every subscriber's outbox, and the metrics of it (recorded once the hub's lock is
//! released).

use super::{Item, Pushed, Topic};

/// Queues an event on every subscriber of the run; a subscriber whose outbox overflowed or closed
/// is dropped (its connection closes itself). Returns what to count once the lock is released.
pub(super) fn fan_out(topic: &mut Topic, item: &Item, kind: &'static str) -> Delivered {
    let before = topic.subscribers.len();
    let mut coalesced = 0;
    topic
        .subscribers
        .retain(|_, outbox| match outbox.push(item.clone()) {
            Pushed::Queued => true,
            Pushed::Coalesced => {
                coalesced += 1;
                true
            }
            Pushed::Overflow | Pushed::Closed => false,
        });
    Delivered {
        kind,
        before,
        delivered: topic.subscribers.len(),
        coalesced,
    }
}

/// What one fan-out did, for the metrics (recorded outside the hub's locks).
#[must_use]
pub(super) struct Delivered {
    kind: &'static str,
    before: usize,
    delivered: usize,
    coalesced: u64,
}

impl Delivered {
    pub(super) fn record(self) {
        metrics::counter!("livecheck_ws_messages_out_total", "type" => self.kind)
            .increment(self.delivered as u64);
        if self.coalesced > 0 {
            metrics::counter!("livecheck_ws_coalesced_total").increment(self.coalesced);
        }
        if self.before > self.delivered {
            metrics::gauge!("livecheck_ws_subscriptions")
                .decrement((self.before - self.delivered) as f64);
        }
    }
}
