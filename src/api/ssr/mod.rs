//! Server-side bodies of the server functions, by topic: [`session`] (sign in and out, who is
//! asking), [`runs`] (start, restart, cancel, read, list), [`suites`] (check, save, read, share, run),
//! [`rooms`], [`account`] (registration, password, tokens) and [`admin`]. They read the [`ApiState`]
//! from Leptos context (provided by the router for pages and server-function calls alike) and the
//! request from `leptos_axum::extract`.

pub mod account;
pub mod admin;
pub mod rooms;
pub mod runs;
pub mod schedules;
pub mod session;
pub mod suites;

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::ConnectInfo,
    http::{header, HeaderMap, HeaderValue},
};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tracing::{error, warn};

use super::ApiError;
use crate::{
    accounts::{AccountError, Accounts},
    auth::AuthUser,
    protocol::api::{AuditRecord, SuiteProblem},
    runs::Runs,
    store::Store,
};
pub use session::current_user;

/// What the server functions work with. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub store: Store,
    pub accounts: Accounts,
    pub runs: Runs,
    /// Mark the session cookie `Secure` (and give it the `__Host-` name).
    pub secure_cookies: bool,
    /// The demo account was asked for (`LIVECHECK_DEMO`).
    pub demo: bool,
    /// Take the client's address from `X-Forwarded-For` (behind a trusted proxy).
    pub trust_proxy: bool,
    /// Days runs are kept (0: forever), for the admin page.
    pub retention_days: u32,
    /// The shortest time between two fires of one schedule.
    pub schedule_min_interval: std::time::Duration,
    /// Checks a schedule's webhook address against the target policy when it is saved.
    pub webhooks: crate::schedule::webhook::Webhooks,
}

fn state() -> Result<ApiState, ApiError> {
    if let Some(state) = use_context::<ApiState>() {
        return Ok(state);
    }
    if use_context::<axum::http::request::Parts>().is_none() {
        // The render this call belonged to was dropped before it ran (the browser left the page,
        // or a render was discarded): its whole context is gone, and nobody waits for the answer.
        tracing::debug!("a server function outlived its request");
    } else {
        error!("ApiState missing from the server function context");
    }
    Err(ApiError::Internal)
}

/// Records the error's HTTP status on the response (for API clients).
pub(super) fn set_status(err: &ApiError) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(err.status());
        if let ApiError::RateLimited(secs) = err {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.insert_header(header::RETRY_AFTER, value);
            }
        }
    }
}

/// [`set_status`], then the error.
fn fail(err: ApiError) -> ApiError {
    set_status(&err);
    in_request_language(err)
}

/// A refusal in the caller's words: the server's own texts (a bad request, a suite's problems) in
/// the language the page is in. The fixed errors are translated by the page itself.
fn in_request_language(err: ApiError) -> ApiError {
    let lang = crate::i18n::request_lang();
    match err {
        ApiError::BadRequest(text) => ApiError::BadRequest(lang.say(&text)),
        ApiError::InvalidSuite(problems) => ApiError::InvalidSuite(said(lang, problems)),
        err => err,
    }
}

/// A suite's problems in `lang`.
fn said(lang: crate::i18n::Lang, mut problems: Vec<SuiteProblem>) -> Vec<SuiteProblem> {
    for p in &mut problems {
        p.message = lang.say(&p.message);
    }
    problems
}

/// Logs a database failure; the client learns only that something went wrong.
fn internal(what: &str, e: sqlx::Error) -> ApiError {
    error!(error = %e, "{what}");
    fail(ApiError::Internal)
}

/// An account operation's refusal, as the caller sees it.
fn account_error(e: AccountError) -> ApiError {
    fail(match e {
        AccountError::BadCredentials => ApiError::BadCredentials,
        AccountError::RateLimited(secs) => ApiError::RateLimited(secs),
        AccountError::Busy => ApiError::Busy,
        AccountError::Invalid(message) => ApiError::BadRequest(message),
        AccountError::NotFound => ApiError::NotFound,
        AccountError::Database(e) => return internal("account bookkeeping failed", e),
    })
}

