//! The browser side of the live connection, shared by every component of a page through context.
//!
//! [`Live`] holds the connection state and one snapshot signal per followed run. Components call
//! [`Live::follow`] / [`Live::unfollow`]; they never open sockets. On the server the same type exists but
//! stays idle (pages render from stored snapshots); in the browser `socket` runs the connection loop.

pub mod backoff;
#[cfg(feature = "hydrate")]
mod socket;

use std::collections::HashMap;

use futures::channel::mpsc::UnboundedSender;
use leptos::prelude::*;

use crate::protocol::{ClientMessage, RunSnapshot, ServerMessage};

/// Where the live connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Open,
    Reconnecting {
        attempt: u32,
        retry_in_ms: u64,
    },
    /// Will not reconnect by itself (for example the session expired).
    Closed {
        reason: String,
    },
}

impl ConnState {
    pub fn label(&self) -> String {
        match self {
            Self::Connecting => "Connecting…".into(),
            Self::Open => "Live".into(),
            Self::Reconnecting {
                attempt,
                retry_in_ms,
            } => format!(
                "Reconnecting (attempt {attempt}, in {:.1} s)",
                *retry_in_ms as f64 / 1000.0
            ),
            Self::Closed { reason } => format!("Disconnected: {reason}"),
        }
    }

    /// A short machine-readable name, used as a CSS class and by the end-to-end tests.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Open => "open",
            Self::Reconnecting { .. } => "reconnecting",
            Self::Closed { .. } => "closed",
        }
    }
}

type RunSignals = HashMap<String, RwSignal<Option<RunSnapshot>>>;

/// The page's live connection. `Copy`: every field is a reactive handle.
#[derive(Clone, Copy)]
pub struct Live {
    pub state: RwSignal<ConnState>,
    /// Server clock minus browser clock, learned from `connection_established`, so elapsed times
    /// computed in the browser match the server's timestamps.
    pub clock_offset_ms: RwSignal<i64>,
    runs: StoredValue<RunSignals>,
    /// Queue of messages for the socket task; `None` on the server and while disconnected.
    outgoing: StoredValue<Option<UnboundedSender<ClientMessage>>>,
    /// Bumped by every `connect`/`disconnect`; a connection loop from an older generation exits.
    generation: StoredValue<u64>,
}

impl Live {
    /// Creates the page's connection (not yet connected) and provides it as context.
    pub fn provide() -> Self {
        let live = Self {
            state: RwSignal::new(ConnState::Connecting),
            clock_offset_ms: RwSignal::new(0),
            runs: StoredValue::new(HashMap::new()),
            outgoing: StoredValue::new(None),
            generation: StoredValue::new(0),
        };
        provide_context(live);
        live
    }

    /// Starts the connection loop in the browser, unless one is running. No-op on the server.
    pub fn connect(&self) {
        let running = self.outgoing.with_value(Option::is_some);
        #[cfg(feature = "hydrate")]
        if !running {
            let generation = self.next_generation();
            socket::start(*self, generation);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = running;
    }

    /// Stops the connection loop (after signing out) and says why.
    pub fn disconnect(&self, reason: &str) {
        self.next_generation();
        // Dropping the sender ends the loop's wait for outgoing messages.
        self.outgoing.set_value(None);
        self.state.set(ConnState::Closed {
            reason: reason.to_owned(),
        });
    }

    fn next_generation(&self) -> u64 {
        self.generation
            .try_update_value(|g| {
                *g += 1;
                *g
            })
            .unwrap_or(0)
    }

    /// Whether the loop of `generation` is still the current one.
    pub fn is_current(&self, generation: u64) -> bool {
        self.generation.try_get_value() == Some(generation)
    }

    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// Follows a run: returns its snapshot signal (seeded with `initial` if newer) and subscribes.
    pub fn follow(
        &self,
        test_id: &str,
        initial: Option<RunSnapshot>,
    ) -> RwSignal<Option<RunSnapshot>> {
        let signal = self
            .runs
            .try_update_value(|runs| {
                *runs
                    .entry(test_id.to_owned())
                    .or_insert_with(|| RwSignal::new(None))
            })
            .unwrap_or_else(|| RwSignal::new(None));
        if let Some(initial) = initial {
            merge_snapshot(signal, initial);
        }
        self.send(ClientMessage::SubscribeTest {
            test_id: test_id.to_owned(),
            since_seq: None,
            epoch: None,
        });
        signal
    }

    /// Stops following a run.
    pub fn unfollow(&self, test_id: &str) {
        let removed = self
            .runs
            .try_update_value(|runs| runs.remove(test_id).is_some())
            .unwrap_or(false);
        if removed {
            self.send(ClientMessage::UnsubscribeTest {
                test_id: test_id.to_owned(),
            });
        }
    }

    /// Every followed run with the point to resume it from (last `seq` shown and its epoch), if any.
    pub fn resume_points(&self) -> Vec<(String, Option<(u64, String)>)> {
        self.runs
            .try_with_value(|runs| {
                runs.iter()
                    .map(|(id, signal)| {
                        let resume =
                            signal.with_untracked(|s| s.as_ref().map(|s| (s.seq, s.epoch.clone())));
                        (id.clone(), resume)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn send(&self, msg: ClientMessage) {
        self.outgoing.with_value(|tx| {
            if let Some(tx) = tx {
                // The socket task owns the receiver for the page's lifetime; a send can only fail
                // while the page is being torn down.
                let _ = tx.unbounded_send(msg);
            }
        });
    }

    /// Applies one server message to the followed runs.
    pub fn apply(&self, msg: &ServerMessage) {
        match msg {
            ServerMessage::Subscribed {
                test_id,
                snapshot: Some(snapshot),
                ..
            } => {
                if let Some(signal) = self.signal(test_id) {
                    merge_snapshot(signal, snapshot.clone());
                }
            }
            ServerMessage::Batch { messages } => {
                for msg in messages {
                    self.apply(msg);
                }
            }
            other => {
                if let Some((test_id, _)) = other.run_event() {
                    if let Some(signal) = self.signal(test_id) {
                        signal.update(|s| {
                            if let Some(s) = s {
                                s.apply(other);
                            }
                        });
                    }
                }
            }
        }
    }

    fn signal(&self, test_id: &str) -> Option<RwSignal<Option<RunSnapshot>>> {
        self.runs
            .try_with_value(|runs| runs.get(test_id).copied())
            .flatten()
    }
}

/// Replaces the stored snapshot with a newer one (higher `seq`, or another epoch, which restarts the
/// count), so a late answer cannot undo events already shown.
fn merge_snapshot(signal: RwSignal<Option<RunSnapshot>>, incoming: RunSnapshot) {
    let newer = signal.with_untracked(|cur| {
        cur.as_ref()
            .is_none_or(|c| incoming.epoch != c.epoch || incoming.seq >= c.seq)
    });
    if newer {
        signal.set(Some(incoming));
    }
}
