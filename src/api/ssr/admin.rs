//! Administration: accounts and roles, live settings, the audit log. Admins only, signed in.

use super::{account_error, admin, audit, internal, non_empty, state};
use crate::clock::day_start_ms;
use crate::{
    api::ApiError,
    protocol::api::{AccountInfo, AdminSettings, AuditRecord, Role},
    store::{AuditQuery, UserRecord},
};

fn account_info(u: UserRecord) -> AccountInfo {
    AccountInfo {
        id: u.id,
        username: u.username,
        role: u.role,
        disabled: u.disabled,
        created_at: u.created_at,
    }
}

pub async fn users() -> Result<Vec<AccountInfo>, ApiError> {
    admin().await?;
    let users = state()?
        .store
        .users()
        .await
        .map_err(|e| internal("listing users failed", e))?;
    Ok(users.into_iter().map(account_info).collect())
}

pub async fn create_user(
    username: String,
    password: String,
    role: Role,
) -> Result<AccountInfo, ApiError> {
    let me = admin().await?;
    let state = state()?;
    let username = username.trim().to_owned();
    let id = state
        .accounts
        .create_user(&username, &password, role)
        .await
        .map_err(account_error)?;
    let target = Some(username.clone());
    audit(
        &state,
        Some(&me),
        &me.username,
        "user_create",
        target,
        Some(role.to_string()),
    )
    .await;
    let user = state
        .store
        .user_by_id(id)
        .await
        .map_err(|e| internal("user lookup failed", e))?
        .ok_or(ApiError::NotFound)?;
    Ok(account_info(user))
}

/// The name of account `id`, for the audit log.
async fn username_of(id: i64) -> String {
    match state() {
        Ok(state) => match state.store.user_by_id(id).await {
            Ok(Some(u)) => u.username,
            _ => format!("user {id}"),
        },
        Err(_) => format!("user {id}"),
    }
}

pub async fn set_role(id: i64, role: Role) -> Result<(), ApiError> {
    let me = admin().await?;
    let state = state()?;
    state
        .accounts
        .set_role(id, role)
        .await
        .map_err(account_error)?;
    let target = Some(username_of(id).await);
    audit(
        &state,
        Some(&me),
        &me.username,
        "user_role",
        target,
        Some(role.to_string()),
    )
    .await;
    Ok(())
}

pub async fn set_disabled(id: i64, disabled: bool) -> Result<(), ApiError> {
    let me = admin().await?;
    let state = state()?;
    state
        .accounts
        .set_disabled(id, disabled)
        .await
        .map_err(account_error)?;
    let action = if disabled {
        "user_disable"
    } else {
        "user_enable"
    };
    let target = Some(username_of(id).await);
    audit(&state, Some(&me), &me.username, action, target, None).await;
    Ok(())
}

pub async fn reset_password(id: i64, password: String) -> Result<(), ApiError> {
    let me = admin().await?;
    let state = state()?;
    state
        .accounts
        .set_password(id, &password)
        .await
        .map_err(account_error)?;
    let target = Some(username_of(id).await);
    audit(
        &state,
        Some(&me),
        &me.username,
        "user_password_reset",
        target,
        None,
    )
    .await;
    Ok(())
}

pub async fn settings() -> Result<AdminSettings, ApiError> {
    admin().await?;
    let state = state()?;
    Ok(AdminSettings {
        registration_open: state
            .accounts
            .registration_open()
            .await
            .map_err(account_error)?,
        retention_days: state.retention_days,
        database_bytes: state
            .store
            .database_bytes()
            .await
            .map_err(|e| internal("reading the database size failed", e))?,
    })
}

pub async fn set_registration(open: bool) -> Result<(), ApiError> {
    let me = admin().await?;
    let state = state()?;
    state
        .accounts
        .set_registration_open(open)
        .await
        .map_err(account_error)?;
    let detail = Some(format!("registration_open = {open}"));
    audit(&state, Some(&me), &me.username, "settings", None, detail).await;
    Ok(())
}

pub async fn audit_log(
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<Vec<AuditRecord>, ApiError> {
    admin().await?;
    let query = audit_query(actor, action, from, to)?;
    let lang = crate::i18n::request_lang();
    let entries = state()?
        .store
        .audit_entries(&query)
        .await
        .map_err(|e| internal("reading the audit log failed", e))?;
    Ok(entries.into_iter().map(|e| lang.say_audit(e)).collect())
}

/// The audit page's filters as a store query (at most 500 entries).
pub fn audit_query(
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<AuditQuery, ApiError> {
    let day = |field: &str, value: Option<String>| match non_empty(value) {
        Some(v) => day_start_ms(&v).map(Some).ok_or_else(|| {
            super::fail(ApiError::BadRequest(format!(
                "{field}: `{v}` is not a date like 2026-11-28"
            )))
        }),
        None => Ok(None),
    };
    Ok(AuditQuery {
        actor: non_empty(actor),
        action: non_empty(action),
        from_ms: day("from", from)?,
        until_ms: day("to", to)?.map(|t| t + 86_400_000),
        limit: 500,
    })
}
