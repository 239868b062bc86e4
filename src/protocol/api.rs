//! What the server functions take and return, beside the run snapshot: the signed-in user, the tests
//! and stored suites, run summaries and filters, the options a run starts with, and the problems found
//! in a suite. Server and browser share these definitions; the store and the engines use them too.

use serde::{Deserialize, Serialize};

use super::{RunSnapshot, RunStatus};

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
    /// Who owns it.
    #[serde(default)]
    pub owner: String,
    /// The rooms it is shared into (their members may run it, their viewers watch).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rooms: Vec<String>,
    /// Whether the caller may save new versions (its owner, or an admin of a room it is shared into).
    #[serde(default)]
    pub editable: bool,
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

/// What `import_suite` made of a document, shown before anything is saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    /// What the document was, e.g. "Postman Collection v2.1".
    pub format: String,
    /// The suite's name.
    pub name: String,
    pub steps: usize,
    /// The suite as YAML, ready to save or edit.
    pub yaml: String,
    /// What was not imported, or needs the user's attention.
    pub notes: Vec<String>,
    /// Problems the suite still has (empty when it can be saved as it is).
    pub problems: Vec<SuiteProblem>,
}

/// Where `save_suite` put the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteSaved {
    pub id: i64,
    pub version: i64,
}

/// What an account may do. Admins manage users and settings and read the audit log; members write
/// suites and start runs; viewers watch the runs of their rooms and download reports, and start
/// nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    #[default]
    Member,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Member, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the role may write suites and start, cancel or restart runs.
    pub fn may_run(self) -> bool {
        self != Role::Viewer
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the sign-in page needs to know about this server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    /// The demo account exists (only when the operator asked for it): the page may name it.
    pub demo_account: bool,
    /// Anyone may create their own account.
    pub registration_open: bool,
}

/// An account, as the admin pages list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: u64,
}

/// Settings an admin may change while the server runs, and what the server looks like.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSettings {
    pub registration_open: bool,
    /// Runs and their events older than this are purged (0: kept forever). Set by the operator.
    pub retention_days: u32,
    /// The database's size on disk.
    pub database_bytes: u64,
}

/// A personal access token, as its page lists it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    /// `read` or `read,run`.
    pub scopes: String,
    pub created_at: u64,
    pub expires_at: u64,
    pub last_used_at: Option<u64>,
    pub revoked: bool,
}

/// A token just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub info: TokenInfo,
    pub secret: String,
}

/// A member of a room and their role in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomMember {
    pub username: String,
    /// `admin` (manages members and shared suites) or `member`.
    pub room_role: String,
}

/// A room the caller is in: its members and the suites shared into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomDetail {
    pub name: String,
    /// Whether the caller administers the room.
    pub admin: bool,
    pub members: Vec<RoomMember>,
    pub suites: Vec<SuiteInfo>,
}

/// One audit log entry, as the admin page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: u64,
    pub actor: String,
    pub ip: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
}

/// The signed-in user, as pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: i64,
    pub username: String,
    #[serde(default)]
    pub role: Role,
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

/// A run in the user's history: with its whole snapshot, or (as a [`RunRow`]) its [`RunHead`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary<S = RunSnapshot> {
    /// The built-in test it ran, or [`SUITE_TEST_KEY`].
    pub test_key: String,
    pub created_at: u64,
    pub snapshot: S,
    /// The stored suite (and version) the run ran, if it was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// A run in a list of runs (`recent_runs`): a [`RunSummary`] whose snapshot is cut to its
/// [`RunHead`]. The JSON has the same shape, less the steps and load figures a list never shows (a
/// hundred load runs would otherwise bring every chart along).
pub type RunRow = RunSummary<RunHead>;

impl RunRow {
    /// The page that shows the run.
    pub fn href(&self) -> String {
        if self.test_key == SUITE_TEST_KEY {
            format!("/runs/{}", self.snapshot.test_id)
        } else {
            format!("/tests/{}?run={}", self.test_key, self.snapshot.test_id)
        }
    }
}

impl RunSummary {
    /// The run as a list shows it.
    pub fn row(self) -> RunRow {
        RunSummary {
            snapshot: RunHead::of(self.snapshot),
            test_key: self.test_key,
            created_at: self.created_at,
            suite_id: self.suite_id,
            suite_version: self.suite_version,
            environment: self.environment,
        }
    }
}

