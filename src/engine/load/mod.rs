//! The load engine: a suite's steps run over and over by N concurrent virtual users, for a duration
//! and/or a number of iterations, with an optional ramp-up. Every response's latency goes into an
//! HdrHistogram; a reporter publishes the live figures at most [`REPORTS_PER_SECOND`] times a second
//! (so a load run never floods the hub, however many requests it makes), and at the end the suite's
//! thresholds decide whether the run passed.
//!
//! Requests go through the shared [`HttpClient`]: the same templating, checks, timeouts and target guard.

use std::{
    borrow::Cow,
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU32, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use futures::future::BoxFuture;
use hdrhistogram::Histogram;
use tokio::{task::JoinSet, time::Instant};
use tokio_util::sync::CancellationToken;

use super::{
    http::{checks, HttpClient, Response},
    Engine, RunContext, SuiteJob,
};
use crate::{
    protocol::{LoadStats, LoadSummary, RunResults, RunStatus, StepResult, ThresholdResult},
    suite::{Figures, LoadDef, Metric, OnFailure, StepDef, Suite},
};

/// Live figures are published at most this often per run.
pub const REPORTS_PER_SECOND: u32 = 5;

/// Latencies are recorded in microseconds, up to this (longer ones are clamped).
const MAX_LATENCY_US: u64 = 10 * 60 * 1_000_000;

#[derive(Clone)]
pub struct LoadEngine(pub Arc<HttpClient>);

mod http1;

impl Engine for LoadEngine {
    fn run(&self, ctx: RunContext) -> BoxFuture<'static, ()> {
        let http = self.0.clone();
        Box::pin(execute(http, ctx))
    }
}

/// What every virtual user adds to, behind one mutex (held for a few hundred nanoseconds per request).
struct Tally {
    /// Every response's latency, µs.
    all: Histogram<u64>,
    /// Latencies since the last report.
    recent: Histogram<u64>,
    requests: u64,
    errors: u64,
    errors_by_kind: BTreeMap<String, u64>,
}

impl Tally {
    fn new() -> Self {
        // 3 significant figures from 1 µs to 10 min: fixed bounds, cannot fail.
        let histogram =
            || Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("valid histogram bounds");
        Self {
            all: histogram(),
            recent: histogram(),
            requests: 0,
            errors: 0,
            errors_by_kind: BTreeMap::new(),
        }
    }

    fn record(&mut self, latency: Option<Duration>, error: Option<String>) {
        self.requests += 1;
        if let Some(latency) = latency {
            let us = (latency.as_micros() as u64).clamp(1, MAX_LATENCY_US);
            self.all.saturating_record(us);
            self.recent.saturating_record(us);
        }
        if let Some(kind) = error {
            self.errors += 1;
            *self.errors_by_kind.entry(kind).or_default() += 1;
        }
    }
}

