//! Telling open sockets that their account changed: every change to a user (sign-out, password,
//! role, disabled) or to a token (revoked) raises a counter the sockets of that subject watch; a
//! socket then checks its credential again and closes with 4001 if it no longer holds.

use tokio::sync::watch;

use super::Accounts;
use crate::auth::{AuthUser, Credential};

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

    pub(super) fn changed(&self, subject: Subject) {
        let changes = self.inner.changes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = changes.get(&subject) {
            tx.send_modify(|n| *n += 1);
        }
    }
}
