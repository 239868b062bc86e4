//! Accounts and credentials: who may sign in, with which role, and whether a credential still holds.
//!
//! A session token (JWT) is checked here against its user's row on every request and socket: the user
//! must exist, be enabled and still be at the token version the token was issued for. Signing out,
//! changing a password and disabling a user raise that version, so every session of the user ends at
//! once, and open sockets are told ([`Accounts::changes`]) and close with 4001. Personal access tokens
//! (`lc_…`) are looked up by the SHA-256 of their secret.
//!
//! Password hashing (argon2id, 19 MiB each) runs on blocking threads behind a semaphore, and sign-ins
//! are throttled per client address and per username ([`limits`]).

mod changes;
pub mod limits;
mod tokens;

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use tokio::sync::{watch, Semaphore};

use crate::{
    auth::{self, is_token_secret, AuthError, AuthUser, Credential, Keys},
    broker::Broker,
    clock::now_secs,
    protocol::api::Role,
    store::{Store, UserRecord},
};
use changes::Subject;
use limits::LoginLimiter;

/// The demo account, created only when the operator (or `./run serve`) asks for it.
pub const DEMO_USERNAME: &str = "demo";
pub const DEMO_PASSWORD: &str = "demo-password";
/// A room the demo account is a member of.
pub const DEMO_ROOM: &str = "demo-team";

/// Longest a personal access token may live.
pub const MAX_TOKEN_DAYS: u32 = 366;
/// Hashes computed at once at most; others wait (up to [`HASH_WAIT`]).
const HASH_WAIT: Duration = Duration::from_secs(10);
/// The setting that opens self-registration.
const REGISTRATION: &str = "registration_open";

/// Why an account operation was refused. Messages are safe to show.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many sign-in attempts; try again in {0} s")]
    RateLimited(u64),
    #[error("the server is busy; try again shortly")]
    Busy,
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Why a credential was not accepted: not valid (401), or it could not be checked (500).
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    keys: Arc<Keys>,
    hashing: Semaphore,
    limiter: LoginLimiter,
    /// Subjects with open sockets → a counter raised on every change to them.
    changes: Mutex<HashMap<Subject, watch::Sender<u64>>>,
    /// In a cluster: the other nodes, told of every change so their sockets check again too.
    cluster: OnceLock<Broker>,
}

