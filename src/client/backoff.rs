//! Reconnect timing: exponential backoff from 1 s to 32 s with full jitter, reset after a successful
//! connect. Plain Rust with no browser types, so it is tested natively.

/// The backoff schedule of one connection.
#[derive(Debug, Clone)]
pub struct Backoff {
    base_ms: u64,
    max_ms: u64,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(1_000, 32_000)
    }
}

impl Backoff {
    pub fn new(base_ms: u64, max_ms: u64) -> Self {
        Self {
            base_ms,
            max_ms,
            attempt: 0,
        }
    }

    /// Attempts made since the last successful connect.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The ceiling of the next wait: base · 2^attempt, at most `max_ms`.
    pub fn ceiling_ms(&self) -> u64 {
        let exp = self.attempt.min(20);
        self.base_ms.saturating_mul(1 << exp).min(self.max_ms)
    }

    /// The next wait, given a uniform random number in [0, 1): "full jitter" spreads reconnecting
    /// clients over the whole window so a restarted server is not hit by all of them at once. Never
    /// shorter than a tenth of the base, so a client cannot spin.
    pub fn next_delay_ms(&mut self, random: f64) -> u64 {
        let ceiling = self.ceiling_ms();
        self.attempt = self.attempt.saturating_add(1);
        let jittered = (ceiling as f64 * random.clamp(0.0, 1.0)) as u64;
        jittered.max(self.base_ms / 10)
    }

    /// Call after a successful connect.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_up_to_the_cap() {
        let mut b = Backoff::default();
        let mut ceilings = Vec::new();
        for _ in 0..8 {
            ceilings.push(b.ceiling_ms());
            b.next_delay_ms(0.5);
        }
        assert_eq!(
            ceilings,
            [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 32_000, 32_000]
        );
    }

    #[test]
    fn jitter_stays_in_the_window_and_reset_starts_over() {
        let mut b = Backoff::default();
        assert_eq!(b.next_delay_ms(0.0), 100);
        assert_eq!(b.next_delay_ms(0.999_999), 1_999);
        b.reset();
        assert_eq!(b.attempt(), 0);
        assert_eq!(b.ceiling_ms(), 1_000);
    }
}
