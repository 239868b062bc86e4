//! Rooms: create one, add a member, list the caller's.

use super::{current_user, fail, internal, state};
use crate::{api::ApiError, protocol::api::valid_room_name};

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
