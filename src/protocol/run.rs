//! A run's state: its status, the result of each step, what a finished run reports, and the snapshot a
//! subscriber or a page starts from, which every client folds events into with [`RunSnapshot::apply`].

use serde::{Deserialize, Serialize};

use super::{push_point, LoadPoint, LoadStats, LoadSummary, ServerMessage, TestId};

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
    /// The server stopped while the run was in progress.
    Interrupted,
}

impl RunStatus {
    /// A finished run receives no more events.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::Cancelled | Self::Interrupted
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
        }
    }

    /// The word the UI shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "Queued",
            Self::Running => "Running",
            Self::Completed => "Completed",
            Self::Failed => "Failed",
            Self::Cancelled => "Cancelled",
            Self::Interrupted => "Interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            "interrupted" => Self::Interrupted,
            _ => return None,
        })
    }
}

/// The outcome of one step of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    /// 1-based position of the step.
    pub index: u32,
    /// e.g. "GET /demo/items".
    pub name: String,
    pub passed: bool,
    /// HTTP status received, if a response arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub duration_ms: u64,
    /// Why the step failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Variables the step captured from its response, with their values.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub captured: std::collections::BTreeMap<String, String>,
    /// Each of the step's checks and how it went, when a response arrived.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckOutcome>,
}

/// One check of a step: what it asked ("status 200", "$.id exists") and, when it failed, why, with
/// the part of the response that failed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub check: String,
    pub passed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What a finished run reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    pub passed: u32,
    pub failed: u32,
    pub duration_ms: u64,
    pub steps: Vec<StepResult>,
    /// A load run's figures; its `steps` are then its thresholds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadSummary>,
}

/// A run's state at one moment: what a subscriber sees first, and what a page renders on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSnapshot {
    pub test_id: TestId,
    /// The stream this snapshot's `seq` belongs to.
    #[serde(default)]
    pub epoch: String,
    /// Name of the test this run executes.
    pub name: String,
    pub status: RunStatus,
    /// `seq` of the last event included in this snapshot (0 before the first event).
    pub seq: u64,
    pub progress: u8,
    pub current_step: u32,
    pub total_steps: u32,
    pub message: String,
    /// Milliseconds since the Unix epoch when the run started, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    /// Milliseconds since the Unix epoch when the run finished, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    /// Results of the steps finished so far.
    pub steps: Vec<StepResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A load run's latest live figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<Box<LoadStats>>,
    /// A load run's chart so far (at most [`MAX_SERIES_POINTS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_series: Vec<LoadPoint>,
    /// A finished load run's summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_summary: Option<Box<LoadSummary>>,
}

impl RunSnapshot {
    /// What a finished run came to: steps passed and failed, its duration, its steps and load figures.
    pub fn results(&self) -> RunResults {
        let passed = self.steps.iter().filter(|s| s.passed).count() as u32;
        RunResults {
            passed,
            failed: self.steps.len() as u32 - passed,
            duration_ms: self
                .finished_at
                .zip(self.started_at)
                .map_or(0, |(f, s)| f.saturating_sub(s)),
            steps: self.steps.clone(),
            load: self.load_summary.as_deref().cloned(),
        }
    }

    /// The state of a run that has been created but has not started.
    pub fn queued(test_id: TestId, epoch: String, name: String, total_steps: u32) -> Self {
        Self {
            test_id,
            epoch,
            name,
            status: RunStatus::Queued,
            seq: 0,
            progress: 0,
            current_step: 0,
            total_steps,
            message: String::new(),
            started_at: None,
            finished_at: None,
            steps: Vec::new(),
            error: None,
            load: None,
            load_series: Vec::new(),
            load_summary: None,
        }
    }

    /// The run's step results; none for a load run, whose steps stand for its thresholds (see
    /// `load_summary`).
    pub fn api_steps(&self) -> &[StepResult] {
        if self.load_summary.is_some() {
            &[]
        } else {
            &self.steps
        }
    }

