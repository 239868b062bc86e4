//! The load engine: a suite's steps run over and over by N concurrent virtual users, for a duration
//! and/or a number of iterations, with an optional ramp-up. Every response's latency goes into an
//! HdrHistogram; a reporter publishes the live figures at most [`REPORTS_PER_SECOND`] times a second
//! (so a load run never floods the hub, however many requests it makes), and at the end the suite's
//! thresholds decide whether the run passed.
//!
//! Requests go through the shared [`HttpClient`]: the same templating, checks, timeouts and target guard.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use futures::future::BoxFuture;
use hdrhistogram::Histogram;
use tokio::{sync::Semaphore, task::JoinSet, time::Instant};
use tokio_util::sync::CancellationToken;

use super::{
    http::{checks, HttpClient},
    Engine, RunContext, SuiteJob,
};
use crate::{
    protocol::{
        LoadStats, LoadSummary, RunResults, RunStatus, StepResult, Target, ThresholdResult,
    },
    suite::{DataRows, Figures, LoadDef, Metric, RowsPer, Shape, Suite},
};

/// Live figures are published at most this often per run.
pub const REPORTS_PER_SECOND: u32 = 5;

/// Latencies are recorded in microseconds, up to this (longer ones are clamped).
const MAX_LATENCY_US: u64 = 10 * 60 * 1_000_000;

#[derive(Clone)]
pub struct LoadEngine(pub Arc<HttpClient>);

mod http1;
mod user;

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
    /// The suite's data rows, parsed once for the whole run, and how they are handed out.
    rows: Option<(DataRows, RowsPer)>,
    /// The next row an iteration takes (`RowsPer::Iteration`).
    next_row: AtomicU64,
    tally: Mutex<Tally>,
    /// Iterations not yet claimed (`u64::MAX` when only the duration limits the run).
    remaining: AtomicU64,
    /// Iterations finished.
    iterations: AtomicU64,
    active: AtomicU32,
    /// Open model: virtual users waiting for an iteration to start.
    idle: AtomicU32,
    /// Open model: iterations due while no user was free.
    dropped: AtomicU64,
    /// The load shape: stages and rate, parsed once (asked every 10 ms and every iteration).
    shape: Shape,
    /// Open model: one permit per iteration due.
    arrivals: Option<Arc<Semaphore>>,
    started: Instant,
    /// Set when the duration is up: no iteration and no step starts any more, and the requests in
    /// flight may finish (within their timeout, at most [`END_GRACE`]).
    ending: AtomicBool,
    /// Requests sent and not yet counted.
    in_flight: AtomicU64,
    /// Set when the run is cancelled, or the grace after its end is over: users stop at once.
    stop: CancellationToken,
}

impl Shared {
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the load shape asks for at `now`, when it has a shape.
    fn target(&self, now: Instant) -> Option<Target> {
        let value = self.shape.target_at(now.duration_since(self.started))?;
        Some(match self.arrivals {
            Some(_) => Target::IterationsPerSecond(value),
            None => Target::Users(value),
        })
    }

    /// Whether the duration is up (see [`Shared::ending`]).
    fn ending(&self) -> bool {
        self.ending.load(Ordering::Relaxed)
    }

