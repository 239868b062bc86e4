//! The steps engine: runs a suite's HTTP steps once, in order — templating, request, checks,
//! captures — and reports each step's result. A failed step stops the run or not, as the suite says.
//! Cancellation is checked while a request is in flight. A suite with `data` rows goes over its steps
//! once per row.

use std::{collections::BTreeMap, sync::Arc, time::Instant};

use futures::future::BoxFuture;

use super::{
    http::{checks, HttpClient, Response},
    Engine, RunContext, SuiteJob,
};
use crate::{
    protocol::{CheckOutcome, RunResults, RunStatus, StepResult},
    suite::{OnFailure, Suite},
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
        vars,
        cancel,
        sink,
    }) = ctx.into_suite_job("steps").await
    else {
        return;
    };
    let suite = &*run.suite;
    // A data-driven suite goes over its steps once per row, each row's values over the variables.
    let rows = match suite.data_rows() {
        Ok(rows) => rows,
        Err(e) => {
            sink.error(e).await;
            return;
        }
    };
    let passes = rows.as_ref().map_or(1, |r| r.len());
    let total = (suite.steps.len() * passes) as u32;
    let started = Instant::now();
    sink.status(RunStatus::Running).await;

    let mut results = RunResults::default();
    let mut index = 0;
    'rows: for pass in 0..passes {
        let mut vars = vars.clone();
        if let Some(rows) = &rows {
            rows.apply(pass, &mut vars);
        }
        for (i, step) in suite.steps.iter().enumerate() {
            index += 1;
            let name = match &rows {
                Some(_) => format!("row {} · {}", pass + 1, step.run_name(&vars)),
                None => step.run_name(&vars),
            };
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
                    let (checks, failure, captured) = judge(&run.suite, i, response).await;
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
                break 'rows;
            }
        }
    }
    results.duration_ms = started.elapsed().as_millis() as u64;
    sink.completed(results).await;
}

/// Step `i`'s checks on its response (off the async workers when the body is large), the first
/// failure, and what the step captured.
async fn judge(
    suite: &Arc<Suite>,
    i: usize,
    response: Response,
) -> (Vec<CheckOutcome>, Option<String>, BTreeMap<String, String>) {
    let suite = suite.clone();
    let judged = checks::judge(response.body.len(), move || {
        let step = &suite.steps[i];
        let patterns = checks::Patterns::new(step);
        let checks = checks::evaluate(&step.checks, &patterns, &response);
        let mut captured = BTreeMap::new();
        let failure = match checks.iter().find_map(|c| c.detail.clone()) {
            Some(failure) => Some(failure),
            None => checks::capture(&step.capture, &patterns, &response, &mut captured).err(),
        };
        (checks, failure, captured)
    })
    .await;
    judged.unwrap_or_else(|| {
        let failure = "the response could not be checked".to_owned();
        (Vec::new(), Some(failure), BTreeMap::new())
    })
}
