//! One WebSocket connection: a reader that handles client messages and a writer that drains the
//! connection's outbox and sends heartbeats, joined so that either ending ends both.
//!
//! The handler is generic over the socket's `Sink`/`Stream` halves, so it does not care whether the
//! bytes come from axum or from a test harness. Authentication happened before the upgrade; this module
//! only checks what each message asks for.

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc, OnceLock,
    },
    time::Duration,
};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes};
use futures::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn, Instrument};

use super::{encode, Hub, Outbox, Subscribed};
use crate::{
    auth::AuthUser,
    protocol::{close_code, parse_client_message, ClientMessage, ErrorCode, ServerMessage},
    server::now_ms,
    store::Store,
};

/// Per-connection limits and timings.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Messages queued for one client before it counts as a slow consumer.
    pub outbox_capacity: usize,
    /// How often the server pings; two unanswered pings close the connection.
    pub heartbeat_interval: Duration,
    /// Runs one connection may follow at once.
    pub max_subscriptions: usize,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self {
            outbox_capacity: 1024,
            heartbeat_interval: Duration::from_secs(30),
            max_subscriptions: 100,
        }
    }
}

/// Everything a connection needs besides its socket.
pub struct Connection {
    pub hub: Hub,
    pub store: Store,
    pub user: AuthUser,
    pub settings: ConnectionSettings,
}

impl Connection {
    /// Serves the socket until the client leaves, the server drops it, or `shutdown` fires.
    pub async fn run<S>(self, socket: S, shutdown: CancellationToken)
    where
        S: Stream<Item = Result<Message, axum::Error>>
            + Sink<Message, Error = axum::Error>
            + Send
            + 'static,
    {
        let id = self.hub.next_connection_id();
        let span = tracing::info_span!("ws", conn = id, user = self.user.id);
        self.serve(id, socket, shutdown).instrument(span).await
    }

    async fn serve<S>(self, id: u64, socket: S, shutdown: CancellationToken)
    where
        S: Stream<Item = Result<Message, axum::Error>>
            + Sink<Message, Error = axum::Error>
            + Send
            + 'static,
    {
        info!("connected");
        let (outbox, rx, overflow) = Outbox::new(self.settings.outbox_capacity);
        let (sink, mut stream) = socket.split();
        let missed_pongs = Arc::new(AtomicU32::new(0));

        let hello = ServerMessage::ConnectionEstablished {
            connection_id: id,
            user_id: self.user.id,
            username: self.user.username.clone(),
            server_time: now_ms(),
        };
        // The outbox is new and empty: this cannot be refused.
        let _ = outbox.tx.try_send(encode(&hello));

        let done = CancellationToken::new();
        let close_reason = Arc::new(OnceLock::new());
        let writer = tokio::spawn(
            write_loop(
                sink,
                rx,
                Signals {
                    overflow,
                    shutdown: shutdown.clone(),
                    done: done.clone(),
                    close_reason: close_reason.clone(),
                    missed_pongs: missed_pongs.clone(),
                },
                self.settings.heartbeat_interval,
            )
            .in_current_span(),
        );

        let mut session = Session {
            id,
            conn: &self,
            outbox,
            subscriptions: HashSet::new(),
            missed_pongs: missed_pongs.clone(),
        };
        loop {
            let frame = tokio::select! {
                frame = stream.next() => frame,
                _ = done.cancelled() => break,
            };
            match frame {
                Some(Ok(Message::Text(text))) => session.handle_text(&text).await,
                Some(Ok(Message::Binary(_))) => {
                    session
                        .reply_error(
                            ErrorCode::MalformedMessage,
                            "binary frames are not supported; send JSON text".into(),
                        )
                        .await
                }
                // Any sign of life counts as an answer to the heartbeat.
                Some(Ok(Message::Pong(_) | Message::Ping(_))) => {
                    missed_pongs.store(0, Ordering::Relaxed)
                }
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(e)) => {
                    if is_too_big(e) {
                        info!("message over the size limit; closing with 1009");
                        let _ = close_reason.set((close_code::MESSAGE_TOO_BIG, "message too big"));
                    } else {
                        debug!("socket error");
                    }
                    break;
                }
            }
        }

        for test_id in &session.subscriptions {
            self.hub.unsubscribe(id, test_id);
        }
        drop(session);
        done.cancel();
        let _ = writer.await;
        info!("disconnected");
    }
}

/// The reader's view of one connection.
struct Session<'a> {
    id: u64,
    conn: &'a Connection,
    outbox: Outbox,
    subscriptions: HashSet<String>,
    missed_pongs: Arc<AtomicU32>,
}

