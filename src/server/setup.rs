//! What a server does once before it listens: the data directory, the database (with runs cut off by
//! the last shutdown marked `interrupted`), the JWT secret, and the demo account when asked for.

use std::{io, path::Path};

use tracing::{info, warn};

use super::config::{self, Config};
use crate::{auth, store::Store};

/// Failures while starting up.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data directory {0}: {1}")]
    DataDir(String, io::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not hash the demo password")]
    DemoUser,
    #[error("listener: {0}")]
    Io(#[from] io::Error),
}

/// Opens the store and returns it with the JWT secret.
pub async fn prepare(config: &Config) -> Result<(Store, Vec<u8>), StartError> {
    let data_dir = &config.data_dir;
    let dir_error = |e| StartError::DataDir(data_dir.display().to_string(), e);
    std::fs::create_dir_all(data_dir).map_err(dir_error)?;
    let store = Store::open(&data_dir.join("livecheck.db")).await?;
    let stale = store.interrupt_unfinished_runs().await?;
    if stale > 0 {
        warn!(
            runs = stale,
            "marked runs cut off by the last shutdown as interrupted"
        );
    }
    if config.seed_demo {
        seed_demo(&store).await?;
    }
    let secret = match &config.jwt_secret {
        Some(secret) => secret.clone().into_bytes(),
        None => load_or_create_secret(data_dir).map_err(dir_error)?,
    };
    Ok((store, secret))
}

/// The demo account and its room, so a fresh install has something to sign in with.
async fn seed_demo(store: &Store) -> Result<(), StartError> {
    if store.user_by_name(config::DEMO_USERNAME).await?.is_some() {
        return Ok(());
    }
    let hash = tokio::task::spawn_blocking(|| auth::hash_password(config::DEMO_PASSWORD))
        .await
        .map_err(|_| StartError::DemoUser)?
        .map_err(|_| StartError::DemoUser)?;
    if store
        .create_user_if_missing(config::DEMO_USERNAME, &hash)
        .await?
    {
        info!(username = config::DEMO_USERNAME, "created the demo account");
    }
    if let Some(demo) = store.user_by_name(config::DEMO_USERNAME).await? {
        store.create_room(config::DEMO_ROOM, demo.id).await?;
    }
    Ok(())
}

/// Reads the JWT secret kept in the data directory, creating it (random, owner-only) on first start.
fn load_or_create_secret(data_dir: &Path) -> io::Result<Vec<u8>> {
    use rand::RngCore;
    let path = data_dir.join("jwt-secret");
    match std::fs::read(&path) {
        Ok(secret) if secret.len() >= 32 => return Ok(secret),
        Ok(_) => warn!(path = %path.display(), "JWT secret file too short; replacing it"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
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
