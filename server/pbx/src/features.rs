//! What an extension may do and how its calls are handled: its class of service (which
//! numbers it may dial) and its call features (forwarding, do-not-disturb, a call limit).

use std::fmt;
use std::str::FromStr;

/// The kind of number dialed, in increasing order of cost and risk. An extension's class of
/// service is the highest kind it may dial; emergency numbers are always allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallClass {
    Internal,
    Local,
    National,
    International,
    Emergency,
}

impl CallClass {
    pub const ALL: [CallClass; 5] = [
        CallClass::Internal,
        CallClass::Local,
        CallClass::National,
        CallClass::International,
        CallClass::Emergency,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallClass::Internal => "internal",
            CallClass::Local => "local",
            CallClass::National => "national",
            CallClass::International => "international",
            CallClass::Emergency => "emergency",
        }
    }

    /// Whether an extension whose class of service is `self` may dial a number of `class`.
    pub fn allows(self, class: CallClass) -> bool {
        class == CallClass::Emergency || class <= self
    }
}

impl fmt::Display for CallClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown class {0:?} (internal, local, national, international or emergency)")]
pub struct UnknownClass(pub String);

impl FromStr for CallClass {
    type Err = UnknownClass;

    fn from_str(s: &str) -> Result<CallClass, UnknownClass> {
        CallClass::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownClass(s.to_owned()))
    }
}

/// Seconds an extension rings before a no-answer forward (or the caller's 480) by default.
pub const DEFAULT_RING_TIMEOUT: u32 = 20;

/// Per-extension call handling. Forward targets are numbers as dialed (an extension, or an
/// outside number that the forwarding extension's class of service must allow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// The highest class of number this extension may dial. New extensions get `National`:
    /// international calling is off until an admin turns it on (toll fraud).
    pub class: CallClass,
    pub forward_always: Option<String>,
    pub forward_busy: Option<String>,
    pub forward_noanswer: Option<String>,
    /// Seconds to ring before giving up (and forwarding on no answer, when set).
    pub ring_timeout: u32,
    /// Do not disturb: calls are refused as busy (and forwarded on busy, when set).
    pub dnd: bool,
    /// Most calls (in and out) the extension may have up at once; `None` is no limit.
    pub max_calls: Option<u32>,
}

impl Default for Features {
    fn default() -> Features {
        Features {
            class: CallClass::National,
            forward_always: None,
            forward_busy: None,
            forward_noanswer: None,
            ring_timeout: DEFAULT_RING_TIMEOUT,
            dnd: false,
            max_calls: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_allow_what_is_below_them_and_emergency() {
        assert!(CallClass::National.allows(CallClass::Local));
        assert!(CallClass::National.allows(CallClass::National));
        assert!(!CallClass::National.allows(CallClass::International));
        assert!(CallClass::Internal.allows(CallClass::Emergency));
        assert!(!CallClass::Internal.allows(CallClass::Local));
        assert_eq!("International".parse(), Ok(CallClass::International));
        assert!("premium".parse::<CallClass>().is_err());
        assert_eq!(Features::default().class, CallClass::National);
    }
}
