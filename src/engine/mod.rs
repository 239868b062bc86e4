//! The test engines, and the contract they share.
//!
//! An [`Engine`] executes one run of a [`Workload`] and reports what happens through its [`EventSink`];
//! it knows nothing of WebSockets, SQL, users or queues (that is the `runs` layer's business). The sink
//! fronts an [`EventTarget`]: the hub and the store in the server, the terminal in `livecheck run`.
//! Adding an engine means implementing the trait and naming it in [`Engines::for_workload`].
//!
//! - [`steps`]: a suite's HTTP steps, once, in order (checks, captures, stop or go on);
//! - [`load`]: a suite as N virtual users (HdrHistogram latencies, thresholds);
//! - [`synthetic`]: progress events at a chosen rate, no network I/O (demos, the hub benchmark);
//! - [`http`]: the HTTP side both suite engines share (templating, timeouts, body limit, checks);
//! - [`guard`]: which addresses suites may send requests to.

pub mod guard;
pub mod http;
pub mod load;
pub mod steps;
pub mod synthetic;

use std::{collections::BTreeMap, net::SocketAddr, sync::Arc, time::Duration};

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::{
    protocol::{api::RunOptions, LoadStats, RunEvent, RunResults, RunStatus, StepResult},
    suite::Suite,
};

/// Runs one test. Implementations report through the sink and return when the run is over.
pub trait Engine: Send + Sync {
    fn run(&self, ctx: RunContext) -> BoxFuture<'static, ()>;
}

/// What an engine gets for one run.
pub struct RunContext {
    pub workload: Workload,
    pub options: RunOptions,
    /// Cancelled when the user cancels the run; engines stop promptly and return.
    pub cancel: CancellationToken,
    pub sink: EventSink,
}

/// What a suite engine works with, taken out of its [`RunContext`].
struct SuiteJob {
    run: SuiteRun,
    /// The variables the run starts with, templates filled in.
    vars: BTreeMap<String, String>,
    cancel: CancellationToken,
    sink: EventSink,
}

impl RunContext {
    /// For the suite engines: the suite and its starting variables. When the workload is not a suite,
    /// or its variables do not resolve, the run ends with an error and there is nothing to do.
    async fn into_suite_job(self, engine: &str) -> Option<SuiteJob> {
        let RunContext {
            workload,
            cancel,
            sink,
            ..
        } = self;
        let Workload::Suite(run) = workload else {
            sink.error(format!(
                "the {engine} engine was given a test that is not a suite"
            ))
            .await;
            return None;
        };
        match run.starting_variables() {
            Ok(vars) => Some(SuiteJob {
                run,
                vars,
                cancel,
                sink,
            }),
            Err(e) => {
                sink.error(e).await;
                None
            }
        }
    }
}

/// What a run executes.
#[derive(Debug, Clone)]
pub enum Workload {
    /// A suite's steps: once, or as a load test when it has a `load` section.
    Suite(SuiteRun),
    /// `events` progress events at `rate` per second (both from the run's options).
    Synthetic,
}

/// A suite and the variables set for this run over the suite's own (an environment's values,
/// `--var`s, the built-in tests' `${base}`). The suite is shared: the built-in ones are parsed once.
#[derive(Debug, Clone)]
pub struct SuiteRun {
    pub suite: Arc<Suite>,
    pub variables: BTreeMap<String, String>,
    /// A built-in test of the server's own: it may call the server's own address, which the target
    /// guard denies to every user suite.
    pub built_in: bool,
}

impl SuiteRun {
    /// A user's suite.
    pub fn new(suite: Arc<Suite>, variables: BTreeMap<String, String>) -> Self {
        Self {
            suite,
            variables,
            built_in: false,
        }
    }

    /// The variables the run starts with, each one's templates filled in.
    pub fn starting_variables(&self) -> Result<BTreeMap<String, String>, String> {
        self.suite.resolved_variables(&self.variables)
    }
}

