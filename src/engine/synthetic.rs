//! The synthetic engine: `events` progress events at `rate` per second, no network I/O. Each event's
//! message carries its publish time in microseconds (`t=<µs>`) so a load generator can measure
//! publish→receive latency precisely.

use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::{Engine, RunContext};
use crate::protocol::{RunResults, RunStatus, StepResult};

pub struct SyntheticEngine;

impl Engine for SyntheticEngine {
    fn run(&self, ctx: RunContext) -> BoxFuture<'static, ()> {
        Box::pin(execute(ctx))
    }
}

async fn execute(ctx: RunContext) {
    let RunContext {
        options,
        cancel,
        sink,
        ..
    } = ctx;
    let total = options.events;
    let rate = f64::from(options.rate.max(1));
    sink.status(RunStatus::Running).await;
    let started = Instant::now();
    let mut sent = 0u32;
    // A 1 ms tick publishes every event that is due by then: exact rates far above 1000/s without a
    // timer per event.
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while sent < total {
        tokio::select! {
            _ = tick.tick() => {}
            _ = cancel.cancelled() => {
                sink.status(RunStatus::Cancelled).await;
                return;
            }
        }
        let due =
            ((started.elapsed().as_secs_f64() * rate) as u64 + 1).min(u64::from(total)) as u32;
        while sent < due {
            sent += 1;
            let t_us = crate::clock::now_us();
            let step = options.step_results.then(|| StepResult {
                index: sent,
                name: "synthetic".into(),
                passed: true,
                status: None,
                duration_ms: 0,
                error: None,
                captured: Default::default(),
                checks: Vec::new(),
            });
            sink.progress(sent, sent, total, format!("{sent}/{total} t={t_us}"), step);
        }
    }
    sink.completed(RunResults {
        passed: total,
        failed: 0,
        duration_ms: started.elapsed().as_millis() as u64,
        steps: Vec::new(),
        load: None,
    })
    .await;
}
