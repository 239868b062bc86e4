//! The seed's React hooks as Leptos functions over the page's shared [`Live`] connection.
//!
//! - [`use_websocket`]: the connection (`useWebSocket({ autoConnect, testId })`).
//! - [`use_test_progress`]: one run's state as signals (`useTestProgress(testId)`), following the run
//!   while the calling component lives.

use leptos::prelude::*;

use super::{ConnState, Live};
use crate::protocol::{RunSnapshot, RunStatus, StepResult};

/// Options of [`use_websocket`].
#[derive(Debug, Clone, Default)]
pub struct UseWebSocketOptions {
    /// Connect now if not connected (the page connects by itself once signed in).
    pub auto_connect: bool,
    /// Follow this run for as long as the calling component lives.
    pub test_id: Option<String>,
}

/// What [`use_websocket`] gives a component.
#[derive(Clone, Copy)]
pub struct UseWebSocket {
    pub is_connected: Signal<bool>,
    pub state: Signal<ConnState>,
    /// The followed run's latest state (`options.test_id`), if any.
    pub test_progress: Signal<Option<RunSnapshot>>,
    pub test_status: Signal<Option<RunStatus>>,
    pub subscribe_to_test: Callback<String>,
    pub unsubscribe: Callback<String>,
    pub connect: Callback<()>,
    pub disconnect: Callback<()>,
}

pub fn use_websocket(options: UseWebSocketOptions) -> UseWebSocket {
    let live = Live::expect();
    if options.auto_connect {
        live.connect();
    }
    let run = options.test_id.map(|id| {
        let signal = live.follow(&id, None);
        on_cleanup(move || live.unfollow(&id));
        signal
    });
    let test_progress = Signal::derive(move || run.and_then(|r| r.get()));
    UseWebSocket {
        is_connected: Signal::derive(move || live.is_connected()),
        state: live.state.into(),
        test_progress,
        test_status: Signal::derive(move || test_progress.with(|r| r.as_ref().map(|r| r.status))),
        subscribe_to_test: Callback::new(move |id: String| {
            live.follow(&id, None);
        }),
        unsubscribe: Callback::new(move |id: String| live.unfollow(&id)),
        connect: Callback::new(move |()| live.connect()),
        disconnect: Callback::new(move |()| live.disconnect(super::reason::BY_PAGE)),
    }
}

/// One run's state as signals, for as long as the calling component lives.
#[derive(Clone, Copy)]
pub struct TestProgressState {
    /// The whole snapshot; the other signals are views of it.
    pub run: RwSignal<Option<RunSnapshot>>,
    pub progress: Signal<u8>,
    pub status: Signal<RunStatus>,
    pub current_step: Signal<u32>,
    pub total_steps: Signal<u32>,
    pub message: Signal<String>,
    pub results: Signal<Vec<StepResult>>,
    pub error: Signal<Option<String>>,
    /// Server time (ms) the run started and finished, for elapsed time.
    pub started_at: Signal<Option<u64>>,
    pub finished_at: Signal<Option<u64>>,
}

/// Follows `test_id` (seeding it with `initial`, e.g. a snapshot rendered on the server) and
/// unfollows when the calling component is cleaned up: the run's snapshot, for a component that
/// needs only part of [`TestProgressState`] (a row of a list of runs).
pub fn use_run(test_id: &str, initial: Option<RunSnapshot>) -> RwSignal<Option<RunSnapshot>> {
    let live = Live::expect();
    let run = live.follow(test_id, initial);
    let id = test_id.to_owned();
    on_cleanup(move || live.unfollow(&id));
    run
}

/// [`use_run`] with every part of the snapshot as its own signal.
pub fn use_test_progress(test_id: &str, initial: Option<RunSnapshot>) -> TestProgressState {
    let run = use_run(test_id, initial);
    TestProgressState {
        run,
        progress: Signal::derive(move || run.with(|r| r.as_ref().map_or(0, |r| r.progress))),
        status: Signal::derive(move || {
            run.with(|r| r.as_ref().map_or(RunStatus::Queued, |r| r.status))
        }),
        current_step: Signal::derive(move || {
            run.with(|r| r.as_ref().map_or(0, |r| r.current_step))
        }),
        total_steps: Signal::derive(move || run.with(|r| r.as_ref().map_or(0, |r| r.total_steps))),
        message: Signal::derive(move || {
            run.with(|r| r.as_ref().map(|r| r.message.clone()).unwrap_or_default())
        }),
        results: Signal::derive(move || {
            run.with(|r| r.as_ref().map(|r| r.steps.clone()).unwrap_or_default())
        }),
        error: Signal::derive(move || run.with(|r| r.as_ref().and_then(|r| r.error.clone()))),
        started_at: Signal::derive(move || run.with(|r| r.as_ref().and_then(|r| r.started_at))),
        finished_at: Signal::derive(move || run.with(|r| r.as_ref().and_then(|r| r.finished_at))),
    }
}
