//! Rooms as team spaces: create one, see its members and shared suites, and (as its admin) add,
//! remove and promote members.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::ssr;
use super::{
    codec::{Form, Json},
    ApiError,
};
use crate::protocol::api::RoomDetail;

/// Creates a room with the caller as its first member and admin.
#[server(endpoint = "create_room", input = Form, output = Json)]
pub async fn create_room(name: String) -> Result<(), ApiError> {
    ssr::rooms::create_room(name).await
}

/// Adds a user to a room the caller administers. The answer is the same whether or not the user
/// exists (the members list shows who is in).
#[server(endpoint = "add_room_member", input = Form, output = Json)]
pub async fn add_room_member(room: String, username: String) -> Result<(), ApiError> {
    ssr::rooms::add_room_member(room, username).await
}

/// Removes a member from a room the caller administers (or the caller from any room).
#[server(endpoint = "remove_room_member", input = Form, output = Json)]
pub async fn remove_room_member(room: String, username: String) -> Result<(), ApiError> {
    ssr::rooms::remove_room_member(room, username).await
}

/// Makes a member a room admin (`admin`) or a plain member (`member`).
#[server(endpoint = "set_room_role", input = Form, output = Json)]
pub async fn set_room_role(room: String, username: String, role: String) -> Result<(), ApiError> {
    ssr::rooms::set_room_role(room, username, role).await
}

/// The rooms the caller is a member of.
#[server(endpoint = "rooms", input = Form, output = Json)]
pub async fn my_rooms() -> Result<Vec<String>, ApiError> {
    ssr::rooms::my_rooms().await
}

/// One of the caller's rooms: members and shared suites.
#[server(endpoint = "room", input = Form, output = Json)]
pub async fn get_room(name: String) -> Result<RoomDetail, ApiError> {
    ssr::rooms::get_room(name).await
}
