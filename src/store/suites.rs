//! Stored suites and their versions. A suite belongs to the user who created it; saving adds a version
//! (the text is only ever saved after it validated, so every stored version is runnable).

use sqlx::Row;

use super::{Result, Store};
use crate::{
    clock::now_ms,
    protocol::api::{SuiteInfo, SuiteVersionInfo},
};

impl Store {
    /// Saves `text` as the next version of suite `id` (which must be the user's), or as a new suite.
    /// Returns the suite's id and the new version, or `None` when `id` is not the user's suite.
    pub async fn save_suite(
        &self,
        user_id: i64,
        id: Option<i64>,
        name: &str,
        text: &str,
    ) -> Result<Option<(i64, i64)>> {
        let now = now_ms() as i64;
        let mut tx = self.pool.begin().await?;
        let id = match id {
            Some(id) => {
                let updated =
                    sqlx::query("UPDATE suites SET name = ?, updated_at = ? WHERE id = ? AND user_id = ?")
                        .bind(name)
                        .bind(now)
                        .bind(id)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                if updated.rows_affected() == 0 {
                    return Ok(None);
                }
                id
            }
            None => sqlx::query(
                "INSERT INTO suites (user_id, name, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
            )
            .bind(user_id)
            .bind(name)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
            .get("id"),
        };
        let version: i64 = sqlx::query(
            "INSERT INTO suite_versions (suite_id, version, text, created_at) \
             SELECT ?, COALESCE(MAX(version), 0) + 1, ?, ? FROM suite_versions WHERE suite_id = ? \
             RETURNING version",
        )
        .bind(id)
        .bind(text)
        .bind(now)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?
        .get("version");
        tx.commit().await?;
        Ok(Some((id, version)))
    }

    /// The user's suites, most recently saved first.
    pub async fn suites_of(&self, user_id: i64) -> Result<Vec<SuiteInfo>> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.updated_at, MAX(v.version) AS version FROM suites s \
             JOIN suite_versions v ON v.suite_id = s.id WHERE s.user_id = ? \
             GROUP BY s.id ORDER BY s.updated_at DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| SuiteInfo {
                id: r.get("id"),
                name: r.get("name"),
                version: r.get("version"),
                updated_at: r.get::<i64, _>("updated_at") as u64,
            })
            .collect())
    }

    /// One version of the user's suite (the latest when `version` is `None`): its name and text, and
    /// every version's number and date, newest first.
    pub async fn suite_version(
        &self,
        user_id: i64,
        id: i64,
        version: Option<i64>,
    ) -> Result<Option<(SuiteInfo, String, Vec<SuiteVersionInfo>)>> {
        let Some(head) =
            sqlx::query("SELECT name, updated_at FROM suites WHERE id = ? AND user_id = ?")
                .bind(id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let versions: Vec<SuiteVersionInfo> = sqlx::query(
            "SELECT version, created_at FROM suite_versions WHERE suite_id = ? ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| SuiteVersionInfo {
            version: r.get("version"),
            created_at: r.get::<i64, _>("created_at") as u64,
        })
        .collect();
        let Some(version) = version.or_else(|| versions.first().map(|v| v.version)) else {
            return Ok(None);
        };
        let Some(row) =
            sqlx::query("SELECT text FROM suite_versions WHERE suite_id = ? AND version = ?")
                .bind(id)
                .bind(version)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let info = SuiteInfo {
            id,
            name: head.get("name"),
            version,
            updated_at: head.get::<i64, _>("updated_at") as u64,
        };
        Ok(Some((info, row.get("text"), versions)))
    }
}
