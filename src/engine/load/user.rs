//! A load run's virtual users, in the three shapes a `load` section can take:
//! - closed model: each user runs the steps over and over, as soon as its last iteration ended;
//! - closed model with `stages`: the same, while the stage's target (users, moving linearly) counts
//!   the user in; a user left out waits, parked, until a stage wants it again;
//! - open model (`arrival_rate`): [`arrivals`] releases iterations at the target rate, and a free user
//!   takes each; an iteration due while every user is busy is dropped and counted, never queued (the
//!   rate the target asked for stays visible beside what was achieved).

use std::{
    borrow::Cow,
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::{sync::Semaphore, time::Instant};

use super::{http1, Shared};
use crate::{
    engine::http::{checks, Response},
    suite::{OnFailure, RowsPer, StepDef},
};

/// How often the open model's scheduler releases the iterations due, and how often a parked user
/// looks whether a stage wants it.
const TICK: Duration = Duration::from_millis(10);
const PARKED_POLL: Duration = Duration::from_millis(50);

/// Counts a user in a gauge (active or idle) for as long as it lives, however the user's future ends.
struct Counted<'a>(&'a AtomicU32);

impl<'a> Counted<'a> {
    fn new(gauge: &'a AtomicU32) -> Self {
        gauge.fetch_add(1, Ordering::Relaxed);
        Self(gauge)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One virtual user: waits for its start time, then runs until the run stops or no iterations are
/// left. Each iteration starts from the suite's variables (and its data row); captures carry over to
/// the iteration's later steps only.
pub(super) async fn virtual_user(shared: Arc<Shared>, user: usize, start_at: Instant) {
    tokio::select! {
        _ = tokio::time::sleep_until(start_at) => {}
        _ = shared.stop.cancelled() => return,
    }
    // One wait on `stop` for the user's whole life, not one per request: dropping `run` at the stop
    // abandons the request in flight (it is not counted).
    tokio::select! {
        _ = run(&shared, user) => {}
        _ = shared.stop.cancelled() => {}
    }
}

async fn run(shared: &Arc<Shared>, user: usize) {
    let mut connection = http1::UserConnection::default();
    // A user that keeps one data row has its variables made once.
    let user_vars = match &shared.rows {
        Some((rows, RowsPer::User)) => {
            let mut vars = shared.vars.clone();
            rows.apply(user, &mut vars);
            Cow::Owned(vars)
        }
        _ => Cow::Borrowed(&shared.vars),
    };
    if let Some(permits) = &shared.arrivals {
        loop {
            let permit = {
                let _idle = Counted::new(&shared.idle);
                permits.acquire().await
            };
            match permit {
                Ok(permit) => permit.forget(),
                Err(_) => return,
            }
            if !shared.claim() {
                return;
            }
            let _active = Counted::new(&shared.active);
            iteration(shared, &mut connection, &user_vars).await;
        }
    }
    let staged = shared.shape.is_staged();
    loop {
        if staged && !wanted(shared, user) {
            if shared.ending() {
                return;
            }
            tokio::time::sleep(PARKED_POLL).await;
            continue;
        }
        let _active = Counted::new(&shared.active);
        while !staged || wanted(shared, user) {
            if !shared.claim() {
                return;
            }
            iteration(shared, &mut connection, &user_vars).await;
        }
    }
}

/// Whether the stage's target counts user `user` (numbered from 0) in now.
fn wanted(shared: &Shared, user: usize) -> bool {
    let target = shared
        .shape
        .target_at(shared.started.elapsed())
        .unwrap_or(0.0);
    (user as f64) < target.round()
}

/// The open model's clock: every tick, the iterations the target rate makes due since the last
/// tick are released to idle users; those no idle user can take are dropped and counted.
pub(super) async fn arrivals(shared: Arc<Shared>, permits: Arc<Semaphore>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = shared.started;
    let mut due = 0.0f64;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shared.stop.cancelled() => break,
        }
        if shared.remaining.load(Ordering::Relaxed) == 0 {
            // Every iteration is claimed: nothing more will start.
            break;
        }
        let now = Instant::now();
        let rate = shared
            .shape
            .target_at(now.duration_since(shared.started))
            .unwrap_or(0.0);
        due += rate * now.duration_since(last).as_secs_f64();
        last = now;
        let count = due.floor();
        due -= count;
        let count = count as usize;
        if count == 0 {
            continue;
        }
        let free = (shared.idle.load(Ordering::Relaxed) as usize)
            .saturating_sub(permits.available_permits());
        let released = count.min(free);
        permits.add_permits(released);
        shared
            .dropped
            .fetch_add((count - released) as u64, Ordering::Relaxed);
    }
    // Wakes every waiting user so that it sees the stop.
    permits.close();
}

