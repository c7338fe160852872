//! The live state of each trunk, by name: what the registration and the OPTIONS checks found
//! (written by the trunk driver), and the calls up on it (taken and released by call tasks).
//! Read by outbound routing (skip trunks that are down or full) and by status pages.

use std::collections::HashMap;
use std::sync::Mutex;

use pbx::trunk::health::Reachability;
use pbx::trunk::registration::RegistrationStatus;
use pbx::trunk::routing::{TrunkState, trunk_up};

/// What is known of one trunk now.
#[derive(Debug, Clone)]
pub struct TrunkLive {
    pub reachability: Reachability,
    /// None for trunks that do not register.
    pub registration: Option<RegistrationStatus>,
    /// The last failure, for admins (a registration refusal, OPTIONS unanswered, ...).
    pub last_error: Option<String>,
    pub calls: u32,
}

impl Default for TrunkLive {
    fn default() -> Self {
        TrunkLive {
            reachability: Reachability::Unknown,
            registration: None,
            last_error: None,
            calls: 0,
        }
    }
}

#[derive(Default)]
pub struct TrunkBoard {
    trunks: Mutex<HashMap<String, TrunkLive>>,
}

impl TrunkBoard {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, TrunkLive>) -> T) -> Option<T> {
        self.trunks.lock().ok().map(|mut t| f(&mut t))
    }

    /// The state routing needs, for a trunk the board knows (`channels`: its limit).
    pub fn state(&self, name: &str, channels: Option<u32>) -> Option<TrunkState> {
        self.with(|t| {
            t.get(name).map(|l| TrunkState {
                up: trunk_up(l.reachability, l.registration.as_ref()),
                calls: l.calls,
                channels,
            })
        })
        .flatten()
    }

    pub fn live(&self, name: &str) -> Option<TrunkLive> {
        self.with(|t| t.get(name).cloned()).flatten()
    }

    /// Every trunk's live state, by name.
    pub fn all(&self) -> Vec<(String, TrunkLive)> {
        let mut all: Vec<(String, TrunkLive)> = self
            .with(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Changes one trunk's entry (made when missing).
    pub fn update(&self, name: &str, f: impl FnOnce(&mut TrunkLive)) {
        self.with(|t| f(t.entry(name.to_owned()).or_default()));
    }

    /// Forgets trunks no longer configured (their calls, if any, end on their own).
    pub fn retain(&self, names: &[String]) {
        self.with(|t| t.retain(|k, _| names.contains(k)));
    }

    /// Counts a call on the trunk unless `limit` calls are up already. True: taken.
    pub fn take_channel(&self, name: &str, limit: Option<u32>) -> bool {
        self.with(|t| {
            let live = t.entry(name.to_owned()).or_default();
            if limit.is_some_and(|max| live.calls >= max) {
                false
            } else {
                live.calls += 1;
                true
            }
        })
        .unwrap_or(false)
    }

    pub fn release_channel(&self, name: &str) {
        self.with(|t| {
            if let Some(live) = t.get_mut(name) {
                live.calls = live.calls.saturating_sub(1);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_limited_and_released() {
        let board = TrunkBoard::default();
        assert!(board.take_channel("acme", Some(1)));
        assert!(!board.take_channel("acme", Some(1)));
        assert_eq!(
            board.state("acme", Some(1)).map(|s| s.is_full()),
            Some(true)
        );
        board.release_channel("acme");
        assert!(board.take_channel("acme", Some(1)));
        assert!(board.take_channel("other", None));
    }
}