impl Workload {
    /// Steps a run of this workload reports, given its options.
    pub fn total_steps(&self, options: &RunOptions) -> u32 {
        match self {
            // A load run reports how far it is in thousandths.
            Workload::Suite(run) if run.suite.load.is_some() => 1000,
            Workload::Suite(run) => (run.suite.steps.len() * run.suite.passes()) as u32,
            Workload::Synthetic => options.events,
        }
    }
}

/// One instance of each engine. User suites share one HTTP client under the target guard; the
/// built-in tests have their own, which may also reach the server's own address. Cheap to clone.
#[derive(Clone)]
pub struct Engines {
    steps: steps::StepsEngine,
    load: load::LoadEngine,
    built_in: steps::StepsEngine,
}

impl Engines {
    /// `own_address`: where the server listens, for its built-in tests (`None` without a server).
    pub fn new(
        step_timeout: Duration,
        policy: guard::TargetPolicy,
        own_address: Option<SocketAddr>,
    ) -> Self {
        let built_in = match own_address {
            Some(addr) => policy.clone().with_exempt(addr),
            None => policy.clone(),
        };
        let http = Arc::new(http::HttpClient::new(step_timeout, policy));
        Self {
            steps: steps::StepsEngine(http.clone()),
            load: load::LoadEngine(http),
            built_in: steps::StepsEngine(Arc::new(http::HttpClient::new(step_timeout, built_in))),
        }
    }

    /// The engine that executes `workload`.
    pub fn for_workload(&self, workload: &Workload) -> &dyn Engine {
        match workload {
            Workload::Suite(run) if run.suite.load.is_some() => &self.load,
            Workload::Suite(run) if run.built_in => &self.built_in,
            Workload::Suite(_) => &self.steps,
            Workload::Synthetic => &synthetic::SyntheticEngine,
        }
    }
}

/// Where a run's events go. The server's target is the hub (live) plus the store (durable state); the
/// headless `livecheck run` prints to the terminal. Engines only see the [`EventSink`] in front of it.
pub trait EventTarget: Send + Sync {
    /// Delivers one event live; never waits.
    fn publish(&self, event: RunEvent);
    /// Makes the run's state so far durable (called at status changes, after each API step and at
    /// the end).
    fn checkpoint(&self) -> BoxFuture<'_, ()>;
}

/// What an engine reports through. Cheap to clone.
#[derive(Clone)]
pub struct EventSink {
    target: Arc<dyn EventTarget>,
}

impl EventSink {
    pub fn new(target: impl EventTarget + 'static) -> Self {
        Self {
            target: Arc::new(target),
        }
    }

    /// How far the run is: `done_steps` of `total_steps` finished, `current_step` running (or just
    /// finished, when `step` carries its result).
    pub fn progress(
        &self,
        done_steps: u32,
        current_step: u32,
        total_steps: u32,
        message: String,
        step: Option<StepResult>,
    ) {
        self.target.publish(RunEvent::Progress {
            done_steps,
            current_step,
            total_steps,
            message,
            step,
            load: None,
        });
    }

    /// A finished step: published, then made durable before the engine goes on, so a step a later
    /// one follows survives a crash of the server.
    pub async fn step_done(
        &self,
        done_steps: u32,
        total_steps: u32,
        message: String,
        step: StepResult,
    ) {
        let current_step = step.index;
        self.progress(done_steps, current_step, total_steps, message, Some(step));
        self.target.checkpoint().await;
    }

    /// A load run's live figures; `permille` is how far the run is, 0–1000.
    pub fn load_progress(&self, permille: u32, message: String, load: LoadStats) {
        self.target.publish(RunEvent::Progress {
            done_steps: permille.min(1000),
            current_step: 0,
            total_steps: 1000,
            message,
            step: None,
            load: Some(load),
        });
    }

    pub async fn status(&self, status: RunStatus) {
        self.publish_and_save(RunEvent::Status(status)).await;
    }

    pub async fn completed(&self, results: RunResults) {
        let success = results.failed == 0;
        self.publish_and_save(RunEvent::Completed { success, results })
            .await;
    }

    pub async fn error(&self, error: String) {
        self.publish_and_save(RunEvent::Error(error)).await;
    }

    async fn publish_and_save(&self, event: RunEvent) {
        self.target.publish(event);
        self.target.checkpoint().await;
    }
}
