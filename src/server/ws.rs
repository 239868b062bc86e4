//! `GET /ws`: the WebSocket upgrade in front of the hub. It checks the `Origin`, authenticates from
//! `?token=`, a `bearer.<token>` subprotocol, `Authorization: Bearer` or the session cookie (a
//! session token or a personal access token), counts the user's open sockets, and only then upgrades;
//! the hub's [`Connection`] takes it from there. A foreign origin gets 403, a missing or bad token
//! 401, a user at their socket limit 429; no socket is opened for any of them.
//!
//! The upgrade itself ([`Upgrade`]) is done here rather than by axum's `WebSocketUpgrade`, whose
//! socket hides the connection under it: after refusing an oversized message the hub must read and
//! discard the rest of it from the connection, or closing would reset it and the client would never
//! read the close frame that says why.

use axum::{
    body::Body,
    extract::{Query, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode, Version},
    response::Response,
};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio_tungstenite::{
    tungstenite::{
        handshake::derive_accept_key,
        protocol::{Role, WebSocketConfig},
    },
    WebSocketStream,
};
use tracing::debug;

use super::{error::AppError, AppState};
use crate::{
    auth::{self, AuthUser},
    hub::conn::Connection,
};

/// Largest WebSocket message a client may send. Client messages are small commands; anything bigger
/// is refused by the socket layer (close code 1009) before it is buffered whole.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 64 * 1024;

/// How many bytes of frames the socket gathers before writing them (a flush writes the rest). With
/// none, every frame was its own `write` call, so a writer that drained ten messages made ten.
const WRITE_BATCH_BYTES: usize = 16 * 1024;

/// The subprotocol a non-browser client offers beside `bearer.<jwt>`; the server answers with it.
pub const WS_PROTOCOL: &str = "livecheck.v1";

#[derive(Deserialize)]
pub struct WsQuery {
    token: Option<String>,
}

pub async fn upgrade(
    State(state): State<AppState>,
    Query(query): Query<WsQuery>,
    mut request: Request,
) -> Result<Response, AppError> {
    let ws = Upgrade::from_request(&mut request)?;
    let headers = request.headers();
    if !state.origins.origin_ok(headers) {
        return Err(AppError::ForbiddenOrigin);
    }
    let credential = query
        .token
        .or_else(|| bearer_protocol(headers))
        .or_else(|| auth::request_credential(headers))
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
    Ok(ws.respond(socket_config(), move |socket| connection.run(socket)))
}

/// The socket's limits and buffers. Small buffers: most connections are idle most of the time, and
/// tungstenite's defaults (128 KiB each way) would dominate the memory of every one of them. The
/// writer feeds the frames it drained and flushes once: up to [`WRITE_BATCH_BYTES`] of them go out
/// in one write.
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_CLIENT_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_CLIENT_MESSAGE_BYTES))
        .read_buffer_size(512)
        .write_buffer_size(WRITE_BATCH_BYTES)
}

/// A validated WebSocket upgrade request: HTTP/1.1 `GET` with `Upgrade: websocket`, or HTTP/2's
/// extended `CONNECT` (RFC 8441), both at version 13. Refusals are 400s (405 for another method).
pub struct Upgrade {
    /// `Sec-WebSocket-Key` over HTTP/1.1; HTTP/2 has none.
    key: Option<HeaderValue>,
    /// Whether the client offered [`WS_PROTOCOL`], which the answer then names.
    protocol: bool,
    on_upgrade: OnUpgrade,
}

