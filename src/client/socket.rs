//! The connection loop in the browser: connect, re-follow every run, apply messages, and reconnect
//! with backoff when the socket drops. The session cookie authenticates the upgrade.

use futures::{
    channel::mpsc::{unbounded, UnboundedReceiver},
    future::{select, Either, LocalBoxFuture},
    SinkExt, StreamExt,
};
use gloo_net::websocket::{futures::WebSocket, Message, WebSocketError};
use gloo_timers::future::TimeoutFuture;
use leptos::{prelude::*, wasm_split::SplitLoaderError};

use super::{backoff::Backoff, ConnState, Live};
use crate::protocol::{close_code, ClientMessage, ServerMessage};

/// How long a connect may take before it counts as failed (the seed's 10 s).
const CONNECT_TIMEOUT_MS: u32 = 10_000;

pub(super) fn start(live: Live, generation: u64) {
    let (tx, rx) = unbounded();
    live.outgoing.set_value(Some(tx));
    leptos::task::spawn_local(async move {
        live.state.set(ConnState::Connecting);
        // The loop's code is a piece of its own. A failed fetch of it (the network dropped just
        // then) is retried like a failed connect, never the end of the page.
        let mut backoff = Backoff::default();
        while load_connection().await.is_err() {
            leptos::logging::warn!("could not fetch the live connection's code; retrying");
            if !wait_out(live, generation, &mut backoff).await {
                return;
            }
        }
        if let Ok(connection) = connection(live, generation, rx).await {
            connection.await;
        }
    });
}

/// The connection loop, in its own lazily loaded piece of the wasm bundle (cut by `wasm-split-cli`
/// in `./run build`): the socket, the protocol's readers and the folding of events into runs are
/// fetched once the page has hydrated and someone is signed in, so no page waits on them to show.
/// `fallible`: a failed fetch is an `Err` from `load_connection` (Leptos's `#[lazy]` would panic,
/// and a panic aborts the whole wasm module).
#[leptos::wasm_split::wasm_split(
    connection_live,
    wasm_split_path = ::leptos::wasm_split,
    fallible,
    preload(load_connection)
)]
fn connection(
    live: Live,
    generation: u64,
    rx: UnboundedReceiver<ClientMessage>,
) -> Result<LocalBoxFuture<'static, ()>, SplitLoaderError> {
    Ok(Box::pin(run(live, generation, rx)))
}

enum Ended {
    /// Try again after a backoff delay.
    Retry,
    /// Do not reconnect; the reason is shown to the user.
    Stop(String),
    /// `Live::disconnect` was called; it already set the state.
    Detached,
}

async fn run(live: Live, generation: u64, mut rx: UnboundedReceiver<ClientMessage>) {
    let mut backoff = Backoff::default();
    live.state.set(ConnState::Connecting);
    loop {
        let ended = connect_once(live, &mut rx, &mut backoff).await;
        if !live.is_current(generation) {
            return;
        }
        match ended {
            Ended::Stop(reason) => {
                live.outgoing.set_value(None);
                live.state.set(ConnState::Closed { reason });
                return;
            }
            Ended::Detached => return,
            Ended::Retry => {}
        }
        if !wait_out(live, generation, &mut backoff).await {
            return;
        }
    }
}

/// Waits out the next backoff delay, counting it down on screen, but goes on at once when the
/// browser comes back online; while it is offline, trying is pointless, so it waits for `online`
/// alone. False when the connection was replaced or detached meanwhile.
async fn wait_out(live: Live, generation: u64, backoff: &mut Backoff) -> bool {
    let delay = backoff.next_delay_ms(js_sys::Math::random());
    let attempt = backoff.attempt();
    let reconnecting = |retry_in_ms| ConnState::Reconnecting {
        attempt,
        retry_in_ms,
    };
    let mut online = Box::pin(OnlineEvent::new().wait());
    if is_offline() {
        live.state.set(reconnecting(delay));
        online.await;
    } else {
        let mut left = delay;
        while left > 0 && live.is_current(generation) {
            live.state.set(reconnecting(left));
            // Whole seconds after the first step: "in 2.4 s", "in 2.0 s", "in 1.0 s".
            let step = match left % 1000 {
                0 => 1000,
                part => part,
            };
            match select(TimeoutFuture::new(step as u32), online.as_mut()).await {
                Either::Left(_) => left -= step,
                Either::Right(_) => break,
            }
        }
    }
    live.is_current(generation)
}

