//! Sign in, sign out, and who is asking.

use axum::http::{header, HeaderMap};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tracing::{error, info};

use super::{account_error, audit, client_ip, fail, internal, plain_form_post, state, ApiState};
use crate::{
    accounts::AuthFailure,
    api::ApiError,
    auth::{self, AuthUser},
    protocol::api::UserInfo,
};

/// The user behind the current request (session cookie or bearer token); 401 without one.
pub async fn current_user() -> Result<AuthUser, ApiError> {
    session_user()
        .await?
        .ok_or_else(|| fail(ApiError::Unauthorized))
}

/// The user behind the current request, if its credential is valid.
pub async fn session_user() -> Result<Option<AuthUser>, ApiError> {
    let state = state()?;
    let headers: HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| ApiError::Internal)?;
    match state.accounts.from_headers(&headers).await {
        Ok(user) => Ok(Some(user)),
        Err(AuthFailure::Unauthenticated(_)) => Ok(None),
        Err(AuthFailure::Database(e)) => Err(internal("session lookup failed", e)),
    }
}

pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<UserInfo, ApiError> {
    let state = state()?;
    let username = username.trim().to_owned();
    let ip = client_ip(state.trust_proxy).await;
    let headers: HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| ApiError::Internal)?;
    let device = auth::device_token(&headers);
    let signed_in = state
        .accounts
        .login(&username, &password, ip, device.as_deref())
        .await;
    let (user, token) = match signed_in {
        Ok(signed_in) => signed_in,
        Err(e) => {
            // The name as tried, escaped and cut short: a log line must not be forged through it.
            let tried: String = username.chars().take(64).collect();
            info!(username = ?tried, "failed login");
            audit(
                &state,
                None,
                &tried,
                "login_failed",
                None,
                Some(e.to_string()),
            )
            .await;
            return Err(account_error(e));
        }
    };
    start_session(&state, &token, &user.username);
    info!(user = user.id, "logged in");
    audit(&state, Some(&user), &user.username, "login", None, None).await;
    if plain_form_post() {
        leptos_axum::redirect(&safe_next(next.as_deref()));
    }
    Ok(UserInfo {
        id: user.id,
        username: user.username,
        role: user.role,
    })
}

/// Sets the session cookie on the response, and the device cookie that lets this browser sign in
/// as `username` while strangers' failures lock the name (renewed at each sign-in).
pub(super) fn start_session(state: &ApiState, token: &str, username: &str) {
    let response = expect_context::<ResponseOptions>();
    response.insert_header(
        header::SET_COOKIE,
        auth::session_cookie(
            token,
            state.accounts.keys().ttl_secs(),
            state.secure_cookies,
        ),
    );
    match state.accounts.keys().issue_device(username) {
        Ok(device) => response.append_header(
            header::SET_COOKIE,
            auth::device_cookie(&device, state.secure_cookies),
        ),
        Err(e) => error!(error = %e, "could not sign a device token"),
    }
}

/// Only local paths are followed after login, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        // Printable ASCII only: the path becomes a `Location` header value.
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && p.len() <= 512
                && p.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Signs out everywhere: every session of the user ends and their open sockets close.
pub async fn logout() -> Result<(), ApiError> {
    let state = state()?;
    if let Some(user) = session_user().await? {
        if let Err(e) = state.accounts.end_sessions(user.id).await {
            error!(error = %e, "could not end the sessions");
            return Err(account_error(e));
        }
        audit(&state, Some(&user), &user.username, "logout", None, None).await;
    }
    if let Some(response) = use_context::<ResponseOptions>() {
        response.insert_header(
            header::SET_COOKIE,
            auth::clear_session_cookie(state.secure_cookies),
        );
    }
    if plain_form_post() {
        leptos_axum::redirect("/login");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/tests/demo?run=1")), "/tests/demo?run=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/a\nb",
            "/é",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
