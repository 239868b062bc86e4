//! The run event log: every event a run published, stored exactly as sent, so a client can resume a
//! finished run's stream (also after a restart).
//!
//! Writes go through one background task that batches them into transactions: the hub hands events
//! over without waiting, and SQLite sees a few large transactions instead of one per event. The queue
//! is bounded; an event that does not fit is not stored, and recovery then finds the gap and answers
//! with a snapshot instead of a partial replay.

use std::{sync::Arc, time::Duration};

use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};
use tracing::warn;
use tungstenite::Utf8Bytes;

use super::{Result, Store};

/// Events waiting to be written before new ones are refused.
const QUEUE: usize = 65_536;
/// Events written per transaction at most.
const BATCH: usize = 2_048;

enum Op {
    Append {
        run: Arc<str>,
        epoch: String,
        seq: u64,
        body: Utf8Bytes,
    },
    /// Answered once every event queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// Handle to the log writer; cheap to clone.
#[derive(Clone)]
pub struct EventLog {
    tx: mpsc::Sender<Op>,
}

impl EventLog {
    /// Starts the writer task for `store`.
    pub fn spawn(store: &Store) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(store.pool.clone(), rx));
        Self { tx }
    }

    /// Queues one event without waiting. A full queue drops it (counted), never blocks the hub.
    pub fn append(&self, run: &Arc<str>, epoch: &str, seq: u64, body: Utf8Bytes) {
        let op = Op::Append {
            run: run.clone(),
            epoch: epoch.to_owned(),
            seq,
            body,
        };
        if self.tx.try_send(op).is_err() {
            metrics::counter!("livecheck_event_log_dropped_total").increment(1);
        }
    }

    /// Waits until everything queued so far is written (at most a few seconds).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Op::Flush(done)).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(10), wait).await;
        }
    }
}

async fn write_loop(pool: AnyPool, mut rx: mpsc::Receiver<Op>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let mut flushes = Vec::new();
        let mut rows = Vec::with_capacity(batch.len());
        for op in batch.drain(..) {
            match op {
                Op::Append {
                    run,
                    epoch,
                    seq,
                    body,
                } => rows.push((run, epoch, seq, body)),
                Op::Flush(done) => flushes.push(done),
            }
        }
        if !rows.is_empty() {
            if let Err(e) = write_rows(&pool, &rows).await {
                warn!(error = %e, events = rows.len(), "could not store run events");
                metrics::counter!("livecheck_event_log_dropped_total").increment(rows.len() as u64);
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

async fn write_rows(pool: &AnyPool, rows: &[(Arc<str>, String, u64, Utf8Bytes)]) -> Result<()> {
    let mut tx = pool.begin().await?;
    for (run, epoch, seq, body) in rows {
        sqlx::query(
            "INSERT INTO run_events (run_id, epoch, seq, body) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&**run)
        .bind(epoch)
        .bind(*seq as i64)
        .bind(body.as_str())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

impl Store {
    /// The stored events of a run's `epoch` after `since_seq`, in order, as sent.
    pub async fn run_events(
        &self,
        run_id: &str,
        epoch: &str,
        since_seq: u64,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT body FROM run_events WHERE run_id = $1 AND epoch = $2 AND seq > $3 ORDER BY seq",
        )
        .bind(run_id)
        .bind(epoch)
        .bind(since_seq as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.get("body")).collect())
    }

    /// The stored events of a run's epoch, as protocol messages (for rebuilding its state).
    pub(super) async fn run_messages(
        &self,
        run_id: &str,
        epoch: &str,
    ) -> Result<Vec<crate::protocol::ServerMessage>> {
        Ok(self
            .run_events(run_id, epoch, 0)
            .await?
            .iter()
            .filter_map(|body| serde_json::from_str(body).ok())
            .collect())
    }
}
