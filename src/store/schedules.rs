//! Schedules of stored suites, and the two claims that make them exactly-once on any number of
//! nodes sharing one database: a fire is claimed by moving `next_at` forward only if it still holds
//! the value the node read (in the transaction that inserts the run, see [`Store::insert_run`]), and a
//! finished run's alert is claimed by setting `alert` only while it is NULL.

use sqlx::{any::AnyRow, Row};

use super::{Result, Store};
use crate::{clock::now_ms, protocol::RunStatus};

/// A schedule's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRecord {
    pub id: i64,
    pub suite_id: i64,
    pub suite_name: String,
    pub user_id: i64,
    pub cron: String,
    pub timezone: String,
    pub environment: Option<String>,
    pub webhook_url: Option<String>,
    pub enabled: bool,
    pub next_at: u64,
    pub last_error: Option<String>,
    /// Its latest run: id and status.
    pub last_run: Option<(String, RunStatus)>,
}

/// A schedule as it is written.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleRow<'a> {
    pub suite_id: i64,
    pub cron: &'a str,
    pub timezone: &'a str,
    pub environment: Option<&'a str>,
    /// `None` keeps the webhook (on change), `Some("")` removes it.
    pub webhook_url: Option<&'a str>,
    pub enabled: bool,
    pub next_at: u64,
}

/// A fire a node wants to start a run for: the schedule, the time it was due (its `next_at` as read)
/// and the time it fires next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FireClaim {
    pub schedule_id: i64,
    pub due_at: u64,
    pub next_at: u64,
}

/// A finished scheduled run whose outcome has not been looked at for alerts yet.
#[derive(Debug, Clone)]
pub struct Unalerted {
    pub run_id: String,
    pub schedule_id: i64,
    pub scheduled_for: u64,
    pub status: RunStatus,
}

const COLUMNS: &str =
    "sc.id, sc.suite_id, s.name AS suite_name, sc.user_id, sc.cron, sc.timezone, \
     sc.environment, sc.webhook_url, sc.enabled, sc.next_at, sc.last_error, \
     (SELECT r.id || ' ' || r.status FROM runs r WHERE r.schedule_id = sc.id \
      ORDER BY r.scheduled_for DESC LIMIT 1) AS last_run";

fn record(r: &AnyRow) -> ScheduleRecord {
    let last_run = r.get::<Option<String>, _>("last_run").and_then(|text| {
        let (id, status) = text.split_once(' ')?;
        Some((id.to_owned(), RunStatus::parse(status)?))
    });
    ScheduleRecord {
        id: r.get("id"),
        suite_id: r.get("suite_id"),
        suite_name: r.get("suite_name"),
        user_id: r.get("user_id"),
        cron: r.get("cron"),
        timezone: r.get("timezone"),
        environment: r.get("environment"),
        webhook_url: r.get("webhook_url"),
        enabled: r.get::<i64, _>("enabled") != 0,
        next_at: r.get::<i64, _>("next_at") as u64,
        last_error: r.get("last_error"),
        last_run,
    }
}