    /// Claims one iteration; false when none are left, or the run is ending.
    fn claim(&self) -> bool {
        !self.ending()
            && self
                .remaining
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
    let started = Instant::now();
    let rows = match run.suite.data_rows() {
        Ok(rows) => rows.map(|r| {
            (
                r,
                run.suite.data.as_ref().map(|d| d.per).unwrap_or_default(),
            )
        }),
        Err(e) => {
            sink.error(e).await;
            return;
        }
    };
    let suite = run.suite;
    let urls = suite.steps.iter().map(HttpClient::fixed_url).collect();
    let patterns = suite.steps.iter().map(checks::Patterns::new).collect();
    let shared = Arc::new(Shared {
        http,
        urls,
        patterns,
        suite,
        vars,
        rows,
        next_row: AtomicU64::new(0),
        tally: Mutex::new(Tally::new()),
        remaining: AtomicU64::new(load.iterations.unwrap_or(u64::MAX)),
        iterations: AtomicU64::new(0),
        active: AtomicU32::new(0),
        idle: AtomicU32::new(0),
        dropped: AtomicU64::new(0),
        arrivals: load.arrival_rate.map(|_| Arc::new(Semaphore::new(0))),
        shape: load.shape(),
        started,
        ending: AtomicBool::new(false),
        in_flight: AtomicU64::new(0),
        stop: cancel.child_token(),
    });

    sink.status(RunStatus::Running).await;
    // The wall-clock cap holds for runs limited by iterations alone too.
    let deadline = Some(started + duration.unwrap_or(LoadDef::MAX_DURATION));
    let ramp_up = load.ramp_up();
    let max_users = load.max_users();
    let mut users = JoinSet::new();
    for i in 0..max_users {
        let start_at = started + ramp_up.mul_f64(f64::from(i) / f64::from(max_users));
        users.spawn(user::virtual_user(shared.clone(), i as usize, start_at));
    }
    if let Some(permits) = &shared.arrivals {
        tokio::spawn(user::arrivals(shared.clone(), permits.clone()));
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
    let mut last_iterations = 0u64;
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
            let iterations = shared.iterations.load(Ordering::Relaxed);
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
                ips: (iterations - last_iterations) as f64 / interval,
                target: shared.target(now),
                dropped: shared.dropped.load(Ordering::Relaxed),
            };
            last_requests = t.requests;
            last_iterations = iterations;
            t.recent.reset();
            (progress(now), stats)
        };
        last_report = now;
        sink.load_progress(permille, describe(&stats), stats);
    };
    // The duration is up: nothing new starts, and the requests in flight finish or time out, so
    // each is counted (a target that never answers shows as timeouts, not as a run with nothing
    // measured). A cancel does not wait.
    shared.ending.store(true, Ordering::Relaxed);
    if let Some(permits) = &shared.arrivals {
        permits.close();
    }
    let cancelled = cancelled
        || tokio::select! {
            _ = cancel.cancelled() => true,
            _ = tokio::time::sleep(END_GRACE) => false,
            _ = async { while users.join_next().await.is_some() {} } => false,
        };
    shared.stop.cancel();
    // Users stop at their next await point.
    while users.join_next().await.is_some() {}
    if cancelled {
        sink.status(RunStatus::Cancelled).await;
        return;
    }
    // Requests still unanswered after the grace count as failed.
    let unfinished = shared.in_flight.swap(0, Ordering::Relaxed);
    {
        let mut tally = shared.tally();
        for _ in 0..unfinished {
            tally.record(None, Some(UNFINISHED.to_owned()));
        }
    }

    let elapsed = started.elapsed();
    let iterations = shared.iterations.load(Ordering::Relaxed);
    let dropped = shared.dropped.load(Ordering::Relaxed);
    let summary = summarise(&load, &shared.tally(), iterations, dropped, elapsed);
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

/// How long the requests in flight when a run's duration is up may take to finish.
const END_GRACE: Duration = Duration::from_secs(30);

/// The error kind of a request still unanswered when the run ended.
const UNFINISHED: &str = "no answer before the run ended";

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The run's figures and its thresholds' outcomes.
fn summarise(
    load: &LoadDef,
    t: &Tally,
    iterations: u64,
    dropped_iterations: u64,
    elapsed: Duration,
) -> LoadSummary {
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
        users: load.max_users(),
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
        dropped_iterations,
        thresholds,
    }
}

/// "12.0 s — 4 users, 2345 requests, 195 req/s now, p95 3.20 ms, 0 errors" (the rate of the last
/// report interval; the run's mean is on the page beside it, named so).
fn describe(s: &LoadStats) -> String {
    // The page says it again in its own language from the figures.
    crate::i18n::Lang::En.load_progress(s)
}
