//! Alerts: when a scheduled run fails after passing (or as the schedule's first run), or passes
//! after failing, the schedule's webhook is called with one JSON body that Slack, Mattermost
//! (`text`) and Feishu/Lark (`msg_type` + `content.text`) incoming webhooks all accept, plus the
//! details for anything else (`event`, `run`, `suite`, `schedule`).
//!
//! Webhook addresses are user input: they go through the same target guard as suites (no loopback,
//! link-local or metadata addresses unless the operator allows them), no proxy, no redirects, a
//! time limit, and the response is not read.

use std::{sync::Arc, time::Duration};

use serde_json::{json, Value};

use crate::{
    engine::{
        guard::{GuardedResolver, TargetPolicy},
        http::literal_ip,
    },
    protocol::RunStatus,
};

/// Longest webhook address accepted.
pub const MAX_URL_CHARS: usize = 2048;
/// Attempts per alert, and the pause before each retry.
const RETRIES: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(5)];

/// What a finished run means for its schedule's alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alert {
    /// It failed, and the one before passed (or there was none).
    Failed,
    /// It passed, and the one before failed.
    Recovered,
    /// Nothing changed (or it was cancelled).
    None,
}

impl Alert {
    /// Judges `status` after `previous` (the last run that passed or failed).
    pub fn judge(previous: Option<RunStatus>, status: RunStatus) -> Self {
        let failing = |s: RunStatus| matches!(s, RunStatus::Failed | RunStatus::Interrupted);
        match (previous, status) {
            (_, RunStatus::Completed) if previous.is_some_and(failing) => Self::Recovered,
            (None, s) if failing(s) => Self::Failed,
            (Some(RunStatus::Completed), s) if failing(s) => Self::Failed,
            _ => Self::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::Recovered => "recovered",
            Self::None => "none",
        }
    }
}

