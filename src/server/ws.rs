//! `GET /ws`: the WebSocket upgrade in front of the hub. It checks the `Origin`, authenticates from
//! `?token=`, a `bearer.<token>` subprotocol, `Authorization: Bearer` or the session cookie (a
//! session token or a personal access token), counts the user's open sockets, and only then upgrades;
//! the hub's [`Connection`] takes it from there. A foreign origin gets 403, a missing or bad token
//! 401, a user at their socket limit 429; no socket is opened for any of them.

use axum::{
    extract::{Query, State, WebSocketUpgrade},
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{error::AppError, AppState};
use crate::{
    auth::{self, AuthUser},
    hub::conn::Connection,
};

/// Largest WebSocket message a client may send. Client messages are small commands; anything bigger
/// is refused by the socket layer (close code 1009) before it is buffered whole.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 64 * 1024;

/// The subprotocol a non-browser client offers beside `bearer.<jwt>`; the server answers with it.
pub const WS_PROTOCOL: &str = "livecheck.v1";

#[derive(Deserialize)]
pub struct WsQuery {
    token: Option<String>,
}

pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    if !state.origins.origin_ok(&headers) {
        return Err(AppError::ForbiddenOrigin);
    }
    let credential = query
        .token
        .or_else(|| bearer_protocol(&headers))
        .or_else(|| auth::request_credential(&headers))
        .ok_or(AppError::Unauthorized(auth::AuthError::Missing))?;
    let user: AuthUser = state.accounts.authenticate(&credential).await?;
    let slot = state
        .hub
        .open_socket(user.id, state.config.max_sockets_per_user)
        .ok_or(AppError::TooManySockets(state.config.max_sockets_per_user))?;
    let connection = Connection {
        hub: state.hub.clone(),
        runs: state.run_directory.clone(),
        store: state.store.clone(),
        accounts: state.accounts.clone(),
        credential,
        user,
        settings: state.config.connection.clone(),
        slot,
    };
    Ok(ws
        .protocols([WS_PROTOCOL])
        .max_message_size(MAX_CLIENT_MESSAGE_BYTES)
        .max_frame_size(MAX_CLIENT_MESSAGE_BYTES)
        // Small socket buffers: most connections are idle most of the time, and tungstenite's
        // defaults (128 KiB each way) would dominate the memory of every one of them.
        .read_buffer_size(512)
        .write_buffer_size(0)
        .on_upgrade(move |socket| connection.run(socket))
        .into_response())
}

/// The token in a `Sec-WebSocket-Protocol: livecheck.v1, bearer.<jwt>` offer.
fn bearer_protocol(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix("bearer.").map(str::to_owned))
}
