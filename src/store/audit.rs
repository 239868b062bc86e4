//! The audit log: who did what, from where and when, and the settings an admin may change live.
//! An entry never holds a secret or a password; callers pass names and ids only.

use sqlx::{any::AnyRow, Row};

use super::{Backend, Result, Store};
use crate::{clock::now_ms, protocol::api::AuditRecord};

/// Which entries to read: newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from_ms: Option<u64>,
    pub until_ms: Option<u64>,
    pub limit: u32,
}

fn entry_from_row(r: AnyRow) -> AuditRecord {
    AuditRecord {
        at: r.get::<i64, _>("at") as u64,
        actor: r.get("actor"),
        ip: r.get("ip"),
        action: r.get("action"),
        target: r.get("target"),
        detail: r.get("detail"),
    }
}

impl Store {
    /// Appends an entry by `actor_id` (none for a failed sign-in); a time of 0 means now.
    pub async fn audit(&self, actor_id: Option<i64>, entry: &AuditRecord) -> Result<()> {
        let at = if entry.at == 0 { now_ms() } else { entry.at };
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor, ip, action, target, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(at as i64)
        .bind(actor_id)
        .bind(&entry.actor)
        .bind(&entry.ip)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(&entry.detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let from = q.from_ms.map(|t| t as i64);
        let until = q.until_ms.map(|t| t as i64);
        let rows = sqlx::query(
            "SELECT at, actor, ip, action, target, detail FROM audit_log \
             WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR action = $2) \
             AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4) \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(&q.actor)
        .bind(&q.action)
        .bind(from)
        .bind(until)
        .bind(i64::from(q.limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(entry_from_row).collect())
    }

    /// A live setting's value, if set.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get("value")))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A live setting's value; `value` is stored first if the key has none (the first node to ask
    /// decides, every other one reads the same).
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(self.setting(key).await?.unwrap_or_else(|| value.to_owned()))
    }

    /// The database's size in bytes, for the admin page.
    pub async fn database_bytes(&self) -> Result<u64> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()"
            }
            Backend::Postgres => "SELECT pg_database_size(current_database()) AS bytes",
        };
        let row = sqlx::query(sql).fetch_one(&self.pool).await?;
        Ok(row.get::<i64, _>("bytes") as u64)
    }
}
