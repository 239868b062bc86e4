//! A run in progress on this server: its [`LiveTarget`] (events go to the run's hub topic, state to its
//! store row) and the task that drives it — wait in the queue if it must, execute the engine, then make
//! the finished run durable before the hub forgets it.

use std::{
    future::Future,
    sync::{Arc, OnceLock},
    time::Duration,
};

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::{queue, queue::RunLimits, Runs};
use crate::{
    broker::Broker,
    engine::{EventSink, EventTarget},
    hub::Hub,
    protocol::{RunEvent, RunStatus},
    store::Store,
};

/// The server's target: the run's hub topic, and its row in the store.
pub struct LiveTarget {
    pub test_id: String,
    pub hub: Hub,
    pub store: Store,
    /// Why the server stopped the run, when it did (the time limit): the engine's `cancelled`
    /// becomes a `test_error` that says so, the run's one end.
    pub stop: Arc<OnceLock<String>>,
}

impl EventTarget for LiveTarget {
    fn publish(&self, event: RunEvent) {
        let event = match (event, self.stop.get()) {
            (RunEvent::Status(RunStatus::Cancelled), Some(why)) => RunEvent::Error(why.clone()),
            (event, _) => event,
        };
        self.hub.publish(&self.test_id, event);
    }

    fn checkpoint(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(snapshot) = self.hub.live_snapshot(&self.test_id) {
                if let Err(e) = self.store.save_snapshot(&snapshot).await {
                    warn!(error = %e, "could not save the run's state");
                }
            }
        })
    }
}

/// Everything the task of one run holds.
pub struct Task<F> {
    pub runs: Runs,
    pub test_id: String,
    /// Whose run it is (the per-user limits count it).
    pub user: i64,
    pub entry: queue::Entry,
    pub cancel: CancellationToken,
    /// Shared with the run's [`LiveTarget`]: set before the server cancels a run on its own.
    pub stop: Arc<OnceLock<String>>,
    pub sink: EventSink,
    pub total_steps: u32,
    /// Longest the engine may execute.
    pub max_run: Duration,
    /// The engine's run, not started yet.
    pub run: F,
}

impl<F: Future<Output = ()>> Task<F> {
    /// Waits for a slot (reporting the place in the queue), runs the engine, then closes the run.
    pub async fn drive(self) {
        let Task {
            runs,
            test_id,
            user,
            entry,
            cancel,
            stop,
            sink,
            total_steps,
            max_run,
            run,
        } = self;
        let slot = match entry {
            queue::Entry::Now(slot) => Some(slot),
            queue::Entry::Queued { ahead, ticket } => {
                info!(ahead, "run queued");
                let queued = |ahead: usize| {
                    let runs = if ahead == 1 { "run" } else { "runs" };
                    sink.progress(
                        0,
                        0,
                        total_steps,
                        format!("Queued: waiting for a free slot ({ahead} {runs} ahead)"),
                        None,
                    );
                };
                queued(ahead);
                let mut place = ticket.ahead();
                let admitted = ticket.admitted();
                tokio::pin!(admitted);
                loop {
                    tokio::select! {
                        slot = &mut admitted => break Some(slot),
                        _ = cancel.cancelled() => {
                            sink.status(RunStatus::Cancelled).await;
                            break None;
                        }
                        Ok(()) = place.changed() => {
                            let ahead = *place.borrow_and_update();
                            queued(ahead);
                        }
                    }
                }
            }
        };
        // In a cluster, the limits hold across the nodes too: a cluster slot as well.
        let (slot, cluster_slot) = match (slot, runs.hub.broker()) {
            (Some(slot), Some(broker)) => {
                let limits = runs.policy.limits;
                match cluster_slot(broker, &test_id, user, limits, &sink, total_steps, &cancel)
                    .await
                {
                    ClusterSlot::Taken => (Some(slot), Some(broker.clone())),
                    ClusterSlot::Unavailable => (Some(slot), None),
                    ClusterSlot::Cancelled => {
                        sink.status(RunStatus::Cancelled).await;
                        (None, None)
                    }
                }
            }
            (slot, _) => (slot, None),
        };
        if let Some(slot) = slot {
            info!("run started");
            tokio::pin!(run);
            let in_time = tokio::time::timeout(max_run, &mut run).await.is_ok();
            if !in_time {
                // The engine stops at its next await point; the cancellation it reports becomes
                // this error (an engine that reports nothing gets it after; the hub keeps one end).
                warn!("run stopped at the time limit");
                let why = format!(
                    "stopped: a run may take at most {} s on this server",
                    max_run.as_secs()
                );
                let _ = stop.set(why.clone());
                cancel.cancel();
                run.await;
                sink.error(why).await;
            }
            drop(slot);
        }
        if let Some(broker) = cluster_slot {
            broker.free_slot(&test_id, user).await;
        }
        runs.finished(&test_id).await;
        info!("run finished");
    }
}

enum ClusterSlot {
    Taken,
    /// Redis does not answer: the node's own limits still hold, and the run goes on under them.
    Unavailable,
    Cancelled,
}

/// Waits for a slot under the cluster-wide limits, telling the run's watchers it is queued.
async fn cluster_slot(
    broker: &Broker,
    test_id: &str,
    user: i64,
    limits: RunLimits,
    sink: &EventSink,
    total_steps: u32,
    cancel: &CancellationToken,
) -> ClusterSlot {
    let mut told = false;
    loop {
        match broker
            .take_slot(test_id, user, limits.global, limits.per_user)
            .await
        {
            Ok(true) => return ClusterSlot::Taken,
            Ok(false) => {}
            Err(e) => {
                warn!(error = %e, "could not take a cluster slot; running under this node's limits");
                return ClusterSlot::Unavailable;
            }
        }
        if !std::mem::replace(&mut told, true) {
            sink.progress(
                0,
                0,
                total_steps,
                "Queued: waiting for a free slot in the cluster".into(),
                None,
            );
        }
        tokio::select! {
            () = broker.slot_freed() => {}
            () = cancel.cancelled() => return ClusterSlot::Cancelled,
        }
    }
}
