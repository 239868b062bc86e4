//! Sign-in throttling: failed attempts per client address and per username in fixed windows, so a
//! password cannot be guessed quickly from one address nor for one account from many (successful
//! sign-ins do not count; hashing is bounded separately). Over a limit, the caller answers 429 with the
//! seconds until the window ends.
//!
//! A browser that signed in as the user before (it holds a device token, `auth::Keys::issue_device`)
//! is not held by the username's lock, and its failures do not count towards it: strangers' wrong
//! passwords cannot lock the owner out, and its own guesses stay under its address's limit.

use std::{
    collections::HashMap,
    hash::Hash,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Failed sign-ins (and registrations) one address may make per window.
pub const ATTEMPTS_PER_ADDRESS: u32 = 20;
pub const ADDRESS_WINDOW: Duration = Duration::from_secs(60);
/// Failed sign-ins one username may have per window, from anywhere.
pub const FAILURES_PER_USERNAME: u32 = 10;
pub const USERNAME_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys kept before expired windows are swept (bounds the memory an attacker can make us use).
const SWEEP_AT: usize = 10_000;

struct Window {
    started: Instant,
    count: u32,
}

/// Counts in fixed windows per key.
struct Counter<K> {
    limit: u32,
    period: Duration,
    windows: Mutex<HashMap<K, Window>>,
}

impl<K: Eq + Hash> Counter<K> {
    fn new(limit: u32, period: Duration) -> Self {
        Self {
            limit,
            period,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds to wait when `key` is over its limit now.
    fn blocked(&self, key: &K, now: Instant) -> Option<u64> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let w = windows.get(key)?;
        let elapsed = now.duration_since(w.started);
        (elapsed < self.period && w.count >= self.limit)
            .then(|| (self.period - elapsed).as_secs().max(1))
    }

    fn add(&self, key: K, now: Instant) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, w| now.duration_since(w.started) < self.period);
        }
        let w = windows.entry(key).or_insert(Window {
            started: now,
            count: 0,
        });
        if now.duration_since(w.started) >= self.period {
            *w = Window {
                started: now,
                count: 0,
            };
        }
        w.count += 1;
    }

    fn clear(&self, key: &K) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// The two sign-in limits.
pub struct LoginLimiter {
    by_address: Counter<IpAddr>,
    by_username: Counter<String>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self {
            by_address: Counter::new(ATTEMPTS_PER_ADDRESS, ADDRESS_WINDOW),
            by_username: Counter::new(FAILURES_PER_USERNAME, USERNAME_WINDOW),
        }
    }
}

impl LoginLimiter {
    /// Whether an attempt from `ip` for `username` may be made; `Err(seconds)` when either is over
    /// its limit. A `known_device` is held by its address's limit only.
    pub fn attempt(
        &self,
        ip: Option<IpAddr>,
        username: &str,
        known_device: bool,
    ) -> Result<(), u64> {
        let now = Instant::now();
        let key = username.to_lowercase();
        match ip
            .and_then(|ip| self.by_address.blocked(&ip, now))
            .or_else(|| {
                (!known_device)
                    .then(|| self.by_username.blocked(&key, now))
                    .flatten()
            }) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// A wrong password for `username` from `ip` (from a `known_device`: counted for the address only).
    pub fn failed(&self, ip: Option<IpAddr>, username: &str, known_device: bool) {
        let now = Instant::now();
        if let Some(ip) = ip {
            self.by_address.add(ip, now);
        }
        if !known_device {
            self.by_username.add(username.to_lowercase(), now);
        }
    }

    /// Something that counts against the address only (a registration).
    pub fn counted(&self, ip: Option<IpAddr>) {
        if let Some(ip) = ip {
            self.by_address.add(ip, Instant::now());
        }
    }

    /// A successful sign-in clears the username's failures.
    pub fn succeeded(&self, username: &str) {
        self.by_username.clear(&username.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_and_a_username_are_limited_separately() {
        let l = LoginLimiter::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        // Successful sign-ins do not count.
        for _ in 0..100 {
            assert!(l.attempt(Some(a), "someone", false).is_ok());
        }
        for i in 0..ATTEMPTS_PER_ADDRESS {
            assert!(l.attempt(Some(a), &format!("user{i}"), false).is_ok());
            l.failed(Some(a), &format!("user{i}"), false);
        }
        assert!(l.attempt(Some(a), "someone", false).unwrap_err() >= 1);
        // Failures for one name from many addresses reach the username's limit.
        for i in 0..FAILURES_PER_USERNAME {
            let from: IpAddr = format!("10.1.0.{i}").parse().unwrap();
            assert!(l.attempt(Some(from), "Alice", false).is_ok());
            l.failed(Some(from), "Alice", false);
        }
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        assert!(
            l.attempt(Some(c), "alice", false).is_err(),
            "usernames are counted case-insensitively"
        );
        // The owner's browser is not locked out by them, and its own failures do not add to the lock.
        assert!(l.attempt(Some(c), "alice", true).is_ok());
        l.failed(Some(c), "alice", true);
        l.succeeded("alice");
        assert!(l.attempt(Some(c), "alice", false).is_ok());
        for _ in 0..FAILURES_PER_USERNAME {
            l.failed(Some(c), "alice", true);
        }
        assert!(l.attempt(Some(c), "alice", false).is_ok());
    }
}
