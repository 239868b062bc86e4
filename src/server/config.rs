//! Server configuration, read from the environment (every variable is optional).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `LEPTOS_SITE_ADDR` | `127.0.0.1:3000` | address to listen on (read by Leptos' own config) |
//! | `LEPTOS_SITE_ROOT` | (embedded) | serve the site (wasm bundle, CSS, public files) from this folder instead of from inside the binary (development) |
//! | `LIVECHECK_DATA_DIR` | `data` | folder for the SQLite database and the generated JWT secret |
//! | `LIVECHECK_DATABASE_URL` | (none) | `postgres://user:password@host/db`: keep the data in PostgreSQL instead of SQLite (every node of a cluster names the same one); the generated JWT secret is kept there too |
//! | `LIVECHECK_JWT_SECRET` | generated | HS256 secret (at least 32 bytes); generated and kept in the data dir if unset |
//! | `LIVECHECK_TOKEN_TTL_SECS` | `43200` | session lifetime (12 h), 60 s to 30 days |
//! | `LIVECHECK_PUBLIC_URL` | (none) | the address users reach the server at, e.g. `https://livecheck.example`: other `Host`s are refused, `Origin`s are checked against it, and `https` makes the cookie `Secure` and `__Host-` |
//! | `LIVECHECK_SECURE_COOKIES` | `false` | mark the session cookie `Secure` (set behind HTTPS; implied by an `https` public URL) |
//! | `LIVECHECK_TRUST_PROXY` | `false` | take the client's address from `X-Forwarded-For` (only behind a proxy that sets it) |
//! | `LIVECHECK_DEMO` | `false` | create the demo account `demo` / `demo-password` (an admin) at start-up; `./run serve` sets it |
//! | `LIVECHECK_ADMIN_USER` / `LIVECHECK_ADMIN_PASSWORD` | (none) | create this admin at start-up if it does not exist (the first admin of a fresh database) |
//! | `LIVECHECK_HEARTBEAT_SECS` | `30` | WebSocket ping interval; two missed pongs close the connection |
//! | `LIVECHECK_STEP_TIMEOUT_MS` | `10000` | per-request timeout of the API engine |
//! | `LIVECHECK_ALLOWED_ORIGINS` | (none) | comma-separated origins allowed to open WebSockets besides the server's own |
//! | `LIVECHECK_METRICS` | `true` | serve Prometheus metrics at `/metrics` |
//! | `LIVECHECK_TARGET_DENY` | (none) | comma-separated CIDRs suites may not call, besides loopback, link-local and cloud metadata |
//! | `LIVECHECK_TARGET_ALLOW` | (none) | comma-separated CIDRs exempt from the deny list (e.g. `127.0.0.0/8` to test services on the host) |
//! | `LIVECHECK_MAX_RUNS` | `16` | runs executing at once; more wait in a queue (status `queued`) |
//! | `LIVECHECK_MAX_RUNS_PER_USER` | `4` | runs of one user executing at once (10 more may wait) |
//! | `LIVECHECK_MAX_RUN_SECS` | `3600` | longest any run may execute; it is then stopped |
//! | `LIVECHECK_DAILY_BUDGET` | `360000` | virtual-user seconds one user may start per 24 h (0: unlimited) |
//! | `LIVECHECK_RETENTION_DAYS` | `30` | runs and their events older than this are deleted (0: kept forever) |
//! | `LIVECHECK_MAX_SOCKETS_PER_USER` | `20` | WebSockets one user may have open at once |
//! | `LIVECHECK_TLS_CERT` / `LIVECHECK_TLS_KEY` | (none) | PEM certificate chain and private key: serve HTTPS (HTTP/2 and 1.1) and make the cookie `Secure` |
//! | `LIVECHECK_DRAIN_SECS` | `30` | on SIGTERM, how long runs in progress may go on before the sockets close |
//! | `LIVECHECK_DRAIN_SPREAD_SECS` | `5` | the sockets close (1012) in batches spread over this time |
//! | `LIVECHECK_REDIS_URL` | (none) | `redis://host:6379`: the nodes sharing it (and one database) form a cluster — a client on any node watches any run live, resumes on any node, cancels from any node, and hears every room |
//! | `LIVECHECK_REDIS_CA` | (none) | PEM file of the CA that signed Redis's certificate, for `rediss://` URLs (else the system's roots) |
//! | `LIVECHECK_REDIS_PREFIX` | `lc` | what the cluster's Redis keys and channels start with (two clusters may share a Redis with two prefixes) |
//! | `LIVECHECK_NODE_LEASE_SECS` | `20` | a node sends a heartbeat every quarter of this; the runs of a node not heard from for this long are marked `interrupted` by another (or by its own next start) |
//! | `LIVECHECK_SCHEDULE_MIN_SECS` | `60` | the shortest time between two fires of one schedule (a cron pattern may have a seconds field) |