impl Upgrade {
    fn from_request(request: &mut Request) -> Result<Self, AppError> {
        let bad = |what: &str| AppError::BadRequest(format!("not a WebSocket upgrade: {what}"));
        let headers = request.headers();
        let key = if request.version() <= Version::HTTP_11 {
            if request.method() != Method::GET {
                return Err(AppError::MethodNotAllowed);
            }
            let connection = headers
                .get(header::CONNECTION)
                .and_then(|v| v.to_str().ok());
            if !connection.is_some_and(|v| v.to_ascii_lowercase().contains("upgrade")) {
                return Err(AppError::UpgradeRequired);
            }
            if !header_is(headers, header::UPGRADE, "websocket") {
                return Err(AppError::UpgradeRequired);
            }
            let key = headers.get(header::SEC_WEBSOCKET_KEY);
            Some(
                key.ok_or_else(|| bad("Sec-WebSocket-Key is missing"))?
                    .clone(),
            )
        } else {
            let protocol = request.extensions().get::<hyper::ext::Protocol>();
            if request.method() != Method::CONNECT
                || protocol.map(|p| p.as_str()) != Some("websocket")
            {
                return Err(AppError::MethodNotAllowed);
            }
            None
        };
        if !header_is(headers, header::SEC_WEBSOCKET_VERSION, "13") {
            return Err(bad("Sec-WebSocket-Version must be 13"));
        }
        let protocol = headers
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|p| p.trim() == WS_PROTOCOL);
        let on_upgrade = request
            .extensions_mut()
            .remove::<OnUpgrade>()
            .ok_or(AppError::UpgradeRequired)?;
        Ok(Self {
            key,
            protocol,
            on_upgrade,
        })
    }

    /// The answer that completes the handshake; once the client has it, `serve` gets the socket.
    fn respond<F, Fut>(self, config: WebSocketConfig, serve: F) -> Response
    where
        F: FnOnce(WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    let io = TokioIo::new(upgraded);
                    serve(WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await)
                        .await
                }
                Err(e) => debug!("upgrade failed: {e}"),
            }
        });
        let mut response = Response::new(Body::empty());
        if let Some(key) = self.key {
            // HTTP/1.1; HTTP/2 answers a plain 200 (RFC 8441).
            *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
            let headers = response.headers_mut();
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
            if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
                headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
            }
        }
        if self.protocol {
            response.headers_mut().insert(
                header::SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_static(WS_PROTOCOL),
            );
        }
        response
    }
}

fn header_is(headers: &HeaderMap, name: header::HeaderName, value: &str) -> bool {
    headers
        .get(name)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(value.as_bytes()))
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

#[cfg(test)]
mod tests {
    use std::{
        pin::Pin,
        task::{Context, Poll},
    };

    use futures::SinkExt;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    use tokio_tungstenite::tungstenite::Message;

    use super::*;

    /// A connection that counts the writes made to it.
    #[derive(Default)]
    struct Counting {
        writes: usize,
        bytes: usize,
    }

    impl AsyncRead for Counting {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context,
            _: &mut ReadBuf,
        ) -> Poll<std::io::Result<()>> {
            Poll::Pending
        }
    }

    impl AsyncWrite for Counting {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            self.writes += 1;
            self.bytes += buf.len();
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn the_frames_a_writer_drained_go_out_in_one_write() {
        let io = Counting::default();
        let mut socket =
            WebSocketStream::from_raw_socket(io, Role::Server, Some(socket_config())).await;
        // What the writer does with what it drained: feed each message as its own frame, flush once.
        for seq in 0..20 {
            let text = format!(r#"{{"type":"test_progress","seq":{seq},"progress":{seq}}}"#);
            socket.feed(Message::text(text)).await.unwrap();
        }
        socket.flush().await.unwrap();
        assert_eq!(socket.get_ref().writes, 1, "one write for twenty frames");
        assert!(socket.get_ref().bytes > 20 * 40);

        // A backlog bigger than the batch goes out in batch-sized writes, not frame by frame.
        let frame = format!(r#"{{"type":"test_progress","pad":"{}"}}"#, "x".repeat(1000));
        for _ in 0..100 {
            socket.feed(Message::text(frame.clone())).await.unwrap();
        }
        socket.flush().await.unwrap();
        let writes = socket.get_ref().writes - 1;
        assert!((6..=10).contains(&writes), "{writes} writes for 100 KB");
    }
}
