//! Stored suites and their versions. A suite belongs to the user who created it; saving adds a version
//! (the text is only ever saved after it validated, so every stored version is runnable). A suite can
//! be shared into rooms: their members may read and run it, their admins save new versions too.

use sqlx::{any::AnyRow, Row};

use super::{Backend, Result, Store};
use crate::{
    clock::now_ms,
    protocol::api::{SuiteInfo, SuiteVersionInfo},
};

/// `s` is visible to user `$1`: theirs, or shared into a room they are in.
const VISIBLE: &str = "(s.user_id = $1 OR EXISTS (SELECT 1 FROM suite_rooms sr \
     JOIN room_members m ON m.room_id = sr.room_id WHERE sr.suite_id = s.id AND m.user_id = $1))";
/// `s` may be saved by user `$1`: theirs, or shared into a room they administer.
const EDITABLE: &str = "(s.user_id = $1 OR EXISTS (SELECT 1 FROM suite_rooms sr \
     JOIN room_members m ON m.room_id = sr.room_id WHERE sr.suite_id = s.id AND m.user_id = $1 \
     AND m.role = 'admin'))";

/// The columns [`info_from_row`] reads, for user `$1`.
fn info_columns(backend: Backend) -> String {
    let concat = match backend {
        Backend::Sqlite => "group_concat(r.name, ',')",
        Backend::Postgres => "string_agg(r.name, ',')",
    };
    format!(
        "s.id, s.name, s.updated_at, u.username AS owner, \
         CASE WHEN {EDITABLE} THEN 1 ELSE 0 END AS editable, \
         (SELECT MAX(version) FROM suite_versions v WHERE v.suite_id = s.id) AS version, \
         (SELECT {concat} FROM suite_rooms sr JOIN rooms r ON r.id = sr.room_id \
          WHERE sr.suite_id = s.id) AS rooms"
    )
}

fn info_from_row(r: &AnyRow) -> SuiteInfo {
    SuiteInfo {
        id: r.get("id"),
        name: r.get("name"),
        version: r.get::<Option<i64>, _>("version").unwrap_or(0),
        updated_at: r.get::<i64, _>("updated_at") as u64,
        owner: r.get("owner"),
        rooms: r
            .get::<Option<String>, _>("rooms")
            .map(|rooms| rooms.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        editable: r.get::<i64, _>("editable") != 0,
    }
}

impl Store {
    /// Saves `text` as the next version of suite `id` (which the user may edit), or as a new suite of
    /// theirs. Returns the suite's id and the new version, or `None` when `id` is not one they may edit.
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
                let updated = sqlx::query(&format!(
                    "UPDATE suites AS s SET name = $2, updated_at = $3 WHERE s.id = $4 AND {EDITABLE}"
                ))
                .bind(user_id)
                .bind(name)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Ok(None);
                }
                id
            }
            None => sqlx::query(
                "INSERT INTO suites (user_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4) RETURNING id",
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
             SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3 FROM suite_versions WHERE suite_id = $4 \
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

    /// The suites the user may see (theirs and their rooms'), most recently saved first.
    pub async fn suites_of(&self, user_id: i64) -> Result<Vec<SuiteInfo>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM suites s JOIN users u ON u.id = s.user_id WHERE {VISIBLE} \
             ORDER BY s.updated_at DESC",
            info_columns(self.backend)
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(info_from_row).collect())
    }

    /// The suites shared into a room, as `user_id` sees them.
    pub async fn suites_in_room(&self, user_id: i64, room: &str) -> Result<Vec<SuiteInfo>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM suites s JOIN users u ON u.id = s.user_id \
             JOIN suite_rooms sr ON sr.suite_id = s.id JOIN rooms r ON r.id = sr.room_id \
             WHERE r.name = $2 ORDER BY s.name",
            info_columns(self.backend)
        ))
        .bind(user_id)
        .bind(room)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(info_from_row).collect())
    }

    /// The id of the most recently saved suite called `name` that the user may see.
    pub async fn suite_id_by_name(&self, user_id: i64, name: &str) -> Result<Option<i64>> {
        let row = sqlx::query(&format!(
            "SELECT s.id FROM suites s WHERE s.name = $2 AND {VISIBLE} ORDER BY s.updated_at DESC LIMIT 1"
        ))
        .bind(user_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.get("id")))
    }

    /// One version of a suite the user may see (the latest when `version` is `None`): what lists
    /// show of it, its text, and every version's number and date, newest first.
    pub async fn suite_version(
        &self,
        user_id: i64,
        id: i64,
        version: Option<i64>,
    ) -> Result<Option<(SuiteInfo, String, Vec<SuiteVersionInfo>)>> {
        let Some(head) = sqlx::query(&format!(
            "SELECT {} FROM suites s JOIN users u ON u.id = s.user_id WHERE s.id = $2 AND {VISIBLE}",
            info_columns(self.backend)
        ))
        .bind(user_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let versions: Vec<SuiteVersionInfo> = sqlx::query(
            "SELECT version, created_at FROM suite_versions WHERE suite_id = $1 ORDER BY version DESC",
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
            sqlx::query("SELECT text FROM suite_versions WHERE suite_id = $1 AND version = $2")
                .bind(id)
                .bind(version)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let info = SuiteInfo {
            version,
            ..info_from_row(&head)
        };
        Ok(Some((info, row.get("text"), versions)))
    }

    /// Shares the owner's suite into a room they are a member of (or stops sharing it). Returns
    /// whether the suite is theirs and the room one of theirs.
    pub async fn share_suite(
        &self,
        user_id: i64,
        suite_id: i64,
        room: &str,
        shared: bool,
    ) -> Result<bool> {
        let allowed = sqlx::query(
            "SELECT r.id FROM suites s, rooms r JOIN room_members m ON m.room_id = r.id \
             WHERE s.id = $1 AND s.user_id = $2 AND r.name = $3 AND m.user_id = $4",
        )
        .bind(suite_id)
        .bind(user_id)
        .bind(room)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(room_id) = allowed.map(|r| r.get::<i64, _>("id")) else {
            return Ok(false);
        };
        let sql = if shared {
            "INSERT INTO suite_rooms (suite_id, room_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM suite_rooms WHERE suite_id = ? AND room_id = ?"
        };
        sqlx::query(sql)
            .bind(suite_id)
            .bind(room_id)
            .execute(&self.pool)
            .await?;
        Ok(true)
    }
}