use std::{path::PathBuf, time::Duration};

use crate::{
    engine::guard::TargetPolicy,
    hub::{conn::ConnectionSettings, HubSettings},
    runs::{queue::RunLimits, RunPolicy},
};

pub use crate::accounts::{DEMO_PASSWORD, DEMO_ROOM, DEMO_USERNAME};

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// `LIVECHECK_DATABASE_URL`: PostgreSQL instead of the SQLite file in the data directory.
    pub database_url: Option<String>,
    /// `LIVECHECK_REDIS_URL`: the cluster's broker; runs, rooms and cancels reach every node.
    pub redis_url: Option<String>,
    /// `LIVECHECK_REDIS_PREFIX`: what the cluster's Redis keys and channels start with.
    pub redis_prefix: String,
    /// `LIVECHECK_REDIS_CA`: the CA (PEM file) to trust for `rediss://`, instead of the system's.
    pub redis_ca: Option<PathBuf>,
    /// `LEPTOS_SITE_ROOT` is set: the site comes from that folder, not from inside the binary.
    pub site_from_disk: bool,
    pub jwt_secret: Option<String>,
    pub token_ttl_secs: u64,
    /// Where users reach the server (`LIVECHECK_PUBLIC_URL`).
    pub public_url: Option<PublicUrl>,
    pub secure_cookies: bool,
    pub trust_proxy: bool,
    pub seed_demo: bool,
    /// The first admin, created at start-up if missing.
    pub admin: Option<(String, String)>,
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
    /// Longest any run may execute.
    pub max_run: Duration,
    /// Virtual-user seconds one user may start per 24 hours (0: unlimited).
    pub daily_budget: u64,
    /// Days runs are kept (0: forever).
    pub retention_days: u32,
    /// WebSockets one user may have open at once.
    pub max_sockets_per_user: usize,
    /// HTTPS: the certificate chain and the private key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// On shutdown: how long runs may go on, and over how long the sockets close.
    pub drain_grace: Duration,
    pub drain_spread: Duration,
    /// The shortest time between two fires of one schedule.
    pub schedule_min_interval: Duration,
    /// How long a node may go unseen (no heartbeat) before another marks its runs interrupted.
    pub node_lease: Duration,
}

/// The scheme, host and port users reach the server at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    pub https: bool,
    /// `host` or `host:port` as a `Host` header carries it (no default port).
    pub authority: String,
}

impl PublicUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().trim_end_matches('/');
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| format!("`{text}` is not a URL like https://livecheck.example"))?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(format!("`{text}`: the scheme must be http or https")),
        };
        let authority = rest.to_ascii_lowercase();
        let default_port = if https { ":443" } else { ":80" };
        let authority = authority
            .strip_suffix(default_port)
            .unwrap_or(&authority)
            .to_owned();
        if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return Err(format!("`{text}`: give only a scheme, a host and a port"));
        }
        Ok(Self { https, authority })
    }

    /// The origin browsers send from pages of this server, e.g. `https://livecheck.example`.
    pub fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.authority)
    }
}

