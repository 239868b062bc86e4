//! [`RunEvent`]: what an engine reports about its run. The hub turns each one into the numbered
//! [`ServerMessage`] that subscribers receive; the headless runner folds it into a snapshot directly.

use super::{LoadStats, RunResults, RunStatus, ServerMessage, StepResult, TestId, TestProgress};

/// An event of a run, as an engine reports it. Whoever publishes it adds the run id, `seq`, epoch and
/// timestamp ([`RunEvent::into_message`]).
#[derive(Debug, Clone)]
pub enum RunEvent {
    Progress {
        /// Steps finished; the percentage is derived from it.
        done_steps: u32,
        /// The step being executed, or the one that just finished (1-based).
        current_step: u32,
        total_steps: u32,
        message: String,
        step: Option<StepResult>,
        load: Option<LoadStats>,
    },
    Status(RunStatus),
    Completed {
        success: bool,
        results: RunResults,
    },
    Error(String),
}

impl RunEvent {
    /// The `type` of the message it becomes, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            RunEvent::Progress { .. } => "test_progress",
            RunEvent::Status(_) => "test_status_update",
            RunEvent::Completed { .. } => "test_completed",
            RunEvent::Error(_) => "test_error",
        }
    }

    /// Whether a lagging client may skip it for a later one: progress without a step result or
    /// load figures, which the next progress event supersedes.
    pub fn is_coalescable(&self) -> bool {
        matches!(
            self,
            RunEvent::Progress {
                step: None,
                load: None,
                ..
            }
        )
    }

    /// The message this event becomes as the `seq`th event of the run.
    pub fn into_message(
        self,
        test_id: TestId,
        seq: u64,
        epoch: String,
        timestamp: u64,
    ) -> ServerMessage {
        match self {
            RunEvent::Progress {
                done_steps,
                current_step,
                total_steps,
                message,
                step,
                load,
            } => ServerMessage::TestProgress(TestProgress {
                test_id,
                seq,
                epoch,
                progress: percent(done_steps, total_steps),
                current_step,
                total_steps,
                message,
                step,
                load,
                timestamp,
            }),
            RunEvent::Status(status) => ServerMessage::TestStatusUpdate {
                test_id,
                seq,
                epoch,
                status,
                timestamp,
            },
            RunEvent::Completed { success, results } => ServerMessage::TestCompleted {
                test_id,
                seq,
                epoch,
                success,
                results,
                timestamp,
            },
            RunEvent::Error(error) => ServerMessage::TestError {
                test_id,
                seq,
                epoch,
                error,
                timestamp,
            },
        }
    }
}

/// Whole percent of `done` out of `total`, clamped to 0–100.
pub fn percent(done: u32, total: u32) -> u8 {
    if total == 0 {
        return 0;
    }
    ((u64::from(done.min(total)) * 100) / u64::from(total)) as u8
}

/// A fresh stream epoch: 8 random hex digits.
#[cfg(feature = "ssr")]
pub fn new_epoch() -> String {
    format!("{:08x}", rand::random::<u32>())
}