impl Accounts {
    pub fn new(store: Store, keys: Arc<Keys>) -> Self {
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            inner: Arc::new(Inner {
                store,
                keys,
                hashing: Semaphore::new(permits),
                limiter: LoginLimiter::default(),
                changes: Mutex::default(),
                cluster: OnceLock::new(),
            }),
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.inner.keys
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The user behind a credential: a session token or a personal access token.
    pub async fn authenticate(&self, credential: &str) -> Result<AuthUser, AuthFailure> {
        if is_token_secret(credential) {
            return self.authenticate_token(credential).await;
        }
        let claims = self.inner.keys.verify(credential)?;
        let user = self
            .store()
            .user_by_id(claims.user_id)
            .await?
            .filter(|u| !u.disabled && u.token_version == claims.version)
            .ok_or(AuthError::Revoked)?;
        Ok(AuthUser {
            id: user.id,
            username: user.username,
            role: user.role,
            expires_at: claims.expires_at,
            credential: Credential::Session {
                version: claims.version,
            },
        })
    }

    /// The user behind a request: `Authorization: Bearer …` or the session cookie.
    pub async fn from_headers(
        &self,
        headers: &axum::http::HeaderMap,
    ) -> Result<AuthUser, AuthFailure> {
        let credential = auth::request_credential(headers).ok_or(AuthError::Missing)?;
        self.authenticate(&credential).await
    }

    /// Checks a password and issues a session token. Throttled per address and per username (a
    /// `device` token from an earlier sign-in as this user lifts the username's lock, see
    /// `limits`); the answer for an unknown user, a wrong password and a disabled account is the same.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        ip: Option<IpAddr>,
        device: Option<&str>,
    ) -> Result<(AuthUser, String), AccountError> {
        if username.is_empty()
            || password.is_empty()
            || username.len() > 64
            || password.len() > 1024
        {
            return Err(AccountError::BadCredentials);
        }
        let limiter = &self.inner.limiter;
        let known_device = device.is_some_and(|t| self.inner.keys.device_holds(t, username));
        limiter
            .attempt(ip, username, known_device)
            .map_err(AccountError::RateLimited)?;
        let user = self.store().user_by_name(username).await?;
        // Verify against a real hash even for unknown users, so timing does not tell which exist.
        let phc = user
            .as_ref()
            .map_or_else(|| DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
        let password = password.to_owned();
        let ok = self
            .hashing(move || auth::verify_password(&password, &phc))
            .await?;
        let user = match user {
            Some(user) if ok && !user.disabled => user,
            _ => {
                limiter.failed(ip, username, known_device);
                return Err(AccountError::BadCredentials);
            }
        };
        limiter.succeeded(username);
        let token = self
            .inner
            .keys
            .issue(user.id, &user.username, user.token_version)
            .map_err(|e| AccountError::Invalid(e.to_string()))?;
        let signed_in = AuthUser {
            id: user.id,
            username: user.username,
            role: user.role,
            expires_at: now_secs() + self.inner.keys.ttl_secs(),
            credential: Credential::Session {
                version: user.token_version,
            },
        };
        Ok((signed_in, token))
    }

    /// Checks the sign-in limits for an attempt from `ip` for `username`, and counts it against the
    /// address (registrations use it: one address cannot create accounts in a loop).
    pub fn throttle(&self, ip: Option<IpAddr>, username: &str) -> Result<(), AccountError> {
        let limiter = &self.inner.limiter;
        limiter
            .attempt(ip, username, false)
            .map_err(AccountError::RateLimited)?;
        limiter.counted(ip);
        Ok(())
    }

    /// Runs a CPU-heavy password hash on a blocking thread, at most one per core at a time.
    async fn hashing<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AccountError> {
        let _permit = tokio::time::timeout(HASH_WAIT, self.inner.hashing.acquire())
            .await
            .map_err(|_| AccountError::Busy)?
            .map_err(|_| AccountError::Busy)?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|_| AccountError::Busy)
    }

    /// An argon2id hash of a new password, after checking it is acceptable.
    pub async fn hash_new_password(&self, password: &str) -> Result<String, AccountError> {
        check_password(password)?;
        let password = password.to_owned();
        self.hashing(move || auth::hash_password(&password))
            .await?
            .map_err(|_| AccountError::Busy)
    }

    /// Ends every session of the user (sign-out everywhere).
    pub async fn end_sessions(&self, user_id: i64) -> Result<(), AccountError> {
        self.store().bump_token_version(user_id).await?;
        self.changed(Subject::User(user_id));
        Ok(())
    }

    pub async fn change_password(
        &self,
        user: &AuthUser,
        current: &str,
        new: &str,
    ) -> Result<(), AccountError> {
        let record = self
            .store()
            .user_by_id(user.id)
            .await?
            .ok_or(AccountError::NotFound)?;
        let (current, phc) = (current.to_owned(), record.password_hash);
        if !self
            .hashing(move || auth::verify_password(&current, &phc))
            .await?
        {
            return Err(AccountError::BadCredentials);
        }
        self.set_password(user.id, new).await
    }

    /// Sets a user's password (ending their sessions).
    pub async fn set_password(&self, user_id: i64, new: &str) -> Result<(), AccountError> {
        let hash = self.hash_new_password(new).await?;
        if !self.store().set_password(user_id, &hash).await? {
            return Err(AccountError::NotFound);
        }
        self.changed(Subject::User(user_id));
        Ok(())
    }

    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<i64, AccountError> {
        check_username(username)?;
        let hash = self.hash_new_password(password).await?;
        self.store()
            .create_user(username, &hash, role)
            .await?
            .ok_or_else(|| AccountError::Invalid(format!("the username `{username}` is taken")))
    }

