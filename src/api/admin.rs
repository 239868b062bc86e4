//! Administration, for admins signed in (never with a token): accounts and roles, live settings, and
//! the audit log.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr;
use super::{
    codec::{Form, Json},
    ApiError,
};
use crate::protocol::api::{AccountInfo, AdminSettings, AuditRecord, Role};

/// Every account.
#[server(endpoint = "admin/users", input = Form, output = Json)]
pub async fn admin_users() -> Result<Vec<AccountInfo>, ApiError> {
    ssr::admin::users().await
}

/// Creates an account with a role.
#[server(endpoint = "admin/create_user", input = Form, output = Json)]
pub async fn admin_create_user(
    username: String,
    password: String,
    role: Role,
) -> Result<AccountInfo, ApiError> {
    ssr::admin::create_user(username, password, role).await
}

/// Changes an account's role.
#[server(endpoint = "admin/set_role", input = Form, output = Json)]
pub async fn admin_set_role(id: i64, role: Role) -> Result<(), ApiError> {
    ssr::admin::set_role(id, role).await
}

/// Disables an account (ending its sessions and closing its sockets) or enables it again.
#[server(endpoint = "admin/set_disabled", input = Form, output = Json)]
pub async fn admin_set_disabled(id: i64, disabled: bool) -> Result<(), ApiError> {
    ssr::admin::set_disabled(id, disabled).await
}

/// Sets a new password for an account, ending its sessions.
#[server(endpoint = "admin/reset_password", input = Form, output = Json)]
pub async fn admin_reset_password(id: i64, password: String) -> Result<(), ApiError> {
    ssr::admin::reset_password(id, password).await
}

/// The live settings and the database's size.
#[server(endpoint = "admin/settings", input = Form, output = Json)]
pub async fn get_admin_settings() -> Result<AdminSettings, ApiError> {
    ssr::admin::settings().await
}

/// Opens or closes self-registration.
#[server(endpoint = "admin/set_registration", input = Form, output = Json)]
pub async fn admin_set_registration(open: bool) -> Result<(), ApiError> {
    ssr::admin::set_registration(open).await
}

/// The audit log, newest first (at most 500 entries): optionally by actor, action, and dates
/// (`YYYY-MM-DD`, UTC, inclusive). `/admin/audit.jsonl` downloads it as JSON lines.
#[server(endpoint = "admin/audit", input = Form, output = Json)]
pub async fn audit_log(
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<Vec<AuditRecord>, ApiError> {
    ssr::admin::audit_log(actor, action, from, to).await
}
