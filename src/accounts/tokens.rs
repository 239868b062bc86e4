//! Personal access tokens of an account: create one (the secret shown once), list, revoke, and
//! authenticate a request that carries one.

use super::{AccountError, Accounts, AuthFailure, Subject, MAX_TOKEN_DAYS};
use crate::{
    auth::{hash_token_secret, new_token_secret, AuthError, AuthUser, Credential, TokenScopes},
    clock::now_ms,
    store::TokenRecord,
};

impl Accounts {
    pub(super) async fn authenticate_token(&self, secret: &str) -> Result<AuthUser, AuthFailure> {
        let store = self.store();
        let token = store
            .token_by_hash(&hash_token_secret(secret))
            .await?
            .filter(|t| t.revoked_at.is_none() && t.expires_at > now_ms())
            .ok_or(AuthError::Revoked)?;
        let user = store
            .user_by_id(token.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(AuthError::Revoked)?;
        if let Err(e) = store.touch_token(token.id).await {
            tracing::warn!(error = %e, "could not note a token's use");
        }
        Ok(AuthUser {
            id: user.id,
            username: user.username,
            role: user.role,
            expires_at: token.expires_at / 1000,
            credential: Credential::Token {
                id: token.id,
                scopes: TokenScopes::parse(&token.scopes).unwrap_or_default(),
            },
        })
    }

    /// A new personal access token: its row and the secret, which is shown once and never again.
    pub async fn create_token(
        &self,
        user: &AuthUser,
        name: &str,
        scopes: TokenScopes,
        days: u32,
    ) -> Result<(TokenRecord, String), AccountError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 {
            return Err(AccountError::Invalid(
                "a token's name is 1–64 characters".into(),
            ));
        }
        if !(1..=MAX_TOKEN_DAYS).contains(&days) {
            return Err(AccountError::Invalid(format!(
                "a token lives 1–{MAX_TOKEN_DAYS} days"
            )));
        }
        let secret = new_token_secret();
        let expires_at = now_ms() + u64::from(days) * 86_400_000;
        let store = self.store();
        let id = store
            .create_token(
                user.id,
                name,
                &hash_token_secret(&secret),
                scopes.as_str(),
                expires_at,
            )
            .await?;
        let record = store
            .tokens_of(user.id)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(AccountError::NotFound)?;
        Ok((record, secret))
    }

    pub async fn tokens(&self, user: &AuthUser) -> Result<Vec<TokenRecord>, AccountError> {
        Ok(self.store().tokens_of(user.id).await?)
    }

    pub async fn revoke_token(&self, user: &AuthUser, id: i64) -> Result<(), AccountError> {
        if !self.store().revoke_token(user.id, id).await? {
            return Err(AccountError::NotFound);
        }
        self.changed(Subject::Token(id));
        Ok(())
    }
}