async fn connect_once(
    live: Live,
    rx: &mut UnboundedReceiver<ClientMessage>,
    backoff: &mut Backoff,
) -> Ended {
    let Ok(ws) = WebSocket::open(&ws_url()) else {
        return Ended::Retry;
    };
    let (mut sink, mut stream) = ws.split();

    // The server speaks first (`connection_established`); no word within the timeout is a failure.
    let first = select(stream.next(), TimeoutFuture::new(CONNECT_TIMEOUT_MS)).await;
    let hello = match first {
        Either::Left((Some(Ok(Message::Text(text))), _)) => text,
        _ => return failed_connect().await,
    };
    if let Ok(msg) = ServerMessage::from_json(&hello) {
        on_message(live, &msg);
    }
    live.state.set(ConnState::Open);
    backoff.reset();

    // Whatever was queued while disconnected is covered by re-following every run now.
    while rx.try_recv().is_ok() {}
    // Resume every followed run from the last event shown, so nothing is missed or shown twice.
    for (test_id, resume) in live.resume_points() {
        let (since_seq, epoch) = resume.unzip();
        let msg = ClientMessage::SubscribeTest {
            test_id,
            since_seq,
            epoch,
        };
        if send(&mut sink, &msg).await.is_err() {
            return Ended::Retry;
        }
    }

    loop {
        match select(stream.next(), rx.next()).await {
            Either::Left((Some(Ok(Message::Text(text))), _)) => {
                match ServerMessage::from_json(&text) {
                    Ok(msg) => on_message(live, &msg),
                    Err(e) => leptos::logging::warn!("unreadable server message: {e}"),
                }
            }
            Either::Left((Some(Ok(Message::Bytes(_))), _)) => {}
            Either::Left((Some(Err(WebSocketError::ConnectionClose(event))), _)) => {
                return if close_code::should_reconnect(event.code) {
                    Ended::Retry
                } else {
                    Ended::Stop(super::reason::SESSION_EXPIRED.into())
                };
            }
            Either::Left((Some(Err(_)), _)) | Either::Left((None, _)) => return Ended::Retry,
            Either::Right((Some(msg), _)) => {
                if send(&mut sink, &msg).await.is_err() {
                    return Ended::Retry;
                }
            }
            // `Live::disconnect` dropped the sender.
            Either::Right((None, _)) => return Ended::Detached,
        }
    }
}

/// A failed upgrade looks the same to a browser whether the server is down or refused the token, so
/// ask the server who we are: no session means stop, anything else means retry.
async fn failed_connect() -> Ended {
    match crate::api::me().await {
        Ok(None) => Ended::Stop(super::reason::SIGN_IN_AGAIN.into()),
        _ => Ended::Retry,
    }
}

fn on_message(live: Live, msg: &ServerMessage) {
    if let ServerMessage::ConnectionEstablished { server_time, .. } = msg {
        live.clock_offset_ms
            .set(*server_time as i64 - js_sys::Date::now() as i64);
    }
    live.apply(msg);
}

async fn send<S>(sink: &mut S, msg: &ClientMessage) -> Result<(), ()>
where
    S: futures::Sink<Message> + Unpin,
{
    let text = serde_json::to_string(msg).map_err(|_| ())?;
    sink.send(Message::Text(text)).await.map_err(|_| ())
}

fn is_offline() -> bool {
    !window().navigator().on_line()
}

/// The window's next `online` event, as a future. The listener goes away with it.
struct OnlineEvent {
    fired: futures::channel::oneshot::Receiver<()>,
    handle: Option<leptos::prelude::WindowListenerHandle>,
}

impl OnlineEvent {
    fn new() -> Self {
        let (tx, fired) = futures::channel::oneshot::channel();
        let tx = std::cell::RefCell::new(Some(tx));
        let handle = window_event_listener_untyped("online", move |_| {
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(());
            }
        });
        Self {
            fired,
            handle: Some(handle),
        }
    }

    async fn wait(mut self) {
        let _ = (&mut self.fired).await;
    }
}

impl Drop for OnlineEvent {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.remove();
        }
    }
}

fn ws_url() -> String {
    let location = window().location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss:",
        _ => "ws:",
    };
    let host = location.host().unwrap_or_default();
    format!("{scheme}//{host}/ws")
}
