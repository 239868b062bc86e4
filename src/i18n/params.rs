//! Messages with parameters, one method per message with a `match` on the language (so a missing
//! translation does not compile either). Numbers and names are put in as they are.

use super::{Lang, Msg};
use crate::protocol::{
    api::{Role, SuiteProblem},
    RunStatus,
};

impl Lang {
    /// A run's status as a word (`Completed`, `已完成`).
    pub fn status(self, status: RunStatus) -> &'static str {
        self.t(match status {
            RunStatus::Queued => Msg::Queued,
            RunStatus::Running => Msg::Running,
            RunStatus::Completed => Msg::Completed,
            RunStatus::Failed => Msg::StatusFailed,
            RunStatus::Cancelled => Msg::Cancelled,
            RunStatus::Interrupted => Msg::Interrupted,
        })
    }

    /// A role's name.
    pub fn role(self, role: Role) -> &'static str {
        self.t(match role {
            Role::Admin => Msg::RoleAdmin,
            Role::Member => Msg::RoleMember,
            Role::Viewer => Msg::RoleViewer,
        })
    }

    /// A room role (`admin` or `member`, as the server names them); other names as they are.
    pub fn room_role(self, role: &str) -> String {
        match Role::parse(role) {
            Some(r) => self.role(r).to_owned(),
            None => role.to_owned(),
        }
    }

    /// A suite's problem with where it is (its message is already in this language).
    pub fn problem(self, p: &SuiteProblem) -> String {
        match (self, p.line) {
            (Lang::En, _) => p.to_string(),
            (Lang::Zh, Some(line)) => format!("第 {line} 行，{}：{}", p.path, p.message),
            (Lang::Zh, None) => format!("{}：{}", p.path, p.message),
        }
    }

    /// What screen readers hear when a run's status changes.
    pub fn run_announce(self, status: RunStatus) -> String {
        match self {
            Lang::En => format!("Run {}", self.status(status).to_lowercase()),
            Lang::Zh => format!("运行状态：{}", self.status(status)),
        }
    }

    pub fn reconnecting(self, attempt: u32, retry_in_ms: u64) -> String {
        let secs = retry_in_ms as f64 / 1000.0;
        match self {
            Lang::En => format!("Reconnecting (attempt {attempt}, in {secs:.1} s)"),
            Lang::Zh => format!("正在重连（第 {attempt} 次，{secs:.1} 秒后）"),
        }
    }

    pub fn disconnected(self, reason: &str) -> String {
        match self {
            Lang::En => format!("Disconnected: {reason}"),
            Lang::Zh => format!("已断开：{reason}"),
        }
    }

    /// A load run's progress line (the server sends it in English; the page says it from the figures).
    pub fn load_progress(self, s: &crate::protocol::LoadStats) -> String {
        let secs = s.elapsed_ms as f64 / 1000.0;
        let (users, requests, rps, p95, errors) =
            (s.active_users, s.requests, s.rps, s.p95_ms, s.errors);
        match self {
            Lang::En => format!(
                "{secs:.1} s — {}, {}, {rps:.0} req/s now, p95 {p95:.2} ms, {}",
                count(users.into(), "user", "users"),
                count(requests, "request", "requests"),
                count(errors, "error", "errors"),
            ),
            Lang::Zh => format!(
                "{secs:.1} 秒 — {users} 个用户，{requests} 个请求，当前 {rps:.0} 次请求/秒，p95 {p95:.2} ms，{errors} 个错误"
            ),
        }
    }

    /// A finished load run's line: the whole run's figures, not its last second's.
    pub fn load_done(self, s: &crate::protocol::LoadSummary, secs: f64) -> String {
        let (requests, rps, p95, errors) = (s.requests, s.rps, s.p95_ms, s.errors);
        match self {
            Lang::En => format!(
                "{secs:.1} s — {} in all, {rps:.0} req/s on average, p95 {p95:.2} ms, {}",
                count(requests, "request", "requests"),
                count(errors, "error", "errors"),
            ),
            Lang::Zh => format!(
                "{secs:.1} 秒 — 共 {requests} 个请求，平均 {rps:.0} 次请求/秒，p95 {p95:.2} ms，{errors} 个错误"
            ),
        }
    }

    /// A queued run's progress line, with how many runs are ahead of it.
    pub fn queued(self, ahead: usize) -> String {
        match self {
            Lang::En => {
                let runs = if ahead == 1 { "run" } else { "runs" };
                format!("Queued: waiting for a free slot ({ahead} {runs} ahead)")
            }
            Lang::Zh => format!("排队中：等待空闲位置（前面还有 {ahead} 个运行）"),
        }
    }

    pub fn elapsed(self, duration: &str) -> String {
        match self {
            Lang::En => format!("Elapsed {duration}"),
            Lang::Zh => format!("用时 {duration}"),
        }
    }

    /// " — 4 steps" after a test's name.
    pub fn step_count(self, n: usize) -> String {
        match self {
            Lang::En => format!(" — {n} steps"),
            Lang::Zh => format!(" — {n} 个步骤"),
        }
    }

    /// "Postman · 3 steps" above an import preview.
    pub fn format_steps(self, format: &str, n: usize) -> String {
        match self {
            Lang::En => format!("{format} · {n} step{}", if n == 1 { "" } else { "s" }),
            Lang::Zh => format!("{format} · {n} 个步骤"),
        }
    }

    /// The summary line of a run's HTML report.
    pub fn report_steps_passed(self, passed: usize, total: usize, not_run: usize) -> String {
        match (self, not_run) {
            (Lang::En, 0) => format!("{passed} of {total} steps passed."),
            (Lang::En, _) => format!("{passed} of {total} steps passed ({not_run} not run)."),
            (Lang::Zh, 0) => format!("{total} 个步骤中 {passed} 个通过。"),
            (Lang::Zh, _) => format!("{total} 个步骤中 {passed} 个通过（{not_run} 个未运行）。"),
        }
    }

    /// How long a run took, in its report ("took 1.25 s").
    pub fn report_took(self, secs: f64) -> String {
        match self {
            Lang::En => format!("took {secs:.2} s"),
            Lang::Zh => format!("耗时 {secs:.2} 秒"),
        }
    }

    pub fn checks_passed(self, passed: usize, total: usize) -> String {
        match self {
            Lang::En => format!("{passed}/{total} checks passed"),
            Lang::Zh => format!("{passed}/{total} 项检查通过"),
        }
    }

    pub fn suite_version(self, v: i64) -> String {
        match self {
            Lang::En => format!("version {v}"),
            Lang::Zh => format!("版本 {v}"),
        }
    }

    pub fn suite_environment(self, env: &str) -> String {
        match self {
            Lang::En => format!("environment {env}"),
            Lang::Zh => format!("环境 {env}"),
        }
    }

    /// The target of a load shape now.
    pub fn target_users(self, users: f64) -> String {
        match self {
            Lang::En => format!("{users:.0} users"),
            Lang::Zh => format!("{users:.0} 个用户"),
        }
    }

    pub fn target_iterations(self, rate: f64) -> String {
        match self {
            Lang::En => format!("{rate:.1} iterations/s"),
            Lang::Zh => format!("每秒 {rate:.1} 次迭代"),
        }
    }

    /// " (peak 12.0 ms)" after a chart's title.
    pub fn peak(self, value: f64, unit: &str) -> String {
        match self {
            Lang::En => format!(" (peak {value:.1}{unit})"),
            Lang::Zh => format!("（峰值 {value:.1}{unit}）"),
        }
    }

    /// A chart's accessible name.
    pub fn chart_label(self, title: &str, peak: f64, unit: &str) -> String {
        match self {
            Lang::En => format!("{title}, peak {peak:.1}{unit}"),
            Lang::Zh => format!("{title}，峰值 {peak:.1}{unit}"),
        }
    }

    /// "Bob's file.csv attached as the suite's data."
    pub fn attached(self, file: &str) -> String {
        match self {
            Lang::En => format!("{file} attached as the suite's data."),
            Lang::Zh => format!("已将 {file} 附加为套件的数据。"),
        }
    }

    pub fn suite_owner(self, owner: &str) -> String {
        match self {
            Lang::En => format!("By {owner}"),
            Lang::Zh => format!("作者 {owner}"),
        }
    }

    pub fn shared_in(self, rooms: &str) -> String {
        match self {
            Lang::En => format!(" · shared in {rooms}"),
            Lang::Zh => format!(" · 已共享到 {rooms}"),
        }
    }

    /// "Line 3 · " before a problem of a suite.
    pub fn line(self, line: usize) -> String {
        match self {
            Lang::En => format!("Line {line} · "),
            Lang::Zh => format!("第 {line} 行 · "),
        }
    }

    pub fn run_version(self, v: i64) -> String {
        match self {
            Lang::En => format!("Run v{v}"),
            Lang::Zh => format!("运行 v{v}"),
        }
    }

    pub fn room_title(self, room: &str) -> String {
        match self {
            Lang::En => format!("Room {room}"),
            Lang::Zh => format!("房间 {room}"),
        }
    }

    /// The button that gives a room member the other role.
    pub fn make_role(self, role: &str) -> String {
        match self {
            Lang::En => format!("Make {role}"),
            Lang::Zh => format!("设为{}", self.room_role(role)),
        }
    }

    /// " — v3, by alice" after a shared suite.
    pub fn version_by(self, version: i64, owner: &str) -> String {
        match self {
            Lang::En => format!(" — v{version}, by {owner}"),
            Lang::Zh => format!(" — v{version}，作者 {owner}"),
        }
    }

    pub fn days(self, n: u32) -> String {
        match self {
            Lang::En => format!("{n} days"),
            Lang::Zh => format!("{n} 天"),
        }
    }

    /// A day's bar on the usage chart.
    pub fn day_runs(self, day: &str, runs: u32, passed: u32, failed: u32) -> String {
        match self {
            Lang::En => format!("{day}: {runs} runs, {passed} passed, {failed} failed"),
            Lang::Zh => format!("{day}：{runs} 次运行，{passed} 次通过，{failed} 次失败"),
        }
    }

    pub fn runs_per_day_label(self, top: f64) -> String {
        match self {
            Lang::En => format!("Runs per day, up to {top:.0} a day"),
            Lang::Zh => format!("每日运行次数，每天最多 {top:.0} 次"),
        }
    }

    pub fn role_of(self, user: &str) -> String {
        match self {
            Lang::En => format!("Role of {user}"),
            Lang::Zh => format!("{user} 的角色"),
        }
    }

    pub fn new_password_for(self, user: &str) -> String {
        match self {
            Lang::En => format!("New password for {user}"),
            Lang::Zh => format!("{user} 的新密码"),
        }
    }

    pub fn runs_kept(self, days: u32) -> String {
        match self {
            Lang::En => format!("Runs are kept {days} days"),
            Lang::Zh => format!("运行记录保留 {days} 天"),
        }
    }

    pub fn rate_limited(self, secs: u64) -> String {
        match self {
            Lang::En => format!("too many attempts; try again in {secs} s"),
            Lang::Zh => format!("尝试次数过多，请在 {secs} 秒后重试"),
        }
    }

    pub fn file_too_large(self, file: &str, kib: f64) -> String {
        match self {
            Lang::En => format!("{file} is larger than {kib} KiB"),
            Lang::Zh => format!("{file} 超过 {kib} KiB"),
        }
    }

    pub fn file_unreadable(self, file: &str) -> String {
        match self {
            Lang::En => format!("{file} could not be read"),
            Lang::Zh => format!("无法读取 {file}"),
        }
    }

    pub fn file_not_json(self, file: &str, error: &str) -> String {
        match self {
            Lang::En => format!("{file} is not JSON: {error}"),
            Lang::Zh => format!("{file} 不是 JSON：{error}"),
        }
    }

    pub fn file_not_rows(self, file: &str) -> String {
        match self {
            Lang::En => format!("{file} must hold a JSON array of objects, one per row"),
            Lang::Zh => format!("{file} 必须是对象组成的 JSON 数组，每行一个对象"),
        }
    }

    pub fn suite_not_json(self, error: &str) -> String {
        match self {
            Lang::En => format!("the suite is not valid JSON: {error}"),
            Lang::Zh => format!("套件不是有效的 JSON：{error}"),
        }
    }

    /// A button in a table row, named with what it acts on so that each row's differs
    /// (`Set: Role of mia`, `Remove: mia`); the name starts with the text the button shows.
    pub fn row_action(self, action: &str, what: &str) -> String {
        match self {
            Lang::En => format!("{action}: {what}"),
            Lang::Zh => format!("{action}：{what}"),
        }
    }

    /// A schedule's button's accessible name: `Pause Nightly schedule`.
    pub fn schedule_action(self, action: Msg, suite: &str) -> String {
        match self {
            Lang::En => format!("{} {suite} schedule", self.t(action)),
            Lang::Zh => format!("{}「{suite}」的定时任务", self.t(action)),
        }
    }
}

/// `1 user`, `2 users`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
