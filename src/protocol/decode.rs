//! Reading a [`ServerMessage`] without serde's buffering of internally tagged enums.
//!
//! serde's derived `Deserialize` for a `#[serde(tag = "type")]` enum first reads the whole object into
//! its private `Content` tree, then reads each variant out of that tree: every type a message holds
//! (snapshots, results, load figures) gets a second copy of its deserializing code, for the tree. In
//! the browser's wasm that is tens of kilobytes for nothing. [`ServerMessage::from_json`] reads the
//! `type` first, then the same text again as the variant's fields, with the same code the server
//! functions' results already use. Messages are small (0.3–4 KB), so reading twice costs microseconds.
//!
//! The field lists below repeat the enum's; the compiler checks that they name every field with its
//! type (each list builds its variant), and `tests.rs` checks that every variant reads back equal.

use serde::Deserialize;

use super::{ErrorCode, RunResults, RunSnapshot, RunStatus, ServerMessage, TestId};

/// Only the `type` of a message; the other fields are skipped.
#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

macro_rules! variants {
    ($( $tag:literal => $variant:ident { $($field:ident: $ty:ty),* $(,)? } ),* $(,)?) => {
        /// The `type`s of the messages a server sends.
        const SERVER_MESSAGE_TYPES: &[&str] = &[$($tag,)* "test_progress"];

        fn fields(kind: &str, text: &str) -> serde_json::Result<ServerMessage> {
            match kind {
                $($tag => {
                    #[derive(Deserialize)]
                    struct Fields { $($field: $ty),* }
                    let Fields { $($field),* } = serde_json::from_str(text)?;
                    Ok(ServerMessage::$variant { $($field),* })
                })*
                "test_progress" => serde_json::from_str(text).map(ServerMessage::TestProgress),
                other => Err(serde::de::Error::unknown_variant(other, SERVER_MESSAGE_TYPES)),
            }
        }
    };
}

variants! {
    "connection_established" => ConnectionEstablished {
        connection_id: u64,
        user_id: i64,
        username: String,
        server_time: u64,
        heartbeat_interval_ms: u64,
        expires_at: u64,
    },
    "subscribed" => Subscribed {
        test_id: TestId,
        epoch: String,
        recovered: Option<bool>,
        replayed: Option<u64>,
        snapshot: Option<RunSnapshot>,
    },
    "unsubscribed" => Unsubscribed { test_id: TestId },
    "test_status_update" => TestStatusUpdate {
        test_id: TestId,
        seq: u64,
        epoch: String,
        status: RunStatus,
        timestamp: u64,
    },
    "test_completed" => TestCompleted {
        test_id: TestId,
        seq: u64,
        epoch: String,
        success: bool,
        results: RunResults,
        timestamp: u64,
    },
    "test_error" => TestError {
        test_id: TestId,
        seq: u64,
        epoch: String,
        error: String,
        timestamp: u64,
    },
    "room_joined" => RoomJoined { room: String, members_online: u32, runs: Vec<TestId> },
    "room_left" => RoomLeft { room: String },
    "room_presence" => RoomPresence { room: String, members_online: u32 },
    "room_run_started" => RoomRunStarted {
        room: String,
        test_id: TestId,
        name: String,
        started_by: String,
    },
    "pong" => Pong { timestamp: Option<u64>, server_time: u64 },
    "token_refreshed" => TokenRefreshed { expires_at: u64 },
    "error" => Error { code: ErrorCode, message: String },
}

impl ServerMessage {
    /// Reads a message as the server sends it (JSON, tagged by `type`). Same result as
    /// `serde_json::from_str::<ServerMessage>`, with less code: what the browser's client uses.
    pub fn from_json(text: &str) -> serde_json::Result<ServerMessage> {
        let tag: Tag = serde_json::from_str(text)?;
        fields(&tag.kind, text)
    }
}
