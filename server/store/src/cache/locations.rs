//! The serving copy of the location service: every binding in memory, keyed by AoR, each
//! AoR's bindings kept ordered by contact. Loaded from the database once; from then on the
//! database is only written (behind, see `write_behind`), never read on the REGISTER path.
//!
//! Each mutation takes a `then` callback that runs under the same lock: the store queues the
//! database write there, so the writer sees changes in the order memory applied them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use pbx::{Binding, BindingChanges};

#[derive(Debug, Default)]
pub(crate) struct LocationCache {
    by_aor: Mutex<HashMap<String, Vec<Binding>>>,
}

impl LocationCache {
    /// A cache holding `rows` (any order; later rows win for the same (aor, contact)).
    pub fn new(rows: Vec<Binding>) -> LocationCache {
        let cache = LocationCache::default();
        {
            let mut map = cache.lock();
            for b in rows {
                upsert(&mut map, b);
            }
        }
        cache
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Vec<Binding>>> {
        // A panic while holding the lock cannot leave a half-applied change (every mutation
        // below is a single Vec/HashMap operation per binding), so the data stays usable.
        self.by_aor.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The AoR's unexpired bindings, ordered by contact.
    pub fn lookup(&self, aor: &str, now_unix: u64) -> Vec<Binding> {
        self.lock().get(aor).map_or_else(Vec::new, |list| {
            list.iter()
                .filter(|b| !b.is_expired(now_unix))
                .cloned()
                .collect()
        })
    }

    /// Every unexpired binding, ordered by AoR then contact.
    pub fn all(&self, now_unix: u64) -> Vec<Binding> {
        let map = self.lock();
        let mut aors: Vec<&String> = map.keys().collect();
        aors.sort();
        aors.into_iter()
            .filter_map(|aor| map.get(aor))
            .flatten()
            .filter(|b| !b.is_expired(now_unix))
            .cloned()
            .collect()
    }

    /// Removals first, then upserts keyed by (aor, contact); `then` runs under the lock.
    pub fn apply(&self, changes: &BindingChanges, then: impl FnOnce()) {
        let mut map = self.lock();
        for contact in &changes.remove {
            remove(&mut map, &changes.aor, contact);
        }
        for b in &changes.upsert {
            upsert(&mut map, b.clone());
        }
        then();
    }

    /// Forgets bindings expired at or before `now_unix` (the same bound as the database
    /// purge); returns how many. `then` runs under the lock.
    pub fn purge_expired(&self, now_unix: u64, then: impl FnOnce()) -> u64 {
        let mut map = self.lock();
        let mut purged = 0;
        map.retain(|_, list| {
            let before = list.len();
            list.retain(|b| !b.is_expired(now_unix));
            purged += before - list.len();
            !list.is_empty()
        });
        then();
        u64::try_from(purged).unwrap_or(u64::MAX)
    }

    /// Forgets every binding of an AoR (its extension is gone; the database cascaded).
    pub fn remove_aor(&self, aor: &str) -> usize {
        self.lock().remove(aor).map_or(0, |list| list.len())
    }

    /// AoRs that have bindings (expired or not).
    #[cfg(test)]
    pub fn aors(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }
}

fn remove(map: &mut HashMap<String, Vec<Binding>>, aor: &str, contact: &str) {
    if let Some(list) = map.get_mut(aor) {
        if let Ok(i) = list.binary_search_by(|b| b.contact.as_str().cmp(contact)) {
            list.remove(i);
        }
        if list.is_empty() {
            map.remove(aor);
        }
    }
}

fn upsert(map: &mut HashMap<String, Vec<Binding>>, b: Binding) {
    if !map.contains_key(b.aor.as_str()) {
        map.insert(b.aor.clone(), Vec::new());
    }
    let Some(list) = map.get_mut(b.aor.as_str()) else {
        return;
    };
    match list.binary_search_by(|x| x.contact.cmp(&b.contact)) {
        Ok(i) => {
            if let Some(slot) = list.get_mut(i) {
                *slot = b;
            }
        }
        Err(i) => list.insert(i, b),
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use pbx::{Flow, Transport};

    use super::*;

    fn b(aor: &str, contact: &str, expires_at: u64) -> Binding {
        Binding {
            aor: aor.into(),
            contact: contact.into(),
            instance: None,
            reg_id: None,
            q: None,
            call_id: "c".into(),
            cseq: 1,
            expires_at,
            flow: Flow {
                transport: Transport::Udp,
                remote: SocketAddr::from(([192, 0, 2, 1], 5060)),
                local: SocketAddr::from(([127, 0, 0, 1], 5060)),
                connection: None,
            },
            user_agent: None,
        }
    }

    fn contacts(list: &[Binding]) -> Vec<(&str, &str)> {
        list.iter()
            .map(|b| (b.aor.as_str(), b.contact.as_str()))
            .collect()
    }

    #[test]
    fn ordered_by_aor_then_contact_and_expiry_hidden() {
        let cache = LocationCache::new(vec![
            b("2", "sip:b", 100),
            b("1", "sip:z", 100),
            b("1", "sip:a", 100),
            b("1", "sip:old", 10),
        ]);
        assert_eq!(
            contacts(&cache.lookup("1", 50)),
            [("1", "sip:a"), ("1", "sip:z")]
        );
        assert_eq!(
            contacts(&cache.all(50)),
            [("1", "sip:a"), ("1", "sip:z"), ("2", "sip:b")]
        );
        assert!(cache.lookup("3", 50).is_empty());
    }

    #[test]
    fn apply_removes_then_upserts_and_runs_then_under_the_lock() {
        let cache = LocationCache::new(vec![b("1", "sip:a", 100), b("1", "sip:b", 100)]);
        let mut newer = b("1", "sip:a", 200);
        newer.cseq = 2;
        let changes = BindingChanges {
            aor: "1".into(),
            remove: vec!["sip:b".into(), "sip:missing".into()],
            upsert: vec![newer.clone(), b("1", "sip:c", 100)],
        };
        let mut ran = false;
        cache.apply(&changes, || ran = true);
        assert!(ran);
        assert_eq!(cache.lookup("1", 0), vec![newer, b("1", "sip:c", 100)]);
        let all_gone = BindingChanges {
            aor: "1".into(),
            remove: vec!["sip:a".into(), "sip:c".into()],
            upsert: vec![],
        };
        cache.apply(&all_gone, || {});
        assert!(cache.aors().is_empty(), "empty AoRs are dropped");
    }

    #[test]
    fn purge_and_remove_aor() {
        let cache = LocationCache::new(vec![
            b("1", "sip:a", 10),
            b("1", "sip:b", 100),
            b("2", "sip:c", 10),
        ]);
        assert_eq!(cache.purge_expired(10, || {}), 2);
        assert_eq!(cache.aors(), ["1"]);
        assert_eq!(cache.purge_expired(10, || {}), 0);
        assert_eq!(cache.remove_aor("1"), 1);
        assert!(cache.all(0).is_empty());
    }
}
