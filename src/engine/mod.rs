//! Test engines and the runner that starts them.
//!
//! An [`Engine`] executes one run and reports what happens through its [`EventSink`]; it knows nothing
//! about WebSockets or SQL. The [`Runner`] creates the run (store row + hub topic), spawns the engine,
//! and can cancel it. Adding an engine means implementing the trait; the hub does not change.

pub mod api;
pub mod catalog;
pub mod guard;
pub mod load;
pub mod queue;
pub mod synthetic;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn, Instrument};

use crate::{
    auth::AuthUser,
    hub::{new_epoch, Hub, RunAccess, RunEvent},
    protocol::{LoadStats, RunResults, RunSnapshot, RunStatus, ServerMessage, StepResult},
    server::now_ms,
    store::{RunRecord, Store},
};
use catalog::TestDefinition;

/// Runs one test. Implementations report through the sink and return when the run is over.
pub trait Engine: Send + Sync {
    fn run(&self, ctx: RunContext) -> BoxFuture<'static, ()>;
}

/// What an engine gets for one run.
pub struct RunContext {
    pub definition: TestDefinition,
    pub options: RunOptions,
    /// Cancelled when the user cancels the run; engines stop promptly and return.
    pub cancel: CancellationToken,
    pub sink: EventSink,
}

/// Per-run knobs chosen when starting.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RunOptions {
    /// Extra delay the demo target adds to every response, so progress is visible.
    pub delay_ms: u32,
    /// Synthetic test: how many progress events, and how many per second.
    pub events: u32,
    pub rate: u32,
    /// Synthetic test: give every event a step result (which is never coalesced or dropped).
    pub step_results: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            delay_ms: 0,
            events: 100,
            rate: 20,
            step_results: false,
        }
    }
}

impl RunOptions {
    /// Upper bounds, so one request cannot occupy the server for long.
    pub const MAX_DELAY_MS: u32 = crate::api::MAX_DELAY_MS;
    pub const MAX_EVENTS: u32 = 1_000_000;
    pub const MAX_RATE: u32 = 1_000_000;

    /// Checks the bounds; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.delay_ms > Self::MAX_DELAY_MS {
            return Err(format!("delay_ms must be at most {}", Self::MAX_DELAY_MS));
        }
        if self.events == 0 || self.events > Self::MAX_EVENTS {
            return Err(format!("events must be between 1 and {}", Self::MAX_EVENTS));
        }
        if self.rate == 0 || self.rate > Self::MAX_RATE {
            return Err(format!("rate must be between 1 and {}", Self::MAX_RATE));
        }
        Ok(())
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

/// The server's target: the run's hub topic, and its row in the store.
struct LiveTarget {
    test_id: String,
    hub: Hub,
    store: Store,
}

impl EventTarget for LiveTarget {
    fn publish(&self, event: RunEvent) {
        self.hub.publish(&self.test_id, event);
    }

    fn checkpoint(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(snapshot) = self.hub.live_snapshot(&self.test_id) {
                if let Err(e) = self.store.save_snapshot(&snapshot).await {
                    warn!(error = %e, "could not save the run's state");
                }
            }
        })
    }
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
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Starts and cancels runs. Cheap to clone.
#[derive(Clone)]
pub struct Runner {
    hub: Hub,
    store: Store,
    api: api::ApiRuns,
    load: load::LoadEngine,
    /// The app's own address: the built-in tests' `${base}`.
    app_url: Arc<str>,
    /// Concurrent-run limits and the queue.
    admission: queue::Admission,
    /// Cancellation handles of the runs in progress; std mutex, never held across `.await`.
    active: Arc<Mutex<HashMap<String, CancellationToken>>>,
}

impl Runner {
    pub fn new(
        hub: Hub,
        store: Store,
        api: api::ApiEngine,
        app_url: String,
        limits: queue::RunLimits,
    ) -> Self {
        let api = Arc::new(api);
        Self {
            hub,
            store,
            api: api::ApiRuns(api.clone()),
            load: load::LoadEngine(api),
            app_url: app_url.into(),
            admission: queue::Admission::new(limits),
            active: Arc::default(),
        }
    }

    /// Creates a run of a catalogued test for the user (in `room`, if given: the user must be a member)
    /// and starts it. The run is subscribable (hub) and listed (store) before this returns.
    pub async fn start(
        &self,
        user: &AuthUser,
        test_key: &str,
        options: RunOptions,
        room: Option<String>,
    ) -> Result<RunSnapshot, RunError> {
        let mut definition = catalog::find(test_key).ok_or(RunError::UnknownTest)?;
        // The built-in suites call the app's own demo API, as slowly as asked.
        if let catalog::Kind::Api(suite) = &mut definition.kind {
            suite
                .variables
                .insert("base".into(), self.app_url.to_string());
            suite
                .variables
                .insert("delay_ms".into(), options.delay_ms.to_string());
        }
        self.start_definition(user, definition, options, room).await
    }

