//! Who is asking: password hashes (argon2id), session tokens (JWT, HS256 only, `exp` enforced), the
//! session cookie, and the secrets of personal access tokens.
//!
//! Nothing here touches the database or the network; the `accounts` layer checks a verified token
//! against the user's row (role, disabled, token version). Every failure collapses into [`AuthError`]
//! so clients never learn which part was wrong.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use axum::http::{header, HeaderMap, HeaderValue};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{clock::now_secs, protocol::api::Role};

mod tokens;
pub use tokens::{hash_token_secret, is_token_secret, new_token_secret, TokenScopes};

/// Name of the HttpOnly cookie that carries the session JWT over plain HTTP.
pub const SESSION_COOKIE: &str = "livecheck_session";
/// Its name over HTTPS: the `__Host-` prefix makes browsers insist on `Secure`, `Path=/` and no
/// `Domain`, so no other host (a sibling subdomain) can set or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-livecheck_session";

/// Name of the HttpOnly cookie that says this browser signed in as someone before (a device token,
/// [`Keys::issue_device`]); over HTTPS the `__Host-` name, as for the session.
pub const DEVICE_COOKIE: &str = "livecheck_device";
pub const SECURE_DEVICE_COOKIE: &str = "__Host-livecheck_device";
/// How long a browser stays known after its last sign-in: a year.
pub const DEVICE_TTL_SECS: u64 = 365 * 24 * 3600;

/// Why a request is not authenticated. The variants exist for logs; clients see one message.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no session token")]
    Missing,
    #[error("invalid session token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    /// Signed and unexpired, but ended since: signed out, password changed, account disabled or
    /// deleted, or an access token revoked or expired.
    #[error("the session or token is no longer valid")]
    Revoked,
}

/// The claims inside a session token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id, as a string per RFC 7519.
    pub sub: String,
    /// The user's name, so pages can greet without a database read.
    pub name: String,
    /// The user's token version when the token was issued; raising it ends every session.
    #[serde(default)]
    pub ver: i64,
    pub iat: u64,
    pub exp: u64,
}

/// What a signed, unexpired session token says (still to be checked against the user's row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    pub user_id: i64,
    pub username: String,
    pub version: i64,
    pub expires_at: u64,
}

/// How a user proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A session token from signing in, issued at this token version.
    Session { version: i64 },
    /// A personal access token.
    Token { id: i64, scopes: TokenScopes },
    /// The server starting a run of this schedule, as the user who made it.
    Schedule { id: i64 },
}

/// The authenticated user behind a request or a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// When the credential expires, seconds since the Unix epoch.
    pub expires_at: u64,
    pub credential: Credential,
}

impl AuthUser {
    /// Whether this credential may start, cancel and restart runs and write suites: not a viewer,
    /// and a token only with the `run` scope.
    pub fn may_run(&self) -> bool {
        self.role.may_run()
            && match &self.credential {
                Credential::Session { .. } | Credential::Schedule { .. } => true,
                Credential::Token { scopes, .. } => scopes.run,
            }
    }

    /// Whether this credential may manage users and settings: an admin, signed in (never a token).
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin && matches!(self.credential, Credential::Session { .. })
    }
}

/// The claims inside a device token. `sub` is `device:` and the username in lower case: never a
/// user id, so a session token is never taken for one (and a device token lacks a session's `name`).
#[derive(Debug, Serialize, Deserialize)]
struct DeviceClaims {
    sub: String,
    iat: u64,
    exp: u64,
}

fn device_subject(username: &str) -> String {
    format!("device:{}", username.to_lowercase())
}

/// Signs and verifies session tokens with one HS256 secret.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
}

impl Keys {
    pub fn new(secret: &[u8], ttl_secs: u64) -> Self {
        // Only HS256 is accepted: a token that names another algorithm (`none`, RS256 with our
        // secret as a "public key", …) is rejected before its signature is looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
        }
    }

    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    /// Issues a token for the user at its current token `version`, valid for the configured lifetime.
    pub fn issue(&self, user_id: i64, username: &str, version: i64) -> Result<String, AuthError> {
        let now = now_secs();
        let claims = Claims {
            sub: user_id.to_string(),
            name: username.to_owned(),
            ver: version,
            iat: now,
            exp: now + self.ttl_secs,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Checks the signature, the algorithm and the expiry.
    pub fn verify(&self, token: &str) -> Result<SessionClaims, AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?;
        let user_id = data.claims.sub.parse().map_err(|_| {
            AuthError::Invalid(jsonwebtoken::errors::ErrorKind::InvalidSubject.into())
        })?;
        Ok(SessionClaims {
            user_id,
            username: data.claims.name,
            version: data.claims.ver,
            expires_at: data.claims.exp,
        })
    }

    /// A device token: proof that this browser signed in as `username` (OWASP's "device cookie").
    /// Failed sign-ins from anywhere lock a username for a while; a browser holding one of these for
    /// it may still sign in (within its address's limit), so a stranger's wrong passwords cannot lock
    /// the owner out.
    pub fn issue_device(&self, username: &str) -> Result<String, AuthError> {
        let now = now_secs();
        let claims = DeviceClaims {
            sub: device_subject(username),
            iat: now,
            exp: now + DEVICE_TTL_SECS,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Whether `token` is a signed, unexpired device token for `username` (in any case).
    pub fn device_holds(&self, token: &str, username: &str) -> bool {
        jsonwebtoken::decode::<DeviceClaims>(token, &self.decoding, &self.validation)
            .is_ok_and(|data| data.claims.sub == device_subject(username))
    }
}

/// The session token in the request's cookies (either name), if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, [SECURE_SESSION_COOKIE, SESSION_COOKIE])
}

/// The device token in the request's cookies (either name), if any.
pub fn device_token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, [SECURE_DEVICE_COOKIE, DEVICE_COOKIE])
}

