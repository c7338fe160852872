//! The serving copy of the extensions table, the dial plan and the trunk configuration
//! (trunks, DIDs, outbound routes): all of them in memory, with the value of the
//! `directory_version` counter they were read at. Triggers bump that counter on any change
//! to those tables, from this process or another (the CLI). The store reads the counter at
//! most once per `RECHECK` and reloads the tables only when it moved, so a REGISTER costs no
//! database round trip, an unknown username (a scanner's) none either, and
//! `switchboard extension add/remove/set`, `dialplan add/remove` and `trunk`/`did`/`route`
//! changes take effect within about a second. One counter and one poll serve every copy:
//! admins change them rarely, and a reload of all costs less than a second poll would.
//!
//! This module is the bookkeeping only; `Store` does the reading (see `store.rs`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use pbx::Extension;
use pbx::dialplan::Rule;
use pbx::trunk::{Did, OutboundRoute, Trunk};

/// How stale the copy may get before the counter is read again.
pub(crate) const RECHECK: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub(crate) struct DirectoryCache {
    snapshot: RwLock<Option<Snapshot>>,
    refreshing: AtomicBool,
    /// Bumped by every `invalidate`, even before the first copy exists. A refresh notes it
    /// when it starts: a copy read before a change this process made must not count as
    /// fresh (the rows may predate the change while the install comes after it).
    generation: AtomicU64,
}

#[derive(Debug)]
struct Snapshot {
    version: i64,
    /// When the counter was last read and found equal to `version`.
    checked: Instant,
    /// Set by `invalidate`: recheck on the next lookup, whatever `checked` says.
    forced: bool,
    by_number: HashMap<String, Extension>,
    /// The dial plan in (position, id) order, shared with every call that routes meanwhile.
    rules: Arc<Vec<Rule>>,
    trunking: Trunking,
}

/// The trunk configuration as loaded: trunks by name, DIDs by number, routes in (position,
/// id) order. Each list is shared (an `Arc` clone) with whoever reads it meanwhile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Trunking {
    pub trunks: Arc<Vec<Trunk>>,
    pub dids: Arc<Vec<Did>>,
    pub routes: Arc<Vec<OutboundRoute>>,
}

impl Trunking {
    pub fn new(trunks: Vec<Trunk>, dids: Vec<Did>, routes: Vec<OutboundRoute>) -> Trunking {
        Trunking {
            trunks: Arc::new(trunks),
            dids: Arc::new(dids),
            routes: Arc::new(routes),
        }
    }
}

/// What the copy says (about one number: `T` is `Option<Extension>`; or the rules).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Cached<T> {
    /// The copy was confirmed within `RECHECK`: this is the answer (None: no such extension).
    Fresh(T),
    /// The copy may be out of date; the caller should refresh (`claim`) and ask again.
    Stale(T),
    /// Nothing loaded yet.
    Empty,
}

