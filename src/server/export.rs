//! Downloads: a run as `GET /runs/{id}/junit.xml` (for CI tools), `GET /runs/{id}/json` (its
//! snapshot) or `GET /runs/{id}/report.html` (one self-contained page to hand around), two runs side
//! by side as `GET /compare/{a}/{b}/report.html`, with the same rule as everywhere (the run's owner or a member of its room; anyone else
//! gets 404); and the audit log as JSON lines, `GET /admin/audit.jsonl`, for admins.

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
    Json,
};

use axum::extract::Query;
use serde::Deserialize;

use super::{error::AppError, AppState};
use crate::{
    i18n::Lang,
    protocol::RunSnapshot,
    report::{html_comparison, html_report, junit_xml},
};

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

pub async fn html(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let run = visible_run(&state, &headers, &id).await?;
    Ok(html_download(
        format!("run-{id}.html"),
        html_report(&run, lang_of(&headers)),
    ))
}

pub async fn compare_html(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((a, b)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let first = visible_run(&state, &headers, &a).await?;
    let second = visible_run(&state, &headers, &b).await?;
    Ok(html_download(
        format!("compare-{a}-{b}.html"),
        html_comparison(&first, &second, lang_of(&headers)),
    ))
}

/// An HTML page offered as a file; its own CSP, since it is meant to be opened anywhere and needs
/// no script at all.
fn html_download(file_name: String, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:".to_owned(),
            ),
        ],
        body,
    )
        .into_response()
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
/// The language of the person downloading: their choice (the cookie), else their browser's.
fn lang_of(headers: &HeaderMap) -> Lang {
    let cookies: Vec<&str> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::for_request(Some(&cookies.join("; ")), accept)
}

async fn visible_run(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<RunSnapshot, AppError> {
    let user = state.accounts.from_headers(headers).await?;
    state
        .runs
        .visible_snapshot(&user, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The audit page's filters.
#[derive(Deserialize)]
pub struct AuditFilter {
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub async fn audit_jsonl(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(filter): Query<AuditFilter>,
) -> Result<Response, AppError> {
    let user = state.accounts.from_headers(&headers).await?;
    if !user.is_admin() {
        return Err(AppError::Forbidden);
    }
    let day = |field: &str, value: &Option<String>| match value.as_deref().filter(|v| !v.is_empty())
    {
        Some(v) => crate::clock::day_start_ms(v)
            .map(Some)
            .ok_or_else(|| AppError::BadRequest(format!("{field}: `{v}` is not a date"))),
        None => Ok(None),
    };
    let query = crate::store::AuditQuery {
        actor: filter.actor.filter(|a| !a.is_empty()),
        action: filter.action.filter(|a| !a.is_empty()),
        from_ms: day("from", &filter.from)?,
        until_ms: day("to", &filter.to)?.map(|t| t + 86_400_000),
        limit: 100_000,
    };
    let entries = state.store.audit_entries(&query).await?;
    let mut body = String::new();
    for entry in &entries {
        body.push_str(&serde_json::to_string(entry).unwrap_or_default());
        body.push('\n');
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/jsonl; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.jsonl\"",
            ),
        ],
        body,
    )
        .into_response())
}
