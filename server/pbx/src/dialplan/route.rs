//! The routing decision: where a number dialed by an extension goes, as a pure function of
//! the caller, the number, the compiled dial plan and the set of extensions.

use std::borrow::Cow;

use crate::features::CallClass;

use super::classify::{classify, is_dialable};
use super::pattern::Pattern;
use super::{Rule, RuleAction};

/// Characters people and phones put in numbers for readability: `1 (212) 555-0100`.
const SEPARATORS: [char; 5] = ['-', ' ', '(', ')', '.'];

/// Who is calling: the extension number (for log lines) and its class of service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    pub number: &'a str,
    pub class: CallClass,
}

/// What to do with a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Ring this extension.
    Extension { number: String },
    /// Hand the call to an outbound route; `number` is the normalised number dialed.
    Route {
        route: String,
        number: String,
        class: CallClass,
    },
    /// Refuse with this SIP status (a rule's `reject`).
    Reject { status: u16 },
    /// Refuse as busy (486), as a rule says.
    Busy,
    /// The caller's class of service does not allow numbers of `class` (403).
    Forbidden { class: CallClass },
    /// No extension and no rule for this number (404).
    NotFound,
}

impl Decision {
    /// The SIP status that refuses the call, or `None` when the call goes on.
    pub fn status(&self) -> Option<u16> {
        match self {
            Decision::Reject { status } => Some(*status),
            Decision::Busy => Some(486),
            Decision::Forbidden { .. } => Some(403),
            Decision::NotFound => Some(404),
            Decision::Extension { .. } | Decision::Route { .. } => None,
        }
    }
}

/// The rules, parsed once and sorted in the order they are tried: by position, then by id so
/// that two rules at the same position keep a stable order (the older first).
#[derive(Debug, Clone, Default)]
pub struct DialPlan {
    rules: Vec<Compiled>,
}

#[derive(Debug, Clone)]
struct Compiled {
    id: i64,
    position: i64,
    pattern: Pattern,
    action: RuleAction,
    class: Option<CallClass>,
}

impl DialPlan {
    /// Compiles stored rules. A rule that cannot work is skipped with a warning rather than
    /// failing the whole plan: one bad row must not stop every call. That covers patterns that
    /// do not parse and `reject` codes outside 400-699 (a rule may not answer a call with
    /// 200, nor leave it hanging with 1xx).
    pub fn compile(rules: &[Rule]) -> DialPlan {
        let mut compiled: Vec<Compiled> = rules
            .iter()
            .filter_map(|rule| {
                let pattern = match Pattern::parse(&rule.pattern) {
                    Ok(pattern) => pattern,
                    Err(e) => {
                        tracing::warn!(rule = rule.id, pattern = %rule.pattern, "dial-plan rule skipped: {e}");
                        return None;
                    }
                };
                if let RuleAction::Reject(status) = rule.action
                    && !(400..=699).contains(&status)
                {
                    tracing::warn!(rule = rule.id, status, "dial-plan rule skipped: reject status must be 400-699");
                    return None;
                }
                Some(Compiled {
                    id: rule.id,
                    position: rule.position,
                    pattern,
                    action: rule.action.clone(),
                    class: rule.class,
                })
            })
            .collect();
        compiled.sort_by_key(|r| (r.position, r.id));
        DialPlan { rules: compiled }
    }

    /// Number of usable rules (after skipping the broken ones).
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// Strips visual separators when what is left is a dialable number (`1 (212) 555-0100` ->
/// `12125550100`); anything else (`alice.smith`) is returned unchanged.
pub fn normalize(dialed: &str) -> Cow<'_, str> {
    if !dialed.contains(SEPARATORS) {
        return Cow::Borrowed(dialed);
    }
    let stripped: String = dialed.chars().filter(|c| !SEPARATORS.contains(c)).collect();
    if is_dialable(&stripped) {
        Cow::Owned(stripped)
    } else {
        Cow::Borrowed(dialed)
    }
}

/// Decides where `dialed` goes for `caller`.
///
/// 1. An existing extension's number rings it: internal calls are always allowed and need no
///    rule, so a fresh install works with an empty plan.
/// 2. Otherwise the first matching rule (position, then id) decides. The number's class is
///    the rule's class, or `classify`'s when the rule names none; an emergency number stays
///    emergency whatever the rule says, so a catch-all rule with a class cannot block 911.
///    A caller whose class of service does not allow it gets `Forbidden`.
/// 3. No rule matches: `NotFound`.
pub fn route(
    caller: &Caller<'_>,
    dialed: &str,
    plan: &DialPlan,
    is_extension: &dyn Fn(&str) -> bool,
) -> Decision {
    let number = normalize(dialed);
    if is_extension(&number) {
        return Decision::Extension {
            number: number.into_owned(),
        };
    }
    let Some(rule) = plan.rules.iter().find(|r| r.pattern.matches(&number)) else {
        return Decision::NotFound;
    };
    let default = classify(&number);
    let class = match (default, rule.class) {
        (CallClass::Emergency, _) => CallClass::Emergency,
        (_, Some(class)) => class,
        (default, None) => default,
    };
    if !caller.class.allows(class) {
        return Decision::Forbidden { class };
    }
    match &rule.action {
        RuleAction::Extension(target) if is_extension(target) => Decision::Extension {
            number: target.clone(),
        },
        RuleAction::Extension(_) => Decision::NotFound,
        RuleAction::Route(route) => Decision::Route {
            route: route.clone(),
            number: number.into_owned(),
            class,
        },
        RuleAction::Reject(status) => Decision::Reject { status: *status },
        RuleAction::Busy => Decision::Busy,
    }
}

#[cfg(test)]
#[path = "route_tests.rs"]
mod tests;