/// The value of the first of `names` the request has a cookie of.
fn cookie_value(headers: &HeaderMap, names: [&str; 2]) -> Option<String> {
    let cookies: Vec<cookie::Cookie<'_>> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .collect();
    names
        .iter()
        .find_map(|name| cookies.iter().find(|c| c.name() == *name))
        .map(|c| c.value().to_owned())
}

/// The credential of a request: the session cookie, or `Authorization: Bearer <token>` (a session
/// token or a personal access token).
pub fn request_credential(headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    bearer.or_else(|| session_token(headers))
}

/// `Set-Cookie` value that stores the session: HttpOnly (no script can read it), SameSite=Strict (no
/// other site can make the browser send it), Path=/ so the WebSocket upgrade carries it too. With
/// `secure` (HTTPS) it is `Secure` and named with the `__Host-` prefix.
pub fn session_cookie(token: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let name = if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    };
    set_cookie(name, token, max_age_secs, secure)
}

/// `Set-Cookie` value that stores a device token, with the session cookie's attributes. It stays
/// after signing out: it says only that this browser once signed in as the user.
pub fn device_cookie(token: &str, secure: bool) -> HeaderValue {
    let name = if secure {
        SECURE_DEVICE_COOKIE
    } else {
        DEVICE_COOKIE
    };
    set_cookie(name, token, DEVICE_TTL_SECS, secure)
}

fn set_cookie(name: &'static str, token: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let c = cookie::Cookie::build((name, token.to_owned()))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age_secs as i64))
        .secure(secure)
        .build();
    // A JWT holds only base64url characters and dots: always a valid header value.
    HeaderValue::from_str(&c.to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// `Set-Cookie` value that removes the session.
pub fn clear_session_cookie(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static(
            "__Host-livecheck_session=; HttpOnly; SameSite=Strict; Path=/; Secure; Max-Age=0",
        )
    } else {
        HeaderValue::from_static("livecheck_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
    }
}

/// Hashes a password with argon2id and a random salt (PHC string). CPU-heavy: call from a blocking task.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored PHC string. CPU-heavy: call from a blocking task.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef", 60);
        let token = keys.issue(7, "demo", 3).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(
            (claims.user_id, claims.username.as_str(), claims.version),
            (7, "demo", 3)
        );

        let other = Keys::new(b"another secret, another server!!", 60);
        assert!(other.verify(&token).is_err());
        assert!(keys.verify(&format!("{token}x")).is_err());
    }

    #[test]
    fn a_device_token_names_one_user_and_is_no_session() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef", 60);
        let device = keys.issue_device("Mia").unwrap();
        assert!(keys.device_holds(&device, "mia") && keys.device_holds(&device, "MIA"));
        assert!(!keys.device_holds(&device, "demo"));
        assert!(
            keys.verify(&device).is_err(),
            "a device token is not a session"
        );
        let session = keys.issue(7, "mia", 0).unwrap();
        assert!(
            !keys.device_holds(&session, "mia"),
            "a session is not a device token"
        );
        let other = Keys::new(b"another secret, another server!!", 60);
        assert!(!other.device_holds(&device, "mia"));
        let cookie = device_cookie(&device, true);
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.starts_with("__Host-livecheck_device=") && cookie.contains("HttpOnly"));
    }

    #[test]
    fn alg_none_is_refused() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef", 60);
        // {"alg":"none","typ":"JWT"} . {"sub":"1","name":"x","iat":0,"exp":9999999999} . (no signature)
        let token = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.\
                     eyJzdWIiOiIxIiwibmFtZSI6IngiLCJpYXQiOjAsImV4cCI6OTk5OTk5OTk5OX0.";
        assert!(keys.verify(token).is_err());
    }

    #[test]
    fn passwords_verify() {
        let phc = hash_password("s3cret").unwrap();
        assert!(verify_password("s3cret", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password("s3cret", "not a phc string"));
    }

    #[test]
    fn cookie_is_httponly_and_strict() {
        let v = session_cookie("a.b.c", 60, false);
        let s = v.to_str().unwrap();
        assert!(s.contains("HttpOnly"));
        assert!(s.contains("SameSite=Strict"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("x=1; livecheck_session=a.b.c"),
        );
        assert_eq!(session_token(&headers).as_deref(), Some("a.b.c"));
    }
}