impl Config {
    /// How much running one user may do.
    pub fn run_policy(&self) -> RunPolicy {
        RunPolicy {
            limits: self.run_limits,
            max_run: self.max_run,
            daily_budget: self.daily_budget,
        }
    }
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
            database_url: None,
            redis_url: None,
            redis_prefix: "lc".into(),
            redis_ca: None,
            site_from_disk: false,
            jwt_secret: None,
            token_ttl_secs: 12 * 3600,
            public_url: None,
            secure_cookies: false,
            trust_proxy: false,
            seed_demo: false,
            admin: None,
            connection: ConnectionSettings::default(),
            hub: HubSettings::default(),
            step_timeout: Duration::from_secs(10),
            allowed_origins: Vec::new(),
            metrics: true,
            targets: TargetPolicy::default(),
            run_limits: RunLimits::default(),
            max_run: RunPolicy::default().max_run,
            daily_budget: RunPolicy::default().daily_budget,
            retention_days: 30,
            max_sockets_per_user: 20,
            tls: None,
            drain_grace: Duration::from_secs(30),
            drain_spread: Duration::from_secs(5),
            schedule_min_interval: Duration::from_secs(60),
            node_lease: Duration::from_secs(20),
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
        let public_url = match std::env::var("LIVECHECK_PUBLIC_URL") {
            Ok(url) if !url.trim().is_empty() => {
                Some(PublicUrl::parse(&url).map_err(|problem| ConfigError {
                    name: "LIVECHECK_PUBLIC_URL",
                    problem,
                })?)
            }
            _ => None,
        };
        let admin = match (
            std::env::var("LIVECHECK_ADMIN_USER"),
            std::env::var("LIVECHECK_ADMIN_PASSWORD"),
        ) {
            (Ok(user), Ok(password)) if !user.is_empty() => Some((user, password)),
            (Ok(user), _) if !user.is_empty() => {
                return Err(ConfigError {
                    name: "LIVECHECK_ADMIN_PASSWORD",
                    problem: "LIVECHECK_ADMIN_USER is set, so its password must be too".into(),
                })
            }
            _ => None,
        };
        let tls = match (
            std::env::var_os("LIVECHECK_TLS_CERT"),
            std::env::var_os("LIVECHECK_TLS_KEY"),
        ) {
            (Some(cert), Some(key)) => Some((PathBuf::from(cert), PathBuf::from(key))),
            (None, None) => None,
            _ => {
                return Err(ConfigError {
                    name: "LIVECHECK_TLS_CERT / LIVECHECK_TLS_KEY",
                    problem: "set both, or neither".into(),
                })
            }
        };
        Ok(Self {
            data_dir: std::env::var_os("LIVECHECK_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or(d.data_dir),
            database_url: std::env::var("LIVECHECK_DATABASE_URL")
                .ok()
                .filter(|url| !url.is_empty()),
            redis_url: std::env::var("LIVECHECK_REDIS_URL")
                .ok()
                .filter(|url| !url.is_empty()),
            redis_prefix: match std::env::var("LIVECHECK_REDIS_PREFIX") {
                Ok(prefix)
                    if prefix.is_empty() || prefix.len() > 64 || prefix.contains(['{', '}']) =>
                {
                    return Err(ConfigError {
                        name: "LIVECHECK_REDIS_PREFIX",
                        problem: "1 to 64 characters, without braces".into(),
                    })
                }
                Ok(prefix) => prefix,
                Err(_) => d.redis_prefix,
            },
            redis_ca: std::env::var_os("LIVECHECK_REDIS_CA")
                .filter(|path| !path.is_empty())
                .map(PathBuf::from),
            site_from_disk: std::env::var_os("LEPTOS_SITE_ROOT").is_some(),
            jwt_secret,
            token_ttl_secs: in_range("LIVECHECK_TOKEN_TTL_SECS", d.token_ttl_secs, 60..=2_592_000)?,
            secure_cookies: parse("LIVECHECK_SECURE_COOKIES", d.secure_cookies)?
                || public_url.as_ref().is_some_and(|u| u.https)
                || tls.is_some(),
            public_url,
            trust_proxy: parse("LIVECHECK_TRUST_PROXY", d.trust_proxy)?,
            seed_demo: parse("LIVECHECK_DEMO", d.seed_demo)?,
            admin,
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
            max_run: Duration::from_secs(in_range(
                "LIVECHECK_MAX_RUN_SECS",
                d.max_run.as_secs(),
                1..=86_400,
            )?),
            daily_budget: parse("LIVECHECK_DAILY_BUDGET", d.daily_budget)?,
            retention_days: in_range("LIVECHECK_RETENTION_DAYS", d.retention_days, 0..=36_500)?,
            max_sockets_per_user: in_range(
                "LIVECHECK_MAX_SOCKETS_PER_USER",
                d.max_sockets_per_user,
                1..=100_000,
            )?,
            tls,
            drain_grace: Duration::from_secs(in_range(
                "LIVECHECK_DRAIN_SECS",
                d.drain_grace.as_secs(),
                0..=3600,
            )?),
            drain_spread: Duration::from_secs(in_range(
                "LIVECHECK_DRAIN_SPREAD_SECS",
                d.drain_spread.as_secs(),
                0..=600,
            )?),
            schedule_min_interval: Duration::from_secs(in_range(
                "LIVECHECK_SCHEDULE_MIN_SECS",
                d.schedule_min_interval.as_secs(),
                1..=86_400,
            )?),
            node_lease: Duration::from_secs(in_range(
                "LIVECHECK_NODE_LEASE_SECS",
                d.node_lease.as_secs(),
                2..=3600,
            )?),
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
