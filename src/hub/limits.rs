//! Per-connection message budget: a token bucket, plus flood detection for clients that ignore refusals.

use std::time::{Duration, Instant};

/// What the budget says about one incoming message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Drop the message; `notify` is true for the first refusal of a window, so the client hears about
    /// it once instead of once per flooded message.
    Refuse {
        notify: bool,
    },
    /// The client keeps sending far beyond its budget: close the connection.
    Flood,
}

/// `rate` messages per second on average, bursts of up to `burst`.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
    window_start: Instant,
    refused_in_window: u32,
}

impl RateLimiter {
    pub fn new(rate: u32, burst: u32, now: Instant) -> Self {
        Self {
            rate: f64::from(rate.max(1)),
            burst: f64::from(burst.max(1)),
            tokens: f64::from(burst.max(1)),
            last: now,
            window_start: now,
            refused_in_window: 0,
        }
    }

    pub fn check(&mut self, now: Instant) -> Verdict {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Verdict::Allow;
        }
        if now.saturating_duration_since(self.window_start) >= Duration::from_secs(1) {
            self.window_start = now;
            self.refused_in_window = 0;
        }
        self.refused_in_window += 1;
        // Refusals beyond twice the per-second budget within one second: the client is not listening.
        if f64::from(self.refused_in_window) > 2.0 * self.rate {
            return Verdict::Flood;
        }
        Verdict::Refuse {
            notify: self.refused_in_window == 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_pass_then_refusals_then_flood() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(10, 5, t0);
        for _ in 0..5 {
            assert_eq!(rl.check(t0), Verdict::Allow);
        }
        assert_eq!(rl.check(t0), Verdict::Refuse { notify: true });
        assert_eq!(rl.check(t0), Verdict::Refuse { notify: false });
        // 100 ms later one token has come back.
        assert_eq!(rl.check(t0 + Duration::from_millis(100)), Verdict::Allow);
        let later = t0 + Duration::from_millis(100);
        let mut verdict = Verdict::Allow;
        for _ in 0..30 {
            verdict = rl.check(later);
        }
        assert_eq!(verdict, Verdict::Flood);
    }

    #[test]
    fn a_patient_client_is_never_refused() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(20, 40, t0);
        for i in 0..1000u64 {
            assert_eq!(rl.check(t0 + Duration::from_millis(i * 50)), Verdict::Allow);
        }
    }
}
