//! Personal access tokens: a name, scopes, an expiry, and the SHA-256 of the secret (never the secret).

use sqlx::{any::AnyRow, Row};

use super::{Result, Store};
use crate::clock::now_ms;

/// A token's row.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// `read` or `read,run`.
    pub scopes: String,
    pub created_at: u64,
    pub expires_at: u64,
    pub last_used_at: Option<u64>,
    pub revoked_at: Option<u64>,
}

const TOKEN_COLUMNS: &str =
    "id, user_id, name, scopes, created_at, expires_at, last_used_at, revoked_at";

fn token_from_row(r: AnyRow) -> TokenRecord {
    let millis = |name: &str| r.get::<Option<i64>, _>(name).map(|t| t as u64);
    TokenRecord {
        id: r.get("id"),
        user_id: r.get("user_id"),
        name: r.get("name"),
        scopes: r.get("scopes"),
        created_at: r.get::<i64, _>("created_at") as u64,
        expires_at: r.get::<i64, _>("expires_at") as u64,
        last_used_at: millis("last_used_at"),
        revoked_at: millis("revoked_at"),
    }
}

impl Store {
    pub async fn create_token(
        &self,
        user_id: i64,
        name: &str,
        secret_hash: &str,
        scopes: &str,
        expires_at: u64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, secret_hash, scopes, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(secret_hash)
        .bind(scopes)
        .bind(now_ms() as i64)
        .bind(expires_at as i64)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get("id"))
    }

    /// The token with this secret hash, revoked or expired ones included (the caller judges).
    pub async fn token_by_hash(&self, secret_hash: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE secret_hash = $1"
        ))
        .bind(secret_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(token_from_row))
    }

    /// Notes a use, at most about once a minute per token (a CI job calls many times).
    pub async fn touch_token(&self, id: i64) -> Result<()> {
        let now = now_ms() as i64;
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 \
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now)
        .bind(id)
        .bind(now - 60_000)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user's tokens, newest first.
    pub async fn tokens_of(&self, user_id: i64) -> Result<Vec<TokenRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(token_from_row).collect())
    }

    /// Revokes one of the user's tokens; returns whether one was revoked now.
    pub async fn revoke_token(&self, user_id: i64, id: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now_ms() as i64)
        .bind(id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
