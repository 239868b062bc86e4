//! Schedules: list the caller's, create or change one, pause or resume it, delete it.

use super::{audit, fail, internal, non_empty, runner, state, ApiState};
use crate::{
    api::ApiError,
    auth::AuthUser,
    clock::now_ms,
    protocol::api::ScheduleInfo,
    schedule::{pattern::Pattern, webhook::masked},
    store::{ScheduleRecord, ScheduleRow},
};

/// What the owner sees of a schedule.
fn info(record: ScheduleRecord) -> ScheduleInfo {
    let pattern = Pattern::parse(&record.cron, &record.timezone).ok();
    let description = pattern.as_ref().map(Pattern::describe).unwrap_or_default();
    let next_at = record.enabled.then_some(record.next_at);
    let next_local = pattern.zip(next_at).and_then(|(p, at)| p.local_time(at));
    ScheduleInfo {
        id: record.id,
        suite_id: record.suite_id,
        suite_name: record.suite_name,
        cron: record.cron,
        timezone: record.timezone,
        description,
        environment: record.environment,
        webhook: record.webhook_url.as_deref().map(masked),
        next_at,
        next_local,
        enabled: record.enabled,
        // Written in English when it happened; said in the reader's language.
        last_error: record
            .last_error
            .map(|e| crate::i18n::request_lang().say(&e)),
        last_run: record.last_run,
    }
}

/// The caller's schedule `id`, or 404.
async fn owned(state: &ApiState, user: &AuthUser, id: i64) -> Result<ScheduleRecord, ApiError> {
    state
        .store
        .schedule(id)
        .await
        .map_err(|e| internal("reading a schedule failed", e))?
        .filter(|s| s.user_id == user.id)
        .ok_or_else(|| fail(ApiError::NotFound))
}

pub async fn schedules() -> Result<Vec<ScheduleInfo>, ApiError> {
    let user = super::current_user().await?;
    let records = state()?
        .store
        .schedules_of(user.id)
        .await
        .map_err(|e| internal("listing schedules failed", e))?;
    Ok(records.into_iter().map(info).collect())
}

pub async fn save_schedule(
    id: Option<i64>,
    suite_id: i64,
    cron: String,
    timezone: String,
    environment: Option<String>,
    webhook_url: Option<String>,
    enabled: Option<bool>,
) -> Result<ScheduleInfo, ApiError> {
    let user = runner().await?;
    let state = state()?;
    let bad = |why: String| fail(ApiError::BadRequest(why));
    let timezone = match timezone.trim() {
        "" => "UTC".to_owned(),
        zone => zone.to_owned(),
    };
    let pattern = Pattern::parse(&cron, &timezone).map_err(|e| bad(e.to_string()))?;
    let next_at = pattern
        .first_fire(now_ms(), state.schedule_min_interval)
        .map_err(|e| bad(e.to_string()))?;
    if let Some(url) = webhook_url.as_deref().filter(|u| !u.trim().is_empty()) {
        state.webhooks.check(url).await.map_err(bad)?;
    }
    let environment = non_empty(environment);
    if environment.as_ref().is_some_and(|e| e.len() > 200) {
        return Err(bad("environment: at most 200 characters".into()));
    }
    // The suite must be one the caller may run (theirs or shared with them), in that environment.
    let (_, text, _) = state
        .store
        .suite_version(user.id, suite_id, None)
        .await
        .map_err(|e| internal("reading a suite failed", e))?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    if let Some(env) = &environment {
        let suite = crate::suite::parse_suite(&text).map_err(ApiError::InvalidSuite)?;
        if !suite.environments.contains_key(env) {
            return Err(bad(format!(
                "environment: the suite has no environment `{env}`"
            )));
        }
    }
    let row = ScheduleRow {
        suite_id,
        cron: cron.trim(),
        timezone: &timezone,
        environment: environment.as_deref(),
        webhook_url: webhook_url.as_deref().map(str::trim),
        enabled: enabled.unwrap_or(true),
        next_at,
    };
    let id = match id {
        Some(id) => {
            owned(&state, &user, id).await?;
            state
                .store
                .update_schedule(user.id, id, &row)
                .await
                .map_err(|e| internal("changing a schedule failed", e))?;
            id
        }
        None => state
            .store
            .insert_schedule(user.id, &row)
            .await
            .map_err(|e| internal("creating a schedule failed", e))?,
    };
    let detail = format!("suite {suite_id}: {} ({timezone})", row.cron);
    audit(
        &state,
        Some(&user),
        &user.username,
        "schedule_save",
        Some(format!("schedule {id}")),
        Some(detail),
    )
    .await;
    Ok(info(owned(&state, &user, id).await?))
}

pub async fn set_schedule_enabled(id: i64, enabled: bool) -> Result<ScheduleInfo, ApiError> {
    let user = runner().await?;
    let state = state()?;
    let record = owned(&state, &user, id).await?;
    // Resuming goes on from now: fires missed while paused are not made up.
    let next_at = Pattern::parse(&record.cron, &record.timezone)
        .ok()
        .and_then(|p| p.next_after(now_ms()))
        .ok_or_else(|| fail(ApiError::BadRequest("cron: never fires".into())))?;
    let row = ScheduleRow {
        suite_id: record.suite_id,
        cron: &record.cron,
        timezone: &record.timezone,
        environment: record.environment.as_deref(),
        webhook_url: None,
        enabled,
        next_at,
    };
    state
        .store
        .update_schedule(user.id, id, &row)
        .await
        .map_err(|e| internal("changing a schedule failed", e))?;
    let action = if enabled {
        "schedule_resume"
    } else {
        "schedule_pause"
    };
    audit(
        &state,
        Some(&user),
        &user.username,
        action,
        Some(format!("schedule {id}")),
        None,
    )
    .await;
    Ok(info(owned(&state, &user, id).await?))
}

pub async fn delete_schedule(id: i64) -> Result<(), ApiError> {
    let user = runner().await?;
    let state = state()?;
    let deleted = state
        .store
        .delete_schedule(user.id, id)
        .await
        .map_err(|e| internal("deleting a schedule failed", e))?;
    if !deleted {
        return Err(fail(ApiError::NotFound));
    }
    audit(
        &state,
        Some(&user),
        &user.username,
        "schedule_delete",
        Some(format!("schedule {id}")),
        None,
    )
    .await;
    Ok(())
}
