//! Nonce-count replay protection (RFC 7616 §3.3): for each nonce in use, the highest `nc`
//! accepted so far; a request must bring a higher one. Bounded: nonces past their lifetime
//! are forgotten first, and when too many live nonces remain the older half is forgotten and
//! every nonce issued up to then is refused (the client gets `stale=true` and a new nonce),
//! so forgetting never lets a replay through.

use std::collections::HashMap;
use std::sync::Mutex;

/// Default number of nonces tracked: ~10 MB at most.
pub const DEFAULT_CAPACITY: usize = 65_536;

#[derive(Debug)]
pub(crate) struct NonceCounts {
    inner: Mutex<Inner>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Inner {
    seen: HashMap<String, Seen>,
    /// Nonces issued at or before this second are refused unless tracked.
    floor: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    issued: u64,
    nc: u32,
}

impl NonceCounts {
    pub fn new(capacity: usize) -> NonceCounts {
        NonceCounts {
            inner: Mutex::new(Inner::default()),
            capacity: capacity.max(2),
        }
    }

    /// Records `nc` for a valid nonce issued at `issued`; false for a replay (an `nc` not
    /// above the highest seen, or zero) or for a nonce forgotten under memory pressure.
    pub fn accept(&self, nonce: &str, issued: u64, nc: u32, now: u64, max_age: u64) -> bool {
        if nc == 0 {
            return false;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return false;
        };
        if let Some(seen) = inner.seen.get_mut(nonce) {
            if nc <= seen.nc {
                return false;
            }
            seen.nc = nc;
            return true;
        }
        if inner.floor.is_some_and(|floor| issued <= floor) {
            return false;
        }
        if inner.seen.len() >= self.capacity {
            inner.make_room(now, max_age, self.capacity);
            if inner.floor.is_some_and(|floor| issued <= floor) {
                return false;
            }
        }
        inner.seen.insert(nonce.to_owned(), Seen { issued, nc });
        true
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.seen.len()).unwrap_or(0)
    }
}

impl Inner {
    fn make_room(&mut self, now: u64, max_age: u64, capacity: usize) {
        // Expired nonces are refused as stale before they get here: forgetting them is free.
        self.seen
            .retain(|_, s| now.saturating_sub(s.issued) <= max_age);
        if self.seen.len() < capacity / 2 {
            return;
        }
        let mut issued: Vec<u64> = self.seen.values().map(|s| s.issued).collect();
        let mid = issued.len() / 2;
        let (_, cutoff, _) = issued.select_nth_unstable(mid);
        let cutoff = *cutoff;
        self.seen.retain(|_, s| s.issued > cutoff);
        self.floor = Some(self.floor.map_or(cutoff, |f| f.max(cutoff)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_count_must_increase() {
        let counts = NonceCounts::new(16);
        assert!(counts.accept("n1", 100, 1, 100, 300));
        assert!(!counts.accept("n1", 100, 1, 100, 300));
        assert!(counts.accept("n1", 100, 3, 100, 300));
        assert!(!counts.accept("n1", 100, 2, 100, 300));
        assert!(counts.accept("n2", 100, 1, 100, 300));
        assert!(!counts.accept("n3", 100, 0, 100, 300));
    }

    #[test]
    fn bounded_and_never_forgets_into_a_replay() {
        let counts = NonceCounts::new(8);
        for i in 0..8u64 {
            assert!(counts.accept(&format!("n{i}"), 100 + i, 1, 110, 300));
        }
        // Full of live nonces: the older half goes and their nonces are refused from now on.
        assert!(counts.accept("late", 200, 1, 200, 300));
        assert!(counts.len() <= 8);
        assert!(
            !counts.accept("n0", 100, 1, 200, 300),
            "a forgotten nonce must not replay"
        );
        assert!(!counts.accept("n2", 102, 5, 200, 300));
        assert!(
            !counts.accept("n7", 107, 1, 200, 300),
            "still tracked: replay refused"
        );
        assert!(counts.accept("n7", 107, 2, 200, 300));
    }

    #[test]
    fn expired_nonces_are_dropped_first() {
        let counts = NonceCounts::new(4);
        for i in 0..4u64 {
            assert!(counts.accept(&format!("old{i}"), 0, 1, 0, 300));
        }
        // At t=1000 all four are past max_age: room is made without raising the floor.
        assert!(counts.accept("fresh", 990, 1, 1000, 300));
        assert_eq!(counts.len(), 1);
        assert!(
            counts.accept("fresh2", 1, 1, 1000, 300_000),
            "no floor was set"
        );
    }
}
