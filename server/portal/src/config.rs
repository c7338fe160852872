//! Settings of the portal that the binary chooses (from its config file) and tests inject.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::auth::throttle::Throttle;

/// How the portal behaves; [`Default`] gives the production values.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// A session unused for this long is over (the user logs in again).
    pub session_idle: Duration,
    /// A session is over this long after its login, however busy.
    pub session_max: Duration,
    /// Where "now" comes from. Session expiry and the login throttle read only this clock,
    /// so tests can move time forward instead of waiting hours.
    pub clock: Clock,
    /// Failed-login counts. Clones of one config share them, so give the HTTP and the HTTPS
    /// router clones of the same config: a guesser then has one budget, not one per port.
    pub login_throttle: LoginThrottle,
}

impl Default for PortalConfig {
    fn default() -> PortalConfig {
        PortalConfig {
            session_idle: Duration::from_secs(8 * 3600),
            session_max: Duration::from_secs(24 * 3600),
            clock: Clock::system(),
            login_throttle: LoginThrottle::default(),
        }
    }
}

/// A source of unix seconds.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Clock {
        Clock(Arc::new(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        }))
    }

    /// A clock read from `now` (tests).
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// Unix seconds.
    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// The login throttle's memory (opaque; see [`PortalConfig::login_throttle`]).
#[derive(Clone, Default)]
pub struct LoginThrottle(pub(crate) Arc<Throttle>);

impl fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoginThrottle")
    }
}