impl Session<'_> {
    async fn handle_text(&mut self, text: &str) {
        self.missed_pongs.store(0, Ordering::Relaxed);
        let msg = match parse_client_message(text) {
            Ok(msg) => msg,
            Err((code, message)) => return self.reply_error(code, message).await,
        };
        match msg {
            ClientMessage::SubscribeTest { test_id } => self.subscribe(test_id).await,
            ClientMessage::UnsubscribeTest { test_id } => {
                self.conn.hub.unsubscribe(self.id, &test_id);
                self.subscriptions.remove(&test_id);
                self.reply(&ServerMessage::Unsubscribed { test_id }).await;
            }
            ClientMessage::Ping { timestamp } => {
                self.reply(&ServerMessage::Pong {
                    timestamp,
                    server_time: now_ms(),
                })
                .await
            }
        }
    }

    async fn subscribe(&mut self, test_id: String) {
        if !self.subscriptions.contains(&test_id)
            && self.subscriptions.len() >= self.conn.settings.max_subscriptions
        {
            let max = self.conn.settings.max_subscriptions;
            return self
                .reply_error(
                    ErrorCode::TooManySubscriptions,
                    format!("a connection may follow at most {max} runs"),
                )
                .await;
        }
        let user = self.conn.user.id;
        match self
            .conn
            .hub
            .subscribe(self.id, user, &test_id, &self.outbox)
        {
            Subscribed::Live => {
                self.subscriptions.insert(test_id);
            }
            Subscribed::Forbidden => self.not_found(&test_id).await,
            Subscribed::NotLive => match self.conn.store.run(&test_id).await {
                Ok(Some(run)) if run.user_id == user => {
                    self.reply(&ServerMessage::Subscribed {
                        test_id,
                        snapshot: run.snapshot,
                    })
                    .await
                }
                Ok(_) => self.not_found(&test_id).await,
                Err(e) => {
                    warn!(error = %e, "run lookup failed");
                    self.reply_error(ErrorCode::Internal, "could not load the run".into())
                        .await
                }
            },
        }
    }

    /// The one answer for "no such run" and "not your run".
    async fn not_found(&self, test_id: &str) {
        let shown: String = test_id.chars().take(64).collect();
        self.reply_error(
            ErrorCode::NotFound,
            format!("no run `{shown}` that you can see"),
        )
        .await
    }

    async fn reply_error(&self, code: ErrorCode, message: String) {
        debug!(?code, %message, "refused client message");
        self.reply(&ServerMessage::Error { code, message }).await
    }

    /// Queues an answer. Waiting here is fine: only this client's own reading is held up.
    async fn reply(&self, msg: &ServerMessage) {
        let _ = self.outbox.tx.send(encode(msg)).await;
    }
}

/// Whether a read failed because the client's message was over the size limit.
fn is_too_big(e: axum::Error) -> bool {
    matches!(
        e.into_inner().downcast_ref::<tungstenite::Error>(),
        Some(tungstenite::Error::Capacity(_))
    )
}

/// How the reader, the hub and the server tell the writer to stop.
struct Signals {
    /// The outbox overflowed (slow consumer).
    overflow: CancellationToken,
    /// The server is shutting down.
    shutdown: CancellationToken,
    /// The reader ended; `close_reason` may say which close frame to send.
    done: CancellationToken,
    close_reason: Arc<OnceLock<(u16, &'static str)>>,
    /// Heartbeats sent since the client last showed signs of life.
    missed_pongs: Arc<AtomicU32>,
}

async fn write_loop<S>(
    mut sink: S,
    mut rx: mpsc::Receiver<Utf8Bytes>,
    signals: Signals,
    heartbeat: Duration,
) where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let Signals {
        overflow,
        shutdown,
        done,
        close_reason,
        missed_pongs,
    } = signals;
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    let close = loop {
        tokio::select! {
            biased;
            _ = done.cancelled() => break close_reason.get().copied(),
            _ = overflow.cancelled() => {
                warn!("slow consumer: closing so the client resubscribes");
                break Some((close_code::SLOW_CONSUMER, "slow consumer"));
            }
            _ = shutdown.cancelled() => break Some((close_code::GOING_AWAY, "server shutting down")),
            msg = rx.recv() => match msg {
                Some(bytes) => {
                    if sink.send(Message::Text(bytes)).await.is_err() {
                        break None;
                    }
                }
                None => break None,
            },
            _ = ticker.tick() => {
                if missed_pongs.fetch_add(1, Ordering::Relaxed) >= 2 {
                    info!("heartbeat timeout");
                    break Some((close_code::HEARTBEAT_TIMEOUT, "heartbeat timeout"));
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break None;
                }
            }
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
    let _ = sink.close().await;
    done.cancel();
}
