//! Admission of runs: at most `global` runs execute at once, and at most `per_user` of any one user's.
//! The rest wait in one FIFO queue, with the status `queued`. When a slot frees, the oldest waiting run
//! whose user is under the per-user limit starts — one user's backlog never holds up other users.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
};

use tokio::sync::{oneshot, watch};

/// Runs one user may have waiting in the queue.
pub const MAX_WAITING_PER_USER: usize = 10;

/// The two limits (both at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    pub global: usize,
    pub per_user: usize,
}

impl Default for RunLimits {
    fn default() -> Self {
        Self {
            global: 16,
            per_user: 4,
        }
    }
}

#[derive(Default)]
struct State {
    running: usize,
    running_by_user: HashMap<i64, usize>,
    /// Waiting runs, oldest first.
    waiting: VecDeque<Waiter>,
    next_ticket: u64,
}

struct Waiter {
    ticket: u64,
    user: i64,
    admit: oneshot::Sender<Slot>,
    /// How many runs are ahead of it; updated as the queue moves.
    ahead: watch::Sender<usize>,
}

/// Hands out slots. Cheap to clone.
#[derive(Clone)]
pub struct Admission {
    limits: RunLimits,
    state: Arc<Mutex<State>>,
}

/// A run's place to execute; the slot frees when this is dropped.
pub struct Slot {
    user: i64,
    admission: Admission,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.admission.lock();
        state.running = state.running.saturating_sub(1);
        if let Some(n) = state.running_by_user.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                state.running_by_user.remove(&self.user);
            }
        }
        self.admission.dispatch(&mut state);
    }
}

/// What [`Admission::enter`] returns: a slot now, or a place in the queue.
pub enum Entry {
    Now(Slot),
    Queued {
        /// Runs ahead of this one in the queue.
        ahead: usize,
        ticket: Ticket,
    },
}

/// A place in the queue. Dropping it before admission leaves the queue (a cancelled run).
pub struct Ticket {
    id: u64,
    admission: Admission,
    admitted: oneshot::Receiver<Slot>,
    ahead: watch::Receiver<usize>,
}

impl Ticket {
    /// How many runs are ahead in the queue; changes as runs ahead start or leave.
    pub fn ahead(&self) -> watch::Receiver<usize> {
        self.ahead.clone()
    }

