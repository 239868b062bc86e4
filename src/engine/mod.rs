//! Test engines and the runner that starts them.
//!
//! An [`Engine`] executes one run and reports what happens through its [`EventSink`]; it knows nothing
//! about WebSockets or SQL. The [`Runner`] creates the run (store row + hub topic), spawns the engine,
//! and can cancel it. Adding an engine means implementing the trait; the hub does not change.

pub mod api;
pub mod catalog;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn, Instrument};

use crate::{
    auth::AuthUser,
    hub::{Hub, RunEvent},
    protocol::{RunResults, RunSnapshot, RunStatus, StepResult},
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
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Extra delay the demo target adds to every response, so progress is visible.
    pub delay_ms: u32,
}

/// Where an engine reports a run's events: the hub (live) and the store (status changes, the end).
#[derive(Clone)]
pub struct EventSink {
    test_id: String,
    hub: Hub,
    store: Store,
}

impl EventSink {
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
        self.hub.publish(
            &self.test_id,
            RunEvent::Progress {
                done_steps,
                current_step,
                total_steps,
                message,
                step,
            },
        );
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
        if let Some(snapshot) = self.hub.publish(&self.test_id, event) {
            if let Err(e) = self.store.save_snapshot(&snapshot).await {
                warn!(error = %e, "could not save the run's state");
            }
        }
    }
}

/// Errors from starting or controlling runs.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("no such test")]
    UnknownTest,
    #[error("no such run")]
    UnknownRun,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Starts and cancels runs. Cheap to clone.
#[derive(Clone)]
pub struct Runner {
    hub: Hub,
    store: Store,
    api: Arc<api::ApiEngine>,
    /// Cancellation handles of the runs in progress; std mutex, never held across `.await`.
    active: Arc<Mutex<HashMap<String, CancellationToken>>>,
}

impl Runner {
    pub fn new(hub: Hub, store: Store, api: api::ApiEngine) -> Self {
        Self {
            hub,
            store,
            api: Arc::new(api),
            active: Arc::default(),
        }
    }

    /// Creates a run of a catalogued test for the user and starts it. The run is subscribable (hub)
    /// and listed (store) before this returns.
    pub async fn start(
        &self,
        user: &AuthUser,
        test_key: &str,
        options: RunOptions,
    ) -> Result<RunSnapshot, RunError> {
        let definition = catalog::find(test_key).ok_or(RunError::UnknownTest)?;
        let test_id = uuid::Uuid::new_v4().simple().to_string();
        let snapshot = RunSnapshot::queued(
            test_id.clone(),
            definition.name.to_owned(),
            definition.steps.len() as u32,
        );
        self.store
            .insert_run(&RunRecord {
                id: test_id.clone(),
                user_id: user.id,
                test_key: definition.key.to_owned(),
                snapshot: snapshot.clone(),
                created_at: now_ms(),
            })
            .await?;
        self.hub.open_run(user.id, snapshot.clone());

        let cancel = CancellationToken::new();
        self.active_runs().insert(test_id.clone(), cancel.clone());
        let ctx = RunContext {
            definition,
            options,
            cancel: cancel.clone(),
            sink: EventSink {
                test_id: test_id.clone(),
                hub: self.hub.clone(),
                store: self.store.clone(),
            },
        };
        let runner = self.clone();
        let span = tracing::info_span!("run", run = %test_id, user = user.id);
        let run = self.api.run(ctx);
        tokio::spawn(
            async move {
                info!("run started");
                run.await;
                // Let a just-cancelled engine's last events land before the topic goes away.
                tokio::time::sleep(Duration::from_millis(10)).await;
                runner.active_runs().remove(&test_id);
                runner.hub.close_run(&test_id);
                info!("run finished");
            }
            .instrument(span),
        );
        Ok(snapshot)
    }

    /// Cancels one of the user's runs in progress. Finished or foreign runs are `UnknownRun`.
    pub fn cancel(&self, user: &AuthUser, test_id: &str) -> Result<(), RunError> {
        if self.hub.snapshot(user.id, test_id).is_none() {
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