/// What a [`RunSnapshot`] says of a run as a whole: where its stream is, its status, progress and
/// times, its error; not its steps or load figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunHead {
    pub test_id: String,
    #[serde(default)]
    pub epoch: String,
    pub name: String,
    pub status: RunStatus,
    pub seq: u64,
    pub progress: u8,
    pub current_step: u32,
    pub total_steps: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RunHead {
    pub fn of(s: RunSnapshot) -> Self {
        Self {
            test_id: s.test_id,
            epoch: s.epoch,
            name: s.name,
            status: s.status,
            seq: s.seq,
            progress: s.progress,
            current_step: s.current_step,
            total_steps: s.total_steps,
            started_at: s.started_at,
            finished_at: s.finished_at,
            error: s.error,
        }
    }

    /// A snapshot with this head and no steps or load figures: enough to follow the run live from
    /// here (its later events fold into it) and show it as a row.
    pub fn into_snapshot(self) -> RunSnapshot {
        RunSnapshot {
            status: self.status,
            seq: self.seq,
            progress: self.progress,
            current_step: self.current_step,
            started_at: self.started_at,
            finished_at: self.finished_at,
            error: self.error,
            ..RunSnapshot::queued(self.test_id, self.epoch, self.name, self.total_steps)
        }
    }
}

/// The usage page's figures: per day, and per stored suite.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// The period asked for: the start of its first day (ms since the Unix epoch, UTC) and how many
    /// days it has (the charts span it all, days without runs included).
    #[serde(default)]
    pub first_day: u64,
    #[serde(default)]
    pub period_days: u32,
    /// Days with finished runs, oldest first.
    pub days: Vec<UsageDay>,
    /// Stored suites with finished runs, with their p95 per day.
    pub suites: Vec<SuiteTrend>,
}

/// One day's finished runs (that the user may see).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageDay {
    /// The day's start, ms since the Unix epoch (UTC).
    pub day: u64,
    pub runs: u32,
    pub passed: u32,
    pub failed: u32,
}

impl UsageDay {
    /// Passed runs out of those that passed or failed (cancelled and interrupted ones do not count),
    /// in percent; `None` when none did either.
    pub fn pass_rate(&self) -> Option<f64> {
        let judged = self.passed + self.failed;
        (judged > 0).then(|| f64::from(self.passed) * 100.0 / f64::from(judged))
    }
}

/// A stored suite's response times over time: per day, the 95th percentile of its steps' durations
/// (for load runs, of each run's own p95).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SuiteTrend {
    pub suite_id: i64,
    pub name: String,
    /// (day start in ms, p95 in ms), oldest first.
    pub p95_ms: Vec<(u64, f64)>,
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
    pub const MAX_EVENTS: u32 = 100_000;
    pub const MAX_RATE: u32 = 10_000;
    /// Step results are kept with the run: only this many events may carry one.
    pub const MAX_STEP_RESULTS: u32 = 20_000;

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
        if self.step_results && self.events > Self::MAX_STEP_RESULTS {
            return Err(format!(
                "step_results: at most {} events may carry a step result",
                Self::MAX_STEP_RESULTS
            ));
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

/// A schedule of a stored suite, as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleInfo {
    pub id: i64,
    pub suite_id: i64,
    pub suite_name: String,
    /// The cron pattern: 5 fields (minute hour day month weekday), or 6 with seconds first.
    pub cron: String,
    /// The IANA time zone the pattern is read in, e.g. `Asia/Shanghai`.
    pub timezone: String,
    /// The pattern in words, e.g. "At 09:00 on Monday".
    pub description: String,
    pub environment: Option<String>,
    /// The webhook's address with its path hidden (it is often the secret), if one is set.
    pub webhook: Option<String>,
    pub enabled: bool,
    /// When it fires next, ms since the epoch (while enabled).
    pub next_at: Option<u64>,
    /// The same on the wall clock of its time zone, e.g. `2026-12-04 09:00`.
    #[serde(default)]
    pub next_local: Option<String>,
    /// Why the last fire started no run, until one starts.
    pub last_error: Option<String>,
    /// Its latest run: id and status.
    pub last_run: Option<(String, RunStatus)>,
}
