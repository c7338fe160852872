//! Limits on what a trunk's provider may send us (a session-border function), sans-IO with
//! the time passed in. A request larger than `max_message_bytes` is refused with 513
//! (RFC 3261 §21.5.14); each trunk has a token bucket holding `max_requests_per_second`
//! tokens and refilled at that rate, so a burst of one second's worth passes and a flood is
//! answered 503 with Retry-After (§21.5.4) for as long as it lasts, at the cost of one
//! small response a request instead of a call task each.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::config::TrunkLimits;

/// Buckets kept at most; beyond it those that have filled up again (idle trunks, or names
/// of trunks since removed) are forgotten: a full bucket is what a new one would be.
const MAX_BUCKETS: usize = 1024;

/// What to do with a request from a trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    /// Answer 513 Message Too Large.
    TooLarge,
    /// Answer 503 with `Retry-After: retry_after` (whole seconds, at least 1).
    TooFast {
        retry_after: u32,
    },
}

/// A token bucket: `capacity` tokens, refilled continuously at `rate` a second.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket of `per_second` tokens refilled at `per_second` a second.
    pub fn new(per_second: u32, now: Instant) -> TokenBucket {
        let rate = f64::from(per_second.max(1));
        TokenBucket {
            capacity: rate,
            rate,
            tokens: rate,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        // A clock that went backwards (it cannot with Instant, but a caller may pass any
        // value) refills nothing rather than draining the bucket.
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.last = self.last.max(now);
    }

    /// Takes a token; Err(how long until one is there) when empty.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }

    fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.capacity
    }
}

/// The limits of every trunk.
#[derive(Debug)]
pub struct TrunkGuard {
    limits: TrunkLimits,
    buckets: HashMap<String, TokenBucket>,
}

impl Default for TrunkGuard {
    /// The documented defaults (16384 bytes, 50 requests a second).
    fn default() -> TrunkGuard {
        TrunkGuard::new(TrunkLimits {
            max_message_bytes: 16_384,
            max_requests_per_second: 50,
        })
    }
}

impl TrunkGuard {
    pub fn new(limits: TrunkLimits) -> TrunkGuard {
        TrunkGuard {
            limits,
            buckets: HashMap::new(),
        }
    }

    pub fn limits(&self) -> TrunkLimits {
        self.limits
    }

    /// A request of `size` bytes from `trunk` at `now`. Every request counts against the
    /// rate, a refused oversized one too (it cost us the parsing).
    pub fn check(&mut self, now: Instant, trunk: &str, size: usize) -> Verdict {
        let rate = self.limits.max_requests_per_second;
        if !self.buckets.contains_key(trunk) && self.buckets.len() >= MAX_BUCKETS {
            self.buckets.retain(|_, b| !b.is_full(now));
        }
        let bucket = self
            .buckets
            .entry(trunk.to_owned())
            .or_insert_with(|| TokenBucket::new(rate, now));
        if let Err(wait) = bucket.take(now) {
            let secs = wait.as_secs_f64().ceil().max(1.0);
            // At most a second's worth of rate anyway: the cast cannot truncate.
            let retry_after = if secs < f64::from(u32::MAX) {
                secs as u32
            } else {
                u32::MAX
            };
            return Verdict::TooFast { retry_after };
        }
        if size > self.limits.max_message_bytes {
            Verdict::TooLarge
        } else {
            Verdict::Accept
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(bytes: usize, rate: u32) -> TrunkGuard {
        TrunkGuard::new(TrunkLimits {
            max_message_bytes: bytes,
            max_requests_per_second: rate,
        })
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let g = TrunkGuard::default();
        assert_eq!(g.limits().max_message_bytes, 16_384);
        assert_eq!(g.limits().max_requests_per_second, 50);
    }

    #[test]
    fn oversized_requests_are_refused() {
        let mut g = guard(1000, 10);
        let t0 = Instant::now();
        assert_eq!(g.check(t0, "acme", 1000), Verdict::Accept);
        assert_eq!(g.check(t0, "acme", 1001), Verdict::TooLarge);
    }

    #[test]
    fn a_burst_of_one_second_passes_then_the_rate_holds() {
        let mut g = guard(16_384, 5);
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(g.check(t0, "acme", 100), Verdict::Accept);
        }
        assert_eq!(
            g.check(t0, "acme", 100),
            Verdict::TooFast { retry_after: 1 }
        );
        // Another trunk has a bucket of its own.
        assert_eq!(g.check(t0, "other", 100), Verdict::Accept);
        // One token comes back every 200 ms.
        let t1 = t0 + Duration::from_millis(199);
        assert!(matches!(g.check(t1, "acme", 100), Verdict::TooFast { .. }));
        let t2 = t0 + Duration::from_millis(200);
        assert_eq!(g.check(t2, "acme", 100), Verdict::Accept);
        assert!(matches!(g.check(t2, "acme", 100), Verdict::TooFast { .. }));
        // Idle for long: full again, never more than one second's worth.
        let t3 = t0 + Duration::from_secs(60);
        for _ in 0..5 {
            assert_eq!(g.check(t3, "acme", 100), Verdict::Accept);
        }
        assert!(matches!(g.check(t3, "acme", 100), Verdict::TooFast { .. }));
    }

    #[test]
    fn a_steady_rate_under_the_limit_always_passes() {
        let mut g = guard(16_384, 50);
        let t0 = Instant::now();
        for i in 0..1000u64 {
            // 40 a second for 25 seconds.
            let now = t0 + Duration::from_millis(i * 25);
            assert_eq!(g.check(now, "acme", 500), Verdict::Accept, "request {i}");
        }
    }

    #[test]
    fn retry_after_covers_the_wait_at_a_slow_rate() {
        let mut g = guard(16_384, 1);
        let t0 = Instant::now();
        assert_eq!(g.check(t0, "slow", 10), Verdict::Accept);
        assert_eq!(
            g.check(t0 + Duration::from_millis(10), "slow", 10),
            Verdict::TooFast { retry_after: 1 }
        );
    }

    #[test]
    fn buckets_stay_bounded() {
        let mut g = guard(16_384, 10);
        let t0 = Instant::now();
        for i in 0..(MAX_BUCKETS * 2) {
            g.check(t0 + Duration::from_secs(i as u64), &format!("t{i}"), 10);
        }
        assert!(g.buckets.len() <= MAX_BUCKETS + 1, "{}", g.buckets.len());
    }

    #[test]
    fn time_going_backwards_refills_nothing() {
        let mut b = TokenBucket::new(1, Instant::now() + Duration::from_secs(10));
        assert!(b.take(Instant::now()).is_ok());
        assert!(b.take(Instant::now()).is_err());
    }
}
