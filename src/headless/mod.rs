//! `livecheck run suite.yaml`: runs one suite file without the server — the same engines, with a sink
//! that prints to the terminal instead of the hub and the store — then writes the optional JUnit XML
//! and JSON reports. The exit code tells CI pipelines how it went.
//!
//! With `--server URL --token T`, the suite is one stored on a livecheck server instead: [`remote`]
//! starts it through the REST API and follows it live over the WebSocket, with the same output,
//! reports and exit codes.

pub mod import;
mod remote;

use std::{
    collections::BTreeMap,
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use crate::{
    clock::now_ms,
    engine::{Engines, EventSink, EventTarget, RunContext, SuiteRun, Workload},
    i18n::Lang,
    protocol::{
        api::RunOptions, event::new_epoch, RunEvent, RunSnapshot, RunStatus, ServerMessage,
        StepResult,
    },
    report::{html_report, junit_xml},
    server::{
        process::{init_logging, runtime, shutdown_signal},
        Config,
    },
    suite::parse_suite_file,
};

/// `livecheck run`: a suite file, run in the terminal without the server. Exit status: 0 passed,
/// 1 a check or threshold failed, 2 the suite or the arguments are invalid, 130 interrupted.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The suite: a YAML or JSON file (docs/suites.md); with --server, the id or name of a stored one.
    pub suite: PathBuf,
    /// Run a suite stored on this livecheck server (e.g. http://livecheck.internal:3000) and follow
    /// it live, instead of a local file.
    #[arg(long, value_name = "URL", requires = "token")]
    pub server: Option<String>,
    /// A personal access token with the `run` scope, for --server.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "LIVECHECK_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the run as JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a self-contained HTML report here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Use one of the suite's `environments`.
    #[arg(long = "env", value_name = "NAME")]
    pub environment: Option<String>,
    /// Set a variable, overriding the suite and the environment (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
}

/// The `livecheck run` process: a single-threaded runtime (a headless run is one client process, and
/// keeping its tasks on one thread avoids cross-thread wake-ups), Ctrl-C cancels the run.
pub fn main(args: RunArgs) -> ExitCode {
    init_logging("warn", true);
    let Some(runtime) = runtime(tokio::runtime::Builder::new_current_thread()) else {
        return ExitCode::FAILURE;
    };
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("livecheck: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        let cancel = CancellationToken::new();
        tokio::spawn({
            let cancel = cancel.clone();
            async move {
                shutdown_signal().await;
                cancel.cancel();
            }
        });
        match run(args, &config, cancel, std::io::stdout()).await {
            Ok(outcome) => ExitCode::from(outcome.exit_code()),
            Err(e) => {
                eprintln!("livecheck: {e}");
                ExitCode::from(2)
            }
        }
    })
}

/// How a headless run ended; [`Outcome::exit_code`] is the process's exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// A check or threshold failed, or the run ended with an error.
    Failed,
    Cancelled,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Passed => 0,
            Self::Failed => 1,
            Self::Cancelled => 130,
        }
    }
}

/// Why a headless run could not start or its reports could not be written (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid suite:\n{problems}")]
    Invalid { path: PathBuf, problems: String },
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Runs the suite, printing progress to `out`; resolves when the run is over and the reports are
/// written. Cancelling `cancel` (Ctrl-C) stops the run.
pub async fn run(
    args: RunArgs,
    config: &Config,
    cancel: CancellationToken,
    out: impl Write + Send + 'static,
) -> Result<Outcome, HeadlessError> {
    if let Some(server) = args.server.clone() {
        let token = args.token.clone().unwrap_or_default();
        return remote::run(args, &server, &token, cancel, out).await;
    }
    let text = crate::suite::read_text_at_most(&args.suite, crate::suite::MAX_SUITE_BYTES as u64)
        .map_err(|source| HeadlessError::Read {
        path: args.suite.clone(),
        source,
    })?;
    let dir = args.suite.parent().unwrap_or(Path::new("."));
    let suite = parse_suite_file(&text, dir).map_err(|errors| HeadlessError::Invalid {
        path: args.suite.clone(),
        problems: errors
            .iter()
            .map(|e| format!("  {e}"))
            .collect::<Vec<_>>()
            .join("\n"),
    })?;
    let mut variables = match &args.environment {
        Some(env) => suite
            .environment(env)
            .map_err(HeadlessError::Usage)?
            .clone(),
        None => BTreeMap::new(),
    };
    for (name, value) in &args.vars {
        // A value given on the command line is taken literally, `$` included.
        variables.insert(name.clone(), value.replace('$', "$$"));
    }
    let name = suite.name.clone();
    let workload = Workload::Suite(SuiteRun::new(Arc::new(suite), variables));
    let options = RunOptions::default();
    let snapshot = RunSnapshot::queued(
        "headless".into(),
        new_epoch(),
        name.clone(),
        workload.total_steps(&options),
    );

    // The suite is the user's own and runs as them, on their machine: loopback is theirs to call.
    let targets = config.targets.clone().allowing_loopback();
    let engines = Engines::new(config.step_timeout, targets, None);
    let target = Arc::new(Terminal {
        state: Mutex::new((snapshot, Box::new(out))),
    });
    let sink = EventSink::new(SharedTerminal(target.clone()));
    target.line(&format!("Running {name:?}"));
    let engine = engines.for_workload(&workload);
    engine
        .run(RunContext {
            workload,
            options,
            cancel,
            sink,
        })
        .await;

    let snapshot = target.snapshot();
    let summary = finish(&args, &snapshot)?;
    target.line(&summary_line(&snapshot));
    Ok(summary)
}

