//! Exponential backoff with injected jitter: how long to wait before trying a provider again.
//!
//! Jitter matters when a provider comes back after an outage: every PBX that lost it would
//! otherwise retry in the same second. The randomness is a seed the caller supplies, so the
//! sequence is reproducible in tests and random in production; without a seed the delays are
//! exact.

use std::time::Duration;

/// Delays of `first`, doubling after each failure up to `max`, each shortened by up to a
/// fifth when jittered (never lengthened: `max` stays a promise to the admin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    failures: u32,
    /// xorshift64 state; `None` for exact delays. Never zero (xorshift would stay at zero).
    rng: Option<u64>,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration, jitter_seed: Option<u64>) -> Backoff {
        Backoff {
            first,
            max: max.max(first),
            failures: 0,
            rng: jitter_seed.map(|s| if s == 0 { 0x9E37_79B9_7F4A_7C15 } else { s }),
        }
    }

    /// The delay before the next attempt after one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let exponent = self.failures.min(20);
        self.failures = self.failures.saturating_add(1);
        let base = self
            .first
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.max)
            .min(self.max);
        match self.next_random() {
            // Keep 80..=100 % of the base delay.
            Some(r) => base.mul_f64(0.8 + 0.2 * (r % 1001) as f64 / 1000.0),
            None => base,
        }
    }

    /// Consecutive failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A success: the next failure waits `first` again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    fn next_random(&mut self) -> Option<u64> {
        let mut x = self.rng?;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = Some(x);
        Some(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(S(30), S(600), None);
        let delays: Vec<u64> = (0..8).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 600, 600, 600]);
        assert_eq!(b.failures(), 8);
        b.reset();
        assert_eq!(b.next_delay(), S(30));
        for _ in 0..100 {
            b.next_delay();
        }
        assert_eq!(b.next_delay(), S(600), "no overflow after many failures");
    }

    #[test]
    fn jitter_shortens_by_at_most_a_fifth_and_varies() {
        let mut b = Backoff::new(S(30), S(600), Some(0));
        let mut seen = Vec::new();
        for i in 0..12 {
            let base = S(30 * (1u64 << i.min(20))).min(S(600));
            let d = b.next_delay();
            assert!(d <= base && d >= base.mul_f64(0.8), "{d:?} vs {base:?}");
            seen.push(d);
        }
        seen.sort();
        seen.dedup();
        assert!(seen.len() > 6, "jittered delays differ: {seen:?}");
        let again: Vec<Duration> = {
            let mut b = Backoff::new(S(30), S(600), Some(0));
            (0..12).map(|_| b.next_delay()).collect()
        };
        let mut again_sorted = again.clone();
        again_sorted.sort();
        again_sorted.dedup();
        assert_eq!(again_sorted, seen, "same seed, same sequence");
    }
}
