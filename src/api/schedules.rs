//! Schedules: run a stored suite on a cron pattern in a time zone, and call a webhook when its runs
//! fail or recover. A schedule belongs to the user who made it, and its runs run as them.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr;
use super::{
    codec::{Form, Json},
    ApiError,
};
use crate::protocol::api::ScheduleInfo;

/// The caller's schedules.
#[server(endpoint = "schedules", input = Form, output = Json)]
pub async fn schedules() -> Result<Vec<ScheduleInfo>, ApiError> {
    ssr::schedules::schedules().await
}

/// Creates a schedule (`id` unset) or changes one of the caller's. `cron` has 5 fields (minute hour
/// day month weekday) or 6 with seconds first; `timezone` is an IANA name. `webhook_url` is called
/// when a run fails or recovers; saving without one (unset or empty) leaves the schedule without a
/// webhook, as it does `environment`. `enabled` defaults to on.
#[server(endpoint = "save_schedule", input = Form, output = Json)]
pub async fn save_schedule(
    id: Option<i64>,
    suite_id: i64,
    cron: String,
    timezone: String,
    environment: Option<String>,
    webhook_url: Option<String>,
    enabled: Option<bool>,
) -> Result<ScheduleInfo, ApiError> {
    ssr::schedules::save_schedule(
        id,
        suite_id,
        cron,
        timezone,
        environment,
        webhook_url,
        enabled,
    )
    .await
}

/// Pauses (`enabled=false`) or resumes one of the caller's schedules; resuming goes on from now.
#[server(endpoint = "set_schedule_enabled", input = Form, output = Json)]
pub async fn set_schedule_enabled(id: i64, enabled: bool) -> Result<ScheduleInfo, ApiError> {
    ssr::schedules::set_schedule_enabled(id, enabled).await
}

/// Deletes one of the caller's schedules; its runs stay in the history.
#[server(endpoint = "delete_schedule", input = Form, output = Json)]
pub async fn delete_schedule(id: i64) -> Result<(), ApiError> {
    ssr::schedules::delete_schedule(id).await
}
