//! The caller's own account: what the sign-in page may say, self-registration (when an admin opened
//! it), changing one's password, and personal access tokens for CI.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr;
use super::{
    codec::{Form, Json},
    ApiError,
};
use crate::protocol::api::{NewToken, SiteInfo, TokenInfo, UserInfo};

/// Whether the demo account exists and whether anyone may register (for the sign-in page).
#[server(endpoint = "site", input = Form, output = Json)]
pub async fn get_site_info() -> Result<SiteInfo, ApiError> {
    ssr::account::site_info().await
}

/// Creates a member account and signs it in, when self-registration is open.
#[server(endpoint = "register", input = Form, output = Json)]
pub async fn register(username: String, password: String) -> Result<UserInfo, ApiError> {
    ssr::account::register(username, password).await
}

/// Changes the caller's password. Every other session of theirs ends; this browser gets a new one.
#[server(endpoint = "change_password", input = Form, output = Json)]
pub async fn change_password(current: String, new: String) -> Result<(), ApiError> {
    ssr::account::change_password(current, new).await
}

/// The caller's personal access tokens, newest first.
#[server(endpoint = "tokens", input = Form, output = Json)]
pub async fn list_tokens() -> Result<Vec<TokenInfo>, ApiError> {
    ssr::account::list_tokens().await
}

/// Creates a token named `name`, valid `days` days, with the `read` scope and, with `run`, the `run`
/// scope. Its secret is in the answer and never shown again.
#[server(endpoint = "create_token", input = Form, output = Json)]
pub async fn create_token(
    name: String,
    days: u32,
    run: Option<bool>,
) -> Result<NewToken, ApiError> {
    ssr::account::create_token(name, days, run.unwrap_or(false)).await
}

/// Revokes one of the caller's tokens; sockets opened with it close.
#[server(endpoint = "revoke_token", input = Form, output = Json)]
pub async fn revoke_token(id: i64) -> Result<(), ApiError> {
    ssr::account::revoke_token(id).await
}
