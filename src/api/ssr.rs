//! Server-side bodies of the server functions. They read the app state from Leptos context (provided by
//! the router) and the request from `leptos_axum::extract`.

use axum::http::{header, HeaderMap, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tracing::{error, info};

use super::{
    valid_room_name, ApiError, RunFilter, RunSummary, SuiteDetail, SuiteInfo, SuiteProblem,
    SuiteSaved, TestSummary, UserInfo,
};
use crate::{
    auth::{self, AuthUser},
    engine::{catalog, catalog::RunSource, RunError, RunOptions},
    hub::RunAccess,
    protocol::{RunSnapshot, RunStatus},
    server::AppState,
    store::RunQuery,
};

fn state() -> Result<AppState, ApiError> {
    use_context::<AppState>().ok_or_else(|| {
        error!("AppState missing from the server function context");
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
        auth::session_cookie(&token, state.keys.ttl_secs(), state.config.secure_cookies),
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

pub fn catalogue() -> Vec<TestSummary> {
    catalog::all()
        .into_iter()
        .map(|t| TestSummary {
            key: t.key.to_owned(),
            name: t.name.to_owned(),
            description: t.description.to_owned(),
            steps: t.step_names(),
        })
        .collect()
}

/// The optional knobs of `start_test`, as they arrive.
pub struct RunParams {
    pub delay_ms: Option<u32>,
    pub events: Option<u32>,
    pub rate: Option<u32>,
    pub step_results: Option<bool>,
}

pub async fn start_test(
    key: String,
    params: RunParams,
    room: Option<String>,
) -> Result<RunSnapshot, ApiError> {
    let user = current_user().await?;
    let state = state()?;
    let defaults = RunOptions::default();
    let options = RunOptions {
        delay_ms: params.delay_ms.unwrap_or(defaults.delay_ms),
        events: params.events.unwrap_or(defaults.events),
        rate: params.rate.unwrap_or(defaults.rate),
        step_results: params.step_results.unwrap_or(defaults.step_results),
    };
    options
        .validate()
        .map_err(|m| fail(ApiError::BadRequest(m)))?;
    let room = room.filter(|r| !r.is_empty());
    let snapshot = state
        .runner
        .start(&user, &key, options, room)
        .await
        .map_err(|e| fail(run_error(e)))?;
    leptos_axum::redirect(&format!("/tests/{key}?run={}", snapshot.test_id));
    Ok(snapshot)
}

pub async fn run_suite(
    text: String,
    room: Option<String>,
    environment: Option<String>,
) -> Result<RunSnapshot, ApiError> {
    let user = current_user().await?;
    start_source(
        &user,
        RunSource {
            suite_id: None,
            suite_version: None,
            text,
            environment,
        },
        room,
    )
    .await
}

/// Validates and starts a suite run; the browser is sent to the run's page.
async fn start_source(
    user: &AuthUser,
    source: RunSource,
    room: Option<String>,
) -> Result<RunSnapshot, ApiError> {
    let state = state()?;
    let definition = source
        .definition()
        .map_err(|errors| fail(ApiError::InvalidSuite(errors)))?;
    let snapshot = state
        .runner
        .start_definition(
            user,
            definition,
            RunOptions::default(),
            room.filter(|r| !r.is_empty()),
        )
        .await
        .map_err(|e| fail(run_error(e)))?;
    leptos_axum::redirect(&format!("/runs/{}", snapshot.test_id));
    Ok(snapshot)
}

pub async fn check_suite(text: String) -> Result<Vec<SuiteProblem>, ApiError> {
    current_user().await?;
    Ok(crate::suite::parse_suite(&text).err().unwrap_or_default())
}

pub async fn save_suite(id: Option<i64>, text: String) -> Result<SuiteSaved, ApiError> {
    let user = current_user().await?;
    let suite =
        crate::suite::parse_suite(&text).map_err(|errors| fail(ApiError::InvalidSuite(errors)))?;
    match state()?
        .store
        .save_suite(user.id, id, &suite.name, &text)
        .await
    {
        Ok(Some((id, version))) => {
            // The browser goes to the saved (newest) version in the editor.
            leptos_axum::redirect(&format!("/suites/{id}"));
            Ok(SuiteSaved { id, version })
        }
        Ok(None) => Err(fail(ApiError::NotFound)),
        Err(e) => Err(internal("saving a suite failed", e)),
    }
}

pub async fn list_suites() -> Result<Vec<SuiteInfo>, ApiError> {
    let user = current_user().await?;
    state()?
        .store
        .suites_of(user.id)
        .await
        .map_err(|e| internal("listing suites failed", e))
}

pub async fn get_suite(id: i64, version: Option<i64>) -> Result<SuiteDetail, ApiError> {
    let user = current_user().await?;
    let (info, text, versions) = state()?
        .store
        .suite_version(user.id, id, version)
        .await
        .map_err(|e| internal("reading a suite failed", e))?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    // Stored texts were valid when saved.
    let parsed = crate::suite::parse_suite(&text).ok();
    Ok(SuiteDetail {
        environments: parsed
            .as_ref()
            .map(|s| s.environments.keys().cloned().collect())
            .unwrap_or_default(),
        load: parsed.is_some_and(|s| s.load.is_some()),
        info,
        text,
        versions,
    })
}

pub async fn run_saved_suite(
    id: i64,
    version: Option<i64>,
    environment: Option<String>,
    room: Option<String>,
) -> Result<RunSnapshot, ApiError> {
    let user = current_user().await?;
    let (info, text, _) = state()?
        .store
        .suite_version(user.id, id, version)
        .await
        .map_err(|e| internal("reading a suite failed", e))?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    start_source(
        &user,
        RunSource {
            suite_id: Some(id),
            suite_version: Some(info.version),
            text,
            environment: environment.filter(|e| !e.is_empty()),
        },
        room,
    )
    .await
}

pub async fn restart_test(test_id: String) -> Result<RunSnapshot, ApiError> {
    let user = current_user().await?;
    let state = state()?;
    let snapshot = state
        .runner
        .restart(&user, &test_id)
        .await
        .map_err(|e| fail(run_error(e)))?;
    let page = match state.store.run(&snapshot.test_id).await {
        Ok(Some(r)) if r.source.is_none() => format!("/tests/{}?run={}", r.test_key, r.id),
        _ => format!("/runs/{}", snapshot.test_id),
    };
    leptos_axum::redirect(&page);
    Ok(snapshot)
}

pub async fn cancel_test(test_id: String) -> Result<(), ApiError> {
    let user = current_user().await?;
    state()?
        .runner
        .cancel(&user, &test_id)
        .await
        .map_err(|e| fail(run_error(e)))
}

pub async fn get_run(test_id: String) -> Result<RunSnapshot, ApiError> {
    let user = current_user().await?;
    let state = state()?;
    let (access, snapshot) = match state.hub.access(&test_id) {
        Some(access) => (access, state.hub.live_snapshot(&test_id)),
        None => match state.store.run(&test_id).await {
            Ok(Some(run)) => (
                RunAccess {
                    owner: run.user_id,
                    room: run.room,
                },
                Some(run.snapshot),
            ),
            Ok(None) => return Err(fail(ApiError::NotFound)),
            Err(e) => return Err(internal("run lookup failed", e)),
        },
    };
    let allowed = state
        .store
        .may_see_run(user.id, access.owner, access.room.as_deref())
        .await
        .map_err(|e| internal("membership lookup failed", e))?;
    match snapshot {
        Some(snapshot) if allowed => Ok(snapshot),
        _ => Err(fail(ApiError::NotFound)),
    }
}

pub async fn create_room(name: String) -> Result<(), ApiError> {
    let user = current_user().await?;
    if !valid_room_name(&name) {
        return Err(fail(ApiError::BadRequest(
            "a room name is 1–64 letters, digits, '-' or '_'".into(),
        )));
    }
    let created = state()?
        .store
        .create_room(&name, user.id)
        .await
        .map_err(|e| internal("creating a room failed", e))?;
    if created {
        Ok(())
    } else {
        Err(fail(ApiError::BadRequest(format!(
            "the room `{name}` already exists"
        ))))
    }
}

pub async fn add_room_member(room: String, username: String) -> Result<(), ApiError> {
    let user = current_user().await?;
    let store = state()?.store;
    let member = store
        .is_member(&room, user.id)
        .await
        .map_err(|e| internal("membership lookup failed", e))?;
    if !member {
        return Err(fail(ApiError::NotFound));
    }
    let added = store
        .add_member(&room, &username)
        .await
        .map_err(|e| internal("adding a member failed", e))?;
    if added {
        Ok(())
    } else {
        Err(fail(ApiError::BadRequest(format!("no user `{username}`"))))
    }
}

pub async fn my_rooms() -> Result<Vec<String>, ApiError> {
    let user = current_user().await?;
    state()?
        .store
        .rooms_of(user.id)
        .await
        .map_err(|e| internal("listing rooms failed", e))
}

fn internal(what: &str, e: sqlx::Error) -> ApiError {
    error!(error = %e, "{what}");
    fail(ApiError::Internal)
}

pub async fn recent_runs(filter: RunFilter) -> Result<Vec<RunSummary>, ApiError> {
    let user = current_user().await?;
    let state = state()?;
    let bad = |m: String| fail(ApiError::BadRequest(m));
    let status = match filter.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(RunStatus::parse(s).ok_or_else(|| bad(format!("unknown status `{s}`")))?),
        None => None,
    };
    let day = |field: &str, value: &Option<String>| -> Result<Option<u64>, ApiError> {
        match value.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => day_start_ms(v)
                .map(Some)
                .ok_or_else(|| bad(format!("{field}: `{v}` is not a date like 2026-11-28"))),
            None => Ok(None),
        }
    };
    let query = RunQuery {
        status,
        suite_id: filter.suite,
        from_ms: day("from", &filter.from)?,
        // `to` is inclusive: up to the start of the next day.
        until_ms: day("to", &filter.to)?.map(|t| t + 86_400_000),
        limit: 100,
    };
    let runs = state
        .store
        .recent_runs(user.id, &query)
        .await
        .map_err(|e| internal("listing runs failed", e))?;
    Ok(runs
        .into_iter()
        .map(|r| {
            // A run still in progress is fresher in the hub than in its stored row.
            let snapshot = state.hub.live_snapshot(&r.id);
            summary_of(r, snapshot)
        })
        .collect())
}

/// One run the user may see, with what it ran (for comparing runs of the same suite).
pub async fn get_run_summary(test_id: String) -> Result<RunSummary, ApiError> {
    // The access check, and the live snapshot when the run is in progress.
    let snapshot = get_run(test_id.clone()).await?;
    let run = state()?
        .store
        .run(&test_id)
        .await
        .map_err(|e| internal("run lookup failed", e))?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    Ok(summary_of(run, Some(snapshot)))
}

fn summary_of(r: crate::store::RunRecord, live: Option<RunSnapshot>) -> RunSummary {
    RunSummary {
        snapshot: live.unwrap_or(r.snapshot),
        test_key: r.test_key,
        created_at: r.created_at,
        suite_id: r.source.as_ref().and_then(|s| s.suite_id),
        suite_version: r.source.as_ref().and_then(|s| s.suite_version),
        environment: r.source.and_then(|s| s.environment),
    }
}

/// Midnight UTC of `YYYY-MM-DD`, in milliseconds since the epoch.
fn day_start_ms(date: &str) -> Option<u64> {
    let mut parts = date.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400_000).ok()
}

fn run_error(e: RunError) -> ApiError {
    match e {
        RunError::UnknownTest | RunError::UnknownRun | RunError::UnknownRoom => ApiError::NotFound,
        RunError::QueueFull => ApiError::BadRequest(RunError::QueueFull.to_string()),
        RunError::Database(e) => {
            error!(error = %e, "run bookkeeping failed");
            ApiError::Internal
        }
    }
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
    fn dates_are_days_since_the_epoch() {
        assert_eq!(day_start_ms("1970-01-01"), Some(0));
        assert_eq!(day_start_ms("2026-11-28"), Some(1_795_824_000_000));
        assert_eq!(day_start_ms("2024-03-01"), Some(1_709_251_200_000));
        for bad in ["", "2026-13-01", "2026-11", "yesterday", "1969-12-31"] {
            assert_eq!(day_start_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2_hash() {
        use argon2::password_hash::PasswordHash;
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!auth::verify_password("anything", DUMMY_HASH));
    }
}
