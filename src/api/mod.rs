//! Server functions: the typed calls the UI makes (login, logout, start a test, read a run).
//!
//! The signatures compile for both sides; the bodies run only on the server. Every function has a fixed
//! `endpoint` under `/api/` so other clients (the integration tests, curl) can call it too: arguments
//! as form fields, results as JSON. Errors are [`ApiError`], whose messages are safe to show.

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

use crate::protocol::RunSnapshot;

#[cfg(feature = "ssr")]
mod ssr;

/// What a server function can fail with, as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    #[error("please sign in")]
    Unauthorized,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("something went wrong on the server; please try again")]
    Internal,
    /// A suite was refused; each entry says where and why (`line 12, steps[2].checks.status: …`).
    #[error("the suite is invalid: {}", .0.join("; "))]
    InvalidSuite(Vec<String>),
    /// The call did not reach the server or its answer was unreadable.
    #[error("could not reach the server ({0})")]
    Transport(String),
}

impl leptos::server_fn::error::FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(m) | E::MissingArg(m) => ApiError::BadRequest(m),
            E::ServerError(_) | E::MiddlewareError(_) | E::Registration(_) => ApiError::Internal,
            other => ApiError::Transport(other.to_string()),
        }
    }
}

/// The signed-in user, as pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: i64,
    pub username: String,
}

/// A test the user can start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestSummary {
    pub key: String,
    pub name: String,
    pub description: String,
    /// Each step's name, e.g. "GET /demo/items".
    pub steps: Vec<String>,
}

/// A run in the user's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub test_key: String,
    pub created_at: u64,
    pub snapshot: RunSnapshot,
}

/// Checks the password and sets the session cookie (HttpOnly, SameSite=Strict), then sends the browser
/// to `next` (a local path) or the home page.
#[server(endpoint = "login")]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<UserInfo, ApiError> {
    ssr::login(username, password, next).await
}

/// Clears the session cookie and sends the browser to the login page.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    ssr::logout();
    Ok(())
}

/// The signed-in user, or `None`.
#[server(endpoint = "me")]
pub async fn me() -> Result<Option<UserInfo>, ApiError> {
    Ok(ssr::session_user().await?.map(|u| UserInfo {
        id: u.id,
        username: u.username,
    }))
}

/// The tests the user can start.
#[server(endpoint = "tests")]
pub async fn list_tests() -> Result<Vec<TestSummary>, ApiError> {
    ssr::current_user().await?;
    Ok(ssr::catalogue())
}

/// Starts a run of test `key` (in `room`, whose members will see it, if given). `delay_ms` slows the
/// demo target; `events` and `rate` shape a synthetic run. The browser is sent to the run's page.
#[server(endpoint = "start_test")]
pub async fn start_test(
    key: String,
    delay_ms: Option<u32>,
    events: Option<u32>,
    rate: Option<u32>,
    step_results: Option<bool>,
    room: Option<String>,
) -> Result<RunSnapshot, ApiError> {
    let options = ssr::RunParams {
        delay_ms,
        events,
        rate,
        step_results,
    };
    ssr::start_test(key, options, room).await
}

/// Creates a room with the caller as its first member.
#[server(endpoint = "create_room")]
pub async fn create_room(name: String) -> Result<(), ApiError> {
    ssr::create_room(name).await
}

/// Adds a user to a room the caller is a member of.
#[server(endpoint = "add_room_member")]
pub async fn add_room_member(room: String, username: String) -> Result<(), ApiError> {
    ssr::add_room_member(room, username).await
}

/// The rooms the caller is a member of.
#[server(endpoint = "rooms")]
pub async fn my_rooms() -> Result<Vec<String>, ApiError> {
    ssr::my_rooms().await
}

/// Validates a suite (YAML or JSON, see docs/suites.md) and starts a run of it (in `room`, if given).
/// An invalid suite is refused with every problem found; nothing is run.
#[server(endpoint = "run_suite")]
pub async fn run_suite(suite: String, room: Option<String>) -> Result<RunSnapshot, ApiError> {
    ssr::run_suite(suite, room).await
}

/// Starts the same test again (same options, same room); the browser is sent to the new run.
#[server(endpoint = "restart_test")]
pub async fn restart_test(test_id: String) -> Result<RunSnapshot, ApiError> {
    ssr::restart_test(test_id).await
}

/// Cancels one of the user's runs in progress.
#[server(endpoint = "cancel_test")]
pub async fn cancel_test(test_id: String) -> Result<(), ApiError> {
    ssr::cancel_test(test_id).await
}

/// A run's current state (live if running, stored otherwise).
#[server(endpoint = "run")]
pub async fn get_run(test_id: String) -> Result<RunSnapshot, ApiError> {
    ssr::get_run(test_id).await
}

/// The user's recent runs, newest first.
#[server(endpoint = "runs")]
pub async fn recent_runs() -> Result<Vec<RunSummary>, ApiError> {
    ssr::recent_runs().await
}

/// Longest step delay the UI offers (the demo target caps it too).
pub const MAX_DELAY_MS: u32 = 5_000;

/// Whether a room name is acceptable: 1–64 letters, digits, `-` or `_`.
pub fn valid_room_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
