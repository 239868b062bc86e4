//! Server functions: the typed calls the UI makes (sign in, start a test, save a suite, read a run),
//! and nothing else. The data they exchange is defined in [`crate::protocol::api`].
//!
//! The signatures compile for both sides; the bodies run only on the server, in `ssr`, split by
//! topic (sessions, runs, suites, rooms, accounts, administration). This file declares signing in,
//! runs and suites; [`account`], [`admin`] and [`rooms`] the rest. Every function has a fixed
//! `endpoint` under `/api/` so other clients (the integration tests, curl) can call it too: arguments
//! as form fields, results as JSON. Errors are [`ApiError`], whose messages are safe to show.

use leptos::prelude::*;

use self::codec::{Form, Json};
use crate::protocol::{
    api::{
        ImportPreview, RunRow, RunSummary, SuiteDetail, SuiteInfo, SuiteProblem, SuiteSaved,
        TestSummary, UserInfo,
    },
    RunSnapshot,
};

pub mod account;
pub mod admin;
mod codec;
mod error;
pub mod rooms;
pub mod schedules;
#[cfg(feature = "ssr")]
mod ssr;

pub use account::*;
pub use admin::*;
pub use error::ApiError;
pub use rooms::*;
pub use schedules::*;
#[cfg(feature = "ssr")]
pub use ssr::{look_up_page_data, page_runs, page_site, page_tests, page_user, ApiState, PageUser};

/// Checks the password and sets the session cookie (HttpOnly, SameSite=Strict), then sends the browser
/// to `next` (a local path) or the home page.
#[server(endpoint = "login", input = Form, output = Json)]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<UserInfo, ApiError> {
    ssr::session::login(username, password, next).await
}

/// Signs out everywhere (every session of the user ends, their sockets close), clears the cookie and
/// sends the browser to the login page.
#[server(endpoint = "logout", input = Form, output = Json)]
pub async fn logout() -> Result<(), ApiError> {
    ssr::session::logout().await
}

/// The signed-in user, or `None`.
#[server(endpoint = "me", input = Form, output = Json)]
pub async fn me() -> Result<Option<UserInfo>, ApiError> {
    Ok(ssr::session::session_user().await?.map(|u| UserInfo {
        id: u.id,
        username: u.username,
        role: u.role,
    }))
}

/// The tests the user can start.
#[server(endpoint = "tests", input = Form, output = Json)]
pub async fn list_tests() -> Result<Vec<TestSummary>, ApiError> {
    ssr::runs::list_tests().await
}

/// Starts a run of test `key` (in `room`, whose members will see it, if given). `delay_ms` slows the
/// demo target; `events` and `rate` shape a synthetic run. The browser is sent to the run's page.
#[server(endpoint = "start_test", input = Form, output = Json)]
pub async fn start_test(
    key: String,
    delay_ms: Option<u32>,
    events: Option<u32>,
    rate: Option<u32>,
    step_results: Option<bool>,
    room: Option<String>,
) -> Result<RunSnapshot, ApiError> {
    let options = ssr::runs::RunParams {
        delay_ms,
        events,
        rate,
        step_results,
    };
    ssr::runs::start_test(key, options, room).await
}

/// Validates a suite (YAML or JSON, see docs/suites.md) and starts a run of it (in `room`, if given).
/// An invalid suite is refused with every problem found; nothing is run.
#[server(endpoint = "run_suite", input = Form, output = Json)]
pub async fn run_suite(
    suite: String,
    room: Option<String>,
    environment: Option<String>,
) -> Result<RunSnapshot, ApiError> {
    ssr::suites::run_suite(suite, room, environment).await
}

/// Every problem in a suite text, without saving or running it (empty when it is valid).
#[server(endpoint = "check_suite", input = Form, output = Json)]
pub async fn check_suite(text: String) -> Result<Vec<SuiteProblem>, ApiError> {
    ssr::suites::check_suite(text).await
}

/// Turns a Postman collection (v2.1, JSON) or an OpenAPI 3.0/3.1 document into a suite without
/// saving it: the suite's YAML, what
/// was not imported, and the problems it still has.
#[server(endpoint = "import_suite", input = Form, output = Json)]
pub async fn import_suite(text: String) -> Result<ImportPreview, ApiError> {
    ssr::suites::import_suite(text).await
}

