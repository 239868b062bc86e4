//! Persistence through sqlx: users and their tokens, runs, rooms, suites, the run event log, the audit
//! log and live settings; in an embedded SQLite file (one node), or in PostgreSQL (a cluster).
//!
//! Owns the schema (`migrations/sqlite` and `migrations/postgres`, applied at start-up) and every SQL
//! statement. Callers get plain Rust values; no other module writes SQL. Queries use the runtime API
//! through sqlx's `Any` driver, so one statement serves both databases: parameters are numbered
//! (`$1`), integers are `BIGINT`, flags are 0/1 integers, and the few statements that differ (JSON
//! functions) ask [`Backend`] for their dialect.

mod audit;
mod events;
mod nodes;
pub mod rooms;
mod schedules;
mod suites;
mod tokens;
mod usage;
mod users;

pub use audit::AuditQuery;
pub use events::EventLog;
pub use schedules::{FireClaim, ScheduleRecord, ScheduleRow, Unalerted};
pub use tokens::TokenRecord;
pub use users::UserRecord;

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    any::{AnyPoolOptions, AnyRow},
    sqlite::SqliteConnectOptions,
    AnyPool, ConnectOptions, Connection, Executor, Row,
};

use crate::{
    clock::now_ms,
    protocol::{api::RunOptions, RunSnapshot, RunStatus, ServerMessage},
    suite::SuiteSource,
};

/// A run's row.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub id: String,
    pub user_id: i64,
    /// The room the run was started in, if any: its members may see it.
    pub room: Option<String>,
    pub test_key: String,
    pub snapshot: RunSnapshot,
    pub created_at: u64,
    /// The options it was started with.
    pub options: RunOptions,
    /// For a suite run: what it ran.
    pub source: Option<SuiteSource>,
}

/// A run's row as it is first written. Borrowed: starting a run copies no suite text or snapshot.
#[derive(Debug, Clone, Copy)]
pub struct NewRun<'a> {
    pub id: &'a str,
    pub user_id: i64,
    pub room: Option<&'a str>,
    pub test_key: &'a str,
    pub snapshot: &'a RunSnapshot,
    pub created_at: u64,
    pub options: &'a RunOptions,
    pub source: Option<&'a SuiteSource>,
    /// What the run may cost its user (see the daily budget).
    pub cost: u64,
    /// The schedule fire it starts, claimed in the same transaction.
    pub schedule: Option<FireClaim>,
}

/// Which runs a history shows.
#[derive(Debug, Clone, Default)]
pub struct RunQuery {
    pub status: Option<RunStatus>,
    pub suite_id: Option<i64>,
    /// Created at or after / before, milliseconds since the epoch.
    pub from_ms: Option<u64>,
    pub until_ms: Option<u64>,
    pub limit: u32,
}

/// Which database holds the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file: one node.
    Sqlite,
    /// A PostgreSQL server, shared by every node of a cluster.
    Postgres,
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// This process's name among the nodes serving the database (new at every start): the runs it
    /// executes carry it, and its heartbeat keeps them its own (see `nodes`).
    node: std::sync::Arc<str>,
    /// Set once this node left the list (the end of a drain): no more heartbeats.
    left: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

pub type Result<T, E = sqlx::Error> = std::result::Result<T, E>;

