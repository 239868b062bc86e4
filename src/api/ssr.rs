//! Server-side bodies of the server functions. They read the app state from Leptos context (provided by
//! the router) and the request from `leptos_axum::extract`.

use axum::http::{header, HeaderMap, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tracing::{error, info};

use super::{valid_room_name, ApiError, RunSummary, TestSummary, UserInfo};
use crate::{
    auth::{self, AuthUser},
    engine::{catalog, RunError, RunOptions},
    hub::RunAccess,
    protocol::RunSnapshot,
    server::AppState,
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

pub async fn run_suite(text: String, room: Option<String>) -> Result<RunSnapshot, ApiError> {
    let user = current_user().await?;
    let state = state()?;
    let suite = crate::suite::parse_suite(&text).map_err(|errors| {
        fail(ApiError::InvalidSuite(
            errors.iter().map(ToString::to_string).collect(),
        ))
    })?;
    let definition = catalog::TestDefinition {
        key: "suite",
        name: suite.name.clone(),
        description: "",
        kind: catalog::Kind::Api(Box::new(suite)),
    };
    state
        .runner
        .start_definition(
            &user,
            definition,
            RunOptions::default(),
            room.filter(|r| !r.is_empty()),
        )
        .await
        .map_err(|e| fail(run_error(e)))
}

pub async fn restart_test(test_id: String) -> Result<RunSnapshot, ApiError> {
    let user = current_user().await?;
    let state = state()?;
    let snapshot = state
        .runner
        .restart(&user, &test_id)
        .await
        .map_err(|e| fail(run_error(e)))?;
    let key = state
        .store
        .run(&snapshot.test_id)
        .await
        .ok()
        .flatten()
        .map(|r| r.test_key)
        .unwrap_or_default();
    leptos_axum::redirect(&format!("/tests/{key}?run={}", snapshot.test_id));
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

pub async fn recent_runs() -> Result<Vec<RunSummary>, ApiError> {
    let user = current_user().await?;
    let state = state()?;
    let runs = state.store.recent_runs(user.id, 20).await.map_err(|e| {
        error!(error = %e, "listing runs failed");
        fail(ApiError::Internal)
    })?;
    Ok(runs
        .into_iter()
        .map(|r| RunSummary {
            // A run still in progress is fresher in the hub than in its stored row.
            snapshot: state.hub.live_snapshot(&r.id).unwrap_or(r.snapshot),
            test_key: r.test_key,
            created_at: r.created_at,
        })
        .collect())
}

fn run_error(e: RunError) -> ApiError {
    match e {
        RunError::UnknownTest | RunError::UnknownRun | RunError::UnknownRoom => ApiError::NotFound,
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
    fn the_dummy_hash_is_a_real_argon2_hash() {
        use argon2::password_hash::PasswordHash;
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!auth::verify_password("anything", DUMMY_HASH));
    }
}
