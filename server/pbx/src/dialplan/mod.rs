//! The dial plan: ordered rules that say where a dialed number goes.
//!
//! `pattern` parses what admins type into a rule, `classify` gives a number its default class
//! of service, and `route` is the decision itself: a pure function of the caller, the number
//! dialed, the compiled plan and the set of extensions.

mod classify;
mod pattern;
mod route;

pub use classify::classify;
pub use pattern::{Pattern, PatternError};
pub use route::{Caller, Decision, DialPlan, normalize, route};

use crate::features::CallClass;

/// What a rule does with a number it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleAction {
    /// Ring this extension.
    Extension(String),
    /// Hand the call to an outbound route (trunks) by name.
    Route(String),
    /// Refuse with this SIP status.
    Reject(u16),
    /// Refuse as busy (486).
    Busy,
}

/// One stored rule. `pattern` is an exact number or an Asterisk-style pattern starting with
/// `_` (`X` any digit, `Z` 1-9, `N` 2-9, `[1-5]` a set, `.` one or more, `!` zero or more).
/// `class` is the class of the numbers it matches; `None` lets `classify` decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: i64,
    pub position: i64,
    pub pattern: String,
    pub action: RuleAction,
    pub class: Option<CallClass>,
}