/// Held by the one caller that refreshes; others keep serving the current copy meanwhile.
/// Dropping it (also when the refreshing future is cancelled) lets the next caller try.
#[derive(Debug)]
pub(crate) struct Claim<'a>(&'a AtomicBool);

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl DirectoryCache {
    pub fn get(&self, number: &str, now: Instant) -> Cached<Option<Extension>> {
        self.read(now, |snap| snap.by_number.get(number).cloned())
    }

    /// The dial plan, in order.
    pub fn rules(&self, now: Instant) -> Cached<Arc<Vec<Rule>>> {
        self.read(now, |snap| snap.rules.clone())
    }

    pub fn trunks(&self, now: Instant) -> Cached<Arc<Vec<Trunk>>> {
        self.read(now, |snap| snap.trunking.trunks.clone())
    }

    pub fn dids(&self, now: Instant) -> Cached<Arc<Vec<Did>>> {
        self.read(now, |snap| snap.trunking.dids.clone())
    }

    /// The outbound routes, in order.
    pub fn routes(&self, now: Instant) -> Cached<Arc<Vec<OutboundRoute>>> {
        self.read(now, |snap| snap.trunking.routes.clone())
    }

    fn read<T>(&self, now: Instant, pick: impl FnOnce(&Snapshot) -> T) -> Cached<T> {
        let guard = self.snapshot.read().unwrap_or_else(|p| p.into_inner());
        let Some(snap) = guard.as_ref() else {
            return Cached::Empty;
        };
        let value = pick(snap);
        if !snap.forced && now.saturating_duration_since(snap.checked) < RECHECK {
            Cached::Fresh(value)
        } else {
            Cached::Stale(value)
        }
    }

    /// True when the copy is missing or older than `RECHECK` (or invalidated).
    pub fn needs_recheck(&self, now: Instant) -> bool {
        let guard = self.snapshot.read().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .is_none_or(|s| s.forced || now.saturating_duration_since(s.checked) >= RECHECK)
    }

    /// The right to refresh, unless another caller has it.
    pub fn claim(&self) -> Option<Claim<'_>> {
        self.refreshing
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
            .then_some(Claim(&self.refreshing))
    }

    /// The counter value of the current copy (None: nothing loaded).
    pub fn version(&self) -> Option<i64> {
        let guard = self.snapshot.read().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map(|s| s.version)
    }

    /// Where invalidations stand; pass it back to `confirm`/`replace` from a refresh that
    /// started now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether this process changed the table since the copy was read.
    pub fn is_forced(&self) -> bool {
        let guard = self.snapshot.read().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().is_some_and(|s| s.forced)
    }

    /// The counter still reads `version`: the copy is good for another `RECHECK`, unless
    /// this process changed the table since `seen` (the refresh's start).
    pub fn confirm(&self, version: i64, now: Instant, seen: u64) {
        let mut guard = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        if let Some(snap) = guard.as_mut().filter(|s| s.version == version) {
            snap.checked = now;
            snap.forced = self.generation() != seen;
        }
    }

    /// Installs a fresh copy read at counter `version` (read before the rows, so a change in
    /// between only causes one more reload). `rules` must be in (position, id) order.
    /// Returns the numbers that disappeared.
    pub fn replace(
        &self,
        version: i64,
        rows: Vec<Extension>,
        rules: Vec<Rule>,
        trunking: Trunking,
        now: Instant,
        seen: u64,
    ) -> Vec<String> {
        let by_number: HashMap<String, Extension> =
            rows.into_iter().map(|e| (e.number.clone(), e)).collect();
        let mut guard = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_some_and(|old| old.version > version) {
            // A read older than the copy in place (a pooled connection still on an earlier
            // snapshot of the database): installing it would take back what the newer copy
            // added, and report its extensions removed, dropping their registrations.
            return Vec::new();
        }
        let removed = guard.as_ref().map_or_else(Vec::new, |old| {
            let kept: HashSet<&String> = by_number.keys().collect();
            old.by_number
                .keys()
                .filter(|n| !kept.contains(n))
                .cloned()
                .collect()
        });
        *guard = Some(Snapshot {
            version,
            checked: now,
            forced: self.generation() != seen,
            by_number,
            rules: Arc::new(rules),
            trunking,
        });
        removed
    }

    /// This process changed the table: recheck before the next answer.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut guard = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        if let Some(snap) = guard.as_mut() {
            snap.forced = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(number: &str, secret: &str) -> Extension {
        Extension {
            features: pbx::Features::default(),
            number: number.into(),
            name: String::new(),
            sip_secret: secret.into(),
        }
    }

    #[test]
    fn fresh_then_stale_then_confirmed() {
        let cache = DirectoryCache::default();
        let t0 = Instant::now();
        assert_eq!(cache.get("1", t0), Cached::Empty);
        assert!(cache.needs_recheck(t0));
        assert_eq!(cache.version(), None);
        assert!(
            cache
                .replace(
                    5,
                    vec![ext("1", "a")],
                    vec![],
                    Trunking::default(),
                    t0,
                    cache.generation()
                )
                .is_empty()
        );
        assert_eq!(cache.get("1", t0), Cached::Fresh(Some(ext("1", "a"))));
        assert_eq!(
            cache.get("2", t0),
            Cached::Fresh(None),
            "negative answers too"
        );
        assert!(!cache.needs_recheck(t0));
        let later = t0 + RECHECK;
        assert!(cache.needs_recheck(later));
        assert_eq!(cache.get("1", later), Cached::Stale(Some(ext("1", "a"))));
        cache.confirm(4, later, cache.generation());
        assert!(
            matches!(cache.get("1", later), Cached::Stale(_)),
            "other version"
        );
        cache.confirm(5, later, cache.generation());
        assert_eq!(cache.get("1", later), Cached::Fresh(Some(ext("1", "a"))));
        cache.invalidate();
        assert!(matches!(cache.get("1", later), Cached::Stale(_)));
    }

    /// A refresh that read the rows before this process added an extension must not install
    /// them as fresh, even when nothing was loaded when the change was made.
    #[test]
    fn a_copy_read_before_a_local_change_stays_stale() {
        let cache = DirectoryCache::default();
        let t0 = Instant::now();
        let seen = cache.generation();
        cache.invalidate(); // add_extension committed while the refresh was reading
        cache.replace(1, vec![], vec![], Trunking::default(), t0, seen);
        assert!(cache.is_forced());
        assert!(matches!(cache.get("1001", t0), Cached::Stale(None)));
        let seen = cache.generation();
        cache.replace(
            2,
            vec![ext("1001", "s")],
            vec![],
            Trunking::default(),
            t0,
            seen,
        );
        assert_eq!(cache.get("1001", t0), Cached::Fresh(Some(ext("1001", "s"))));
    }

    #[test]
    fn replace_reports_removed_numbers() {
        let cache = DirectoryCache::default();
        let now = Instant::now();
        cache.replace(
            1,
            vec![ext("1", "a"), ext("2", "b")],
            vec![],
            Trunking::default(),
            now,
            cache.generation(),
        );
        let removed = cache.replace(
            2,
            vec![ext("2", "c"), ext("3", "d")],
            vec![],
            Trunking::default(),
            now,
            cache.generation(),
        );
        assert_eq!(removed, ["1"]);
        assert_eq!(cache.get("2", now), Cached::Fresh(Some(ext("2", "c"))));
        assert_eq!(cache.version(), Some(2));
    }

    #[test]
    fn an_older_copy_never_replaces_a_newer_one() {
        let cache = DirectoryCache::default();
        let now = Instant::now();
        let both = vec![ext("1001", "a"), ext("1002", "b")];
        cache.replace(
            2,
            both,
            vec![],
            Trunking::default(),
            now,
            cache.generation(),
        );
        let removed = cache.replace(
            1,
            vec![ext("1001", "a")],
            vec![],
            Trunking::default(),
            now,
            cache.generation(),
        );
        assert!(removed.is_empty(), "{removed:?}");
        assert_eq!(cache.version(), Some(2));
        assert_eq!(
            cache.get("1002", now),
            Cached::Fresh(Some(ext("1002", "b")))
        );
    }

    #[test]
    fn rules_are_served_from_the_same_snapshot() {
        let cache = DirectoryCache::default();
        let t0 = Instant::now();
        assert_eq!(cache.rules(t0), Cached::Empty);
        let rule = Rule {
            id: 1,
            position: 10,
            pattern: "_X.".into(),
            action: pbx::dialplan::RuleAction::Busy,
            class: None,
        };
        cache.replace(
            1,
            vec![],
            vec![rule.clone()],
            Trunking::default(),
            t0,
            cache.generation(),
        );
        let Cached::Fresh(rules) = cache.rules(t0) else {
            panic!("fresh after replace");
        };
        assert_eq!(*rules, [rule]);
        cache.invalidate();
        assert!(matches!(cache.rules(t0), Cached::Stale(r) if r.len() == 1));
    }

    #[test]
    fn trunking_is_served_from_the_same_snapshot() {
        let cache = DirectoryCache::default();
        let t0 = Instant::now();
        assert_eq!(cache.trunks(t0), Cached::Empty);
        let route = OutboundRoute {
            id: 1,
            pattern: "_X.".into(),
            trunks: vec!["acme".into()],
            strip: 0,
            prepend: String::new(),
            position: 10,
        };
        let did = Did {
            number: "+15551230000".into(),
            trunk: "acme".into(),
            to: vec!["1001".into()],
            failover: None,
        };
        let trunking = Trunking::new(vec![], vec![did.clone()], vec![route.clone()]);
        cache.replace(1, vec![], vec![], trunking, t0, cache.generation());
        assert!(matches!(cache.trunks(t0), Cached::Fresh(t) if t.is_empty()));
        assert!(matches!(cache.dids(t0), Cached::Fresh(d) if *d == [did.clone()]));
        assert!(matches!(cache.routes(t0), Cached::Fresh(r) if *r == [route.clone()]));
        cache.invalidate();
        assert!(matches!(cache.routes(t0), Cached::Stale(r) if r.len() == 1));
    }

    #[test]
    fn one_refresher_at_a_time() {
        let cache = DirectoryCache::default();
        let claim = cache.claim();
        assert!(claim.is_some());
        assert!(cache.claim().is_none());
        drop(claim);
        assert!(cache.claim().is_some());
    }
}
