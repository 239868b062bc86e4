//! The writing half of a connection: drains the outbox (one message as itself, several as a batch frame),
//! sends heartbeat pings, enforces the token's expiry, and sends the close frame that ends it all.

use std::{
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc, OnceLock,
    },
    time::Duration,
};

use axum::extract::ws::{CloseFrame, Message};
use futures::{Sink, SinkExt};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::outbox::{batch_frame, Item, Outbox};
use crate::{clock::now_ms, protocol::close_code};

/// How the reader and the server tell the writer to stop, and what it watches.
pub(super) struct Signals {
    /// The server is shutting down.
    pub shutdown: CancellationToken,
    /// The reader ended; `close_reason` may say which close frame to send after the last messages.
    pub done: CancellationToken,
    /// Set by the writer once it has sent its close frame (or the socket failed).
    pub close_sent: CancellationToken,
    pub close_reason: Arc<OnceLock<(u16, &'static str)>>,
    /// Heartbeats sent since the client last showed signs of life.
    pub missed_pongs: Arc<AtomicU32>,
    /// The token's expiry (seconds since the epoch); `refresh_token` moves it.
    pub expiry: watch::Receiver<u64>,
}

pub(super) async fn write_loop<S>(
    mut sink: S,
    outbox: Arc<Outbox>,
    signals: Signals,
    heartbeat: Duration,
    max_batch_bytes: usize,
) where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    let Signals {
        shutdown,
        done,
        close_sent,
        close_reason,
        missed_pongs,
        mut expiry,
    } = signals;
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    let mut items = Vec::new();
    // Every future the loop waits on is made once and polled again and again: a fresh
    // `cancelled()` per message would register with the server-wide shutdown token each time, and
    // with thousands of writers that one lock becomes the bottleneck of the fan-out.
    let done_fut = done.cancelled();
    let shutdown_fut = shutdown.cancelled();
    let expiry_sleep = tokio::time::sleep_until(deadline(*expiry.borrow()));
    tokio::pin!(done_fut, shutdown_fut, expiry_sleep);
    let mut expiry_open = true;
    let latency = metrics::histogram!("livecheck_ws_publish_to_send_seconds");
    let close = loop {
        tokio::select! {
            biased;
            _ = &mut done_fut => {
                // The reader ended: send what is still queued (answers to the last messages), then
                // the close frame it asked for.
                outbox.take_now(&mut items);
                let _ = send_items(&mut sink, &mut items, max_batch_bytes, &latency).await;
                break close_reason.get().copied();
            }
            _ = &mut shutdown_fut => break Some((close_code::SERVICE_RESTART, "server restarting; reconnect")),
            drained = outbox.drain(&mut items) => {
                if drained.is_none() {
                    if outbox.overflowed() {
                        warn!("slow consumer: closing so the client resumes");
                        metrics::counter!("livecheck_ws_slow_consumer_closes_total").increment(1);
                        break Some((close_code::SLOW_CONSUMER, "slow consumer"));
                    }
                    break close_reason.get().copied();
                }
                if send_items(&mut sink, &mut items, max_batch_bytes, &latency).await.is_err() {
                    break None;
                }
            }
            _ = ticker.tick() => {
                if missed_pongs.fetch_add(1, Ordering::Relaxed) >= 2 {
                    info!("heartbeat timeout");
                    break Some((close_code::HEARTBEAT_TIMEOUT, "heartbeat timeout"));
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break None;
                }
            }
            _ = &mut expiry_sleep => {
                info!("session token expired");
                break Some((close_code::TOKEN_EXPIRED, "token expired"));
            }
            changed = expiry.changed(), if expiry_open => match changed {
                Ok(()) => expiry_sleep.as_mut().reset(deadline(*expiry.borrow())),
                // The reader is gone; `done` fires next.
                Err(_) => expiry_open = false,
            },
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
    close_sent.cancel();
}

/// The instant a token expiring at `exp` (seconds since the Unix epoch) runs out.
fn deadline(exp: u64) -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_millis((exp * 1000).saturating_sub(now_ms()))
}

/// Sends what was drained: one message as itself, several as `batch` frames of bounded size.
async fn send_items<S>(
    sink: &mut S,
    items: &mut Vec<Item>,
    max_batch_bytes: usize,
    latency: &metrics::Histogram,
) -> Result<(), ()>
where
    S: Sink<Message, Error = axum::Error> + Unpin,
{
    if let Some(oldest) = items.first() {
        latency.record(oldest.published_at.elapsed().as_secs_f64());
    }
    let mut start = 0;
    while start < items.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < items.len()
            && (end == start || bytes + items[end].bytes.len() <= max_batch_bytes)
        {
            bytes += items[end].bytes.len();
            end += 1;
        }
        let frame = if end - start == 1 {
            items[start].bytes.clone()
        } else {
            batch_frame(&items[start..end])
        };
        sink.feed(Message::Text(frame)).await.map_err(|_| ())?;
        start = end;
    }
    items.clear();
    sink.flush().await.map_err(|_| ())
}
