//! Scheduled runs of stored suites, and their alerts.
//!
//! Every node runs one [`Scheduler`] task. Twice a second it asks the store for schedules that are
//! due and starts a run of each (the suite's latest version, as the user who made the schedule, in
//! the suite's room if it is shared into one of theirs). The fire is claimed in the transaction
//! that inserts the run ([`Runs::start_scheduled`]): whichever node claims it runs it, and a fire
//! is never started twice, across nodes or restarts. Fires missed while no node ran are made up
//! once, at the next start, then the schedule goes on from the current time.
//!
//! Then it looks at the scheduled runs that finished: each is judged once (claimed in the store) in
//! fire order, and a change from passing to failing or back calls the schedule's webhook
//! ([`webhook`]).
//!
//! - [`pattern`]: cron patterns in time zones;
//! - [`webhook`]: what an alert says and how it is sent.

pub mod pattern;
pub mod webhook;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use tracing::{info, warn};

use crate::{
    auth::{AuthUser, Credential},
    clock::now_ms,
    runs::{RunError, Runs, Start},
    store::{FireClaim, ScheduleRecord, Store, Unalerted},
    suite::SuiteSource,
};
use pattern::Pattern;
use webhook::{Alert, Message, Webhooks};

/// How often a node looks for due schedules and finished runs.
const TICK: Duration = Duration::from_millis(500);
/// Schedules started, and runs judged, per tick at most.
const BATCH: u32 = 50;

/// What schedules may do on this server.
#[derive(Debug, Clone)]
pub struct ScheduleSettings {
    /// The shortest time between two fires of one schedule (`LIVECHECK_SCHEDULE_MIN_SECS`).
    pub min_interval: Duration,
    /// Where users reach the server, for the links in alerts (no trailing slash).
    pub base_url: String,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(60),
            base_url: "http://127.0.0.1:3000".into(),
        }
    }
}

/// Starts scheduled runs and sends their alerts.
#[derive(Clone)]
pub struct Scheduler {
    store: Store,
    runs: Runs,
    webhooks: Webhooks,
    settings: ScheduleSettings,
    /// Set when the node drains: it starts no more runs (another node, or the next start, will),
    /// but still judges the runs that finish.
    draining: Arc<AtomicBool>,
}

impl Scheduler {
    pub fn new(
        store: Store,
        runs: Runs,
        webhooks: Webhooks,
        settings: ScheduleSettings,
        draining: Arc<AtomicBool>,
    ) -> Self {
        Self {
            store,
            runs,
            webhooks,
            settings,
            draining,
        }
    }

