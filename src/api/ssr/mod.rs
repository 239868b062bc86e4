//! Server-side bodies of the server functions, by topic: [`session`] (sign in and out, who is
//! asking), [`runs`] (start, restart, cancel, read, list), [`suites`] (check, save, read, run) and
//! [`rooms`]. They read the [`ApiState`] from Leptos context (provided by the router for pages and
//! server-function calls alike) and the request from `leptos_axum::extract`.

pub mod rooms;
pub mod runs;
pub mod session;
pub mod suites;

use std::sync::Arc;

use axum::http::StatusCode;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tracing::error;

use super::ApiError;
use crate::{auth::Keys, runs::Runs, store::Store};
pub use session::current_user;

/// What the server functions work with. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub store: Store,
    pub keys: Arc<Keys>,
    pub runs: Runs,
    /// Mark the session cookie `Secure`.
    pub secure_cookies: bool,
}

fn state() -> Result<ApiState, ApiError> {
    use_context::<ApiState>().ok_or_else(|| {
        error!("ApiState missing from the server function context");
        ApiError::Internal
    })
}

/// Records the error's HTTP status on the response (for API clients) and returns it.
fn fail(err: ApiError) -> ApiError {
    let status = match &err {
        ApiError::Unauthorized | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
        ApiError::NotFound => StatusCode::NOT_FOUND,
        ApiError::BadRequest(_) | ApiError::InvalidSuite(_) => StatusCode::BAD_REQUEST,
        ApiError::Internal | ApiError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
    }
    err
}

/// Logs a database failure; the client learns only that something went wrong.
fn internal(what: &str, e: sqlx::Error) -> ApiError {
    error!(error = %e, "{what}");
    fail(ApiError::Internal)
}
