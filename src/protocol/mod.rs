//! The vocabulary: every message the server and the browser exchange, defined once, and the data
//! types the server functions take and return. The ground floor of the crate: it uses nothing of it.
//!
//! WebSocket messages are JSON objects tagged by `type`, with the seed's names (`subscribe_test`,
//! `test_progress`, …) and snake_case fields. A `test_id` names one run of a test. This module compiles
//! unchanged for the server and the wasm client; it holds data only, no I/O.
//!
//! - this file: the WebSocket messages, their error codes and close codes;
//! - [`run`]: a run's status, step results and snapshot (and how events fold into it);
//! - [`load_stats`]: a load run's live figures, chart series and summary;
//! - [`event`]: [`RunEvent`], what an engine reports before the hub numbers it;
//! - [`api`]: what the server functions exchange (suites, run summaries, options, problems).

use serde::{Deserialize, Serialize};

pub mod api;
mod decode;
pub mod event;
mod load_stats;
mod run;
pub use event::RunEvent;
pub use load_stats::{
    pair_thresholds, push_point, LoadPoint, LoadStats, LoadSummary, Target, ThresholdResult,
    MAX_SERIES_POINTS,
};
pub use run::{CheckOutcome, RunResults, RunSnapshot, RunStatus, StepResult};

/// Identifies one run of a test. The seed called it `testId`; it is what clients subscribe to.
pub type TestId = String;

/// Messages a client sends to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Start receiving a run's events. With `since_seq` (and the `epoch` it belongs to) the server
    /// replays exactly the events after it, or says it cannot and sends a snapshot instead.
    SubscribeTest {
        test_id: TestId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since_seq: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epoch: Option<String>,
    },
    /// Stop receiving a run's events. The reply is `unsubscribed`.
    UnsubscribeTest {
        test_id: TestId,
    },
    /// Receive a room's events (runs started in it, who is online). Only for the room's members.
    JoinRoom {
        room: String,
    },
    LeaveRoom {
        room: String,
    },
    /// Application-level heartbeat of the seed's client; answered by `pong` with the same `timestamp`.
    Ping {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timestamp: Option<u64>,
    },
    /// Swap in a fresh session token for the same user without reconnecting.
    RefreshToken {
        token: String,
    },
}

impl ClientMessage {
    /// The message's `type`, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SubscribeTest { .. } => "subscribe_test",
            Self::UnsubscribeTest { .. } => "unsubscribe_test",
            Self::JoinRoom { .. } => "join_room",
            Self::LeaveRoom { .. } => "leave_room",
            Self::Ping { .. } => "ping",
            Self::RefreshToken { .. } => "refresh_token",
        }
    }
}

/// Messages the server sends to a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First message on every connection.
    ConnectionEstablished {
        connection_id: u64,
        user_id: i64,
        username: String,
        server_time: u64,
        heartbeat_interval_ms: u64,
        /// When the session token expires, seconds since the Unix epoch.
        expires_at: u64,
    },
    /// Answer to `subscribe_test`. Without `since_seq`: `snapshot` is the run's state now and live
    /// events follow. With it: `recovered: true` and `replayed` events follow, or `recovered: false`
    /// and a `snapshot`.
    Subscribed {
        test_id: TestId,
        epoch: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recovered: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replayed: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshot: Option<RunSnapshot>,
    },
    /// Answer to `unsubscribe_test`.
    Unsubscribed { test_id: TestId },
    /// A step started or finished: how far the run is.
    TestProgress(TestProgress),
    /// The run's status changed (queued → running → completed / failed / cancelled).
    TestStatusUpdate {
        test_id: TestId,
        seq: u64,
        epoch: String,
        status: RunStatus,
        timestamp: u64,
    },
    /// The run finished; `success` tells whether every check passed.
    TestCompleted {
        test_id: TestId,
        seq: u64,
        epoch: String,
        success: bool,
        results: RunResults,
        timestamp: u64,
    },
    /// The run could not go on (a target was unreachable, the engine failed, the server stopped).
    TestError {
        test_id: TestId,
        seq: u64,
        epoch: String,
        error: String,
        timestamp: u64,
    },
    /// Answer to `join_room`: who is online and which runs of the room are in progress.
    RoomJoined {
        room: String,
        members_online: u32,
        runs: Vec<TestId>,
    },
    /// Answer to `leave_room`.
    RoomLeft { room: String },
    /// Someone joined or left a room you are in.
    RoomPresence { room: String, members_online: u32 },
    /// A member started a run in a room you are in; subscribe to follow it.
    RoomRunStarted {
        room: String,
        test_id: TestId,
        name: String,
        started_by: String,
    },
    /// Answer to `ping`.
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timestamp: Option<u64>,
        server_time: u64,
    },
    /// Answer to `refresh_token`: the connection now lives until `expires_at` (seconds since the epoch).
    TokenRefreshed { expires_at: u64 },
    /// The client's last message was refused; the connection stays open.
    Error { code: ErrorCode, message: String },
}

