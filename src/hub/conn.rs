//! One WebSocket connection: a reader that handles client messages and a writer that drains the
//! connection's outbox, sends heartbeats and enforces the token's expiry, joined so that either ending
//! ends both.
//!
//! Memory per idle connection is what these two tasks hold, so the reader keeps the futures of its
//! rare, larger work (a subscribe with its store queries, a credential check) in boxes made while
//! that work runs, instead of sizing the long-lived task for them.
//!
//! The handler is generic over the connection under the socket. Authentication happened before the
//! upgrade; here every subscribe is authorised by the [`RunDirectory`] (owner or room member) and every
//! join against the store (room member).

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc, OnceLock,
    },
    time::{Duration, Instant},
};

use futures::{Future, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn, Instrument};
use tungstenite::Message;

mod session;

use super::{
    encode,
    limits::{RateLimiter, Verdict},
    outbox::{Item, Outbox},
    writer::{write_loop, Signals},
    Hub, RunDirectory, SocketSlot,
};
use crate::{
    accounts::Accounts,
    auth::AuthUser,
    clock::now_ms,
    protocol::{close_code, ErrorCode, ServerMessage},
    store::Store,
};
use session::Session;

/// Per-connection limits and timings.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Bytes queued for one client before it counts as a slow consumer.
    pub outbox_max_bytes: usize,
    /// How often the server pings; two unanswered pings close the connection.
    pub heartbeat_interval: Duration,
    /// Runs one connection may follow at once.
    pub max_subscriptions: usize,
    /// Rooms one connection may be in at once.
    pub max_rooms: usize,
    /// Client messages per second on average, and the burst allowed above it.
    pub rate_per_sec: u32,
    pub rate_burst: u32,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self {
            outbox_max_bytes: 1 << 20,
            heartbeat_interval: Duration::from_secs(30),
            max_subscriptions: 100,
            max_rooms: 20,
            rate_per_sec: 20,
            rate_burst: 40,
        }
    }
}

/// Everything a connection needs besides its socket.
pub struct Connection {
    pub hub: Hub,
    /// Finds runs and decides who may see them.
    pub runs: Arc<dyn RunDirectory>,
    pub store: Store,
    /// Checks the credential again when the account changes (sign-out, password, disabled).
    pub accounts: Accounts,
    /// What the socket authenticated with: a session token or a personal access token.
    pub credential: String,
    pub user: AuthUser,
    pub settings: ConnectionSettings,
    /// Counts the socket against the user's limit while it is open.
    pub slot: SocketSlot,
}

impl Connection {
    /// Serves the socket until the client leaves or the server drops it: when it is draining, the
    /// hub closes the socket with 1012 ([`Hub::drain_sockets`]).
    ///
    /// The set-up (splitting the socket, the first message, spawning the writer) runs here, before
    /// the future is made: the future, which the connection's task holds for as long as the socket
    /// is open, then keeps only what the reader needs, and nothing twice.
    pub fn run<IO>(
        mut self,
        socket: WebSocketStream<IO>,
    ) -> impl Future<Output = ()> + Send + 'static
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let id = self.slot.connection_id();
        let shutdown = self.slot.closer();
        let span = tracing::info_span!("ws", conn = id, user = self.user.id);
        metrics::gauge!("livecheck_ws_connections").increment(1.0);
        let outbox = Outbox::new(self.settings.outbox_max_bytes);
        let (sink, mut stream) = socket.split();
        let missed_pongs = Arc::new(AtomicU32::new(0));

        outbox.push(Item::control(encode(
            &ServerMessage::ConnectionEstablished {
                connection_id: id,
                user_id: self.user.id,
                username: self.user.username.clone(),
                server_time: now_ms(),
                heartbeat_interval_ms: self.settings.heartbeat_interval.as_millis() as u64,
                expires_at: self.user.expires_at,
            },
        )));

        let close_sent = CancellationToken::new();
        let close_reason = Arc::new(OnceLock::new());
        let writer = tokio::spawn(
            write_loop(
                sink,
                outbox.clone(),
                Signals {
                    close_sent: close_sent.clone(),
                    close_reason: close_reason.clone(),
                    missed_pongs: missed_pongs.clone(),
                    expires_at: self.user.expires_at,
                },
                self.settings.heartbeat_interval,
            )
            .instrument(span.clone()),
        );
        let credential = std::mem::take(&mut self.credential);
        let conn = self;

