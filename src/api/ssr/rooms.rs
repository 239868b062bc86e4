//! Rooms: create one, read one, list the caller's, and manage members (room admins).

use super::{audit, current_user, fail, internal, runner, state};
use crate::{
    api::ApiError,
    auth::AuthUser,
    protocol::api::{valid_room_name, RoomDetail},
    store::rooms::{ROOM_ADMIN, ROOM_MEMBER},
};

pub async fn create_room(name: String) -> Result<(), ApiError> {
    let user = runner().await?;
    let state = state()?;
    if !valid_room_name(&name) {
        return Err(fail(ApiError::BadRequest(
            "a room name is 1–64 letters, digits, '-' or '_'".into(),
        )));
    }
    let created = state
        .store
        .create_room(&name, user.id)
        .await
        .map_err(|e| internal("creating a room failed", e))?;
    if !created {
        return Err(fail(ApiError::BadRequest(format!(
            "the room `{name}` already exists"
        ))));
    }
    audit(
        &state,
        Some(&user),
        &user.username,
        "room_create",
        Some(name),
        None,
    )
    .await;
    Ok(())
}

/// The caller, if they administer `room` (its admins, and site admins); 404 otherwise, so rooms one
/// is not in stay unknown.
async fn room_admin(room: &str) -> Result<AuthUser, ApiError> {
    let user = current_user().await?;
    let role = state()?
        .store
        .room_role(room, user.id)
        .await
        .map_err(|e| internal("membership lookup failed", e))?;
    match role.as_deref() {
        Some(ROOM_ADMIN) => Ok(user),
        Some(_) if user.is_admin() => Ok(user),
        Some(_) => Err(fail(ApiError::Forbidden)),
        None => Err(fail(ApiError::NotFound)),
    }
}

pub async fn add_room_member(room: String, username: String) -> Result<(), ApiError> {
    let user = room_admin(&room).await?;
    let state = state()?;
    // The same answer whether or not the user exists: the members list shows who is in.
    state
        .store
        .add_member(&room, &username)
        .await
        .map_err(|e| internal("adding a member failed", e))?;
    let detail = Some(format!("added {username}"));
    audit(
        &state,
        Some(&user),
        &user.username,
        "room_member_add",
        Some(room),
        detail,
    )
    .await;
    Ok(())
}

pub async fn remove_room_member(room: String, username: String) -> Result<(), ApiError> {
    let user = current_user().await?;
    // Anyone may leave; removing someone else takes a room admin.
    if !user.username.eq_ignore_ascii_case(&username) {
        room_admin(&room).await?;
    }
    let state = state()?;
    let store = &state.store;
    let role = store
        .room_role(&room, user.id)
        .await
        .map_err(|e| internal("membership lookup failed", e))?;
    if role.is_none() {
        return Err(fail(ApiError::NotFound));
    }
    let leaving_admin = store
        .room_members(&room)
        .await
        .map_err(|e| internal("membership lookup failed", e))?
        .iter()
        .any(|m| m.username.eq_ignore_ascii_case(&username) && m.room_role == ROOM_ADMIN);
    if leaving_admin
        && store
            .room_admins(&room)
            .await
            .map_err(|e| internal("membership lookup failed", e))?
            <= 1
    {
        return Err(fail(ApiError::BadRequest(
            "a room keeps at least one admin; make another member admin first".into(),
        )));
    }
    store
        .remove_member(&room, &username)
        .await
        .map_err(|e| internal("removing a member failed", e))?;
    // Their open sockets leave the room and stop following its runs now, not at their next sign-in.
    match store.user_by_name(&username).await {
        Ok(Some(removed)) => state.accounts.access_changed(removed.id),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not tell the removed member's sockets"),
    }
    let detail = Some(format!("removed {username}"));
    audit(
        &state,
        Some(&user),
        &user.username,
        "room_member_remove",
        Some(room),
        detail,
    )
    .await;
    Ok(())
}

pub async fn set_room_role(room: String, username: String, role: String) -> Result<(), ApiError> {
    let user = room_admin(&room).await?;
    let state = state()?;
    if role != ROOM_ADMIN && role != ROOM_MEMBER {
        return Err(fail(ApiError::BadRequest(
            "a room role is `admin` or `member`".into(),
        )));
    }
    let store = &state.store;
    if role == ROOM_MEMBER {
        let admins = store
            .room_admins(&room)
            .await
            .map_err(|e| internal("membership lookup failed", e))?;
        let is_admin = store
            .room_members(&room)
            .await
            .map_err(|e| internal("membership lookup failed", e))?
            .iter()
            .any(|m| m.username.eq_ignore_ascii_case(&username) && m.room_role == ROOM_ADMIN);
        if is_admin && admins <= 1 {
            return Err(fail(ApiError::BadRequest(
                "a room keeps at least one admin".into(),
            )));
        }
    }
    let changed = store
        .set_room_role(&room, &username, &role)
        .await
        .map_err(|e| internal("changing a member's role failed", e))?;
    if !changed {
        return Err(fail(ApiError::NotFound));
    }
    let detail = Some(format!("{username} is {role}"));
    audit(
        &state,
        Some(&user),
        &user.username,
        "room_member_role",
        Some(room),
        detail,
    )
    .await;
    Ok(())
}

pub async fn my_rooms() -> Result<Vec<String>, ApiError> {
    let user = current_user().await?;
    state()?
        .store
        .rooms_of(user.id)
        .await
        .map_err(|e| internal("listing rooms failed", e))
}

pub async fn get_room(name: String) -> Result<RoomDetail, ApiError> {
    let user = current_user().await?;
    let store = state()?.store;
    let role = store
        .room_role(&name, user.id)
        .await
        .map_err(|e| internal("membership lookup failed", e))?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    let members = store
        .room_members(&name)
        .await
        .map_err(|e| internal("listing members failed", e))?;
    let suites = store
        .suites_in_room(user.id, &name)
        .await
        .map_err(|e| internal("listing suites failed", e))?;
    Ok(RoomDetail {
        admin: role == ROOM_ADMIN || user.is_admin(),
        name,
        members,
        suites,
    })
}