/// Saves a suite: a new one (no `id`), or the next version of one of the caller's. Only a valid text
/// is saved; an invalid one is refused whole with its problems.
#[server(endpoint = "save_suite", input = Form, output = Json)]
pub async fn save_suite(id: Option<i64>, text: String) -> Result<SuiteSaved, ApiError> {
    ssr::suites::save_suite(id, text).await
}

/// Shares one of the caller's suites into one of their rooms (`shared: false` stops sharing it):
/// the room's members may run it and its viewers watch those runs; its admins may save new versions.
#[server(endpoint = "share_suite", input = Form, output = Json)]
pub async fn share_suite(id: i64, room: String, shared: Option<bool>) -> Result<(), ApiError> {
    ssr::suites::share_suite(id, room, shared.unwrap_or(true)).await
}

/// The suites the caller may see (theirs and those shared into their rooms), most recently saved
/// first.
#[server(endpoint = "suites", input = Form, output = Json)]
pub async fn list_suites() -> Result<Vec<SuiteInfo>, ApiError> {
    ssr::suites::list_suites().await
}

/// What a new suite starts as: one step against this server's demo API, at the address this
/// server's runs reach it.
#[server(endpoint = "suite_template", input = Form, output = Json)]
pub async fn suite_template() -> Result<String, ApiError> {
    ssr::suites::suite_template().await
}

/// One version of one of the caller's suites (the latest without `version`).
#[server(endpoint = "suite", input = Form, output = Json)]
pub async fn get_suite(id: i64, version: Option<i64>) -> Result<SuiteDetail, ApiError> {
    ssr::suites::get_suite(id, version).await
}

/// Runs a version of a stored suite (the latest without `version`), in one of its environments.
#[server(endpoint = "run_saved_suite", input = Form, output = Json)]
pub async fn run_saved_suite(
    id: i64,
    version: Option<i64>,
    environment: Option<String>,
    room: Option<String>,
) -> Result<RunSnapshot, ApiError> {
    ssr::suites::run_saved_suite(id, version, environment, room).await
}

/// Starts the same test again (same options, same room); the browser is sent to the new run.
#[server(endpoint = "restart_test", input = Form, output = Json)]
pub async fn restart_test(test_id: String) -> Result<RunSnapshot, ApiError> {
    ssr::runs::restart_test(test_id).await
}

/// Whether the caller may cancel and restart a run: its owner, an admin of its room, or a site
/// admin (room members and viewers watch).
#[server(endpoint = "run_controls", input = Form, output = Json)]
pub async fn run_controls(test_id: String) -> Result<bool, ApiError> {
    ssr::runs::run_controls(test_id).await
}

/// Cancels one of the user's runs in progress.
#[server(endpoint = "cancel_test", input = Form, output = Json)]
pub async fn cancel_test(test_id: String) -> Result<(), ApiError> {
    ssr::runs::cancel_test(test_id).await
}

/// A run's current state (live if running, stored otherwise).
#[server(endpoint = "run", input = Form, output = Json)]
pub async fn get_run(test_id: String) -> Result<RunSnapshot, ApiError> {
    ssr::runs::get_run(test_id).await
}

/// One run the user may see, with the test or stored suite (and version, environment) it ran.
#[server(endpoint = "run_summary", input = Form, output = Json)]
pub async fn get_run_summary(test_id: String) -> Result<RunSummary, ApiError> {
    ssr::runs::get_run_summary(test_id).await
}

/// The runs the user may see, newest first (at most 100): optionally only those with a status, of a
/// stored suite, or started between two dates (`YYYY-MM-DD`, UTC, both inclusive). Each as a row: the
/// run without its steps and load figures (`get_run_summary` has them).
#[server(endpoint = "runs", input = Form, output = Json)]
pub async fn recent_runs(
    status: Option<String>,
    suite: Option<i64>,
    from: Option<String>,
    to: Option<String>,
) -> Result<Vec<RunRow>, ApiError> {
    ssr::runs::recent_runs(crate::protocol::api::RunFilter {
        status,
        suite,
        from,
        to,
    })
    .await
}

/// Usage over the last `days` days (1–365, default 30): runs per day and how they ended, and each
/// stored suite's p95 per day, over the runs the user may see.
#[server(endpoint = "usage", input = Form, output = Json)]
pub async fn usage(days: Option<u32>) -> Result<crate::protocol::api::Usage, ApiError> {
    ssr::runs::usage(days).await
}