/// Writes the reports asked for and tells how the run ended.
fn finish(args: &RunArgs, snapshot: &RunSnapshot) -> Result<Outcome, HeadlessError> {
    if let Some(path) = &args.junit {
        write(path, junit_xml(snapshot))?;
    }
    if let Some(path) = &args.html {
        write(path, html_report(snapshot, Lang::from_locale_env()))?;
    }
    if let Some(path) = &args.json {
        write(
            path,
            serde_json::to_string_pretty(snapshot).unwrap_or_default(),
        )?;
    }
    Ok(match snapshot.status {
        RunStatus::Completed => Outcome::Passed,
        RunStatus::Cancelled => Outcome::Cancelled,
        _ => Outcome::Failed,
    })
}

fn write(path: &Path, text: String) -> Result<(), HeadlessError> {
    std::fs::write(path, text).map_err(|source| HeadlessError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Parses `name=value`.
pub fn parse_var(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("`{arg}` is not name=value")),
    }
}

/// Folds events into a snapshot (the same code the browser uses) and prints each as a line.
struct Terminal {
    state: Mutex<(RunSnapshot, Box<dyn Write + Send>)>,
}

struct SharedTerminal(Arc<Terminal>);

impl Terminal {
    fn lock(&self) -> std::sync::MutexGuard<'_, (RunSnapshot, Box<dyn Write + Send>)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn line(&self, text: &str) {
        let mut state = self.lock();
        // A closed stdout (`| head`) must not stop the run.
        let _ = writeln!(state.1, "{text}");
    }

    fn snapshot(&self) -> RunSnapshot {
        self.lock().0.clone()
    }
}

impl EventTarget for SharedTerminal {
    fn publish(&self, event: RunEvent) {
        let mut state = self.0.lock();
        let (snapshot, out) = &mut *state;
        let seq = snapshot.seq + 1;
        let msg = event.into_message(
            snapshot.test_id.clone(),
            seq,
            snapshot.epoch.clone(),
            now_ms(),
        );
        snapshot.apply(&msg);
        if let Some(line) = describe(&msg) {
            let _ = writeln!(out, "{line}");
        }
    }

    fn checkpoint(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// The terminal line for an event, if it deserves one.
fn describe(msg: &ServerMessage) -> Option<String> {
    match msg {
        ServerMessage::TestProgress(p) => {
            if let Some(step) = &p.step {
                Some(step_line(step, p.total_steps))
            } else {
                p.load.as_ref().map(|_| format!("  {}", p.message))
            }
        }
        ServerMessage::TestStatusUpdate { status, .. } if *status == RunStatus::Cancelled => {
            Some("  cancelled".into())
        }
        ServerMessage::TestCompleted { results, .. } => results.load.as_ref().map(|l| {
            let mut lines = vec![format!(
                "  {} requests by {} users, {} iterations, {:.1} req/s, {} errors ({:.2}%)",
                l.requests,
                l.users,
                l.iterations,
                l.rps,
                l.errors,
                l.error_rate * 100.0
            )];
            lines.push(format!(
                "  latency ms: min {:.2}  avg {:.2}  p50 {:.2}  p90 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
                l.min_ms, l.mean_ms, l.p50_ms, l.p90_ms, l.p95_ms, l.p99_ms, l.max_ms
            ));
            if !l.errors_by_kind.is_empty() {
                let kinds: BTreeMap<_, _> = l.errors_by_kind.iter().collect();
                lines.push(format!("  errors: {kinds:?}"));
            }
            for t in &l.thresholds {
                let mark = if t.passed { "✓" } else { "✗" };
                lines.push(format!("  {mark} {} ({})", t.threshold, t.actual));
            }
            lines.join("\n")
        }),
        ServerMessage::TestError { error, .. } => Some(format!("  error: {error}")),
        _ => None,
    }
}

/// `  ✓ 3/8 GET /demo/items — 200, 12 ms`.
fn step_line(step: &StepResult, total_steps: u32) -> String {
    let mark = if step.passed { "✓" } else { "✗" };
    let status = step.status.map(|s| format!("{s}, ")).unwrap_or_default();
    let why = step
        .error
        .as_ref()
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    format!(
        "  {mark} {}/{total_steps} {} — {status}{} ms{why}",
        step.index, step.name, step.duration_ms
    )
}

fn summary_line(run: &RunSnapshot) -> String {
    let passed = run.steps.iter().filter(|s| s.passed).count();
    let failed = run.steps.len() - passed;
    let took = run
        .finished_at
        .zip(run.started_at)
        .map_or(0, |(f, s)| f.saturating_sub(s));
    let took = Duration::from_millis(took).as_secs_f64();
    match run.status {
        RunStatus::Completed => format!("PASSED — {passed} passed in {took:.2} s"),
        RunStatus::Cancelled => "CANCELLED".into(),
        _ => format!("FAILED — {passed} passed, {failed} failed in {took:.2} s"),
    }
}
