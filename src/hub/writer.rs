//! The writing half of a connection: sends what the outbox hands over (each message its own frame,
//! everything drained at once flushed together: one write for many frames), sends heartbeat pings,
//! enforces the token's expiry, and sends the close frame that ends it all.
//!
//! It waits on two things only, the outbox and one timer (the next ping or the token's expiry,
//! whichever comes first): a fan-out wakes each subscriber's writer once, and that wake polls
//! nothing else. The reader tells it everything else through the outbox (a refreshed expiry; the end,
//! by closing it, after which the writer sends what was queued, then the close frame).

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc, OnceLock,
    },
    time::Duration,
};

use futures::{Sink, SinkExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};
use tungstenite::{protocol::CloseFrame, Error, Message};

use super::outbox::{Item, Outbox, Wake};
use crate::{clock::now_ms, protocol::close_code};

/// What the reader and the writer share besides the outbox.
pub(super) struct Signals {
    /// Set by the writer once it has sent its close frame (or the socket failed).
    pub close_sent: CancellationToken,
    /// The close frame the reader asks for when it ends the connection.
    pub close_reason: Arc<OnceLock<(u16, &'static str)>>,
    /// Heartbeats sent since the client last showed signs of life.
    pub missed_pongs: Arc<AtomicU32>,
    /// The token's expiry (seconds since the epoch); a refresh moves it through the outbox.
    pub expires_at: u64,
}

/// Runs until the connection ends; gives the sink back, so that the reader can put the socket
/// together again when it must read on after the close frame.
pub(super) async fn write_loop<S>(
    mut sink: S,
    outbox: Arc<Outbox>,
    signals: Signals,
    heartbeat: Duration,
) -> S
where
    S: Sink<Message, Error = Error> + Unpin,
{
    let Signals {
        close_sent,
        close_reason,
        missed_pongs,
        expires_at,
    } = signals;
    let mut next_ping = Instant::now() + heartbeat;
    let mut expiry = deadline(expires_at);
    let timer = tokio::time::sleep_until(next_ping.min(expiry));
    tokio::pin!(timer);
    let latency = metrics::histogram!("livecheck_ws_publish_to_send_seconds");
    let close = loop {
        tokio::select! {
            biased;
            wake = outbox.next() => match wake {
                Wake::Send(items) => {
                    if send_items(&mut sink, &items, &latency).await.is_err() {
                        break None;
                    }
                }
                Wake::Expiry(expires_at) => {
                    expiry = deadline(expires_at);
                    timer.as_mut().reset(next_ping.min(expiry));
                }
                Wake::Overflow => {
                    warn!("slow consumer: closing so the client resumes");
                    metrics::counter!("livecheck_ws_slow_consumer_closes_total").increment(1);
                    break Some((close_code::SLOW_CONSUMER, "slow consumer"));
                }
                Wake::Closed => break close_reason.get().copied(),
            },
            _ = &mut timer => {
                let now = Instant::now();
                if now >= expiry {
                    info!("session token expired");
                    break Some((close_code::TOKEN_EXPIRED, "token expired"));
                }
                if now >= next_ping {
                    if missed_pongs.fetch_add(1, Ordering::Relaxed) >= 2 {
                        info!("heartbeat timeout");
                        break Some((close_code::HEARTBEAT_TIMEOUT, "heartbeat timeout"));
                    }
                    if sink.send(Message::Ping(Default::default())).await.is_err() {
                        break None;
                    }
                    next_ping = now + heartbeat;
                }
                timer.as_mut().reset(next_ping.min(expiry));
            }
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code: code.into(),
            reason: reason.into(),
        };
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
    let _ = sink.close().await;
    close_sent.cancel();
    sink
}

/// The instant a token expiring at `exp` (seconds since the Unix epoch) runs out.
fn deadline(exp: u64) -> Instant {
    Instant::now() + Duration::from_millis((exp * 1000).saturating_sub(now_ms()))
}

/// Sends what was drained, in order, each message as its own frame (what a client written from the
/// seed's message list reads), and flushes once: the frames go out together, in one write while they
/// fit the socket's buffer.
async fn send_items<S>(
    sink: &mut S,
    items: &VecDeque<Item>,
    latency: &metrics::Histogram,
) -> Result<(), ()>
where
    S: Sink<Message, Error = Error> + Unpin,
{
    if let Some(oldest) = items.front() {
        latency.record(oldest.published_at.elapsed().as_secs_f64());
    }
    for item in items {
        sink.feed(Message::Text(item.bytes.clone()))
            .await
            .map_err(|_| ())?;
    }
    sink.flush().await.map_err(|_| ())
}