/// One pass over the steps.
async fn iteration(
    shared: &Arc<Shared>,
    connection: &mut http1::UserConnection,
    user_vars: &BTreeMap<String, String>,
) {
    // Copied only when a step captures something into it, or the iteration takes a data row.
    let mut vars = Cow::Borrowed(user_vars);
    if let Some((rows, RowsPer::Iteration)) = &shared.rows {
        let row = shared.next_row.fetch_add(1, Ordering::Relaxed);
        rows.apply(row as usize, vars.to_mut());
    }
    // Whether any request of the iteration went out (or at least tried to connect).
    let mut sent = false;
    let steps = shared.suite.steps.iter().zip(&shared.urls);
    for (index, ((step, url), patterns)) in steps.zip(&shared.patterns).enumerate() {
        if shared.ending() {
            // The duration is up: no step starts any more.
            return;
        }
        let prepared = shared.http.prepare(step, &vars, url.as_ref());
        sent |= prepared.is_ok();
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        let outcome = match prepared {
            // Plain HTTP on the engine's own connection; TLS and URL credentials (sent as basic
            // auth) through the shared client.
            Ok(request)
                if request.url.scheme() == "http"
                    && request.url.username().is_empty()
                    && request.url.password().is_none() =>
            {
                connection.send(request, shared.http.policy()).await
            }
            Ok(request) => shared.http.send_prepared(request).await,
            Err(e) => Err(e),
        };
        let (latency, error) = match outcome {
            Ok(response) => {
                let latency = response.latency;
                let (error, captured) = if response.body.len() <= checks::INLINE_JUDGE_BYTES {
                    judge(step, patterns, &response)
                } else {
                    let (shared, i) = (shared.clone(), index);
                    checks::judge(response.body.len(), move || {
                        judge(&shared.suite.steps[i], &shared.patterns[i], &response)
                    })
                    .await
                    .unwrap_or_else(|| (Some("check".to_owned()), BTreeMap::new()))
                };
                if !captured.is_empty() {
                    vars.to_mut().extend(captured);
                }
                (Some(latency), error)
            }
            Err(e) => (None, Some(e.kind.to_owned())),
        };
        let failed = error.is_some();
        {
            let mut tally = shared.tally();
            tally.record(latency, error);
            shared.in_flight.fetch_sub(1, Ordering::Relaxed);
        }
        if failed && shared.suite.on_failure == OnFailure::Stop {
            break;
        }
    }
    shared.iterations.fetch_add(1, Ordering::Relaxed);
    if !sent {
        // Every request was refused before it was sent (a target the guard denies, a URL that
        // does not resolve to one): nothing here waits, so without a pause the user would spin
        // through refusals for the whole run.
        tokio::time::sleep(REFUSED_PAUSE).await;
    }
    // An iteration whose every step completes at once never yields: give the scheduler its turn,
    // so the stop, the live figures and the rest of the server run.
    tokio::task::coop::consume_budget().await;
}

/// How long a virtual user waits after an iteration none of whose requests could be sent.
const REFUSED_PAUSE: Duration = Duration::from_millis(100);

/// A response's error kind (`status N` or `check`; `None` when every check passed) and what the step
/// captured from it.
fn judge(
    step: &StepDef,
    patterns: &checks::Patterns,
    response: &Response,
) -> (Option<String>, BTreeMap<String, String>) {
    let mut captured = BTreeMap::new();
    let error = match checks::first_failure(&step.checks, patterns, response) {
        Some(_) => Some(match &step.checks.status {
            Some(check) if !check.accepts(response.status) => format!("status {}", response.status),
            _ => "check".to_owned(),
        }),
        None if step.capture.is_empty() => None,
        None => checks::capture(&step.capture, patterns, response, &mut captured)
            .err()
            .map(|_| "capture".to_owned()),
    };
    (error, captured)
}