/// The signed-in user, if they may write suites and start runs (not a viewer, not a read token).
async fn runner() -> Result<AuthUser, ApiError> {
    let user = current_user().await?;
    if user.may_run() {
        Ok(user)
    } else {
        Err(fail(ApiError::Forbidden))
    }
}

/// The signed-in user, if an admin.
async fn admin() -> Result<AuthUser, ApiError> {
    let user = current_user().await?;
    if user.is_admin() {
        Ok(user)
    } else {
        Err(fail(ApiError::Forbidden))
    }
}

/// The client's address: the peer, or behind a trusted proxy the last `X-Forwarded-For` hop.
async fn client_ip(trust_proxy: bool) -> Option<IpAddr> {
    if trust_proxy {
        let headers: HeaderMap = leptos_axum::extract().await.ok()?;
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
            .next_back();
        if forwarded.is_some() {
            return forwarded;
        }
    }
    let ConnectInfo(peer) = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .ok()?;
    Some(peer.ip())
}

/// Appends to the audit log: `actor` did `action` to `target`. Never fails the request.
async fn audit(
    state: &ApiState,
    actor: Option<&AuthUser>,
    actor_name: &str,
    action: &str,
    target: Option<String>,
    detail: Option<String>,
) {
    let record = AuditRecord {
        at: 0,
        actor: actor_name.to_owned(),
        ip: client_ip(state.trust_proxy).await.map(|ip| ip.to_string()),
        action: action.to_owned(),
        target,
        detail,
    };
    if let Err(e) = state.store.audit(actor.map(|u| u.id), &record).await {
        warn!(error = %e, action, "could not write the audit log");
    }
}

/// The user a page request came from, found by the server before it renders the page.
#[derive(Debug, Clone)]
pub struct PageUser(pub Option<crate::protocol::api::UserInfo>);

/// For the app while the server renders a page: who asked for it.
pub fn page_user() -> Option<crate::protocol::api::UserInfo> {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageUser>().cloned())
        .and_then(|user| user.0)
}

/// The sign-in page's facts, found by the server before it renders that page for someone signed
/// out, so the page hands them over with itself.
#[derive(Debug, Clone)]
struct PageSite(crate::protocol::api::SiteInfo);

/// Home's recent runs, found by the server before it renders home for someone signed in.
#[derive(Debug, Clone)]
struct PageRuns(Vec<crate::protocol::api::RunRow>);

/// Before the server renders the page at `path` for `user`: what that page shows and the server
/// must look up (home's recent runs for someone signed in, the sign-in page's facts for someone
/// signed out), left in the request's `extensions` for the page to hand over with itself, so the
/// page needs no `Resource` (whose async machinery, once per type, weighs on the wasm every visit
/// loads). A lookup that fails leaves nothing: the page then asks a server function, and shows
/// that function's error.
pub async fn look_up_page_data(
    state: &ApiState,
    path: &str,
    user: Option<&AuthUser>,
    extensions: &mut axum::http::Extensions,
) {
    match (path, user) {
        ("/", Some(user)) => {
            if let Ok(runs) = runs::recent_runs_of(state, user, Default::default()).await {
                extensions.insert(PageRuns(runs));
            }
        }
        ("/login", None) => {
            if let Ok(site) = account::site_info_of(state).await {
                extensions.insert(PageSite(site));
            }
        }
        _ => {}
    }
}

/// For the app while the server renders home: the recent runs found by [`look_up_page_data`].
pub fn page_runs() -> Option<Vec<crate::protocol::api::RunRow>> {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageRuns>().cloned())
        .map(|runs| runs.0)
}

/// For the app while the server renders the sign-in page for someone signed out: its facts, found
/// by [`look_up_page_data`].
pub fn page_site() -> Option<crate::protocol::api::SiteInfo> {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageSite>().cloned())
        .map(|site| site.0)
}

/// For the app while the server renders a page for someone signed in: the built-in tests.
pub fn page_tests() -> Option<Vec<crate::protocol::api::TestSummary>> {
    page_user()?;
    let state = use_context::<ApiState>()?;
    Some(state.runs.catalog().summaries().to_vec())
}

/// Whether the call is a form posted by a browser without the app's script (it wants a page back,
/// so the server redirects it); the hydrated app navigates by itself.
fn plain_form_post() -> bool {
    use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// An optional form field: empty means absent.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}
