//! The HTTP API engine: sends each step's request in order, checks the status, reports each result.
//!
//! Every request has a timeout, so an unreachable or stalled target becomes a failed step with a clear
//! reason, never a hung run. Cancellation is checked while a request is in flight.

use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::{
    catalog::{Kind, Step},
    Engine, RunContext,
};
use crate::protocol::{RunResults, RunStatus, StepResult};

/// Runs API tests against `base_url` (the app's own address for the demo tests).
pub struct ApiEngine {
    client: reqwest::Client,
    base_url: String,
    step_timeout: Duration,
}

impl ApiEngine {
    pub fn new(base_url: String, step_timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            // Building a client without custom TLS roots cannot fail.
            .unwrap_or_default();
        Self {
            client,
            base_url,
            step_timeout,
        }
    }

    async fn send(&self, step: &Step, delay_ms: u32) -> Result<u16, String> {
        let url = format!("{}{}?delay_ms={delay_ms}", self.base_url, step.path);
        let mut request = self
            .client
            .request(step.method.clone(), &url)
            .timeout(self.step_timeout);
        if let Some(body) = step.body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        match request.send().await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(e) if e.is_timeout() => Err(format!(
                "no response within {} ms",
                self.step_timeout.as_millis()
            )),
            Err(e) if e.is_connect() => Err("could not connect to the target".into()),
            Err(_) => Err("the request failed before a response arrived".into()),
        }
    }
}

impl Engine for ApiEngine {
    fn run(&self, ctx: RunContext) -> BoxFuture<'static, ()> {
        // The engine is shared by every run; each run gets its own cheap clone of the client.
        let engine = ApiEngine {
            client: self.client.clone(),
            base_url: self.base_url.clone(),
            step_timeout: self.step_timeout,
        };
        Box::pin(async move { engine.execute(ctx).await })
    }
}

impl ApiEngine {
    async fn execute(&self, ctx: RunContext) {
        let RunContext {
            definition,
            options,
            cancel,
            sink,
        } = ctx;
        let Kind::Api(steps) = &definition.kind else {
            sink.error("the API engine was given a test that is not an API test".into())
                .await;
            return;
        };
        let total = steps.len() as u32;
        let started = Instant::now();
        sink.status(RunStatus::Running).await;

        let mut results = RunResults::default();
        for (i, step) in steps.iter().enumerate() {
            let index = i as u32 + 1;
            let name = step.name();
            let label = format!("{index}/{total} — {name}");
            sink.progress(index - 1, index, total, label.clone(), None);
            let t0 = Instant::now();
            let outcome = tokio::select! {
                outcome = self.send(step, options.delay_ms) => outcome,
                _ = cancel.cancelled() => {
                    sink.status(RunStatus::Cancelled).await;
                    return;
                }
            };
            let duration_ms = t0.elapsed().as_millis() as u64;
            let result = match outcome {
                Ok(status) if status == step.expect_status => StepResult {
                    index,
                    name: name.clone(),
                    passed: true,
                    status: Some(status),
                    duration_ms,
                    error: None,
                },
                Ok(status) => StepResult {
                    index,
                    name: name.clone(),
                    passed: false,
                    status: Some(status),
                    duration_ms,
                    error: Some(format!(
                        "expected status {}, got {status}",
                        step.expect_status
                    )),
                },
                Err(error) => StepResult {
                    index,
                    name: name.clone(),
                    passed: false,
                    status: None,
                    duration_ms,
                    error: Some(error),
                },
            };
            if result.passed {
                results.passed += 1;
            } else {
                results.failed += 1;
            }
            results.steps.push(result.clone());
            sink.progress(index, index, total, label, Some(result));
        }
        results.duration_ms = started.elapsed().as_millis() as u64;
        sink.completed(results).await;
    }
}
