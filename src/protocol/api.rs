//! What the server functions take and return, beside the run snapshot: the signed-in user, the tests
//! and stored suites, run summaries and filters, the options a run starts with, and the problems found
//! in a suite. Server and browser share these definitions; the store and the engines use them too.

use serde::{Deserialize, Serialize};

use super::RunSnapshot;

/// One problem in a suite: where (a field path such as `steps[2].checks.status`, and its line in the
/// text when it can be told) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteProblem {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub message: String,
}

impl SuiteProblem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for SuiteProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}, {}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// A stored suite, as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteInfo {
    pub id: i64,
    pub name: String,
    /// The latest version (or the one shown).
    pub version: i64,
    pub updated_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteVersionInfo {
    pub version: i64,
    pub created_at: u64,
}

/// One version of a stored suite, for the editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteDetail {
    pub info: SuiteInfo,
    pub text: String,
    /// Every version, newest first.
    pub versions: Vec<SuiteVersionInfo>,
    /// The names of the suite's environments.
    pub environments: Vec<String>,
    /// Whether it is a load test.
    pub load: bool,
}

/// Where `save_suite` put the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteSaved {
    pub id: i64,
    pub version: i64,
}

/// The signed-in user, as pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: i64,
    pub username: String,
}

/// A built-in test the user can start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestSummary {
    pub key: String,
    pub name: String,
    pub description: String,
    /// Each step's name, e.g. "GET /demo/items".
    pub steps: Vec<String>,
}

/// The `test_key` of a run that executed a user's suite (stored or sent) rather than a built-in test.
pub const SUITE_TEST_KEY: &str = "suite";

/// A run in the user's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The built-in test it ran, or [`SUITE_TEST_KEY`].
    pub test_key: String,
    pub created_at: u64,
    pub snapshot: RunSnapshot,
    /// The stored suite (and version) the run ran, if it was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

impl RunSummary {
    /// The page that shows the run.
    pub fn href(&self) -> String {
        if self.test_key == SUITE_TEST_KEY {
            format!("/runs/{}", self.snapshot.test_id)
        } else {
            format!("/tests/{}?run={}", self.test_key, self.snapshot.test_id)
        }
    }
}

/// The filters of the run history, as the page's query string carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFilter {
    pub status: Option<String>,
    pub suite: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Longest step delay the UI offers (the demo target caps it too).
pub const MAX_DELAY_MS: u32 = 5_000;

/// Per-run knobs chosen when starting a built-in test; stored with the run so a restart repeats them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunOptions {
    /// Extra delay the demo target adds to every response, so progress is visible.
    pub delay_ms: u32,
    /// Synthetic test: how many progress events, and how many per second.
    pub events: u32,
    pub rate: u32,
    /// Synthetic test: give every event a step result (which is never coalesced or dropped).
    pub step_results: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            delay_ms: 0,
            events: 100,
            rate: 20,
            step_results: false,
        }
    }
}

impl RunOptions {
    /// Upper bounds, so one request cannot occupy the server for long.
    pub const MAX_DELAY_MS: u32 = MAX_DELAY_MS;
    pub const MAX_EVENTS: u32 = 1_000_000;
    pub const MAX_RATE: u32 = 1_000_000;

    /// Checks the bounds; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.delay_ms > Self::MAX_DELAY_MS {
            return Err(format!("delay_ms must be at most {}", Self::MAX_DELAY_MS));
        }
        if self.events == 0 || self.events > Self::MAX_EVENTS {
            return Err(format!("events must be between 1 and {}", Self::MAX_EVENTS));
        }
        if self.rate == 0 || self.rate > Self::MAX_RATE {
            return Err(format!("rate must be between 1 and {}", Self::MAX_RATE));
        }
        Ok(())
    }
}

/// Whether a room name is acceptable: 1–64 letters, digits, `-` or `_`.
pub fn valid_room_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
