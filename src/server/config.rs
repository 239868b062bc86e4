//! Server configuration, read from the environment (every variable is optional).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `LEPTOS_SITE_ADDR` | `127.0.0.1:3000` | address to listen on (read by Leptos' own config) |
//! | `LEPTOS_SITE_ROOT` | `target/site` | folder with the wasm bundle, CSS and public assets |
//! | `LIVECHECK_DATA_DIR` | `data` | folder for the SQLite database and the generated JWT secret |
//! | `LIVECHECK_JWT_SECRET` | generated | HS256 secret (at least 32 bytes); generated and kept in the data dir if unset |
//! | `LIVECHECK_TOKEN_TTL_SECS` | `43200` | session lifetime (12 h) |
//! | `LIVECHECK_SECURE_COOKIES` | `false` | mark the session cookie `Secure` (set it behind HTTPS) |
//! | `LIVECHECK_DEMO` | `true` | create the demo account `demo` / `demo-password` at start-up |
//! | `LIVECHECK_HEARTBEAT_SECS` | `30` | WebSocket ping interval; two missed pongs close the connection |
//! | `LIVECHECK_STEP_TIMEOUT_MS` | `10000` | per-request timeout of the API engine |
//! | `LIVECHECK_ALLOWED_ORIGINS` | (none) | comma-separated origins allowed to open WebSockets besides the server's own |
//! | `LIVECHECK_METRICS` | `true` | serve Prometheus metrics at `/metrics` |
//! | `LIVECHECK_TARGET_DENY` | (none) | comma-separated CIDRs suites may not call, besides link-local and cloud metadata |
//! | `LIVECHECK_TARGET_ALLOW` | (none) | comma-separated CIDRs exempt from the deny list |
//! | `LIVECHECK_MAX_RUNS` | `16` | runs executing at once; more wait in a queue (status `queued`) |
//! | `LIVECHECK_MAX_RUNS_PER_USER` | `4` | runs of one user executing at once |

use std::{path::PathBuf, time::Duration};

use crate::{
    engine::guard::TargetPolicy,
    hub::{conn::ConnectionSettings, HubSettings},
    runs::queue::RunLimits,
};

/// The demo account created when `LIVECHECK_DEMO` is on.
pub const DEMO_USERNAME: &str = "demo";
pub const DEMO_PASSWORD: &str = "demo-password";
/// A room the demo account is a member of.
pub const DEMO_ROOM: &str = "demo-team";

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub jwt_secret: Option<String>,
    pub token_ttl_secs: u64,
    pub secure_cookies: bool,
    pub seed_demo: bool,
    pub connection: ConnectionSettings,
    pub hub: HubSettings,
    pub step_timeout: Duration,
    /// Origins, besides the server's own, whose pages may open a WebSocket (e.g. `https://app.example`).
    pub allowed_origins: Vec<String>,
    pub metrics: bool,
    /// Which addresses suites may send requests to.
    pub targets: TargetPolicy,
    /// How many runs execute at once, in all and per user.
    pub run_limits: RunLimits,
}

/// A variable was set to something unusable.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            jwt_secret: None,
            token_ttl_secs: 12 * 3600,
            secure_cookies: false,
            seed_demo: true,
            connection: ConnectionSettings::default(),
            hub: HubSettings::default(),
            step_timeout: Duration::from_secs(10),
            allowed_origins: Vec::new(),
            metrics: true,
            targets: TargetPolicy::default(),
            run_limits: RunLimits::default(),
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Self::default();
        let connection = ConnectionSettings {
            heartbeat_interval: Duration::from_secs(in_range(
                "LIVECHECK_HEARTBEAT_SECS",
                d.connection.heartbeat_interval.as_secs(),
                1..=3600,
            )?),
            ..d.connection
        };
        let jwt_secret = std::env::var("LIVECHECK_JWT_SECRET").ok();
        if let Some(secret) = &jwt_secret {
            if secret.len() < 32 {
                return Err(ConfigError {
                    name: "LIVECHECK_JWT_SECRET",
                    problem: "must be at least 32 bytes".into(),
                });
            }
        }
        Ok(Self {
            data_dir: std::env::var_os("LIVECHECK_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or(d.data_dir),
            jwt_secret,
            token_ttl_secs: parse("LIVECHECK_TOKEN_TTL_SECS", d.token_ttl_secs)?,
            secure_cookies: parse("LIVECHECK_SECURE_COOKIES", d.secure_cookies)?,
            seed_demo: parse("LIVECHECK_DEMO", d.seed_demo)?,
            connection,
            hub: d.hub,
            // The same bound as a suite's own `timeout_ms`.
            step_timeout: Duration::from_millis(in_range(
                "LIVECHECK_STEP_TIMEOUT_MS",
                d.step_timeout.as_millis() as u64,
                1..=120_000,
            )?),
            allowed_origins: std::env::var("LIVECHECK_ALLOWED_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            metrics: parse("LIVECHECK_METRICS", d.metrics)?,
            targets: TargetPolicy::from_lists(
                &std::env::var("LIVECHECK_TARGET_DENY").unwrap_or_default(),
                &std::env::var("LIVECHECK_TARGET_ALLOW").unwrap_or_default(),
            )
            .map_err(|problem| ConfigError {
                name: "LIVECHECK_TARGET_DENY / LIVECHECK_TARGET_ALLOW",
                problem,
            })?,
            run_limits: RunLimits {
                global: in_range("LIVECHECK_MAX_RUNS", d.run_limits.global, 1..=100_000)?,
                per_user: in_range(
                    "LIVECHECK_MAX_RUNS_PER_USER",
                    d.run_limits.per_user,
                    1..=100_000,
                )?,
            },
        })
    }
}

fn in_range<T>(
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
    T::Err: std::fmt::Display,
{
    let value = parse(name, default)?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError {
            name,
            problem: format!(
                "{value} is out of range: must be from {} to {}",
                range.start(),
                range.end()
            ),
        })
    }
}

fn parse<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(v) => v.trim().parse().map_err(|e: T::Err| ConfigError {
            name,
            problem: format!("{v:?}: {e}"),
        }),
        Err(_) => Ok(default),
    }
}
