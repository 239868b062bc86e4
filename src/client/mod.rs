//! The browser side of the live connection, shared by every component of a page through context.
//!
//! [`Live`] holds the connection state and one snapshot signal per followed run. Components call
//! [`Live::follow`] / [`Live::unfollow`] (or the hooks in [`hooks`]); they never open sockets. On the
//! server the same type exists but stays idle (pages render from stored snapshots); in the browser
//! `socket` runs the connection loop.
//!
//! Events are folded into each run's model as they arrive, but the signals the UI reads are updated at
//! most once per animation frame, however fast events come.

pub mod backoff;
pub mod hooks;
#[cfg(feature = "hydrate")]
mod socket;

use std::collections::HashMap;

use futures::channel::mpsc::UnboundedSender;
use leptos::prelude::*;

use crate::protocol::{ClientMessage, RunSnapshot, ServerMessage};

/// Why the connection stopped for good (`ConnState::Closed`), in English; the page shows the known
/// ones in its own language.
pub mod reason {
    pub const SESSION_EXPIRED: &str = "your session has expired; please sign in again";
    pub const SIGN_IN_AGAIN: &str = "signed out; please sign in again";
    pub const SIGNED_OUT: &str = "signed out";
    pub const BY_PAGE: &str = "disconnected by the page";
}

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

/// One followed run: its latest model, the signal the UI reads, and how many components follow it.
struct Tracked {
    model: Option<RunSnapshot>,
    signal: RwSignal<Option<RunSnapshot>>,
    followers: u32,
    /// The model changed since the signal was last set.
    dirty: bool,
}

