//! Who is asking: password hashes (argon2id), session tokens (JWT, HS256 only, `exp` enforced) and the
//! session cookie.
//!
//! Nothing here touches the database or the network; callers look users up in the store and hand the
//! results in. Every failure collapses into [`AuthError`] so clients never learn which part was wrong.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use axum::http::{header, HeaderMap, HeaderValue};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::clock::now_secs;

/// Name of the HttpOnly cookie that carries the session JWT.
pub const SESSION_COOKIE: &str = "livecheck_session";

/// Why a request is not authenticated. The variants exist for logs; clients see one message.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no session token")]
    Missing,
    #[error("invalid session token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
}

/// The claims inside a session token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id, as a string per RFC 7519.
    pub sub: String,
    /// The user's name, so pages can greet without a database read.
    pub name: String,
    pub iat: u64,
    pub exp: u64,
}

/// The authenticated user behind a request or a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    pub id: i64,
    pub username: String,
    /// When the token expires, seconds since the Unix epoch.
    pub expires_at: u64,
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

    /// Issues a token for the user, valid for the configured lifetime.
    pub fn issue(&self, user_id: i64, username: &str) -> Result<String, AuthError> {
        let now = now_secs();
        let claims = Claims {
            sub: user_id.to_string(),
            name: username.to_owned(),
            iat: now,
            exp: now + self.ttl_secs,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    pub fn verify(&self, token: &str) -> Result<AuthUser, AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?;
        let id = data.claims.sub.parse().map_err(|_| {
            AuthError::Invalid(jsonwebtoken::errors::ErrorKind::InvalidSubject.into())
        })?;
        Ok(AuthUser {
            id,
            username: data.claims.name,
            expires_at: data.claims.exp,
        })
    }

    /// Authenticates a request from its session cookie.
    pub fn from_headers(&self, headers: &HeaderMap) -> Result<AuthUser, AuthError> {
        let token = session_token(headers).ok_or(AuthError::Missing)?;
        self.verify(&token)
    }
}

/// The session token in the request's cookies, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// `Set-Cookie` value that stores the session: HttpOnly (no script can read it), SameSite=Strict (no
/// other site can make the browser send it), Path=/ so the WebSocket upgrade carries it too.
pub fn session_cookie(token: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let c = cookie::Cookie::build((SESSION_COOKIE, token.to_owned()))
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
pub fn clear_session_cookie() -> HeaderValue {
    HeaderValue::from_static("livecheck_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
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
        let token = keys.issue(7, "demo").unwrap();
        let user = keys.verify(&token).unwrap();
        assert_eq!((user.id, user.username.as_str()), (7, "demo"));

        let other = Keys::new(b"another secret, another server!!", 60);
        assert!(other.verify(&token).is_err());
        assert!(keys.verify(&format!("{token}x")).is_err());
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