    /// Starts a run of any definition (a catalogued test, or a suite sent with the request).
    pub async fn start_definition(
        &self,
        user: &AuthUser,
        definition: TestDefinition,
        options: RunOptions,
        room: Option<String>,
    ) -> Result<RunSnapshot, RunError> {
        if let Some(room) = &room {
            if !self.store.is_member(room, user.id).await? {
                return Err(RunError::UnknownRoom);
            }
        }
        if !self.admission.may_wait(user.id) {
            return Err(RunError::QueueFull);
        }
        let test_id = uuid::Uuid::new_v4().simple().to_string();
        let snapshot = RunSnapshot::queued(
            test_id.clone(),
            new_epoch(),
            definition.name.clone(),
            definition.total_steps(&options),
        );
        self.store
            .insert_run(&RunRecord {
                id: test_id.clone(),
                user_id: user.id,
                room: room.clone(),
                test_key: definition.key.to_owned(),
                snapshot: snapshot.clone(),
                created_at: now_ms(),
                options: serde_json::to_string(&options).unwrap_or_default(),
                source: definition.source.clone(),
            })
            .await?;
        self.hub.open_run(
            RunAccess {
                owner: user.id,
                room: room.clone(),
            },
            snapshot.clone(),
        );
        if let Some(room) = &room {
            self.hub.room_broadcast(
                room,
                &ServerMessage::RoomRunStarted {
                    room: room.clone(),
                    test_id: test_id.clone(),
                    name: snapshot.name.clone(),
                    started_by: user.username.clone(),
                },
            );
        }

        let cancel = CancellationToken::new();
        self.active_runs().insert(test_id.clone(), cancel.clone());
        let sink = EventSink::new(LiveTarget {
            test_id: test_id.clone(),
            hub: self.hub.clone(),
            store: self.store.clone(),
        });
        let total_steps = snapshot.total_steps;
        let entry = self.admission.enter(user.id);
        let ctx = RunContext {
            definition,
            options,
            cancel: cancel.clone(),
            sink: sink.clone(),
        };
        let runner = self.clone();
        let span = tracing::info_span!("run", run = %test_id, user = user.id);
        let run = self.engine_for(&ctx.definition).run(ctx);
        tokio::spawn(
            async move {
                let slot = match entry {
                    queue::Entry::Now(slot) => Some(slot),
                    queue::Entry::Queued { ahead, ticket } => {
                        info!(ahead, "run queued");
                        let queued = |ahead: usize| {
                            let runs = if ahead == 1 { "run" } else { "runs" };
                            sink.progress(
                                0,
                                0,
                                total_steps,
                                format!("Queued: waiting for a free slot ({ahead} {runs} ahead)"),
                                None,
                            );
                        };
                        queued(ahead);
                        let mut place = ticket.ahead();
                        let admitted = ticket.admitted();
                        tokio::pin!(admitted);
                        loop {
                            tokio::select! {
                                slot = &mut admitted => break Some(slot),
                                _ = cancel.cancelled() => {
                                    sink.status(RunStatus::Cancelled).await;
                                    break None;
                                }
                                Ok(()) = place.changed() => {
                                    let ahead = *place.borrow_and_update();
                                    queued(ahead);
                                }
                            }
                        }
                    }
                };
                if let Some(slot) = slot {
                    info!("run started");
                    run.await;
                    drop(slot);
                }
                runner.active_runs().remove(&test_id);
                // Everything the run published must be stored before late subscribers are sent to
                // the store for it.
                if let Some(log) = runner.hub.event_log() {
                    log.flush().await;
                }
                runner.hub.close_run(&test_id);
                info!("run finished");
            }
            .instrument(span),
        );
        Ok(snapshot)
    }

    fn engine_for(&self, definition: &TestDefinition) -> &dyn Engine {
        match &definition.kind {
            catalog::Kind::Api(suite) if suite.load.is_some() => &self.load,
            catalog::Kind::Api(_) => &self.api,
            catalog::Kind::Synthetic => &synthetic::SyntheticEngine,
        }
    }

    /// Starts a new run of the same test, with the same options and in the same room, as a run the
    /// user may see.
    pub async fn restart(&self, user: &AuthUser, test_id: &str) -> Result<RunSnapshot, RunError> {
        let run = self.store.run(test_id).await?.ok_or(RunError::UnknownRun)?;
        let access = RunAccess {
            owner: run.user_id,
            room: run.room.clone(),
        };
        if !self.may_see(user, &access).await? {
            return Err(RunError::UnknownRun);
        }
        let options = serde_json::from_str(&run.options).unwrap_or_default();
        match run.source {
            // A suite: the same text, in the same environment (stored, so it still parses).
            Some(source) => {
                let definition = source.definition().map_err(|_| RunError::UnknownTest)?;
                self.start_definition(user, definition, options, run.room)
                    .await
            }
            None => self.start(user, &run.test_key, options, run.room).await,
        }
    }

    /// The run's owner, or a member of its room.
    async fn may_see(&self, user: &AuthUser, access: &RunAccess) -> Result<bool, RunError> {
        Ok(self
            .store
            .may_see_run(user.id, access.owner, access.room.as_deref())
            .await?)
    }

    /// Cancels a run in progress that the user may see (their own, or their room's).
    pub async fn cancel(&self, user: &AuthUser, test_id: &str) -> Result<(), RunError> {
        let access = self.hub.access(test_id).ok_or(RunError::UnknownRun)?;
        if !self.may_see(user, &access).await? {
            return Err(RunError::UnknownRun);
        }
        match self.active_runs().get(test_id) {
            Some(token) => {
                token.cancel();
                Ok(())
            }
            None => Err(RunError::UnknownRun),
        }
    }

    fn active_runs(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }
}
