//! Telling open sockets that their account changed: every change to a user (sign-out, password,
//! role, disabled) or to a token (revoked) raises a counter the sockets of that subject watch; a
//! socket then checks its credential again and closes with 4001 if it no longer holds.

use tokio::sync::watch;

use super::Accounts;
use crate::auth::{AuthUser, Credential};
use crate::broker::{Account, Broker};

/// What a change notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Subject {
    User(i64),
    Token(i64),
}

impl Accounts {
    /// A receiver that changes whenever something about `user`'s account or credential changes
    /// (sign-out, password, role, disabled, token revoked): a socket then checks its credential again.
    pub fn changes(&self, user: &AuthUser) -> watch::Receiver<u64> {
        let subject = match &user.credential {
            Credential::Session { .. } | Credential::Schedule { .. } => Subject::User(user.id),
            Credential::Token { id, .. } => Subject::Token(*id),
        };
        let mut changes = self.inner.changes.lock().unwrap_or_else(|e| e.into_inner());
        // Forget subjects nobody follows any more.
        changes.retain(|_, tx| tx.receiver_count() > 0);
        let rx = changes
            .entry(subject)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        if let Subject::Token(_) = subject {
            // A token also ends with its user's account (disabled, deleted).
            drop(changes);
            return self.joined(rx, user.id);
        }
        rx
    }

    /// A token's receiver that also fires on changes to its user.
    fn joined(&self, mut token: watch::Receiver<u64>, user_id: i64) -> watch::Receiver<u64> {
        let mut user = {
            let mut changes = self.inner.changes.lock().unwrap_or_else(|e| e.into_inner());
            changes
                .entry(Subject::User(user_id))
                .or_insert_with(|| watch::channel(0).0)
                .subscribe()
        };
        let (tx, rx) = watch::channel(0u64);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    changed = token.changed() => if changed.is_err() { break },
                    changed = user.changed() => if changed.is_err() { break },
                    _ = tx.closed() => break,
                }
                tx.send_modify(|n| *n += 1);
            }
        });
        rx
    }

    /// Tells the sockets of `subject`, on this node and on the cluster's others.
    pub(super) fn changed(&self, subject: Subject) {
        self.changed_here(subject);
        if let Some(broker) = self.inner.cluster.get() {
            broker.account_changed(match subject {
                Subject::User(id) => Account::User(id),
                Subject::Token(id) => Account::Token(id),
            });
        }
    }

    /// Tells this node's sockets of a change another node of the cluster made.
    pub fn changed_elsewhere(&self, account: Account) {
        self.changed_here(match account {
            Account::User(id) => Subject::User(id),
            Account::Token(id) => Subject::Token(id),
        });
    }

    /// From now on, tells the cluster's other nodes of every change too.
    pub fn tell_cluster(&self, broker: Broker) {
        let _ = self.inner.cluster.set(broker);
    }

    fn changed_here(&self, subject: Subject) {
        let changes = self.inner.changes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = changes.get(&subject) {
            tx.send_modify(|n| *n += 1);
        }
    }
}
