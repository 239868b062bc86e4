//! What running may cost: the limits and budget a server sets, and what one run costs its user; and
//! who may control (cancel, restart) a run.

use std::time::Duration;

use super::{queue, RunError};
use crate::auth::AuthUser;
use crate::{engine::Workload, protocol::api::RunOptions};

/// How much running one user may do, and how long any run may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunPolicy {
    /// Runs executing at once, in all and per user.
    pub limits: queue::RunLimits,
    /// Longest any run may execute; it is then stopped.
    pub max_run: Duration,
    /// Work one user may start in 24 hours, in virtual-user seconds (a load run costs its users
    /// times its seconds, a synthetic run one per 100 events, any other run one per step). 0: none.
    pub daily_budget: u64,
}

impl Default for RunPolicy {
    fn default() -> Self {
        Self {
            limits: queue::RunLimits::default(),
            max_run: Duration::from_secs(3600),
            daily_budget: 360_000,
        }
    }
}

/// What a run may cost its user, in virtual-user seconds (see [`RunPolicy::daily_budget`]).
pub(super) fn cost(workload: &Workload, options: &RunOptions, max_run: Duration) -> u64 {
    match workload {
        Workload::Suite(run) => match &run.suite.load {
            Some(load) => {
                let seconds = load
                    .duration()
                    .unwrap_or(max_run)
                    .min(max_run)
                    .as_secs()
                    .max(1);
                u64::from(load.max_users()) * seconds
            }
            None => run.suite.steps.len() as u64,
        },
        Workload::Synthetic => u64::from(options.events) / 100 + 1,
    }
}

impl super::Runs {
    /// Who may cancel or restart a run: its owner, an admin of its room, or a site admin. Room
    /// members and viewers watch; a restart re-runs the owner's exact text and environment, so it is
    /// not for everyone who can see the run.
    pub(super) async fn may_control(
        &self,
        user: &AuthUser,
        owner: i64,
        room: Option<&str>,
    ) -> Result<bool, RunError> {
        if !user.may_run() {
            return Ok(false);
        }
        if owner == user.id || user.is_admin() {
            return Ok(true);
        }
        Ok(match room {
            Some(room) => {
                self.store.room_role(room, user.id).await?.as_deref()
                    == Some(crate::store::rooms::ROOM_ADMIN)
            }
            None => false,
        })
    }
}