    /// Waits for a slot.
    pub async fn admitted(mut self) -> Slot {
        match (&mut self.admitted).await {
            Ok(slot) => slot,
            // The sender lives in the queue until it sends; only a dropped `Admission` loses it,
            // and then no more runs are being scheduled anyway.
            Err(_) => std::future::pending().await,
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut state = self.admission.lock();
        state.waiting.retain(|w| w.ticket != self.id);
        renumber(&state);
    }
}

impl Admission {
    pub fn new(limits: RunLimits) -> Self {
        Self {
            limits: RunLimits {
                global: limits.global.max(1),
                per_user: limits.per_user.max(1),
            },
            state: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for one of `user`'s runs, now or after the runs queued before it.
    pub fn enter(&self, user: i64) -> Entry {
        let mut state = self.lock();
        // Waiters are admitted whenever a slot frees, so any still waiting are held by their own
        // user's limit while there is global room: taking that room now overtakes no one who could use it.
        if self.has_room(&state, user) {
            return Entry::Now(self.take(&mut state, user));
        }
        let (tx, rx) = oneshot::channel();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        let ahead = state.waiting.len();
        let (ahead_tx, ahead_rx) = watch::channel(ahead);
        state.waiting.push_back(Waiter {
            ticket,
            user,
            admit: tx,
            ahead: ahead_tx,
        });
        Entry::Queued {
            ahead,
            ticket: Ticket {
                id: ticket,
                admission: self.clone(),
                admitted: rx,
                ahead: ahead_rx,
            },
        }
    }

    /// Whether `user` may queue one more run: each user has at most [`MAX_WAITING_PER_USER`] waiting,
    /// so one client cannot grow the queue (a row and a task per run) without bound.
    pub fn may_wait(&self, user: i64) -> bool {
        let state = self.lock();
        self.has_room(&state, user)
            || state.waiting.iter().filter(|w| w.user == user).count() < MAX_WAITING_PER_USER
    }

    /// Runs executing now and waiting, for metrics and tests.
    pub fn counts(&self) -> (usize, usize) {
        let state = self.lock();
        (state.running, state.waiting.len())
    }

    fn has_room(&self, state: &State, user: i64) -> bool {
        state.running < self.limits.global
            && state.running_by_user.get(&user).copied().unwrap_or(0) < self.limits.per_user
    }

    fn take(&self, state: &mut State, user: i64) -> Slot {
        state.running += 1;
        *state.running_by_user.entry(user).or_default() += 1;
        Slot {
            user,
            admission: self.clone(),
        }
    }

    /// Admits the oldest waiters that fit.
    fn dispatch(&self, state: &mut State) {
        let before = state.waiting.len();
        self.admit_waiters(state);
        if state.waiting.len() != before {
            renumber(state);
        }
    }

    fn admit_waiters(&self, state: &mut State) {
        let mut i = 0;
        while i < state.waiting.len() && state.running < self.limits.global {
            if !self.has_room(state, state.waiting[i].user) {
                i += 1;
                continue;
            }
            let Some(waiter) = state.waiting.remove(i) else {
                break;
            };
            let slot = self.take(state, waiter.user);
            if let Err(slot) = waiter.admit.send(slot) {
                // Its run went away meanwhile; give the slot back without re-entering the lock.
                state.running -= 1;
                if let Some(n) = state.running_by_user.get_mut(&slot.user) {
                    *n -= 1;
                }
                std::mem::forget(slot);
            }
        }
    }
}

/// Tells every waiter its new place.
fn renumber(state: &State) {
    for (i, w) in state.waiting.iter().enumerate() {
        w.ahead
            .send_if_modified(|ahead| std::mem::replace(ahead, i) != i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(entry: Entry) -> Slot {
        match entry {
            Entry::Now(slot) => slot,
            Entry::Queued { .. } => panic!("expected a slot now"),
        }
    }

    fn ticket(entry: Entry) -> (usize, Ticket) {
        match entry {
            Entry::Queued { ahead, ticket } => (ahead, ticket),
            Entry::Now(_) => panic!("expected to be queued"),
        }
    }

    #[tokio::test]
    async fn the_per_user_limit_queues_only_that_users_runs() {
        let a = Admission::new(RunLimits {
            global: 10,
            per_user: 1,
        });
        let first = slot(a.enter(1));
        let (ahead, queued) = ticket(a.enter(1));
        assert_eq!(ahead, 0);
        // Another user is not held up by user 1's queued run.
        let _other = slot(a.enter(2));
        assert_eq!(a.counts(), (2, 1));
        drop(first);
        let _second = queued.admitted().await;
        assert_eq!(a.counts(), (2, 0));
    }

    #[test]
    fn one_user_cannot_queue_without_bound() {
        let a = Admission::new(RunLimits {
            global: 1,
            per_user: 1,
        });
        let _running = slot(a.enter(1));
        let waiting: Vec<_> = (0..MAX_WAITING_PER_USER)
            .map(|_| {
                assert!(a.may_wait(1));
                ticket(a.enter(1))
            })
            .collect();
        assert!(!a.may_wait(1));
        // Other users still may.
        assert!(a.may_wait(2));
        drop(waiting);
        assert!(a.may_wait(1));
    }

    #[tokio::test]
    async fn the_global_limit_admits_in_order_and_cancelled_tickets_leave() {
        let a = Admission::new(RunLimits {
            global: 1,
            per_user: 5,
        });
        let running = slot(a.enter(1));
        let (_, gone) = ticket(a.enter(2));
        let (ahead, next) = ticket(a.enter(3));
        assert_eq!(ahead, 1);
        let place = next.ahead();
        drop(gone);
        // The run behind the one that left moved up.
        assert_eq!(*place.borrow(), 0);
        assert_eq!(a.counts(), (1, 1));
        drop(running);
        let _slot = next.admitted().await;
        assert_eq!(a.counts(), (1, 0));
    }
}