impl Store {
    /// The user's schedules, by suite name.
    pub async fn schedules_of(&self, user_id: i64) -> Result<Vec<ScheduleRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM schedules sc JOIN suites s ON s.id = sc.suite_id \
             WHERE sc.user_id = $1 ORDER BY s.name, sc.id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(record).collect())
    }

    /// One schedule by id, whoever owns it.
    pub async fn schedule(&self, id: i64) -> Result<Option<ScheduleRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM schedules sc JOIN suites s ON s.id = sc.suite_id WHERE sc.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(record))
    }

    /// Enabled schedules due at `now`, the longest overdue first.
    pub async fn due_schedules(&self, now: u64, limit: u32) -> Result<Vec<ScheduleRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM schedules sc JOIN suites s ON s.id = sc.suite_id \
             WHERE sc.enabled = 1 AND sc.next_at <= $1 ORDER BY sc.next_at LIMIT $2"
        ))
        .bind(now as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(record).collect())
    }

    /// Creates a schedule for the user; returns its id.
    pub async fn insert_schedule(&self, user_id: i64, row: &ScheduleRow<'_>) -> Result<i64> {
        let id = sqlx::query(
            "INSERT INTO schedules (suite_id, user_id, cron, timezone, environment, webhook_url, \
             enabled, next_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(row.suite_id)
        .bind(user_id)
        .bind(row.cron)
        .bind(row.timezone)
        .bind(row.environment)
        .bind(row.webhook_url.filter(|u| !u.is_empty()))
        .bind(i64::from(row.enabled))
        .bind(row.next_at as i64)
        .bind(now_ms() as i64)
        .fetch_one(&self.pool)
        .await?
        .get(0);
        Ok(id)
    }

    /// Changes the user's schedule `id`; `false` when they have none by that id.
    pub async fn update_schedule(
        &self,
        user_id: i64,
        id: i64,
        row: &ScheduleRow<'_>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE schedules SET suite_id = $1, cron = $2, timezone = $3, environment = $4, \
             webhook_url = $5, \
             enabled = $6, next_at = $7, last_error = NULL WHERE id = $8 AND user_id = $9",
        )
        .bind(row.suite_id)
        .bind(row.cron)
        .bind(row.timezone)
        .bind(row.environment)
        .bind(row.webhook_url.filter(|u| !u.is_empty()))
        .bind(i64::from(row.enabled))
        .bind(row.next_at as i64)
        .bind(id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the user's schedule `id` (its runs stay in the history); `false` if there was none.
    pub async fn delete_schedule(&self, user_id: i64, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM schedules WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Claims a fire that starts no run (refused, or nothing to run) and says why; `false` when
    /// another node claimed it first.
    pub async fn skip_fire(&self, claim: FireClaim, why: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE schedules SET next_at = $1, last_error = $2 WHERE id = $3 AND next_at = $4",
        )
        .bind(claim.next_at as i64)
        .bind(why)
        .bind(claim.schedule_id)
        .bind(claim.due_at as i64)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The runs a schedule started: id, the fire they belong to, status; in fire order.
    pub async fn fires_of(&self, schedule_id: i64) -> Result<Vec<(String, u64, RunStatus)>> {
        let rows = sqlx::query(
            "SELECT id, scheduled_for, status FROM runs WHERE schedule_id = $1 ORDER BY scheduled_for",
        )
        .bind(schedule_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let status = RunStatus::parse(&r.get::<String, _>("status"))?;
                Some((r.get("id"), r.get::<i64, _>("scheduled_for") as u64, status))
            })
            .collect())
    }

    /// Records a problem with a schedule that is not about a fire (its webhook failed).
    pub async fn note_schedule_problem(&self, id: i64, why: &str) -> Result<()> {
        sqlx::query("UPDATE schedules SET last_error = $1 WHERE id = $2")
            .bind(why)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Turns a schedule off, saying why (its pattern can no longer be read).
    pub async fn disable_schedule(&self, id: i64, why: &str) -> Result<()> {
        sqlx::query("UPDATE schedules SET enabled = 0, last_error = $1 WHERE id = $2")
            .bind(why)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Finished scheduled runs not yet looked at for alerts, in fire order, each only once every
    /// earlier run of its schedule has been (so fail and recover are judged in order).
    pub async fn unalerted_runs(&self, limit: u32) -> Result<Vec<Unalerted>> {
        let rows = sqlx::query(
            "SELECT r.id, r.schedule_id, r.scheduled_for, r.status FROM runs r \
             WHERE r.schedule_id IS NOT NULL AND r.alert IS NULL \
             AND r.status NOT IN ('queued', 'running') \
             AND NOT EXISTS (SELECT 1 FROM runs e WHERE e.schedule_id = r.schedule_id \
                 AND e.alert IS NULL AND e.scheduled_for < r.scheduled_for) \
             ORDER BY r.scheduled_for LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(Unalerted {
                    run_id: r.get("id"),
                    schedule_id: r.get("schedule_id"),
                    scheduled_for: r.get::<i64, _>("scheduled_for") as u64,
                    status: RunStatus::parse(&r.get::<String, _>("status"))?,
                })
            })
            .collect())
    }

    /// The status of the schedule's latest run before `before` that passed or failed (cancelled
    /// runs say nothing about the target), among those already judged.
    pub async fn previous_outcome(
        &self,
        schedule_id: i64,
        before: u64,
    ) -> Result<Option<RunStatus>> {
        let status: Option<String> = sqlx::query_scalar(
            "SELECT status FROM runs WHERE schedule_id = $1 AND scheduled_for < $2 \
             AND alert IS NOT NULL AND status IN ('completed', 'failed', 'interrupted') \
             ORDER BY scheduled_for DESC LIMIT 1",
        )
        .bind(schedule_id)
        .bind(before as i64)
        .fetch_optional(&self.pool)
        .await?;
        Ok(status.as_deref().and_then(RunStatus::parse))
    }

    /// Records what a run's outcome meant (`failed`, `recovered`, `none`); `false` when another
    /// node recorded it first (and calls the webhook).
    pub async fn claim_alert(&self, run_id: &str, alert: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE runs SET alert = $1 WHERE id = $2 AND alert IS NULL")
            .bind(alert)
            .bind(run_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
