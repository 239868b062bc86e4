//! The life of a run on this server: starting one from what the user asked for (a built-in test, a
//! stored suite, a suite sent with the request), the queue and the concurrency limits, the live event
//! target (hub + store), cancel and restart, and the one rule that finds a run and decides who may see
//! it ([`Runs::find_visible`]; the hub's connections ask it through [`RunDirectory`]).
//!
//! - [`catalog`]: the built-in tests, parsed once at start-up;
//! - [`queue`]: admission under the global and per-user limits, FIFO;
//! - [`live`]: the event target of a run in progress, and the task that drives it;
//! - [`visible`]: who may see a run, and the run as it is now (live, else stored).

pub mod catalog;
mod live;
mod policy;
pub mod queue;
mod visible;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, OnceLock},
};

use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{
    auth::AuthUser,
    clock::now_ms,
    engine::Engines,
    engine::{EventSink, RunContext, SuiteRun, Workload},
    hub::{Hub, RunAccess, Visible},
    protocol::{
        api::{RunOptions, SuiteProblem, SUITE_TEST_KEY},
        event::new_epoch,
        RunSnapshot, ServerMessage,
    },
    store::{FireClaim, NewRun, Store},
    suite::SuiteSource,
};
use catalog::Catalog;
use policy::cost;
pub use policy::RunPolicy;

/// What a user asks to run.
#[derive(Debug, Clone)]
pub enum Start {
    /// A built-in test, by key, with its options.
    BuiltIn { key: String, options: RunOptions },
    /// A suite: sent with the request, or a stored version; in an environment, if chosen.
    Suite(SuiteSource),
}

/// Errors from starting or controlling runs.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("no such test")]
    UnknownTest,
    #[error("no such run")]
    UnknownRun,
    #[error("no such room")]
    UnknownRoom,
    #[error(
        "you already have {} runs waiting; cancel some or wait for them to start",
        queue::MAX_WAITING_PER_USER
    )]
    QueueFull,
    /// The user's role (or token) does not allow it.
    #[error("not allowed")]
    Forbidden,
    /// Starting it would spend more than the user's daily budget; the message says how much is left.
    #[error("{0}")]
    OverBudget(String),
    /// The schedule fire was claimed by another node, which starts its run.
    #[error("this scheduled run was already started")]
    AlreadyStarted,
    /// Cancel asked for a run that is over (completed, failed, cancelled or interrupted).
    #[error("the run has already ended")]
    AlreadyEnded,
    /// The suite was refused; nothing ran.
    #[error("the suite is invalid")]
    InvalidSuite(Vec<SuiteProblem>),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Starts, finds and cancels runs. Cheap to clone.
#[derive(Clone)]
pub struct Runs {
    hub: Hub,
    store: Store,
    engines: Engines,
    catalog: Arc<Catalog>,
    /// The app's own address: the built-in tests' `${base}`.
    app_url: Arc<str>,
    policy: RunPolicy,
    /// Concurrent-run limits and the queue.
    admission: queue::Admission,
    /// Cancellation handles of the runs in progress; std mutex, never held across `.await`.
    active: Arc<Mutex<HashMap<String, CancellationToken>>>,
}

impl Runs {
    /// The app's own address, as its runs reach it (its demo API is under `/demo`).
    pub fn app_url(&self) -> &str {
        &self.app_url
    }

    pub fn new(
        hub: Hub,
        store: Store,
        engines: Engines,
        app_url: String,
        policy: RunPolicy,
    ) -> Self {
        Self {
            hub,
            store,
            engines,
            catalog: Arc::new(Catalog::new()),
            app_url: app_url.into(),
            admission: queue::Admission::new(policy.limits),
            policy,
            active: Arc::default(),
        }
    }

    /// The built-in tests.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Creates a run for the user (in `room`, if given: the user must be a member) and starts it, or
    /// queues it behind the concurrency limits. The run is subscribable (hub) and listed (store)
    /// before this returns.
    pub async fn start(
        &self,
        user: &AuthUser,
        what: Start,
        room: Option<String>,
    ) -> Result<RunSnapshot, RunError> {
        self.start_run(user, what, room, None).await
    }

    /// [`Runs::start`] for a schedule's fire: the fire is claimed with the run's row, so of several
    /// nodes only one starts it ([`RunError::AlreadyStarted`] on the others).
    pub async fn start_scheduled(
        &self,
        user: &AuthUser,
        what: Start,
        room: Option<String>,
        fire: FireClaim,
    ) -> Result<RunSnapshot, RunError> {
        self.start_run(user, what, room, Some(fire)).await
    }

