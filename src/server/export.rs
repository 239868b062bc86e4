//! Downloads of a run: `GET /runs/{id}/junit.xml` (for CI tools) and `GET /runs/{id}/json` (the run's
//! snapshot). Same rule as everywhere: the run's owner or a member of its room; anyone else gets 404.

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
    Json,
};

use super::{error::AppError, AppState};
use crate::{protocol::RunSnapshot, report::junit_xml};

pub async fn junit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let run = visible_run(&state, &headers, &id).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/xml; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"run-{id}.xml\""),
            ),
        ],
        junit_xml(&run),
    )
        .into_response())
}

pub async fn json(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let run = visible_run(&state, &headers, &id).await?;
    Ok(Json(run).into_response())
}

/// The run, if the signed-in user may see it; 404 for "no such run" and "not yours" alike.
async fn visible_run(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<RunSnapshot, AppError> {
    let user = state.keys.from_headers(headers)?;
    state
        .runs
        .visible_snapshot(&user, id)
        .await?
        .ok_or(AppError::NotFound)
}