/// Checks a webhook address a user gives: http(s), bounded, with a host.
pub fn check_url(text: &str) -> Result<reqwest::Url, String> {
    if text.len() > MAX_URL_CHARS {
        return Err(format!("webhook: at most {MAX_URL_CHARS} characters"));
    }
    let url = reqwest::Url::parse(text.trim()).map_err(|e| format!("webhook: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("webhook: give an http:// or https:// address".into());
    }
    Ok(url)
}

/// The address with its credentials, path and query hidden: incoming-webhook paths are secrets.
pub fn masked(text: &str) -> String {
    match reqwest::Url::parse(text) {
        Ok(url) => {
            let host = url.host_str().unwrap_or_default();
            match url.port() {
                Some(port) => format!("{}://{host}:{port}/…", url.scheme()),
                None => format!("{}://{host}/…", url.scheme()),
            }
        }
        Err(_) => "…".into(),
    }
}

/// What an alert says.
#[derive(Debug, Clone)]
pub struct Message {
    pub alert: Alert,
    pub suite_id: i64,
    pub suite_name: String,
    pub schedule_id: i64,
    pub cron: String,
    pub timezone: String,
    pub run_id: String,
    pub status: RunStatus,
    pub passed: u32,
    pub failed: u32,
    pub error: Option<String>,
    /// The run's page.
    pub url: String,
}

impl Message {
    /// The JSON body.
    pub fn body(&self) -> Value {
        let headline = match self.alert {
            Alert::Failed => format!("❌ {} failed", self.suite_name),
            Alert::Recovered => format!("✅ {} recovered", self.suite_name),
            Alert::None => format!("{} {}", self.suite_name, self.status.as_str()),
        };
        let detail = match &self.error {
            Some(error) => error.clone(),
            None => format!("{} passed, {} failed", self.passed, self.failed),
        };
        let text = format!("{headline}: {detail} — {}", self.url);
        json!({
            "text": text,
            "msg_type": "text",
            "content": { "text": text },
            "event": self.alert.as_str(),
            "run": {
                "id": self.run_id,
                "status": self.status.as_str(),
                "passed": self.passed,
                "failed": self.failed,
                "error": self.error,
                "url": self.url,
            },
            "suite": { "id": self.suite_id, "name": self.suite_name },
            "schedule": { "id": self.schedule_id, "cron": self.cron, "timezone": self.timezone },
        })
    }
}

/// Sends alerts. Cheap to clone.
#[derive(Clone)]
pub struct Webhooks {
    client: reqwest::Client,
    policy: Arc<TargetPolicy>,
}

impl Webhooks {
    pub fn new(policy: TargetPolicy) -> Self {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver(policy.clone())))
            .build()
            .unwrap_or_default();
        Self { client, policy }
    }

    /// Checks an address a user gives ([`check_url`]), and that it is not one the server may not
    /// call: a literal address the target policy refuses, or a name whose every address it
    /// refuses (a name that does not resolve yet is taken; calls to it are guarded again).
    pub async fn check(&self, text: &str) -> Result<reqwest::Url, String> {
        let url = check_url(text)?;
        let denied = || format!("webhook: {}", crate::engine::guard::Denied);
        if let Some(ip) = literal_ip(&url) {
            return if self.policy.permits(ip) {
                Ok(url)
            } else {
                Err(denied())
            };
        }
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return Ok(url);
        };
        let lookup = tokio::net::lookup_host((host, port));
        if let Ok(Ok(addrs)) = tokio::time::timeout(Duration::from_secs(2), lookup).await {
            let addrs: Vec<_> = addrs.collect();
            if !addrs.is_empty() && addrs.iter().all(|a| !self.policy.permits(a.ip())) {
                return Err(denied());
            }
        }
        Ok(url)
    }

    /// Posts `body` to `url`, retrying twice on failure; the error says why it did not arrive.
    pub async fn send(&self, url: &str, body: &Value) -> Result<(), String> {
        let url = check_url(url)?;
        if literal_ip(&url).is_some_and(|ip| !self.policy.permits(ip)) {
            return Err(format!("webhook: {}", crate::engine::guard::Denied));
        }
        let mut last = String::new();
        for pause in std::iter::once(Duration::ZERO).chain(RETRIES) {
            tokio::time::sleep(pause).await;
            match self.client.post(url.clone()).json(body).send().await {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => last = format!("webhook answered {}", r.status()),
                Err(e) if crate::engine::guard::is_denied(&e) => {
                    return Err(format!("webhook: {}", crate::engine::guard::Denied));
                }
                Err(e) if e.is_timeout() => last = "webhook: no answer within 10 s".into(),
                Err(_) => last = "webhook: could not connect".into(),
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RunStatus::*;

    #[test]
    fn alerts_on_changes_only() {
        assert_eq!(Alert::judge(None, Failed), Alert::Failed);
        assert_eq!(Alert::judge(None, Interrupted), Alert::Failed);
        assert_eq!(Alert::judge(None, Completed), Alert::None);
        assert_eq!(Alert::judge(Some(Completed), Failed), Alert::Failed);
        assert_eq!(Alert::judge(Some(Failed), Failed), Alert::None);
        assert_eq!(Alert::judge(Some(Failed), Completed), Alert::Recovered);
        assert_eq!(Alert::judge(Some(Interrupted), Completed), Alert::Recovered);
        assert_eq!(Alert::judge(Some(Completed), Completed), Alert::None);
        assert_eq!(Alert::judge(Some(Failed), Cancelled), Alert::None);
    }

    #[test]
    fn checks_and_masks_addresses() {
        assert!(check_url("https://hooks.slack.com/services/T/B/secret").is_ok());
        assert!(check_url("ftp://example.com/x").is_err());
        assert!(check_url("not a url").is_err());
        assert!(check_url(&format!("https://e.com/{}", "a".repeat(3000))).is_err());
        assert_eq!(
            masked("https://hooks.slack.com/services/T/B/secret?x=1"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            masked("http://10.0.0.5:8080/hook"),
            "http://10.0.0.5:8080/…"
        );
        // Credentials in the address are as secret as its path.
        assert_eq!(
            masked("http://user:pass@[::1]:9000/x"),
            "http://[::1]:9000/…"
        );
    }

    #[test]
    fn one_body_for_slack_mattermost_and_feishu() {
        let body = Message {
            alert: Alert::Failed,
            suite_id: 3,
            suite_name: "Checkout".into(),
            schedule_id: 9,
            cron: "0 9 * * *".into(),
            timezone: "Asia/Shanghai".into(),
            run_id: "abc".into(),
            status: Failed,
            passed: 2,
            failed: 1,
            error: None,
            url: "https://lc.example/runs/abc".into(),
        }
        .body();
        let text = body["text"].as_str().unwrap();
        assert!(text.contains("Checkout failed") && text.contains("2 passed, 1 failed"));
        assert!(text.ends_with("https://lc.example/runs/abc"));
        assert_eq!(body["msg_type"], "text");
        assert_eq!(body["content"]["text"], text);
        assert_eq!(body["event"], "failed");
        assert_eq!(body["run"]["status"], "failed");
    }
}