    async fn start_run(
        &self,
        user: &AuthUser,
        what: Start,
        room: Option<String>,
        fire: Option<FireClaim>,
    ) -> Result<RunSnapshot, RunError> {
        if !user.may_run() {
            return Err(RunError::Forbidden);
        }
        let (test_key, name, workload, options, source) = match what {
            Start::BuiltIn { key, options } => {
                let test = self.catalog.find(&key).ok_or(RunError::UnknownTest)?;
                let workload = test.workload(&self.app_url, &options);
                (test.key, test.name.clone(), workload, options, None)
            }
            Start::Suite(source) => {
                let parsed = source.parse().map_err(RunError::InvalidSuite)?;
                let workload = Workload::Suite(SuiteRun::new(
                    Arc::new(parsed.suite),
                    parsed.environment_variables,
                ));
                let options = RunOptions::default();
                (
                    SUITE_TEST_KEY,
                    parsed.run_name,
                    workload,
                    options,
                    Some(source),
                )
            }
        };
        if let Some(room) = &room {
            if !self.store.is_member(room, user.id).await? {
                return Err(RunError::UnknownRoom);
            }
        }
        if !self.admission.may_wait(user.id) {
            return Err(RunError::QueueFull);
        }
        let cost = cost(&workload, &options, self.policy.max_run);
        self.within_budget(user, cost).await?;
        let test_id = uuid::Uuid::new_v4().simple().to_string();
        let total_steps = workload.total_steps(&options);
        let snapshot = RunSnapshot::queued(test_id.clone(), new_epoch(), name, total_steps);
        let inserted = self
            .store
            .insert_run(&NewRun {
                id: &test_id,
                user_id: user.id,
                room: room.as_deref(),
                test_key,
                snapshot: &snapshot,
                created_at: now_ms(),
                options: &options,
                source: source.as_ref(),
                cost,
                schedule: fire,
            })
            .await?;
        if !inserted {
            return Err(RunError::AlreadyStarted);
        }
        // Open in the hub before anyone hears of it: a room member subscribes at once.
        self.hub.open_run(
            RunAccess {
                owner: user.id,
                room: room.clone(),
            },
            snapshot.clone(),
        );
        if let Some(room) = room {
            self.hub.room_broadcast(
                &room,
                &ServerMessage::RoomRunStarted {
                    room: room.clone(),
                    test_id: test_id.clone(),
                    name: snapshot.name.clone(),
                    started_by: user.username.clone(),
                },
            );
        }
        self.launch(user, test_id, workload, options, total_steps);
        Ok(snapshot)
    }

    /// The room a run of a stored suite goes to when none is chosen: the first of the suite's rooms
    /// the user is a member of, where its members and viewers can watch it.
    pub async fn room_for_suite(
        &self,
        user_id: i64,
        suite_rooms: Vec<String>,
    ) -> Result<Option<String>, RunError> {
        if suite_rooms.is_empty() {
            return Ok(None);
        }
        let mine = self.store.rooms_of(user_id).await?;
        Ok(suite_rooms.into_iter().find(|r| mine.contains(r)))
    }

    /// Refuses a run that would take the user over their daily budget.
    async fn within_budget(&self, user: &AuthUser, cost: u64) -> Result<(), RunError> {
        let budget = self.policy.daily_budget;
        if budget == 0 {
            return Ok(());
        }
        let spent = self
            .store
            .cost_since(user.id, now_ms().saturating_sub(86_400_000))
            .await?;
        if spent.saturating_add(cost) > budget {
            return Err(RunError::OverBudget(format!(
                "this run would cost {cost} virtual-user seconds, and {} of your daily {budget} \
                 are left; try a smaller run or wait",
                budget.saturating_sub(spent)
            )));
        }
        Ok(())
    }

