//! Runs: the built-in tests, start one, restart, cancel, read one, and the history.

use tracing::error;

use super::{audit, current_user, fail, internal, non_empty, runner, state};
use crate::clock::day_start_ms;
use crate::{
    api::ApiError,
    protocol::{
        api::{RunFilter, RunOptions, RunRow, RunSummary, TestSummary},
        RunSnapshot, RunStatus,
    },
    runs::{RunError, Start},
    store::{RunQuery, RunRecord},
};

pub async fn list_tests() -> Result<Vec<TestSummary>, ApiError> {
    current_user().await?;
    Ok(state()?.runs.catalog().summaries().to_vec())
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
    let user = runner().await?;
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
    let page = format!("/tests/{key}");
    let detail = Some(format!("test {key}"));
    let snapshot = state
        .runs
        .start(&user, Start::BuiltIn { key, options }, non_empty(room))
        .await
        .map_err(|e| fail(run_error(e)))?;
    let target = Some(format!("run {}", snapshot.test_id));
    audit(
        &state,
        Some(&user),
        &user.username,
        "run_start",
        target,
        detail,
    )
    .await;
    leptos_axum::redirect(&format!("{page}?run={}", snapshot.test_id));
    Ok(snapshot)
}

pub async fn restart_test(test_id: String) -> Result<RunSnapshot, ApiError> {
    let user = current_user().await?;
    let state = state()?;
    let snapshot = state
        .runs
        .restart(&user, &test_id)
        .await
        .map_err(|e| fail(run_error(e)))?;
    let target = Some(format!("run {}", snapshot.test_id));
    let detail = Some(format!("restart of run {test_id}"));
    audit(
        &state,
        Some(&user),
        &user.username,
        "run_restart",
        target,
        detail,
    )
    .await;
    let page = match state.store.run(&snapshot.test_id).await {
        Ok(Some(r)) if r.source.is_none() => format!("/tests/{}?run={}", r.test_key, r.id),
        _ => format!("/runs/{}", snapshot.test_id),
    };
    leptos_axum::redirect(&page);
    Ok(snapshot)
}

pub async fn run_controls(test_id: String) -> Result<bool, ApiError> {
    let user = current_user().await?;
    state()?
        .runs
        .controls(&user, &test_id)
        .await
        .map_err(|e| fail(run_error(e)))
}

pub async fn cancel_test(test_id: String) -> Result<(), ApiError> {
    let user = current_user().await?;
    let state = state()?;
    state
        .runs
        .cancel(&user, &test_id)
        .await
        .map_err(|e| fail(run_error(e)))?;
    let target = Some(format!("run {test_id}"));
    audit(
        &state,
        Some(&user),
        &user.username,
        "run_cancel",
        target,
        None,
    )
    .await;
    Ok(())
}

pub async fn get_run(test_id: String) -> Result<RunSnapshot, ApiError> {
    let user = current_user().await?;
    state()?
        .runs
        .visible_snapshot(&user, &test_id)
        .await
        .map_err(|e| internal("run lookup failed", e))?
        .ok_or_else(|| fail(ApiError::NotFound))
}

/// One run the user may see, with what it ran (for comparing runs of the same suite).
pub async fn get_run_summary(test_id: String) -> Result<RunSummary, ApiError> {
    let user = current_user().await?;
    let run = state()?
        .runs
        .visible_run(&user, &test_id)
        .await
        .map_err(|e| internal("run lookup failed", e))?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    Ok(summary_of(run))
}

pub async fn recent_runs(filter: RunFilter) -> Result<Vec<RunRow>, ApiError> {
    let user = current_user().await?;
    recent_runs_of(&state()?, &user, filter).await
}

/// The runs `user` may see that match `filter`, newest first (at most 100).
pub async fn recent_runs_of(
    state: &super::ApiState,
    user: &crate::auth::AuthUser,
    filter: RunFilter,
) -> Result<Vec<RunRow>, ApiError> {
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
        .runs
        .recent(user, &query)
        .await
        .map_err(|e| internal("listing runs failed", e))?;
    Ok(runs.into_iter().map(|r| summary_of(r).row()).collect())
}

fn summary_of(r: RunRecord) -> RunSummary {
    let (suite_id, suite_version, environment) = match r.source {
        Some(s) => (s.suite_id, s.suite_version, s.environment),
        None => (None, None, None),
    };
    RunSummary {
        snapshot: r.snapshot,
        test_key: r.test_key,
        created_at: r.created_at,
        suite_id,
        suite_version,
        environment,
    }
}

pub(super) fn run_error(e: RunError) -> ApiError {
    match e {
        RunError::UnknownTest | RunError::UnknownRun | RunError::UnknownRoom => ApiError::NotFound,
        RunError::Forbidden => ApiError::Forbidden,
        RunError::OverBudget(message) => ApiError::BadRequest(message),
        e @ (RunError::QueueFull | RunError::AlreadyStarted | RunError::AlreadyEnded) => {
            ApiError::BadRequest(e.to_string())
        }
        RunError::InvalidSuite(problems) => ApiError::InvalidSuite(problems),
        RunError::Database(e) => {
            error!(error = %e, "run bookkeeping failed");
            ApiError::Internal
        }
    }
}

pub async fn usage(days: Option<u32>) -> Result<crate::protocol::api::Usage, ApiError> {
    let user = current_user().await?;
    let days = days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(fail(ApiError::BadRequest("days: between 1 and 365".into())));
    }
    // From the start of the first day shown (UTC).
    let day_ms = 86_400_000;
    let since = (crate::clock::now_ms() / day_ms + 1).saturating_sub(u64::from(days)) * day_ms;
    let usage = state()?
        .store
        .usage(user.id, since)
        .await
        .map_err(|e| internal("reading usage failed", e))?;
    Ok(crate::protocol::api::Usage {
        first_day: since,
        period_days: days,
        ..usage
    })
}