    /// Runs the scheduler on this node until the process ends.
    pub fn spawn(self) {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(TICK);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                self.tick().await;
            }
        });
    }

    /// Starts what is due, then judges what finished.
    pub async fn tick(&self) {
        let due = if self.draining.load(Ordering::Relaxed) {
            Ok(Vec::new())
        } else {
            self.store.due_schedules(now_ms(), BATCH).await
        };
        match due {
            Ok(due) => {
                for schedule in due {
                    self.fire(schedule).await;
                }
            }
            Err(e) => warn!(error = %e, "could not read the due schedules"),
        }
        match self.store.unalerted_runs(BATCH).await {
            Ok(finished) => {
                for run in finished {
                    self.judge(run).await;
                }
            }
            Err(e) => warn!(error = %e, "could not read the finished scheduled runs"),
        }
    }

    /// Starts a run for a due schedule, or records why none started.
    async fn fire(&self, schedule: ScheduleRecord) {
        let now = now_ms();
        let next = Pattern::parse(&schedule.cron, &schedule.timezone)
            .map_err(|e| e.to_string())
            .and_then(|p| p.next_after(now).ok_or_else(|| "cron: never fires".into()));
        let next_at = match next {
            Ok(next_at) => next_at,
            Err(why) => {
                warn!(schedule = schedule.id, why, "schedule turned off");
                if let Err(e) = self.store.disable_schedule(schedule.id, &why).await {
                    warn!(error = %e, "could not turn a schedule off");
                }
                return;
            }
        };
        let claim = FireClaim {
            schedule_id: schedule.id,
            due_at: schedule.next_at,
            next_at,
        };
        match self.start(&schedule, claim).await {
            Ok(test_id) => info!(schedule = schedule.id, run = %test_id, "scheduled run started"),
            Err(RunError::AlreadyStarted) => {}
            Err(e) => {
                let why = match e {
                    RunError::InvalidSuite(_) => "the suite's latest version is invalid".into(),
                    RunError::UnknownRoom | RunError::UnknownRun | RunError::UnknownTest => {
                        "the suite is gone, or no longer shared with you".into()
                    }
                    RunError::Forbidden => "your account may not start runs".into(),
                    RunError::Database(e) => {
                        warn!(error = %e, "starting a scheduled run failed");
                        "the server could not start it".into()
                    }
                    e => e.to_string(),
                };
                info!(schedule = schedule.id, why, "scheduled fire started no run");
                if let Err(e) = self.store.skip_fire(claim, &why).await {
                    warn!(error = %e, "could not move a schedule on");
                }
            }
        }
    }

    /// The run of one fire, as the schedule's user.
    async fn start(&self, schedule: &ScheduleRecord, claim: FireClaim) -> Result<String, RunError> {
        let user = match self.store.user_by_id(schedule.user_id).await? {
            Some(user) if !user.disabled => user,
            _ => return Err(RunError::Forbidden),
        };
        let user = AuthUser {
            id: user.id,
            username: user.username,
            role: user.role,
            expires_at: u64::MAX,
            credential: Credential::Schedule { id: schedule.id },
        };
        let (info, text, _) = self
            .store
            .suite_version(user.id, schedule.suite_id, None)
            .await?
            .ok_or(RunError::UnknownTest)?;
        let room = self.runs.room_for_suite(user.id, info.rooms).await?;
        let source = SuiteSource {
            suite_id: Some(schedule.suite_id),
            suite_version: Some(info.version),
            text,
            environment: schedule.environment.clone(),
            variables: Default::default(),
        };
        let snapshot = self
            .runs
            .start_scheduled(&user, Start::Suite(source), room, claim)
            .await?;
        Ok(snapshot.test_id)
    }

    /// Judges a finished scheduled run once, and calls the webhook when its outcome changed.
    async fn judge(&self, run: Unalerted) {
        let previous = match self
            .store
            .previous_outcome(run.schedule_id, run.scheduled_for)
            .await
        {
            Ok(previous) => previous,
            Err(e) => return warn!(error = %e, "could not read a schedule's previous run"),
        };
        let alert = Alert::judge(previous, run.status);
        match self.store.claim_alert(&run.run_id, alert.as_str()).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => return warn!(error = %e, "could not record a run's alert"),
        }
        if alert == Alert::None {
            return;
        }
        let (schedule, record) = match (
            self.store.schedule(run.schedule_id).await,
            self.store.run(&run.run_id).await,
        ) {
            (Ok(Some(schedule)), Ok(Some(record))) => (schedule, record),
            _ => return,
        };
        let Some(url) = schedule.webhook_url.clone() else {
            return;
        };
        let results = record.snapshot.results();
        let message = Message {
            alert,
            suite_id: schedule.suite_id,
            suite_name: schedule.suite_name.clone(),
            schedule_id: schedule.id,
            cron: schedule.cron.clone(),
            timezone: schedule.timezone.clone(),
            run_id: run.run_id.clone(),
            status: run.status,
            passed: results.passed,
            failed: results.failed,
            error: record.snapshot.error.clone(),
            url: format!("{}/runs/{}", self.settings.base_url, run.run_id),
        };
        // Delivery (with its retries) must not hold up the next fires.
        let webhooks = self.webhooks.clone();
        let store = self.store.clone();
        tokio::spawn(async move {
            let outcome = webhooks.send(&url, &message.body()).await;
            metrics::counter!(
                "livecheck_webhook_calls_total",
                "outcome" => if outcome.is_ok() { "delivered" } else { "failed" }
            )
            .increment(1);
            match outcome {
                Ok(()) => info!(
                    schedule = schedule.id,
                    alert = alert.as_str(),
                    "webhook called"
                ),
                Err(why) => {
                    warn!(schedule = schedule.id, why, "webhook not delivered");
                    if let Err(e) = store.note_schedule_problem(schedule.id, &why).await {
                        warn!(error = %e, "could not record a webhook failure");
                    }
                }
            }
        });
    }
}
