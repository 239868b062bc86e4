//! What a connection does with each client message: subscribe (authorised by the
//! [`RunDirectory`](super::RunDirectory), answered from the hub or the event log), join and leave
//! rooms (checked against the store), refresh the token, ping.

use std::{collections::HashSet, sync::Arc};

use tracing::{debug, warn};

use super::Connection;
use crate::{
    clock::now_ms,
    hub::{
        encode,
        limits::RateLimiter,
        outbox::{Item, Outbox},
        replay, Subscription, Visible,
    },
    protocol::{parse_client_message, ClientMessage, ErrorCode, RunSnapshot, ServerMessage},
};

/// The reader's view of one connection.
pub(super) struct Session<'a> {
    pub(super) id: u64,
    pub(super) conn: &'a Connection,
    /// The credential now in force (a `refresh_token` replaces it).
    pub(super) credential: String,
    pub(super) outbox: Arc<Outbox>,
    pub(super) subscriptions: HashSet<String>,
    pub(super) rooms: HashSet<String>,
    pub(super) limiter: RateLimiter,
}

impl Session<'_> {
    pub(super) async fn handle_text(&mut self, text: &str) {
        let msg = match parse_client_message(text) {
            Ok(msg) => msg,
            Err((code, message)) => return self.refuse(code, message),
        };
        metrics::counter!("livecheck_ws_messages_in_total", "type" => msg.kind()).increment(1);
        match msg {
            ClientMessage::SubscribeTest {
                test_id,
                since_seq,
                epoch,
            } => {
                let resume = since_seq.map(|s| (s, epoch.unwrap_or_default()));
                self.subscribe(test_id, resume).await
            }
            ClientMessage::UnsubscribeTest { test_id } => {
                self.conn.hub.unsubscribe(self.id, &test_id);
                self.subscriptions.remove(&test_id);
                self.reply(&ServerMessage::Unsubscribed { test_id });
            }
            ClientMessage::JoinRoom { room } => self.join_room(room).await,
            ClientMessage::LeaveRoom { room } => {
                self.conn.hub.leave_room(self.id, &room);
                self.rooms.remove(&room);
                self.reply(&ServerMessage::RoomLeft { room });
            }
            ClientMessage::Ping { timestamp } => self.reply(&ServerMessage::Pong {
                timestamp,
                server_time: now_ms(),
            }),
            ClientMessage::RefreshToken { token } => self.refresh(token).await,
        }
    }

    async fn subscribe(&mut self, test_id: String, resume: Option<(u64, String)>) {
        let max = self.conn.settings.max_subscriptions;
        if self.subscriptions.len() >= max {
            // A run that ended is no longer followed ("nothing follows the end"): a client that never
            // unsubscribes after `test_completed` keeps its room for new runs.
            let hub = &self.conn.hub;
            // Its end is published before it is stored: ended counts as over.
            self.subscriptions
                .retain(|id| hub.is_live(id) && !hub.has_ended(id));
        }
        if !self.subscriptions.contains(&test_id) && self.subscriptions.len() >= max {
            return self.refuse(
                ErrorCode::TooManySubscriptions,
                format!("a connection may follow at most {max} runs"),
            );
        }
        let found = match self.conn.runs.find_visible(&self.conn.user, &test_id).await {
            Ok(Some(found)) => found,
            Ok(None) => return self.not_found("run", &test_id),
            Err(e) => return self.internal("run lookup failed", e),
        };
        let resume_ref = resume.as_ref().map(|(s, e)| (*s, e.as_str()));
        let stored = match found {
            // Unfinished and not here: another node of the cluster executes it; follow it.
            Visible::Stored(run) if self.conn.hub.follow_stored(&run).await => {
                match self
                    .conn
                    .hub
                    .subscribe(self.id, &test_id, resume_ref, &self.outbox)
                {
                    Some(outcome) => {
                        self.subscriptions.insert(test_id);
                        count_recovery(outcome);
                        return;
                    }
                    None => run,
                }
            }
            Visible::Stored(run) => run,
            Visible::Live => {
                if let Some(outcome) =
                    self.conn
                        .hub
                        .subscribe(self.id, &test_id, resume_ref, &self.outbox)
                {
                    self.subscriptions.insert(test_id);
                    count_recovery(outcome);
                    return;
                }
                // It finished between the two looks: answer from the store.
                match self.conn.store.run(&test_id).await {
                    Ok(Some(run)) => Box::new(run),
                    Ok(None) => return self.not_found("run", &test_id),
                    Err(e) => return self.internal("run lookup failed", e),
                }
            }
        };
        let outcome = self.answer_from_store(&stored.snapshot, resume_ref).await;
        count_recovery(outcome);
    }

    /// A finished run: the missed events from the event log if all of them are there, else the
    /// stored snapshot.
    async fn answer_from_store(
        &mut self,
        snap: &RunSnapshot,
        resume: Option<(u64, &str)>,
    ) -> Subscription {
        let missed = match replay::resumable(snap, resume) {
            Some(since) => match self
                .conn
                .store
                .run_events(&snap.test_id, &snap.epoch, since)
                .await
            {
                Ok(events) => Some(events.into_iter().map(Into::into).collect()),
                Err(e) => {
                    warn!(error = %e, "event log read failed; sending a snapshot");
                    None
                }
            },
            None => None,
        };
        let run: Arc<str> = Arc::from(snap.test_id.as_str());
        replay::answer(&self.outbox, &run, snap, resume, missed)
    }

    async fn is_member(&self, room: &str) -> bool {
        match self.conn.store.is_member(room, self.conn.user.id).await {
            Ok(member) => member,
            Err(e) => {
                warn!(error = %e, "membership lookup failed");
                false
            }
        }
    }

    async fn join_room(&mut self, room: String) {
        if !self.rooms.contains(&room) && self.rooms.len() >= self.conn.settings.max_rooms {
            let max = self.conn.settings.max_rooms;
            return self.refuse(
                ErrorCode::TooManyRooms,
                format!("a connection may be in at most {max} rooms"),
            );
        }
        if !self.is_member(&room).await {
            return self.not_found("room", &room);
        }
        let (members_online, mut runs) =
            self.conn.hub.join_room(self.id, &room, &self.outbox).await;
        if self.conn.hub.broker().is_some() {
            // The room's runs on the other nodes of the cluster too.
            match self.conn.store.unfinished_room_runs(&room).await {
                Ok(all) => all.into_iter().for_each(|id| {
                    if !runs.contains(&id) {
                        runs.push(id);
                    }
                }),
                Err(e) => warn!(error = %e, "room runs lookup failed"),
            }
        }
        self.rooms.insert(room.clone());
        self.reply(&ServerMessage::RoomJoined {
            room,
            members_online,
            runs,
        });
    }

    async fn refresh(&mut self, token: String) {
        match self.conn.accounts.authenticate(&token).await {
            Ok(user) if user.id == self.conn.user.id => {
                self.outbox.set_expiry(user.expires_at);
                self.credential = token;
                self.reply(&ServerMessage::TokenRefreshed {
                    expires_at: user.expires_at,
                });
            }
            _ => self.refuse(
                ErrorCode::InvalidToken,
                "the token is invalid, expired, or for another user".into(),
            ),
        }
    }

    /// Whether the credential in force still authenticates the same user (after an account change).
    pub(super) async fn credential_holds(&self) -> bool {
        matches!(
            self.conn.accounts.authenticate(&self.credential).await,
            Ok(user) if user.id == self.conn.user.id
        )
    }

    /// After a change to the account: leaves the rooms the user is no longer a member of, and stops
    /// following the runs they may no longer see, saying so as if the client had asked
    /// (`room_left`, `unsubscribed`). A failed lookup counts as no access.
    pub(super) async fn recheck_access(&mut self) {
        let rooms: Vec<String> = self.rooms.iter().cloned().collect();
        for room in rooms {
            if !self.is_member(&room).await {
                self.conn.hub.leave_room(self.id, &room);
                self.rooms.remove(&room);
                self.reply(&ServerMessage::RoomLeft { room });
            }
        }
        let runs: Vec<String> = self.subscriptions.iter().cloned().collect();
        for test_id in runs {
            let visible = self.conn.runs.find_visible(&self.conn.user, &test_id).await;
            if let Err(e) = &visible {
                warn!(error = %e, "run lookup failed; no longer following the run");
            }
            if !matches!(visible, Ok(Some(_))) {
                self.conn.hub.unsubscribe(self.id, &test_id);
                self.subscriptions.remove(&test_id);
                self.reply(&ServerMessage::Unsubscribed { test_id });
            }
        }
    }

    pub(super) fn cleanup(&mut self) {
        for test_id in &self.subscriptions {
            self.conn.hub.unsubscribe(self.id, test_id);
        }
        for room in &self.rooms {
            self.conn.hub.leave_room(self.id, room);
        }
        self.outbox.close();
    }

    /// The one answer for "no such thing" and "not yours".
    fn not_found(&self, what: &str, name: &str) {
        let shown: String = name.chars().take(64).collect();
        self.refuse(
            ErrorCode::NotFound,
            format!("no {what} `{shown}` that you can see"),
        )
    }

    fn internal(&self, what: &str, e: sqlx::Error) {
        warn!(error = %e, "{what}");
        self.refuse(
            ErrorCode::Internal,
            "the server could not do that; try again".into(),
        )
    }

    pub(super) fn refuse(&self, code: ErrorCode, message: String) {
        debug!(?code, %message, "refused client message");
        metrics::counter!("livecheck_ws_errors_total", "code" => code.as_str()).increment(1);
        self.reply(&ServerMessage::Error { code, message })
    }

    /// Queues an answer. If the client does not read, its outbox overflows and the writer closes it.
    fn reply(&self, msg: &ServerMessage) {
        self.outbox.push(Item::control(encode(msg)));
    }
}

fn count_recovery(outcome: Subscription) {
    let result = match outcome {
        Subscription::Snapshot => return,
        Subscription::Recovered => "ok",
        Subscription::NotRecovered => "failed",
    };
    metrics::counter!("livecheck_ws_recoveries_total", "result" => result).increment(1);
}
