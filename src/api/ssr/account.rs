//! The caller's own account: the sign-in page's facts, registration, password, tokens.

use super::{
    account_error, audit, client_ip, current_user, fail, internal, session::start_session, state,
};
use crate::{
    accounts::{AccountError, DEMO_USERNAME},
    api::ApiError,
    auth::{Credential, TokenScopes},
    protocol::api::{NewToken, Role, SiteInfo, TokenInfo, UserInfo},
    store::TokenRecord,
};

pub async fn site_info() -> Result<SiteInfo, ApiError> {
    site_info_of(&state()?).await
}

/// The sign-in page's facts, for a page the server is about to render (no server function context).
pub async fn site_info_of(state: &super::ApiState) -> Result<SiteInfo, ApiError> {
    let demo_account = state.demo
        && state
            .store
            .user_by_name(DEMO_USERNAME)
            .await
            .map_err(|e| internal("user lookup failed", e))?
            .is_some_and(|u| !u.disabled);
    let registration_open = state
        .accounts
        .registration_open()
        .await
        .map_err(account_error)?;
    Ok(SiteInfo {
        demo_account,
        registration_open,
    })
}

pub async fn register(username: String, password: String) -> Result<UserInfo, ApiError> {
    let state = state()?;
    if !state
        .accounts
        .registration_open()
        .await
        .map_err(account_error)?
    {
        return Err(fail(ApiError::Forbidden));
    }
    let username = username.trim().to_owned();
    // Registering counts as a sign-in attempt: one address cannot create accounts in a loop.
    let ip = client_ip(state.trust_proxy).await;
    state
        .accounts
        .throttle(ip, &username)
        .map_err(account_error)?;
    let id = state
        .accounts
        .create_user(&username, &password, Role::Member)
        .await
        .map_err(account_error)?;
    let (user, token) = state
        .accounts
        .login(&username, &password, ip, None)
        .await
        .map_err(account_error)?;
    start_session(&state, &token, &username);
    audit(
        &state,
        Some(&user),
        &username,
        "register",
        Some(format!("user {id}")),
        None,
    )
    .await;
    if super::plain_form_post() {
        leptos_axum::redirect("/");
    }
    Ok(UserInfo {
        id: user.id,
        username: user.username,
        role: user.role,
    })
}

pub async fn change_password(current: String, new: String) -> Result<(), ApiError> {
    let state = state()?;
    let user = current_user().await?;
    if !matches!(user.credential, Credential::Session { .. }) {
        return Err(fail(ApiError::Forbidden));
    }
    state
        .accounts
        .change_password(&user, &current, &new)
        .await
        .map_err(|e| match e {
            // Signed in already: what is wrong is the password typed, not who is asking.
            AccountError::BadCredentials => {
                fail(ApiError::BadRequest("the current password is wrong".into()))
            }
            e => account_error(e),
        })?;
    audit(
        &state,
        Some(&user),
        &user.username,
        "password_change",
        None,
        None,
    )
    .await;
    // Every session ended, this one too: give this browser a fresh one.
    let ip = client_ip(state.trust_proxy).await;
    let (_, token) = state
        .accounts
        .login(&user.username, &new, ip, None)
        .await
        .map_err(account_error)?;
    start_session(&state, &token, &user.username);
    Ok(())
}

fn token_info(t: TokenRecord) -> TokenInfo {
    TokenInfo {
        id: t.id,
        name: t.name,
        scopes: t.scopes,
        created_at: t.created_at,
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
        revoked: t.revoked_at.is_some(),
    }
}

/// Tokens are managed signed in, not with another token.
async fn signed_in() -> Result<crate::auth::AuthUser, ApiError> {
    let user = current_user().await?;
    match user.credential {
        Credential::Session { .. } => Ok(user),
        Credential::Token { .. } | Credential::Schedule { .. } => Err(fail(ApiError::Forbidden)),
    }
}

pub async fn list_tokens() -> Result<Vec<TokenInfo>, ApiError> {
    let user = signed_in().await?;
    let tokens = state()?
        .accounts
        .tokens(&user)
        .await
        .map_err(account_error)?;
    Ok(tokens.into_iter().map(token_info).collect())
}

pub async fn create_token(name: String, days: u32, run: bool) -> Result<NewToken, ApiError> {
    let state = state()?;
    let user = signed_in().await?;
    // A viewer's token never gets `run`: it could not use it anyway.
    let scopes = TokenScopes {
        run: run && user.role.may_run(),
    };
    let (record, secret) = state
        .accounts
        .create_token(&user, &name, scopes, days)
        .await
        .map_err(account_error)?;
    let detail = format!("{} ({}, {days} days)", record.name, record.scopes);
    let target = Some(format!("token {}", record.id));
    audit(
        &state,
        Some(&user),
        &user.username,
        "token_create",
        target,
        Some(detail),
    )
    .await;
    Ok(NewToken {
        info: token_info(record),
        secret,
    })
}

pub async fn revoke_token(id: i64) -> Result<(), ApiError> {
    let state = state()?;
    let user = signed_in().await?;
    state
        .accounts
        .revoke_token(&user, id)
        .await
        .map_err(account_error)?;
    let target = Some(format!("token {id}"));
    audit(
        &state,
        Some(&user),
        &user.username,
        "token_revoke",
        target,
        None,
    )
    .await;
    Ok(())
}
