//! The steps engine: runs a suite's HTTP steps once, in order — templating, request, checks,
//! captures — and reports each step's result. A failed step stops the run or not, as the suite says.
//! Cancellation is checked while a request is in flight.

use std::{collections::BTreeMap, sync::Arc, time::Instant};

use futures::future::BoxFuture;

use super::{
    http::{checks, HttpClient},
    Engine, RunContext, SuiteJob,
};
use crate::{
    protocol::{RunResults, RunStatus, StepResult},
    suite::OnFailure,
};

/// One pass over a suite's steps. Shares the HTTP client with the load engine.
#[derive(Clone)]
pub struct StepsEngine(pub Arc<HttpClient>);

impl Engine for StepsEngine {
    fn run(&self, ctx: RunContext) -> BoxFuture<'static, ()> {
        Box::pin(execute(self.0.clone(), ctx))
    }
}

async fn execute(http: Arc<HttpClient>, ctx: RunContext) {
    let Some(SuiteJob {
        run,
        mut vars,
        cancel,
        sink,
    }) = ctx.into_suite_job("steps").await
    else {
        return;
    };
    let suite = &*run.suite;

    let total = suite.steps.len() as u32;
    let started = Instant::now();
    sink.status(RunStatus::Running).await;

    let mut results = RunResults::default();
    for (i, step) in suite.steps.iter().enumerate() {
        let index = i as u32 + 1;
        let name = step.display_name();
        let label = format!("{index}/{total} — {name}");
        sink.progress(index - 1, index, total, label.clone(), None);
        let t0 = Instant::now();
        let outcome = tokio::select! {
            outcome = http.send(step, &vars) => outcome,
            _ = cancel.cancelled() => {
                sink.status(RunStatus::Cancelled).await;
                return;
            }
        };
        let duration_ms = t0.elapsed().as_millis() as u64;
        let result = match outcome {
            Ok(response) => {
                let status = response.status;
                let suite = run.suite.clone();
                let judged = checks::judge(response.body.len(), move || {
                    let step = &suite.steps[i];
                    let patterns = checks::Patterns::new(step);
                    let checks = checks::evaluate(&step.checks, &patterns, &response);
                    let mut captured = BTreeMap::new();
                    let failure = match checks.iter().find_map(|c| c.detail.clone()) {
                        Some(failure) => Some(failure),
                        None => checks::capture(&step.capture, &patterns, &response, &mut captured)
                            .err(),
                    };
                    (checks, failure, captured)
                })
                .await;
                let (checks, failure, captured) = judged.unwrap_or_else(|| {
                    let failure = "the response could not be checked".to_owned();
                    (Vec::new(), Some(failure), BTreeMap::new())
                });
                vars.extend(captured.iter().map(|(k, v)| (k.clone(), v.clone())));
                StepResult {
                    index,
                    name,
                    passed: failure.is_none(),
                    status: Some(status),
                    duration_ms,
                    error: failure,
                    captured,
                    checks,
                }
            }
            Err(error) => StepResult {
                index,
                name,
                passed: false,
                status: None,
                duration_ms,
                error: Some(error.message),
                captured: Default::default(),
                checks: Vec::new(),
            },
        };
        let passed = result.passed;
        if passed {
            results.passed += 1;
        } else {
            results.failed += 1;
        }
        results.steps.push(result.clone());
        sink.step_done(index, total, label, result).await;
        if !passed && suite.on_failure == OnFailure::Stop {
            break;
        }
    }
    results.duration_ms = started.elapsed().as_millis() as u64;
    sink.completed(results).await;
}
