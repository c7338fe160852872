//! What one trunk's driver found, in the two forms it is published in: the live board
//! (`TrunkLive`, read by routing and the portal) and the stored row `switchboard trunk list`
//! reads (`store::TrunkStatus`, unix times).

use std::time::Instant;

use pbx::trunk::health::Reachability;
use pbx::trunk::registration::RegistrationStatus;

/// A trunk's state as the driver publishes it. Compared with the last one published so that
/// the board and the database are written on changes only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub reachability: Reachability,
    /// None for trunks that do not register.
    pub registration: Option<RegistrationStatus>,
    pub last_error: Option<String>,
}

impl Report {
    /// The stored form: `Registered { until }` becomes the unix second it lapses.
    pub fn to_status(&self, name: &str, now: Instant, now_unix: u64) -> store::TrunkStatus {
        let unix = i64::try_from(now_unix).unwrap_or(i64::MAX);
        let registered_until = match &self.registration {
            Some(RegistrationStatus::Registered { until }) => {
                let left = until.saturating_duration_since(now).as_secs();
                Some(unix.saturating_add(i64::try_from(left).unwrap_or(i64::MAX)))
            }
            _ => None,
        };
        store::TrunkStatus {
            name: name.to_owned(),
            registered_until,
            reachable: match self.reachability {
                Reachability::Up => Some(true),
                Reachability::Down => Some(false),
                Reachability::Unknown => None,
            },
            last_error: self.last_error.clone(),
            updated_at: unix,
        }
    }

    /// Whether storing `self` after `stored` would tell the CLI something new. A refresh
    /// moves `until` on every success; that is new, but a second's jitter is not.
    pub fn differs_for_storage(&self, stored: &Report) -> bool {
        let until = |r: &Report| match &r.registration {
            Some(RegistrationStatus::Registered { until }) => Some(*until),
            _ => None,
        };
        let same_until = match (until(self), until(stored)) {
            (Some(a), Some(b)) => {
                let gap = if a > b { a - b } else { b - a };
                gap.as_secs() < 2
            }
            (a, b) => a.is_none() && b.is_none(),
        };
        !same_until
            || self.reachability != stored.reachability
            || self.last_error != stored.last_error
            || std::mem::discriminant(&self.registration)
                != std::mem::discriminant(&stored.registration)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn stored_form_uses_unix_times() {
        let now = Instant::now();
        let report = Report {
            reachability: Reachability::Down,
            registration: Some(RegistrationStatus::Registered {
                until: now + Duration::from_secs(600),
            }),
            last_error: Some("no answer to OPTIONS".into()),
        };
        let s = report.to_status("acme", now, 1_700_000_000);
        assert_eq!(s.registered_until, Some(1_700_000_600));
        assert_eq!(s.reachable, Some(false));
        assert_eq!(s.updated_at, 1_700_000_000);
        let mut later = report.clone();
        later.registration = Some(RegistrationStatus::Registered {
            until: now + Duration::from_millis(600_500),
        });
        assert!(!later.differs_for_storage(&report), "half a second");
        later.registration = Some(RegistrationStatus::Registering);
        assert!(later.differs_for_storage(&report));
        let off = Report {
            reachability: Reachability::Unknown,
            registration: None,
            last_error: None,
        };
        assert_eq!(off.to_status("b", now, 5).registered_until, None);
        assert_eq!(off.to_status("b", now, 5).reachable, None);
    }
}