    /// What the user may see changed (they left a room or were removed from it): their sockets check
    /// the rooms they are in and the runs they follow again.
    pub fn access_changed(&self, user_id: i64) {
        self.changed(Subject::User(user_id));
    }

    /// Changes a role; the last enabled admin keeps theirs.
    pub async fn set_role(&self, user_id: i64, role: Role) -> Result<(), AccountError> {
        let user = self.user(user_id).await?;
        if user.role == Role::Admin && role != Role::Admin && !user.disabled {
            self.keep_an_admin().await?;
        }
        self.store().set_role(user_id, role).await?;
        self.changed(Subject::User(user_id));
        Ok(())
    }

    /// Disables (ending every session) or enables an account; the last enabled admin stays enabled.
    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<(), AccountError> {
        let user = self.user(user_id).await?;
        if disabled && user.role == Role::Admin && !user.disabled {
            self.keep_an_admin().await?;
        }
        self.store().set_disabled(user_id, disabled).await?;
        self.changed(Subject::User(user_id));
        Ok(())
    }

    async fn keep_an_admin(&self) -> Result<(), AccountError> {
        if self.store().active_admins().await? <= 1 {
            return Err(AccountError::Invalid(
                "this is the last enabled admin; make another admin first".into(),
            ));
        }
        Ok(())
    }

    async fn user(&self, user_id: i64) -> Result<UserRecord, AccountError> {
        self.store()
            .user_by_id(user_id)
            .await?
            .ok_or(AccountError::NotFound)
    }

    /// Creates the first admin (or makes an existing account one), at start-up or from the CLI.
    pub async fn ensure_admin(&self, username: &str, password: &str) -> Result<(), AccountError> {
        match self.store().user_by_name(username).await? {
            Some(user) => {
                self.store().set_role(user.id, Role::Admin).await?;
                Ok(())
            }
            None => self
                .create_user(username, password, Role::Admin)
                .await
                .map(drop),
        }
    }

    /// Whether anyone may create their own (member) account.
    pub async fn registration_open(&self) -> Result<bool, AccountError> {
        Ok(self.store().setting(REGISTRATION).await?.as_deref() == Some("true"))
    }

    pub async fn set_registration_open(&self, open: bool) -> Result<(), AccountError> {
        let value = if open { "true" } else { "false" };
        Ok(self.store().set_setting(REGISTRATION, value).await?)
    }
}

/// A username: 1–64 letters, digits, `.`, `_` or `-`.
pub fn check_username(username: &str) -> Result<(), AccountError> {
    let ok = (1..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid(
            "a username is 1–64 letters, digits, '.', '_' or '-'".into(),
        ))
    }
}

/// A password: 8–1024 bytes.
pub fn check_password(password: &str) -> Result<(), AccountError> {
    if (8..=1024).contains(&password.len()) {
        Ok(())
    } else {
        Err(AccountError::Invalid(
            "a password is 8 to 1024 characters".into(),
        ))
    }
}

/// An argon2id hash of a random password, checked when the username is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2cQ6Vn9r8hq6hZLJ7m0F3j0U9n8w6xw8m0cX4xk0Z1Y";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_real_argon2_hash() {
        use argon2::password_hash::PasswordHash;
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!auth::verify_password("anything", DUMMY_HASH));
    }

    #[test]
    fn usernames_and_passwords_are_bounded() {
        assert!(check_username("alice.b-1_x").is_ok());
        for bad in ["", "a b", "ünï", &"x".repeat(65), "a\nb"] {
            assert!(check_username(bad).is_err(), "{bad:?}");
        }
        assert!(check_password("12345678").is_ok());
        assert!(check_password("short").is_err());
    }
}
