//! The login throttle: at most [`ACCOUNT_LIMIT`] failed logins per account name and
//! [`ADDRESS_LIMIT`] per client address in a sliding [`WINDOW`]. In memory: a restart forgets
//! it, which costs an attacker a restart they cannot cause.
//!
//! An attempt counts as failed from the moment it starts ([`Throttle::begin`]) and is taken
//! back when it succeeds, so a burst of parallel guesses cannot all pass the check before the
//! first one has finished hashing.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;

/// Failures per account name (known or not: the answer must not tell them apart).
pub const ACCOUNT_LIMIT: usize = 5;
/// Failures per client address (an IPv6 client is its /64, which one host usually owns).
pub const ADDRESS_LIMIT: usize = 20;
/// Seconds a failure counts.
pub const WINDOW: i64 = 15 * 60;
/// Keys kept per table at most; beyond this the longest-quiet ones are forgotten, so a flood
/// of made-up names cannot exhaust memory.
const MAX_KEYS: usize = 50_000;

#[derive(Default)]
pub(crate) struct Throttle {
    inner: Mutex<Tables>,
}

#[derive(Default)]
struct Tables {
    accounts: HashMap<String, VecDeque<i64>>,
    addresses: HashMap<IpAddr, VecDeque<i64>>,
}

/// A login attempt in progress; report how it ended with [`Throttle::succeeded`].
#[derive(Debug)]
pub(crate) struct Attempt {
    account: String,
    address: Option<IpAddr>,
    at: i64,
}

impl Throttle {
    /// Checks both limits; `Err(seconds)` says when to try again. When allowed, the attempt
    /// is recorded as a failure until [`Throttle::succeeded`] takes it back.
    pub fn begin(&self, now: i64, account: &str, address: Option<IpAddr>) -> Result<Attempt, u64> {
        let mut t = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let address = address.map(mask);
        let wait_account = wait(&mut t.accounts, account, ACCOUNT_LIMIT, now);
        let wait_address = address.map_or(0, |a| wait(&mut t.addresses, &a, ADDRESS_LIMIT, now));
        let wait = wait_account.max(wait_address);
        if wait > 0 {
            return Err(wait);
        }
        record(&mut t.accounts, account.to_owned(), now);
        if let Some(a) = address {
            record(&mut t.addresses, a, now);
        }
        Ok(Attempt {
            account: account.to_owned(),
            address,
            at: now,
        })
    }

    /// The attempt logged in: the account's failures are forgiven (its owner knows the
    /// password); the address only gets this one attempt back, so logging in to one's own
    /// account does not reset a count run up by guessing others'.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut t = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        t.accounts.remove(&attempt.account);
        if let Some(a) = attempt.address
            && let Some(list) = t.addresses.get_mut(&a)
            && let Some(i) = list.iter().rposition(|&at| at == attempt.at)
        {
            list.remove(i);
        }
    }
}

/// Seconds until `key` may try again (0: now). Drops failures older than the window.
fn wait<K: Hash + Eq + ?Sized, O: std::borrow::Borrow<K> + Hash + Eq>(
    table: &mut HashMap<O, VecDeque<i64>>,
    key: &K,
    limit: usize,
    now: i64,
) -> u64 {
    let Some(list) = table.get_mut(key) else {
        return 0;
    };
    while list.front().is_some_and(|&at| at <= now - WINDOW) {
        list.pop_front();
    }
    if list.len() < limit {
        return 0;
    }
    // The oldest failure in the window frees a slot when it ages out.
    list.front().map_or(0, |&oldest| {
        u64::try_from(oldest + WINDOW - now).unwrap_or(1).max(1)
    })
}

fn record<K: Hash + Eq>(table: &mut HashMap<K, VecDeque<i64>>, key: K, now: i64) {
    if table.len() >= MAX_KEYS && !table.contains_key(&key) {
        table.retain(|_, list| list.back().is_some_and(|&at| at > now - WINDOW));
        if table.len() >= MAX_KEYS {
            // Still full of live entries: forget the quietest half.
            let mut lasts: Vec<i64> = table.values().filter_map(|l| l.back().copied()).collect();
            lasts.sort_unstable();
            let cut = lasts.get(lasts.len() / 2).copied().unwrap_or(now);
            table.retain(|_, list| list.back().is_some_and(|&at| at > cut));
        }
    }
    table.entry(key).or_default().push_back(now);
}

/// IPv6 addresses count per /64: one customer usually gets a whole /64.
fn mask(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn an_account_is_locked_after_five_failures_until_the_first_ages_out() {
        let t = Throttle::default();
        for i in 0..5 {
            assert!(t.begin(1000 + i, "alice", ip("10.0.0.1")).is_ok());
        }
        assert_eq!(t.begin(1010, "alice", ip("10.0.0.2")).err(), Some(890));
        // Another account from the same address is still allowed.
        assert!(t.begin(1010, "bob", ip("10.0.0.1")).is_ok());
        assert!(t.begin(1000 + WINDOW, "alice", None).is_ok());
    }

    #[test]
    fn an_address_is_locked_after_twenty_failures_across_names() {
        let t = Throttle::default();
        for i in 0..20 {
            assert!(t.begin(0, &format!("user{i}"), ip("2001:db8::1")).is_ok());
        }
        // Same /64, another host part: the same client.
        assert!(t.begin(1, "new", ip("2001:db8::ffff")).is_err());
        assert!(t.begin(1, "new", ip("2001:db8:0:1::1")).is_ok());
    }

    #[test]
    fn success_forgives_the_account_but_not_the_address() {
        let t = Throttle::default();
        for _ in 0..4 {
            assert!(t.begin(0, "alice", ip("10.0.0.1")).is_ok());
        }
        match t.begin(0, "alice", ip("10.0.0.1")) {
            Ok(a) => t.succeeded(a),
            Err(w) => panic!("locked early: {w}"),
        }
        for _ in 0..5 {
            assert!(t.begin(1, "alice", ip("10.0.0.1")).is_ok());
        }
        let tables = t.inner.lock().unwrap_or_else(|p| p.into_inner());
        let at_address = tables
            .addresses
            .get(&IpAddr::from([10, 0, 0, 1]))
            .map(VecDeque::len);
        assert_eq!(at_address, Some(9));
    }
}
