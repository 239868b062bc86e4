//! What a server does once before it listens: the data directory, the database (with runs cut off by
//! the last shutdown marked `interrupted`), the JWT secret, the first admin and the demo account when
//! asked for; and the retention sweep that runs while it serves.

use std::{io, path::Path};

use tracing::{info, warn};

use super::config::{self, Config};
use crate::{
    accounts::{AccountError, Accounts},
    clock::now_ms,
    hub::Hub,
    protocol::{api::Role, RunSnapshot},
    store::{Backend, Store},
};

/// Failures while starting up.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {0}: {1}")]
    DataDir(String, io::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("creating an account at start-up: {0}")]
    Account(#[from] AccountError),
    #[error("listener: {0}")]
    Io(#[from] io::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("LIVECHECK_REDIS_CA {0}: {1}")]
    RedisCa(String, io::Error),
}

/// Opens the database the configuration names: PostgreSQL at `LIVECHECK_DATABASE_URL`, else the
/// SQLite file in the data directory (created if missing).
pub async fn open_store(config: &Config) -> Result<Store, StartError> {
    if let Some(url) = &config.database_url {
        return Ok(Store::connect(url).await?);
    }
    let data_dir = &config.data_dir;
    std::fs::create_dir_all(data_dir)
        .map_err(|e| StartError::DataDir(data_dir.display().to_string(), e))?;
    Ok(Store::open(&data_dir.join("livecheck.db")).await?)
}

/// What [`prepare`] made ready.
pub struct Prepared {
    pub store: Store,
    pub secret: Vec<u8>,
    /// The runs it marked `interrupted` (of this node before a restart, or of another that
    /// stopped): the nodes that follow them are told once the hub is up.
    pub interrupted: Vec<RunSnapshot>,
}

/// Opens the store, marks the runs of stopped nodes interrupted, and reads the JWT secret.
pub async fn prepare(config: &Config) -> Result<Prepared, StartError> {
    let data_dir = &config.data_dir;
    let dir_error = |e| StartError::DataDir(data_dir.display().to_string(), e);
    std::fs::create_dir_all(data_dir).map_err(dir_error)?;
    let store = open_store(config).await?;
    // Alive before it starts any run, so no other node takes its runs for orphans.
    store.heartbeat().await?;
    let interrupted = store.interrupt_orphaned_runs(config.node_lease).await?;
    if !interrupted.is_empty() {
        warn!(
            runs = interrupted.len(),
            "marked runs of a node that stopped (this one before a restart, or another) as interrupted"
        );
    }
    let secret = match (&config.jwt_secret, store.backend()) {
        (Some(secret), _) => secret.clone().into_bytes(),
        // Every node of a cluster must sign and check sessions with the same secret.
        (None, Backend::Postgres) => store
            .setting_or_insert("jwt_secret", &random_secret())
            .await?
            .into_bytes(),
        (None, Backend::Sqlite) => load_or_create_secret(data_dir).map_err(dir_error)?,
    };
    Ok(Prepared {
        store,
        secret,
        interrupted,
    })
}

/// The first admin (`LIVECHECK_ADMIN_USER`) and the demo account (an admin too) with its room, when
/// the operator asked for them.
pub async fn accounts(
    config: &Config,
    accounts: &Accounts,
    store: &Store,
) -> Result<(), StartError> {
    if let Some((username, password)) = &config.admin {
        accounts.ensure_admin(username, password).await?;
        info!(username, "the admin from LIVECHECK_ADMIN_USER is ready");
    }
    if config.seed_demo && store.user_by_name(config::DEMO_USERNAME).await?.is_none() {
        accounts
            .create_user(config::DEMO_USERNAME, config::DEMO_PASSWORD, Role::Admin)
            .await?;
        info!(username = config::DEMO_USERNAME, "created the demo account");
        if let Some(demo) = store.user_by_name(config::DEMO_USERNAME).await? {
            store.create_room(config::DEMO_ROOM, demo.id).await?;
        }
    }
    Ok(())
}

/// Sends this node's heartbeat four times per lease, and marks the runs of nodes that stopped
/// sending theirs as interrupted (and tells the nodes that follow them, through `hub`).
pub fn spawn_node_lease(store: &Store, hub: &Hub, lease: std::time::Duration) {
    let (store, hub) = (store.clone(), hub.clone());
    tokio::spawn(async move {
        let mut every = tokio::time::interval(lease / 4);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if store.has_left() {
                break;
            }
            if let Err(e) = store.heartbeat().await {
                warn!(error = %e, "could not record this node's heartbeat");
                continue;
            }
            match store.interrupt_orphaned_runs(lease).await {
                Ok(runs) if runs.is_empty() => {}
                Ok(runs) => {
                    warn!(
                        runs = runs.len(),
                        "marked the runs of a node that stopped as interrupted"
                    );
                    runs.iter().for_each(|run| hub.announce_interrupted(run));
                }
                Err(e) => warn!(error = %e, "the sweep for runs of stopped nodes failed"),
            }
        }
    });
}

/// Deletes runs (and their events) older than `days` once an hour; 0 keeps them forever.
pub fn spawn_retention(store: &Store, days: u32) {
    if days == 0 {
        return;
    }
    let store = store.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            let cutoff = now_ms().saturating_sub(u64::from(days) * 86_400_000);
            match store.purge_runs(cutoff).await {
                Ok(0) => {}
                Ok(n) => info!(runs = n, days, "deleted runs past the retention period"),
                Err(e) => warn!(error = %e, "the retention sweep failed"),
            }
        }
    });
}

/// 32 random bytes in hex.
fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the JWT secret kept in the data directory, creating it (random, owner-only) on first start.
fn load_or_create_secret(data_dir: &Path) -> io::Result<Vec<u8>> {
    let path = data_dir.join("jwt-secret");
    match std::fs::read(&path) {
        Ok(secret) if secret.len() >= 32 => return Ok(secret),
        Ok(_) => warn!(path = %path.display(), "JWT secret file too short; replacing it"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let secret = random_secret();
    write_private(&path, secret.as_bytes())?;
    info!(path = %path.display(), "generated a new JWT secret");
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes)
}