/// The body of a `test_progress` message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestProgress {
    pub test_id: TestId,
    /// Position of this event in the run's stream: 1, 2, 3 … without gaps.
    pub seq: u64,
    /// The stream `seq` counts in; a new epoch starts a new count.
    pub epoch: String,
    /// Percent done, 0–100.
    pub progress: u8,
    /// Steps finished so far.
    pub current_step: u32,
    pub total_steps: u32,
    /// What the run is doing, e.g. "3/8 — GET /demo/items".
    pub message: String,
    /// The result of the step that just finished, when this event reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<StepResult>,
    /// A load run's live figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadStats>,
    /// Server time of the event, milliseconds since the Unix epoch.
    pub timestamp: u64,
}

/// Stable codes of `error` messages; clients may match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The message was not valid JSON or not a JSON object with a string `type`.
    MalformedMessage,
    /// The `type` is not one this server knows.
    UnknownType,
    /// The message had a known `type` but its fields were wrong.
    InvalidMessage,
    /// The run does not exist or is not yours (deliberately the same answer).
    NotFound,
    /// The connection is subscribed to too many runs.
    TooManySubscriptions,
    /// The connection is in too many rooms.
    TooManyRooms,
    /// Too many messages in a short time; this one was dropped.
    RateLimited,
    /// `refresh_token` carried a token that is invalid, expired, or for another user.
    InvalidToken,
    /// Something failed on the server; the details are in the server's log.
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedMessage => "malformed_message",
            Self::UnknownType => "unknown_type",
            Self::InvalidMessage => "invalid_message",
            Self::NotFound => "not_found",
            Self::TooManySubscriptions => "too_many_subscriptions",
            Self::TooManyRooms => "too_many_rooms",
            Self::RateLimited => "rate_limited",
            Self::InvalidToken => "invalid_token",
            Self::Internal => "internal",
        }
    }
}

/// Reads a client message, telling apart the three ways it can be wrong.
pub fn parse_client_message(text: &str) -> Result<ClientMessage, (ErrorCode, String)> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| (ErrorCode::MalformedMessage, format!("not valid JSON: {e}")))?;
    let Some(kind) = value.get("type").and_then(|t| t.as_str()) else {
        return Err((
            ErrorCode::MalformedMessage,
            "a message must be a JSON object with a string `type`".into(),
        ));
    };
    if !CLIENT_MESSAGE_TYPES.contains(&kind) {
        return Err((
            ErrorCode::UnknownType,
            format!("unknown message type `{}`", truncate(kind, 64)),
        ));
    }
    let kind = kind.to_owned();
    serde_json::from_value(value)
        .map_err(|e| (ErrorCode::InvalidMessage, format!("invalid `{kind}`: {e}")))
}

/// The `type`s a client may send.
pub const CLIENT_MESSAGE_TYPES: &[&str] = &[
    "subscribe_test",
    "unsubscribe_test",
    "join_room",
    "leave_room",
    "ping",
    "refresh_token",
];

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// WebSocket close codes the server uses, and what a client should do about each.
pub mod close_code {
    /// The server is shutting down or restarting: reconnect with backoff.
    pub const GOING_AWAY: u16 = 1001;
    /// A frame broke the WebSocket protocol (RFC 6455 "Protocol Error"), e.g. an unmasked frame
    /// from a client: a bug in the client's WebSocket library; reconnect.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text message was not valid UTF-8 (RFC 6455 "Invalid frame payload data"): reconnect, and
    /// send text as UTF-8 (JSON always is).
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// A message was larger than the server accepts (RFC 6455): reconnect, and send smaller messages.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The server is draining before it stops (RFC 6455 "Service Restart"): reconnect after a short
    /// random wait, maybe to another node, and resume with `since_seq`; nothing is lost.
    pub const SERVICE_RESTART: u16 = 1012;
    /// The session token is invalid: do not reconnect; sign in again.
    pub const UNAUTHORIZED: u16 = 4001;
    /// The client did not answer two heartbeat pings in time: reconnect.
    pub const HEARTBEAT_TIMEOUT: u16 = 4002;
    /// The session token expired: do not reconnect with it; sign in (or refresh) first.
    pub const TOKEN_EXPIRED: u16 = 4003;
    /// The client read too slowly and its queue overflowed: reconnect and resume with `since_seq`.
    pub const SLOW_CONSUMER: u16 = 4008;
    /// The client kept sending far over its message budget: reconnect after a backoff.
    pub const FLOOD: u16 = 4029;

    /// Whether a client should reconnect after the server closed with `code`.
    pub fn should_reconnect(code: u16) -> bool {
        !matches!(code, UNAUTHORIZED | TOKEN_EXPIRED)
    }
}

#[cfg(test)]
mod tests;
