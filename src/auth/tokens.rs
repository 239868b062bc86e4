//! Personal access tokens: a random secret shown once (`lc_` and 43 base64url characters, 256 bits),
//! of which only a SHA-256 is stored, and the scopes a token carries.

use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What every token secret starts with, so logs, scanners and the server can tell it from a JWT.
const PREFIX: &str = "lc_";

/// A new random secret.
pub fn new_token_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Whether a credential is a token secret (rather than a session JWT).
pub fn is_token_secret(credential: &str) -> bool {
    credential.starts_with(PREFIX)
}

/// What the store keeps of a secret: its SHA-256, hex. A fast hash is right here: the secret has 256
/// random bits, so there is nothing to guess, and every API call checks one.
pub fn hash_token_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a token may do: `read` (runs, reports, the live socket) always; `run` also starts runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenScopes {
    pub run: bool,
}

impl TokenScopes {
    /// The scopes as stored and shown: `read` or `read,run`.
    pub fn as_str(self) -> &'static str {
        if self.run {
            "read,run"
        } else {
            "read"
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let mut scopes = Self::default();
        for scope in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match scope {
                "read" => {}
                "run" => scopes.run = true,
                _ => return None,
            }
        }
        Some(scopes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_prefixed_and_hashed() {
        let (a, b) = (new_token_secret(), new_token_secret());
        assert_ne!(a, b);
        assert!(is_token_secret(&a) && a.len() == 46, "{a}");
        assert_eq!(hash_token_secret(&a), hash_token_secret(&a));
        assert_eq!(hash_token_secret(&a).len(), 64);
        assert!(!is_token_secret("eyJhbGciOi.x.y"));
    }

    #[test]
    fn scopes_round_trip() {
        assert_eq!(
            TokenScopes::parse("read,run"),
            Some(TokenScopes { run: true })
        );
        assert_eq!(TokenScopes::parse("read"), Some(TokenScopes { run: false }));
        assert_eq!(TokenScopes::parse("admin"), None);
        assert_eq!(
            TokenScopes::parse(TokenScopes { run: true }.as_str()),
            Some(TokenScopes { run: true })
        );
    }
}
