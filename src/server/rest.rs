//! The REST API for CI, version 1 (`docs/api.md`). Authenticated with `Authorization: Bearer <token>`
//! (a personal access token, or a session token); JSON in and out; errors are `{"error": "…"}` with a
//! status code.
//!
//! - `POST /api/v1/runs` `{"suite": id | "name", "environment"?, "variables"?, "room"?}` starts a
//!   stored suite (201, the run's snapshot). Needs the `run` scope.
//! - `GET /api/v1/runs/{id}`: the run's state now.
//! - `GET /api/v1/runs/{id}/junit.xml`, `/api/v1/runs/{id}/json`: its reports.
//!
//! The live events of a run come over the WebSocket (`/ws`, same token, `docs/protocol.md`).

use std::collections::BTreeMap;

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;

use super::{error::AppError, export, AppState};
use crate::{
    auth::AuthUser,
    protocol::{api::AuditRecord, RunSnapshot},
    runs::{RunError, Start},
    suite::SuiteSource,
};

/// The routes, under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/runs", post(start))
        .route("/runs/{id}", get(run))
        .route("/runs/{id}/junit.xml", get(export::junit))
        .route("/runs/{id}/json", get(export::json))
}

/// A suite by its id, or by its name (the most recently saved one the caller may see).
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a suite's id (a number) or name (a string)")]
pub enum SuiteRef {
    Id(i64),
    Name(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    pub suite: SuiteRef,
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub environment: Option<String>,
    /// Values over the suite's variables (taken literally, `$` included).
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub room: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let user = state.accounts.from_headers(&headers).await?;
    let Json(request) = body.map_err(|e| match e.status() {
        // Chunked bodies learn they are too large only while being read.
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(super::MAX_REQUEST_BYTES),
        _ => AppError::BadRequest(e.body_text()),
    })?;
    let request: StartRequest = match request {
        // serde would read a list as the fields in order (`[1]` as suite 1).
        serde_json::Value::Object(_) => serde_json::from_value(request)
            .map_err(|e| AppError::BadRequest(format!("invalid request: {e}")))?,
        _ => {
            return Err(AppError::BadRequest(
                "the body must be a JSON object such as {\"suite\": \"Smoke\"}".into(),
            ))
        }
    };
    if request.variables.len() > 100
        || request
            .variables
            .iter()
            .any(|(k, v)| k.len() > 64 || v.len() > crate::suite::MAX_VALUE_BYTES)
    {
        return Err(AppError::BadRequest(
            "at most 100 variables, names up to 64 bytes, values up to 64 KiB".into(),
        ));
    }
    let store = &state.store;
    let id = match &request.suite {
        SuiteRef::Id(id) => *id,
        SuiteRef::Name(name) => store
            .suite_id_by_name(user.id, name)
            .await?
            .ok_or(AppError::NotFound)?,
    };
    let (info, text, _) = store
        .suite_version(user.id, id, request.version)
        .await?
        .ok_or(AppError::NotFound)?;
    let source = SuiteSource {
        suite_id: Some(id),
        suite_version: Some(info.version),
        text,
        environment: request.environment.filter(|e| !e.is_empty()),
        variables: request
            .variables
            .into_iter()
            // Given values are literal: `$` does not start a template.
            .map(|(k, v)| (k, v.replace('$', "$$")))
            .collect(),
    };
    let snapshot = state
        .runs
        .start(
            &user,
            Start::Suite(source),
            request.room.filter(|r| !r.is_empty()),
        )
        .await
        .map_err(run_error)?;
    audit_start(&state, &user, &snapshot, id).await;
    Ok((StatusCode::CREATED, Json(snapshot)).into_response())
}

async fn audit_start(state: &AppState, user: &AuthUser, run: &RunSnapshot, suite: i64) {
    let record = AuditRecord {
        at: 0,
        actor: user.username.clone(),
        ip: None,
        action: "run_start".into(),
        target: Some(format!("run {}", run.test_id)),
        detail: Some(format!("suite {suite} (REST API)")),
    };
    if let Err(e) = state.store.audit(Some(user.id), &record).await {
        tracing::warn!(error = %e, "could not write the audit log");
    }
}

async fn run(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<RunSnapshot>, AppError> {
    let user = state.accounts.from_headers(&headers).await?;
    state
        .runs
        .visible_snapshot(&user, &id)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
}

fn run_error(e: RunError) -> AppError {
    match e {
        RunError::UnknownTest | RunError::UnknownRun | RunError::UnknownRoom => AppError::NotFound,
        RunError::Forbidden => AppError::Forbidden,
        RunError::QueueFull
        | RunError::OverBudget(_)
        | RunError::AlreadyStarted
        | RunError::AlreadyEnded => AppError::BadRequest(e.to_string()),
        RunError::InvalidSuite(problems) => AppError::BadRequest(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        RunError::Database(e) => AppError::Database(e),
    }
}