        async move {
        debug!("connected");
        let mut changes = conn.accounts.changes(&conn.user);
        let mut session = Session {
            id,
            conn: &conn,
            credential,
            outbox: outbox.clone(),
            subscriptions: HashSet::new(),
            rooms: HashSet::new(),
            limiter: RateLimiter::new(
                conn.settings.rate_per_sec,
                conn.settings.rate_burst,
                Instant::now(),
            ),
        };
        // Whether the client ended the connection (so there is nothing left to read).
        let mut client_gone = false;
        // Whether the client's message was over the limit: the rest of it is still coming.
        let mut too_big = false;
        let writer_closed = close_sent.cancelled();
        let shutdown = shutdown.cancelled();
        tokio::pin!(writer_closed, shutdown);
        loop {
            let frame = tokio::select! {
                frame = stream.next() => frame,
                _ = &mut writer_closed => break,
                _ = &mut shutdown => {
                    // The writer sends what is queued, then this close frame.
                    let _ = close_reason.set((close_code::SERVICE_RESTART, "server restarting; reconnect"));
                    break;
                }
                Ok(()) = changes.changed() => {
                    if Box::pin(session.credential_holds()).await {
                        Box::pin(session.recheck_access()).await;
                        continue;
                    }
                    info!("the session ended; closing with 4001");
                    let _ = close_reason.set((
                        close_code::UNAUTHORIZED,
                        "the session ended; sign in again",
                    ));
                    break;
                }
            };
            // Any frame from the client is a sign of life for the heartbeat.
            missed_pongs.store(0, Ordering::Relaxed);
            let text = match frame {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Binary(_))) => {
                    session.refuse(
                        ErrorCode::MalformedMessage,
                        "binary frames are not supported; send JSON text".into(),
                    );
                    continue;
                }
                Some(Ok(Message::Pong(_) | Message::Ping(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Close(_))) | None => {
                    client_gone = true;
                    break;
                }
                Some(Err(tungstenite::Error::Capacity(_))) => {
                    info!("message over the size limit; closing with 1009");
                    let _ = close_reason.set((close_code::MESSAGE_TOO_BIG, "message too big"));
                    too_big = true;
                    break;
                }
                // A frame that breaks the protocol fails the connection (RFC 6455 7.1.7); the
                // client is told why with a close frame rather than left with a bare hang-up.
                Some(Err(tungstenite::Error::Utf8(_))) => {
                    info!("a text message was not UTF-8; closing with 1007");
                    let _ = close_reason.set((
                        close_code::INVALID_PAYLOAD,
                        "a text message must be UTF-8",
                    ));
                    break;
                }
                Some(Err(tungstenite::Error::Protocol(e))) => {
                    info!("WebSocket protocol error ({e}); closing with 1002");
                    let _ = close_reason.set((close_code::PROTOCOL_ERROR, "WebSocket protocol error"));
                    break;
                }
                Some(Err(_)) => {
                    client_gone = true;
                    break;
                }
            };
            match session.limiter.check(Instant::now()) {
                Verdict::Allow => Box::pin(session.handle_text(&text)).await,
                Verdict::Refuse { notify } => {
                    metrics::counter!("livecheck_ws_errors_total", "code" => "rate_limited")
                        .increment(1);
                    if notify {
                        session.refuse(
                            ErrorCode::RateLimited,
                            "too many messages; slow down".into(),
                        );
                    }
                }
                Verdict::Flood => {
                    warn!("message flood; closing");
                    let _ = close_reason.set((close_code::FLOOD, "message flood"));
                    break;
                }
            }
        }

        // Closes the outbox: the writer sends what is queued and the close frame, if it has not
        // already.
        session.cleanup();
        let sink = writer.await;
        if too_big {
            // The socket stopped reading in the middle of the message; the connection under it
            // reads on, and throws away, until the client has read the close frame and hangs up.
            if let Ok(Ok(mut socket)) = sink.map(|sink| stream.reunite(sink)) {
                let _ = tokio::time::timeout(CLOSE_GRACE, discard(socket.get_mut())).await;
            }
        } else if !client_gone {
            // Keep reading (and discarding) until the client answers the close frame: closing the
            // TCP connection with unread input would reset it, and the client could lose the last
            // messages and the close frame itself.
            let _ = tokio::time::timeout(CLOSE_GRACE, async {
                while let Some(Ok(frame)) = stream.next().await {
                    if matches!(frame, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
        debug!("disconnected");
        // Dropping the connection drops its slot: the drain stops waiting for it.
        drop(conn);
        metrics::gauge!("livecheck_ws_connections").decrement(1.0);
        }
        .instrument(span)
    }
}

/// Reads and throws away what the client still sends, up to [`DISCARD_MAX_BYTES`], until it hangs
/// up or falls quiet (having answered the close frame, it waits for the server to hang up).
async fn discard(io: &mut (impl AsyncRead + Unpin)) {
    let mut scratch = [0u8; 4096];
    let mut left = DISCARD_MAX_BYTES;
    while left > 0 {
        match tokio::time::timeout(Duration::from_millis(200), io.read(&mut scratch)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => return,
            Ok(Ok(n)) => left = left.saturating_sub(n),
        }
    }
}

/// The most the server reads and throws away after refusing an oversized message.
const DISCARD_MAX_BYTES: usize = 64 << 20;

/// How long the server waits for the client's answer to its close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