fn ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    if histogram.is_empty() {
        0.0
    } else {
        histogram.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// Shared by the run's virtual users.
struct Shared {
    http: Arc<HttpClient>,
    suite: Arc<Suite>,
    /// Each step's URL, parsed once when it has no variables.
    urls: Vec<Option<reqwest::Url>>,
    /// Each step's patterns, compiled once.
    patterns: Vec<checks::Patterns>,
    vars: BTreeMap<String, String>,
    tally: Mutex<Tally>,
    /// Iterations not yet claimed (`u64::MAX` when only the duration limits the run).
    remaining: AtomicU64,
    /// Iterations finished.
    iterations: AtomicU64,
    active: AtomicU32,
    /// Set when the duration is up or the run is cancelled.
    stop: CancellationToken,
}

impl Shared {
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims one iteration; false when none are left.
    fn claim(&self) -> bool {
        self.remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }
}

async fn execute(http: Arc<HttpClient>, ctx: RunContext) {
    let Some(SuiteJob {
        run,
        vars,
        cancel,
        sink,
    }) = ctx.into_suite_job("load").await
    else {
        return;
    };
    let Some(load) = run.suite.load.clone() else {
        sink.error("the suite has no `load` section".into()).await;
        return;
    };
    let duration = load.duration();
    let suite = run.suite;
    let urls = suite.steps.iter().map(HttpClient::fixed_url).collect();
    let patterns = suite.steps.iter().map(checks::Patterns::new).collect();
    let shared = Arc::new(Shared {
        http,
        urls,
        patterns,
        suite,
        vars,
        tally: Mutex::new(Tally::new()),
        remaining: AtomicU64::new(load.iterations.unwrap_or(u64::MAX)),
        iterations: AtomicU64::new(0),
        active: AtomicU32::new(0),
        stop: cancel.child_token(),
    });

    sink.status(RunStatus::Running).await;
    let started = Instant::now();
    // The wall-clock cap holds for runs limited by iterations alone too.
    let deadline = Some(started + duration.unwrap_or(LoadDef::MAX_DURATION));
    let ramp_up = load.ramp_up();
    let mut users = JoinSet::new();
    for i in 0..load.users {
        let start_at = started + ramp_up.mul_f64(f64::from(i) / f64::from(load.users));
        users.spawn(virtual_user(shared.clone(), start_at));
    }

    let progress = |now: Instant| -> u32 {
        let by_time = duration.map(|d| now.duration_since(started).as_secs_f64() / d.as_secs_f64());
        let done = shared.iterations.load(Ordering::Relaxed);
        let by_count = load.iterations.map(|n| done as f64 / n as f64);
        let fraction = match (by_time, by_count) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b).unwrap_or(0.0),
        };
        (fraction.clamp(0.0, 1.0) * 1000.0) as u32
    };
    let mut report = tokio::time::interval(Duration::from_secs(1) / REPORTS_PER_SECOND);
    report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    report.tick().await;
    let mut last_report = started;
    let mut last_requests = 0u64;
    let cancelled = loop {
        tokio::select! {
            _ = cancel.cancelled() => break true,
            _ = sleep_until(deadline) => break false,
            joined = users.join_next() => {
                if joined.is_none() {
                    break false;
                }
                continue;
            }
            _ = report.tick() => {}
        }
        let now = Instant::now();
        let (permille, stats) = {
            let mut t = shared.tally();
            let interval = now.duration_since(last_report).as_secs_f64().max(1e-3);
            let stats = LoadStats {
                elapsed_ms: now.duration_since(started).as_millis() as u64,
                active_users: shared.active.load(Ordering::Relaxed),
                requests: t.requests,
                errors: t.errors,
                rps: (t.requests - last_requests) as f64 / interval,
                p50_ms: ms(&t.all, 0.50),
                p95_ms: ms(&t.all, 0.95),
                p99_ms: ms(&t.all, 0.99),
                recent_p95_ms: ms(&t.recent, 0.95),
                errors_by_kind: t.errors_by_kind.clone(),
            };
            last_requests = t.requests;
            t.recent.reset();
            (progress(now), stats)
        };
        last_report = now;
        sink.load_progress(permille, describe(&stats), stats);
    };
    shared.stop.cancel();
    // Users stop at their next await point: within one request's timeout at worst, usually at once.
    while users.join_next().await.is_some() {}
    if cancelled {
        sink.status(RunStatus::Cancelled).await;
        return;
    }

    let elapsed = started.elapsed();
    let iterations = shared.iterations.load(Ordering::Relaxed);
    let summary = summarise(&load, &shared.tally(), iterations, elapsed);
    let steps: Vec<StepResult> = summary
        .thresholds
        .iter()
        .enumerate()
        .map(|(i, th)| StepResult {
            index: i as u32 + 1,
            name: th.threshold.clone(),
            passed: th.passed,
            status: None,
            duration_ms: elapsed.as_millis() as u64,
            error: (!th.passed).then(|| format!("not met: {}", th.actual)),
            captured: Default::default(),
            checks: Vec::new(),
        })
        .collect();
    let passed = steps.iter().filter(|s| s.passed).count() as u32;
    sink.completed(RunResults {
        passed,
        failed: steps.len() as u32 - passed,
        duration_ms: elapsed.as_millis() as u64,
        steps,
        load: Some(summary),
    })
    .await;
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The run's figures and its thresholds' outcomes.
fn summarise(load: &LoadDef, t: &Tally, iterations: u64, elapsed: Duration) -> LoadSummary {
    let error_rate = if t.requests == 0 {
        0.0
    } else {
        t.errors as f64 / t.requests as f64
    };
    let figures = Figures {
        p50_ms: ms(&t.all, 0.50),
        p90_ms: ms(&t.all, 0.90),
        p95_ms: ms(&t.all, 0.95),
        p99_ms: ms(&t.all, 0.99),
        mean_ms: if t.all.is_empty() {
            0.0
        } else {
            t.all.mean() / 1000.0
        },
        max_ms: if t.all.is_empty() {
            0.0
        } else {
            t.all.max() as f64 / 1000.0
        },
        error_rate_percent: error_rate * 100.0,
        responses: t.all.len(),
        rps: t.requests as f64 / elapsed.as_secs_f64().max(1e-3),
    };
    let thresholds = load
        .thresholds()
        .iter()
        .map(|th| {
            let (passed, actual) = th.check(&figures);
            let chart = match th.metric {
                Metric::Rps => "rps",
                Metric::ErrorRate => "error_rate",
                _ => "latency",
            };
            ThresholdResult {
                threshold: th.text.clone(),
                passed,
                actual,
                chart: chart.into(),
                limit: th.value,
            }
        })
        .collect();
    LoadSummary {
        users: load.users,
        iterations,
        requests: t.requests,
        errors: t.errors,
        error_rate,
        rps: figures.rps,
        min_ms: if t.all.is_empty() {
            0.0
        } else {
            t.all.min() as f64 / 1000.0
        },
        mean_ms: figures.mean_ms,
        p50_ms: figures.p50_ms,
        p90_ms: figures.p90_ms,
        p95_ms: figures.p95_ms,
        p99_ms: figures.p99_ms,
        max_ms: figures.max_ms,
        errors_by_kind: t.errors_by_kind.clone(),
        thresholds,
    }
}