/// The page's live connection. `Copy`: every field is a reactive handle.
#[derive(Clone, Copy)]
pub struct Live {
    pub state: RwSignal<ConnState>,
    /// Server clock minus browser clock, learned from `connection_established`, so elapsed times
    /// computed in the browser match the server's timestamps.
    pub clock_offset_ms: RwSignal<i64>,
    runs: StoredValue<HashMap<String, Tracked>>,
    /// A flush of dirty runs is scheduled for the next animation frame (browser only).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    frame_pending: StoredValue<bool>,
    /// When the signals were last updated (`performance.now()`, ms; browser only).
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    last_flush: StoredValue<f64>,
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
            frame_pending: StoredValue::new(false),
            last_flush: StoredValue::new(f64::NEG_INFINITY),
            outgoing: StoredValue::new(None),
            generation: StoredValue::new(0),
        };
        provide_context(live);
        live
    }

    pub fn expect() -> Self {
        expect_context::<Self>()
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

    /// Whether the socket is open.
    pub fn is_connected(&self) -> bool {
        self.state.with(|s| *s == ConnState::Open)
    }

    /// Follows a run: returns its snapshot signal (seeded with `initial` if newer) and subscribes when
    /// it is the first follower. Every `follow` needs one `unfollow`.
    pub fn follow(
        &self,
        test_id: &str,
        initial: Option<RunSnapshot>,
    ) -> RwSignal<Option<RunSnapshot>> {
        let (signal, first) = self
            .runs
            .try_update_value(|runs| {
                let tracked = runs.entry(test_id.to_owned()).or_insert_with(|| Tracked {
                    model: None,
                    signal: RwSignal::new(None),
                    followers: 0,
                    dirty: false,
                });
                tracked.followers += 1;
                (tracked.signal, tracked.followers == 1)
            })
            .unwrap_or_else(|| (RwSignal::new(None), false));
        if let Some(initial) = initial {
            self.merge(test_id, initial);
            self.flush();
        }
        if first {
            let resume = self.resume_point(test_id);
            let (since_seq, epoch) = resume.unzip();
            self.send(ClientMessage::SubscribeTest {
                test_id: test_id.to_owned(),
                since_seq,
                epoch,
            });
        }
        signal
    }

    /// Stops following a run; unsubscribes when the last follower leaves.
    pub fn unfollow(&self, test_id: &str) {
        let last = self
            .runs
            .try_update_value(|runs| match runs.get_mut(test_id) {
                Some(t) if t.followers > 1 => {
                    t.followers -= 1;
                    false
                }
                Some(_) => {
                    runs.remove(test_id);
                    true
                }
                None => false,
            })
            .unwrap_or(false);
        if last {
            self.send(ClientMessage::UnsubscribeTest {
                test_id: test_id.to_owned(),
            });
        }
    }

    /// The last `seq` shown for a run and its epoch, to resume from.
    fn resume_point(&self, test_id: &str) -> Option<(u64, String)> {
        self.runs
            .try_with_value(|runs| {
                runs.get(test_id)
                    .and_then(|t| t.model.as_ref())
                    .map(|m| (m.seq, m.epoch.clone()))
            })
            .flatten()
    }

    /// Every followed run with the point to resume it from, if any.
    pub fn resume_points(&self) -> Vec<(String, Option<(u64, String)>)> {
        self.runs
            .try_with_value(|runs| {
                runs.iter()
                    .map(|(id, t)| {
                        (
                            id.clone(),
                            t.model.as_ref().map(|m| (m.seq, m.epoch.clone())),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sends a message if the socket is open. Nothing is queued while it is not: the only messages
    /// are subscriptions, which are state, and every followed run is re-subscribed (resuming from its
    /// last event) as soon as the socket opens again. The connection state on the page says why
    /// nothing moves meanwhile.
    fn send(&self, msg: ClientMessage) {
        if !self.state.with_untracked(|s| *s == ConnState::Open) {
            return;
        }
        self.outgoing.with_value(|tx| {
            if let Some(tx) = tx {
                // The socket task owns the receiver for the page's lifetime; a send can only fail
                // while the page is being torn down.
                let _ = tx.unbounded_send(msg);
            }
        });
    }

    /// Applies one server message to the followed runs' models; the UI sees it on the next frame.
    pub fn apply(&self, msg: &ServerMessage) {
        match msg {
            ServerMessage::Subscribed {
                test_id,
                snapshot: Some(snapshot),
                ..
            } => self.merge(test_id, snapshot.clone()),
            other => {
                if let Some((test_id, _)) = other.run_event() {
                    self.runs.update_value(|runs| {
                        if let Some(t) = runs.get_mut(test_id) {
                            if let Some(model) = &mut t.model {
                                model.apply(other);
                                t.dirty = true;
                            }
                        }
                    });
                }
            }
        }
        self.schedule_flush();
    }

    /// Takes a snapshot if it is newer than the model (higher `seq`, or another epoch, which restarts
    /// the count), so a late answer cannot undo events already shown.
    fn merge(&self, test_id: &str, incoming: RunSnapshot) {
        self.runs.update_value(|runs| {
            if let Some(t) = runs.get_mut(test_id) {
                let newer = t
                    .model
                    .as_ref()
                    .is_none_or(|c| incoming.epoch != c.epoch || incoming.seq >= c.seq);
                if newer {
                    t.model = Some(incoming);
                    t.dirty = true;
                }
            }
        });
    }

    /// Updates the signals of changed runs: at once if the last update is a frame (16 ms) old, else at
    /// the next animation frame. The first event after a quiet spell shows without waiting for a
    /// frame; a burst shows once per frame. On the server: at once.
    fn schedule_flush(&self) {
        #[cfg(feature = "hydrate")]
        {
            const FRAME_MS: f64 = 16.0;
            if self.frame_pending.get_value() {
                return;
            }
            let now = now_ms();
            if now - self.last_flush.get_value() >= FRAME_MS {
                self.last_flush.set_value(now);
                self.flush();
                return;
            }
            self.frame_pending.set_value(true);
            let live = *self;
            request_animation_frame(move || {
                live.frame_pending.set_value(false);
                live.last_flush.set_value(now_ms());
                live.flush();
            });
        }
        #[cfg(not(feature = "hydrate"))]
        self.flush();
    }

    fn flush(&self) {
        let changed: Vec<_> = self
            .runs
            .try_update_value(|runs| {
                runs.values_mut()
                    .filter(|t| t.dirty)
                    .map(|t| {
                        t.dirty = false;
                        (t.signal, t.model.clone())
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (signal, model) in changed {
            signal.set(model);
        }
    }
}

/// `performance.now()` in the browser.
#[cfg(feature = "hydrate")]
fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}
