//! Which source addresses belong to a trunk, answerable without waiting: an INVITE without
//! credentials is challenged on the endpoint's hot path, except when it comes from a
//! trunk's address (IP authentication: a provider never answers a challenge). The trunk
//! list and the addresses of trunks known by host name are kept here as a snapshot,
//! refreshed from the store's cached copy when older than `FRESH`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pbx::trunk::Trunk;
use pbx::trunk::inbound::identify_trunk_with;
use pbx::trunk::provider::{host_ip, parse_host};
use store::Store;

/// How long a snapshot answers for itself. It is built from the store's copy, itself up to
/// `store`'s one-second recheck old, so a trunk added from another process (the CLI) counts
/// within about two seconds.
const FRESH: Duration = Duration::from_secs(1);
/// How long a host name's addresses are reused before they are looked up again.
const DNS_TTL: Duration = Duration::from_secs(60);
/// A lookup slower than this leaves the name without addresses until the next refresh.
const DNS_WAIT: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct TrunkSources {
    inner: Mutex<Snapshot>,
}

#[derive(Default, Clone)]
struct Snapshot {
    trunks: Arc<Vec<Trunk>>,
    /// host name -> addresses and when they were looked up.
    resolved: HashMap<String, (Vec<IpAddr>, Instant)>,
    at: Option<Instant>,
}

impl Snapshot {
    fn identify(&self, source: IpAddr) -> Option<Trunk> {
        let resolved = |host: &str| {
            self.resolved
                .get(host)
                .map(|(ips, _)| ips.clone())
                .unwrap_or_default()
        };
        identify_trunk_with(source, &self.trunks, &resolved).cloned()
    }
}

impl TrunkSources {
    /// Whether `source` is a trunk's, when the snapshot is fresh; None when it must be
    /// refreshed first (`identify`).
    pub fn claims_now(&self, source: IpAddr) -> Option<bool> {
        let snap = self.inner.lock().ok()?;
        let fresh = snap.at.is_some_and(|at| at.elapsed() < FRESH);
        fresh.then(|| snap.identify(source).is_some())
    }

    /// The name of the trunk `source` belongs to by the last snapshot however old, and
    /// whether that snapshot is stale (refresh it with `identify`): for the size and rate
    /// limits, which apply to every request and must never wait.
    pub fn claims_cached(&self, source: IpAddr) -> (Option<String>, bool) {
        let Ok(snap) = self.inner.lock() else {
            return (None, false);
        };
        let stale = snap.at.is_none_or(|at| at.elapsed() >= FRESH);
        let resolved = |host: &str| {
            snap.resolved
                .get(host)
                .map(|(ips, _)| ips.clone())
                .unwrap_or_default()
        };
        let name = identify_trunk_with(source, &snap.trunks, &resolved).map(|t| t.name.clone());
        (name, stale)
    }

    /// The trunk `source` belongs to, from a snapshot refreshed if stale. A store failure
    /// keeps the last snapshot (no trunk is better than a crash, and the old list is
    /// usually still right).
    pub async fn identify(&self, store: &Store, source: IpAddr) -> Option<Trunk> {
        let current = self
            .inner
            .lock()
            .ok()
            .map(|s| s.clone())
            .unwrap_or_default();
        if current.at.is_some_and(|at| at.elapsed() < FRESH) {
            return current.identify(source);
        }
        let trunks = match store.cached_trunks().await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("trunks unavailable for source checks: {e}");
                current.trunks.clone()
            }
        };
        let mut next = Snapshot {
            trunks: trunks.clone(),
            resolved: HashMap::new(),
            at: Some(Instant::now()),
        };
        for trunk in trunks.iter() {
            if !trunk.allow.is_empty() || host_ip(&trunk.host).is_some() {
                continue;
            }
            let reuse = current
                .resolved
                .get(&trunk.host)
                .filter(|(_, at)| at.elapsed() < DNS_TTL)
                .cloned();
            let entry = match reuse {
                Some(e) => e,
                None => (resolve(trunk).await, Instant::now()),
            };
            next.resolved.insert(trunk.host.clone(), entry);
        }
        let found = next.identify(source);
        if let Ok(mut s) = self.inner.lock() {
            *s = next;
        }
        found
    }
}

/// The addresses a trunk's host name has now (empty when the lookup fails or is slow).
async fn resolve(trunk: &Trunk) -> Vec<IpAddr> {
    lookup(trunk)
        .await
        .into_iter()
        .map(|a| a.ip().to_canonical())
        .collect()
}

/// Where a trunk's provider is reached: its host (an address, or a name looked up now) and
/// port (given separately, in the host text, or the transport's default).
pub async fn lookup(trunk: &Trunk) -> Vec<SocketAddr> {
    let Ok((host, port_in_host)) = parse_host(&trunk.host) else {
        return Vec::new();
    };
    let port = trunk
        .port
        .or(port_in_host)
        .unwrap_or(trunk.transport.default_port());
    let name = match host {
        sip::Host::V4(a) => return vec![SocketAddr::new(IpAddr::V4(a), port)],
        sip::Host::V6(a) => return vec![SocketAddr::new(IpAddr::V6(a), port)],
        sip::Host::Name(n) => n,
    };
    match tokio::time::timeout(DNS_WAIT, tokio::net::lookup_host((name.as_str(), port))).await {
        Ok(Ok(addrs)) => addrs.collect(),
        _ => {
            tracing::debug!(trunk = %trunk.name, "trunk host did not resolve");
            Vec::new()
        }
    }
}