/// "12.0 s — 4 users, 2345 requests, 195 req/s now, p95 3.20 ms, 0 errors" (the rate of the last
/// report interval; the run's mean is on the page beside it, named so).
fn describe(s: &LoadStats) -> String {
    format!(
        "{:.1} s — {} users, {} requests, {:.0} req/s now, p95 {:.2} ms, {} errors",
        s.elapsed_ms as f64 / 1000.0,
        s.active_users,
        s.requests,
        s.rps,
        s.p95_ms,
        s.errors
    )
}

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

/// One virtual user: waits for its start time, then runs the steps until the run stops or no
/// iterations are left. Each iteration starts from the suite's variables; captures carry over to the
/// iteration's later steps only.
async fn virtual_user(shared: Arc<Shared>, start_at: Instant) {
    tokio::select! {
        _ = tokio::time::sleep_until(start_at) => {}
        _ = shared.stop.cancelled() => return,
    }
    shared.active.fetch_add(1, Ordering::Relaxed);
    // One wait on `stop` for the user's whole life, not one per request: dropping `iterate` at the
    // stop abandons the request in flight (it is not counted).
    tokio::select! {
        _ = iterate(&shared) => {}
        _ = shared.stop.cancelled() => {}
    }
    shared.active.fetch_sub(1, Ordering::Relaxed);
}

async fn iterate(shared: &Arc<Shared>) {
    let mut connection = http1::UserConnection::default();
    while !shared.stop.is_cancelled() && shared.claim() {
        // Copied only when a step captures something into it.
        let mut vars = Cow::Borrowed(&shared.vars);
        let steps = shared.suite.steps.iter().zip(&shared.urls);
        for (index, ((step, url), patterns)) in steps.zip(&shared.patterns).enumerate() {
            let outcome = match shared.http.prepare(step, &vars, url.as_ref()) {
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
            shared.tally().record(latency, error);
            if failed && shared.suite.on_failure == OnFailure::Stop {
                break;
            }
        }
        shared.iterations.fetch_add(1, Ordering::Relaxed);
    }
}
