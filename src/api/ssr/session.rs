//! Sign in, sign out, and who is asking.

use axum::http::{header, HeaderMap};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tracing::{error, info};

use super::{fail, state};
use crate::{
    api::ApiError,
    auth::{self, AuthUser},
    protocol::api::UserInfo,
};

/// The user behind the current request, from the session cookie; 401 without one.
pub async fn current_user() -> Result<AuthUser, ApiError> {
    session_user()
        .await?
        .ok_or_else(|| fail(ApiError::Unauthorized))
}

/// The user behind the current request, if its session cookie is valid.
pub async fn session_user() -> Result<Option<AuthUser>, ApiError> {
    let state = state()?;
    let headers: HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| ApiError::Internal)?;
    Ok(state.keys.from_headers(&headers).ok())
}

pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<UserInfo, ApiError> {
    let state = state()?;
    let username = username.trim().to_owned();
    if username.is_empty() || password.is_empty() || username.len() > 64 || password.len() > 1024 {
        return Err(fail(ApiError::BadCredentials));
    }
    let user = state.store.user_by_name(&username).await.map_err(|e| {
        error!(error = %e, "user lookup failed");
        fail(ApiError::Internal)
    })?;
    // Verify against a real hash even for unknown users, so timing does not tell which names exist.
    let phc = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_owned());
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &phc))
        .await
        .unwrap_or(false);
    let user = match user {
        Some(user) if ok => user,
        _ => {
            info!(%username, "failed login");
            return Err(fail(ApiError::BadCredentials));
        }
    };
    let token = state.keys.issue(user.id, &user.username).map_err(|e| {
        error!(error = %e, "could not sign a token");
        fail(ApiError::Internal)
    })?;
    let response = expect_context::<ResponseOptions>();
    response.insert_header(
        header::SET_COOKIE,
        auth::session_cookie(&token, state.keys.ttl_secs(), state.secure_cookies),
    );
    info!(user = user.id, "logged in");
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(UserInfo {
        id: user.id,
        username: user.username,
    })
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

/// An argon2id hash of a random password, checked when the username is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2cQ6Vn9r8hq6hZLJ7m0F3j0U9n8w6xw8m0cX4xk0Z1Y";

pub fn logout() {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.insert_header(header::SET_COOKIE, auth::clear_session_cookie());
    }
    leptos_axum::redirect("/login");
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

    #[test]
    fn the_dummy_hash_is_a_real_argon2_hash() {
        use argon2::password_hash::PasswordHash;
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!auth::verify_password("anything", DUMMY_HASH));
    }
}