impl Store {
    /// Opens (creating if needed) an SQLite database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        let url = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .to_url_lossy();
        Self::connect(url.as_str()).await
    }

    /// Connects to `postgres://…` or `sqlite://…` and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(sqlx::Error::Configuration(
                "the database URL must start with postgres:// or sqlite://".into(),
            ));
        };
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers work while a run writes; NORMAL sync is durable across
                            // process crashes in WAL mode (only an OS crash can lose the last
                            // transactions).
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = NORMAL",
                                "PRAGMA busy_timeout = 5000",
                                "PRAGMA foreign_keys = ON",
                            ] {
                                conn.execute(pragma).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
            Backend::Postgres => {
                // One connection first: a pool that cannot connect only says it timed out, not
                // why (refused, no such database, a wrong password, TLS required).
                sqlx::AnyConnection::connect(url).await?.close().await?;
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?
            }
        };
        let migrated = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await,
        };
        migrated.map_err(|e| sqlx::Error::Migrate(Box::new(e)))?;
        Ok(Self {
            pool,
            backend,
            node: uuid::Uuid::new_v4().simple().to_string().into(),
            left: Default::default(),
        })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Inserts a run's row. With a schedule fire, claims the fire in the same transaction and inserts
    /// nothing (`false`) when another node claimed it first.
    pub async fn insert_run(&self, run: &NewRun<'_>) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        if let Some(claim) = run.schedule {
            let claimed = sqlx::query(
                "UPDATE schedules SET next_at = $1, last_error = NULL WHERE id = $2 AND next_at = $3",
            )
            .bind(claim.next_at as i64)
            .bind(claim.schedule_id)
            .bind(claim.due_at as i64)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() == 0 {
                return Ok(false);
            }
        }
        sqlx::query(
            "INSERT INTO runs (id, user_id, room, test_key, name, status, created_at, snapshot, options, \
             suite_id, suite_version, suite_text, environment, cost, variables, schedule_id, \
             scheduled_for, node) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(run.id)
        .bind(run.user_id)
        .bind(run.room)
        .bind(run.test_key)
        .bind(&run.snapshot.name)
        .bind(run.snapshot.status.as_str())
        .bind(run.created_at as i64)
        .bind(to_json(run.snapshot))
        .bind(to_json(run.options))
        .bind(run.source.and_then(|s| s.suite_id))
        .bind(run.source.and_then(|s| s.suite_version))
        .bind(run.source.map(|s| s.text.as_str()))
        .bind(run.source.and_then(|s| s.environment.as_deref()))
        .bind(run.cost as i64)
        .bind(
            run.source
                .filter(|s| !s.variables.is_empty())
                .map(|s| to_json(&s.variables)),
        )
        .bind(run.schedule.map(|c| c.schedule_id))
        .bind(run.schedule.map(|c| c.due_at as i64))
        .bind(&*self.node)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Saves a run's latest state.
    pub async fn save_snapshot(&self, snapshot: &RunSnapshot) -> Result<()> {
        sqlx::query("UPDATE runs SET status = $1, finished_at = $2, snapshot = $3 WHERE id = $4")
            .bind(snapshot.status.as_str())
            .bind(snapshot.finished_at.map(|t| t as i64))
            .bind(to_json(snapshot))
            .bind(&snapshot.test_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn run(&self, id: &str) -> Result<Option<RunRecord>> {
        let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(run_from_row).transpose()
    }

    /// The most recent runs the user may see (their own and their rooms'), newest first, filtered.
    pub async fn recent_runs(&self, user_id: i64, q: &RunQuery) -> Result<Vec<RunRecord>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs \
             WHERE (user_id = $1 OR room IN ( \
                 SELECT r.name FROM rooms r JOIN room_members m ON m.room_id = r.id WHERE m.user_id = $1)) \
             AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR suite_id = $3) \
             AND ($4 IS NULL OR created_at >= $4) AND ($5 IS NULL OR created_at < $5) \
             ORDER BY created_at DESC LIMIT $6"
        );
        let status = q.status.map(RunStatus::as_str);
        let from = q.from_ms.map(|t| t as i64);
        let until = q.until_ms.map(|t| t as i64);
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .bind(status)
            .bind(q.suite_id)
            .bind(from)
            .bind(until)
            .bind(i64::from(q.limit))
            .fetch_all(&self.pool)
            .await?;
        // One row that does not read back (written by an older version, or damaged) is left out of
        // the list with a warning, not the reason nobody who can see it can list their runs.
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let id = row.try_get::<String, _>("id").unwrap_or_default();
                run_from_row(row)
                    .inspect_err(|e| tracing::warn!(run = %id, error = %e, "a stored run does not read back"))
                    .ok()
            })
            .collect())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// What the user's runs created since `since_ms` may cost, together.
    pub async fn cost_since(&self, user_id: i64, since_ms: u64) -> Result<u64> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(cost), 0) AS BIGINT) AS spent FROM runs WHERE user_id = $1 AND created_at >= $2",
        )
        .bind(user_id)
        .bind(since_ms as i64)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get::<i64, _>("spent").max(0) as u64)
    }

    /// Deletes finished runs created before `before_ms`, with their events. Returns how many.
    pub async fn purge_runs(&self, before_ms: u64) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM runs WHERE created_at < $1 AND status NOT IN ('queued', 'running')",
        )
        .bind(before_ms as i64)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Marks a run that was queued or running when its node stopped `interrupted`: its state is
    /// rebuilt from the event log, and it gets a new epoch, because events the old process sent but
    /// did not store may have reached clients. Returns the run as marked (`None`: no such run).
    async fn interrupt_run(&self, id: &str) -> Result<Option<RunSnapshot>> {
        let Some(run) = self.run(id).await? else {
            return Ok(None);
        };
        let mut snap = run.snapshot;
        for event in self
            .run_messages(&snap.test_id, &snap.epoch.clone())
            .await?
        {
            snap.apply(&event);
        }
        let seq = snap.seq + 1;
        let epoch = crate::protocol::event::new_epoch();
        snap.apply(&ServerMessage::TestError {
            test_id: snap.test_id.clone(),
            seq,
            epoch: epoch.clone(),
            error: "the server stopped while this run was in progress".into(),
            timestamp: now_ms(),
        });
        snap.status = RunStatus::Interrupted;
        snap.epoch = epoch;
        self.save_snapshot(&snap).await?;
        Ok(Some(snap))
    }
}

const RUN_COLUMNS: &str = "id, user_id, room, test_key, created_at, snapshot, options, \
     suite_id, suite_version, suite_text, environment, variables";

fn run_from_row(row: AnyRow) -> Result<RunRecord> {
    let variables = match row.get::<Option<&str>, _>("variables") {
        Some(json) => from_json(json)?,
        None => Default::default(),
    };
    let source = row
        .get::<Option<String>, _>("suite_text")
        .map(|text| SuiteSource {
            suite_id: row.get("suite_id"),
            suite_version: row.get("suite_version"),
            text,
            environment: row.get("environment"),
            variables,
        });
    Ok(RunRecord {
        source,
        id: row.get("id"),
        user_id: row.get("user_id"),
        room: row.get("room"),
        test_key: row.get("test_key"),
        created_at: row.get::<i64, _>("created_at") as u64,
        options: from_json(row.get("options"))?,
        snapshot: from_json(row.get("snapshot"))?,
    })
}

/// A JSON column's text. Snapshots and options hold only strings, numbers, booleans and vectors:
/// serialising them cannot fail.
fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A JSON column's value; a row that does not read back is an error, never a silent default.
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