    /// Spawns the task of a run that is open in the hub and stored.
    fn launch(
        &self,
        user: &AuthUser,
        test_id: String,
        workload: Workload,
        options: RunOptions,
        total_steps: u32,
    ) {
        let cancel = CancellationToken::new();
        self.active_runs().insert(test_id.clone(), cancel.clone());
        let stop = Arc::new(OnceLock::new());
        let sink = EventSink::new(live::LiveTarget {
            test_id: test_id.clone(),
            hub: self.hub.clone(),
            store: self.store.clone(),
            stop: stop.clone(),
        });
        let engine = self.engines.for_workload(&workload);
        let run = engine.run(RunContext {
            workload,
            options,
            cancel: cancel.clone(),
            sink: sink.clone(),
        });
        let span = tracing::info_span!("run", run = %test_id, user = user.id);
        let task = live::Task {
            runs: self.clone(),
            user: user.id,
            entry: self.admission.enter(user.id),
            test_id,
            cancel,
            stop,
            sink,
            total_steps,
            max_run: self.policy.max_run,
            run,
        };
        tokio::spawn(task.drive().instrument(span));
    }

    /// A run's task ended: everything it published is stored before the hub forgets it (later
    /// subscribers are answered from the store).
    async fn finished(&self, test_id: &str) {
        self.active_runs().remove(test_id);
        if let Some(log) = self.hub.event_log() {
            log.flush().await;
        }
        self.hub.close_run(test_id);
    }

    /// Starts a new run of what a run ran: the same test with the same options, or the same suite
    /// text in the same environment; in the same room. See [`Runs::may_control`] for who may.
    pub async fn restart(&self, user: &AuthUser, test_id: &str) -> Result<RunSnapshot, RunError> {
        let run = self
            .visible_run(user, test_id)
            .await?
            .ok_or(RunError::UnknownRun)?;
        if !self
            .may_control(user, run.user_id, run.room.as_deref())
            .await?
        {
            return Err(RunError::Forbidden);
        }
        let what = match run.source {
            Some(source) => Start::Suite(source),
            None => Start::BuiltIn {
                key: run.test_key,
                options: run.options,
            },
        };
        match self.start(user, what, run.room).await {
            // Stored texts were valid when they ran.
            Err(RunError::InvalidSuite(_)) => Err(RunError::UnknownTest),
            other => other,
        }
    }

    /// Cancels a run in progress (see [`Runs::may_control`] for who may), on whichever node of the
    /// cluster executes it.
    /// Whether `user` may cancel and restart the run (see `may_control`); `UnknownRun` when the
    /// run is not theirs to see.
    pub async fn controls(&self, user: &AuthUser, test_id: &str) -> Result<bool, RunError> {
        let (owner, room) = match self.find_visible(user, test_id).await? {
            Some(Visible::Live) => {
                let access = self.hub.access(test_id).ok_or(RunError::UnknownRun)?;
                (access.owner, access.room)
            }
            Some(Visible::Stored(run)) => (run.user_id, run.room),
            None => return Err(RunError::UnknownRun),
        };
        self.may_control(user, owner, room.as_deref()).await
    }

    pub async fn cancel(&self, user: &AuthUser, test_id: &str) -> Result<(), RunError> {
        let (access, over) = match self.find_visible(user, test_id).await? {
            // Ended but not yet stored: over too (the run's own page already says so).
            Some(Visible::Live) => (
                self.hub.access(test_id).ok_or(RunError::UnknownRun)?,
                self.hub.has_ended(test_id),
            ),
            // Over, or (unfinished with a cluster) another node's run this node does not follow.
            Some(Visible::Stored(run)) => (
                RunAccess {
                    owner: run.user_id,
                    room: run.room,
                },
                run.snapshot.status.is_finished() || self.hub.broker().is_none(),
            ),
            None => return Err(RunError::UnknownRun),
        };
        // Who may not cancel hears that first, whether or not the run is over.
        if !self
            .may_control(user, access.owner, access.room.as_deref())
            .await?
        {
            return Err(RunError::Forbidden);
        }
        if over {
            return Err(RunError::AlreadyEnded);
        }
        if self.cancel_here(test_id) {
            return Ok(());
        }
        match self.hub.broker() {
            Some(broker) => {
                broker.cancel(test_id);
                Ok(())
            }
            // It ended between the look and now.
            None => Err(RunError::AlreadyEnded),
        }
    }

    /// Cancels the run if this node executes it (the right was checked where it was asked for).
    pub fn cancel_here(&self, test_id: &str) -> bool {
        match self.active_runs().get(test_id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Runs started on this server that have not finished (queued or executing).
    pub fn in_progress(&self) -> usize {
        self.active_runs().len()
    }

    fn active_runs(&self) -> MutexGuard<'_, HashMap<String, CancellationToken>> {
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }
}
