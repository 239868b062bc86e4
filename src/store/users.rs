//! Accounts: name, password hash, role, whether disabled, and the token version that ends every
//! session of the user when it is raised.

use sqlx::{any::AnyRow, Row};

use super::{Result, Store};
use crate::{clock::now_ms, protocol::api::Role};

/// A user as the rest of the server sees it.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub token_version: i64,
    pub created_at: u64,
}

const USER_COLUMNS: &str = "id, username, password_hash, role, disabled, token_version, created_at";

fn user_from_row(r: AnyRow) -> UserRecord {
    UserRecord {
        id: r.get("id"),
        username: r.get("username"),
        password_hash: r.get("password_hash"),
        // An unknown role in a row is read as the least privileged one.
        role: Role::parse(r.get("role")).unwrap_or(Role::Viewer),
        disabled: r.get::<i64, _>("disabled") != 0,
        token_version: r.get("token_version"),
        created_at: r.get::<i64, _>("created_at") as u64,
    }
}

impl Store {
    /// The account with this name, in any letter case (names are unique regardless of case).
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE lower(username) = lower($1)"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(user_from_row))
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(user_from_row))
    }

    /// Every account, by name (in any letter case).
    pub async fn users(&self) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY lower(username), id"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(user_from_row).collect())
    }

    /// Adds a user; `None` when the name is taken, in any letter case.
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<Option<i64>> {
        let row = sqlx::query(
            "INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(username)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(now_ms() as i64)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.get("id")))
    }

    /// Inserts a member unless one with that name exists. Returns whether a row was added.
    pub async fn create_user_if_missing(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<bool> {
        Ok(self
            .create_user(username, password_hash, Role::Member)
            .await?
            .is_some())
    }

    /// Sets a new password hash and ends every session. Returns whether the user exists.
    pub async fn set_password(&self, id: i64, password_hash: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, token_version = token_version + 1 WHERE id = $2",
        )
        .bind(password_hash)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_role(&self, id: i64, role: Role) -> Result<bool> {
        let done = sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Disables (ending every session) or enables an account.
    pub async fn set_disabled(&self, id: i64, disabled: bool) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET disabled = $1, \
             token_version = token_version + CASE WHEN $1 = 1 THEN 1 ELSE 0 END WHERE id = $2",
        )
        .bind(i64::from(disabled))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends every session of the user; returns the new token version.
    pub async fn bump_token_version(&self, id: i64) -> Result<Option<i64>> {
        let row = sqlx::query(
            "UPDATE users SET token_version = token_version + 1 WHERE id = $1 RETURNING token_version",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.get("token_version")))
    }

    /// Admins whose accounts are enabled.
    pub async fn active_admins(&self) -> Result<i64> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0")
                .fetch_one(&self.pool)
                .await?;
        Ok(row.get("n"))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use sqlx::migrate::Migrator;

    use super::*;

    /// Accounts whose names differ only in case, made before usernames ignored case, are renamed by
    /// the migration (the oldest keeps its name); after it, lookups and new names ignore case.
    #[tokio::test]
    async fn usernames_that_differ_only_in_case_name_one_account() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("old.db");
        // The schema as it was before migration 0009.
        let before = dir.path().join("migrations");
        std::fs::create_dir(&before).unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        for entry in std::fs::read_dir(&source).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            if name.as_str() < "0009" {
                std::fs::copy(entry.path(), before.join(&name)).unwrap();
            }
        }
        {
            sqlx::any::install_default_drivers();
            let url = format!("sqlite://{}?mode=rwc", db.display());
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            Migrator::new(before.as_path())
                .await
                .unwrap()
                .run(&pool)
                .await
                .unwrap();
            for name in ["alice", "Alice", "ALICE", "bob"] {
                sqlx::query(
                    "INSERT INTO users (username, password_hash, created_at) VALUES ($1, 'x', 0)",
                )
                .bind(name)
                .execute(&pool)
                .await
                .unwrap();
            }
            pool.close().await;
        }

        let store = Store::open(&db).await.unwrap();
        let names: Vec<String> = store
            .users()
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        assert_eq!(names, ["alice", "Alice~2", "ALICE~3", "bob"]);

        let found = store.user_by_name("ALIce").await.unwrap().unwrap();
        assert_eq!(found.username, "alice");
        assert_eq!(
            store
                .user_by_name("alice~2")
                .await
                .unwrap()
                .unwrap()
                .username,
            "Alice~2"
        );
        assert!(store
            .create_user("BOB", "x", Role::Member)
            .await
            .unwrap()
            .is_none());
        assert!(store
            .create_user("carol", "x", Role::Member)
            .await
            .unwrap()
            .is_some());
        assert!(store.user_by_name("Carol").await.unwrap().is_some());
    }
}
