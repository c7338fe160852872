//! In-memory implementations of the ports, for unit tests here and in other crates. They keep
//! the same semantics as `store` (atomic `apply`, expiry filtering) and can be told to fail so
//! the 500 paths are testable.

use std::collections::{BTreeMap, HashMap};
use std::future::{Future, ready};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::binding::Binding;
use crate::ports::{BindingChanges, Directory, Extension, Locations, PortError};

#[derive(Debug, Default)]
pub struct MemoryDirectory {
    extensions: Mutex<HashMap<String, Extension>>,
    failing: AtomicBool,
    lookups: AtomicUsize,
}

impl MemoryDirectory {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(self, number: &str, secret: &str) -> Self {
        self.insert(Extension {
            features: crate::Features::default(),
            number: number.to_owned(),
            name: format!("Extension {number}"),
            sip_secret: secret.to_owned(),
        });
        self
    }

    pub fn insert(&self, extension: Extension) {
        if let Ok(mut map) = self.extensions.lock() {
            map.insert(extension.number.clone(), extension);
        }
    }

    /// Makes every later call fail (or succeed again).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// How many lookups were made (known and unknown numbers alike).
    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl Directory for MemoryDirectory {
    fn extension(
        &self,
        number: &str,
    ) -> impl Future<Output = Result<Option<Extension>, PortError>> + Send {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let result = if self.failing.load(Ordering::SeqCst) {
            Err(injected())
        } else {
            self.extensions
                .lock()
                .map(|map| map.get(number).cloned())
                .map_err(|_| PortError::Corrupt("poisoned".into()))
        };
        ready(result)
    }
}

#[derive(Debug, Default)]
pub struct MemoryLocations {
    bindings: Mutex<BTreeMap<(String, String), Binding>>,
    failing: AtomicBool,
}

impl MemoryLocations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every later call fail (or succeed again).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Every stored binding, expired or not (for assertions).
    pub fn raw(&self) -> Vec<Binding> {
        self.bindings
            .lock()
            .map(|map| map.values().cloned().collect())
            .unwrap_or_default()
    }

    fn with_map<T>(
        &self,
        f: impl FnOnce(&mut BTreeMap<(String, String), Binding>) -> T,
    ) -> Result<T, PortError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(injected());
        }
        let mut map = self
            .bindings
            .lock()
            .map_err(|_| PortError::Corrupt("poisoned".into()))?;
        Ok(f(&mut map))
    }
}

impl Locations for MemoryLocations {
    fn lookup(
        &self,
        aor: &str,
        now_unix: u64,
    ) -> impl Future<Output = Result<Vec<Binding>, PortError>> + Send {
        ready(self.with_map(|map| {
            map.values()
                .filter(|b| b.aor == aor && !b.is_expired(now_unix))
                .cloned()
                .collect()
        }))
    }

    fn apply(
        &self,
        changes: &BindingChanges,
    ) -> impl Future<Output = Result<(), PortError>> + Send {
        ready(self.with_map(|map| {
            for contact in &changes.remove {
                map.remove(&(changes.aor.clone(), contact.clone()));
            }
            for b in &changes.upsert {
                map.insert((b.aor.clone(), b.contact.clone()), b.clone());
            }
        }))
    }

    fn purge_expired(&self, now_unix: u64) -> impl Future<Output = Result<u64, PortError>> + Send {
        ready(self.with_map(|map| {
            let before = map.len();
            map.retain(|_, b| !b.is_expired(now_unix));
            (before - map.len()) as u64
        }))
    }

    fn all(&self, now_unix: u64) -> impl Future<Output = Result<Vec<Binding>, PortError>> + Send {
        ready(self.with_map(|map| {
            map.values()
                .filter(|b| !b.is_expired(now_unix))
                .cloned()
                .collect()
        }))
    }
}

fn injected() -> PortError {
    PortError::Backend("injected failure".into())
}