    /// A finished load run's thresholds and how it fared against each; none for other runs.
    pub fn thresholds(&self) -> &[super::ThresholdResult] {
        self.load_summary
            .as_deref()
            .map_or(&[], |l| l.thresholds.as_slice())
    }

    /// Folds one event of this run into the snapshot. Events of other runs and events already
    /// included (by `seq`) leave it unchanged, so applying a replayed event twice is harmless.
    pub fn apply(&mut self, msg: &ServerMessage) {
        let Some((test_id, seq)) = msg.run_event() else {
            return;
        };
        if test_id != self.test_id || seq <= self.seq {
            return;
        }
        self.seq = seq;
        match msg {
            ServerMessage::TestProgress(p) => {
                self.progress = p.progress.min(100);
                self.current_step = p.current_step;
                self.total_steps = p.total_steps;
                self.message.clone_from(&p.message);
                if let Some(step) = &p.step {
                    self.steps.push(step.clone());
                }
                if let Some(load) = &p.load {
                    push_point(&mut self.load_series, LoadPoint::of(load));
                    self.load = Some(Box::new(load.clone()));
                }
            }
            ServerMessage::TestStatusUpdate {
                status, timestamp, ..
            } => {
                self.status = *status;
                if *status == RunStatus::Running && self.started_at.is_none() {
                    self.started_at = Some(*timestamp);
                }
                if status.is_finished() {
                    self.finished_at = Some(*timestamp);
                }
            }
            ServerMessage::TestCompleted {
                success,
                results,
                timestamp,
                ..
            } => {
                self.status = if *success {
                    RunStatus::Completed
                } else {
                    RunStatus::Failed
                };
                self.progress = 100;
                self.steps.clone_from(&results.steps);
                self.load_summary = results.load.clone().map(Box::new);
                self.finished_at = Some(*timestamp);
            }
            ServerMessage::TestError {
                error, timestamp, ..
            } => {
                if !self.status.is_finished() {
                    self.status = RunStatus::Failed;
                }
                self.error = Some(error.clone());
                self.finished_at = Some(*timestamp);
            }
            _ => {}
        }
    }
}

impl ServerMessage {
    /// For events that belong to a run's ordered stream: the run and the event's `seq`.
    pub fn run_event(&self) -> Option<(&str, u64)> {
        match self {
            Self::TestProgress(p) => Some((&p.test_id, p.seq)),
            Self::TestStatusUpdate { test_id, seq, .. }
            | Self::TestCompleted { test_id, seq, .. }
            | Self::TestError { test_id, seq, .. } => Some((test_id, *seq)),
            _ => None,
        }
    }
}

impl RunSnapshot {
    /// For a finished run, the event that ended it, as its last `seq` in its epoch: what a client
    /// that subscribes after the end (and waits for `test_completed` / `test_error`, as the seed's
    /// client does) needs to hear. A client that folds events ignores it: its `seq` is not new.
    pub fn terminal_event(&self) -> Option<ServerMessage> {
        let (test_id, seq, epoch) = (self.test_id.clone(), self.seq, self.epoch.clone());
        let timestamp = self.finished_at.unwrap_or_default();
        Some(match (self.status, &self.error) {
            (RunStatus::Cancelled, _) => ServerMessage::TestStatusUpdate {
                test_id,
                seq,
                epoch,
                status: RunStatus::Cancelled,
                timestamp,
            },
            (RunStatus::Interrupted, error) | (RunStatus::Failed, error @ Some(_)) => {
                ServerMessage::TestError {
                    test_id,
                    seq,
                    epoch,
                    error: error
                        .clone()
                        .unwrap_or_else(|| "the run was interrupted".into()),
                    timestamp,
                }
            }
            (RunStatus::Completed | RunStatus::Failed, _) => ServerMessage::TestCompleted {
                test_id,
                seq,
                epoch,
                success: self.status == RunStatus::Completed,
                results: self.results(),
                timestamp,
            },
            (RunStatus::Queued | RunStatus::Running, _) => return None,
        })
    }
}
