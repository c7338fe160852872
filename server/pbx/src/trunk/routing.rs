//! Outbound route choice: which trunks a dialed number may leave through, in order, and
//! with which digits. Pure functions of the number, the configured routes and each trunk's
//! live state; the call task tries the candidates one after the other.
//!
//! Failover policy (`should_fail_over`): the next trunk is tried after **408** and every
//! **5xx**, 503 included whether or not it carries Retry-After (RFC 3263 §4.3: a 503 means
//! "try another server"; its Retry-After is about that server, not the call), after a
//! transaction timeout or transport error (the caller handles those: no status), and after
//! **401/402/407** reaching the call as final (the trunk refused *our account*: wrong
//! credentials, no credit; another provider may well take the call). Not after other 4xx
//! or any 6xx: 404, 480, 486, 603 and their kin are the callee's answer (RFC 3398 maps ISDN
//! causes such as unallocated number or user busy there), and another trunk would only
//! reach the same callee and give the same answer.

use std::collections::HashSet;

use super::OutboundRoute;
use super::health::Reachability;
use super::registration::RegistrationStatus;
use crate::dialplan::{Pattern, normalize};

/// A trunk's live state as routing needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrunkState {
    /// False when health checks say down or the registration has failed.
    pub up: bool,
    /// Calls up on the trunk now.
    pub calls: u32,
    /// The channel limit; None is no limit.
    pub channels: Option<u32>,
}

impl TrunkState {
    pub fn is_full(&self) -> bool {
        self.channels.is_some_and(|limit| self.calls >= limit)
    }

    pub fn is_available(&self) -> bool {
        self.up && !self.is_full()
    }
}

/// Whether a trunk is up for routing, from its OPTIONS verdict and, for a trunk that
/// registers, its registration: down when the checks say so or the registration has
/// failed (the provider would refuse our INVITEs with the same credentials, or is not
/// answering); up while still unknown or registering, so a fresh start can place calls.
pub fn trunk_up(health: Reachability, registration: Option<&RegistrationStatus>) -> bool {
    health != Reachability::Down && !matches!(registration, Some(RegistrationStatus::Failed { .. }))
}

/// One trunk to try and the number to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub trunk: String,
    pub number: String,
}

/// Why a trunk of the matching route was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Health checks or registration say it is down.
    Down,
    /// All its channels are in use.
    Full,
    /// No trunk of that name is configured (removed since the route was written).
    Unknown,
}

/// The route that matched and what came of its trunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPlan {
    pub route_id: i64,
    /// The dialed number without the route's stripped digits (an access code such as `9`)
    /// and before its prepend (provider formatting such as `+`): the number the caller
    /// really asked for, which the class of service judges.
    pub dialed: String,
    /// In the route's order; empty when every trunk was skipped (answer 503).
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<(String, Skip)>,
}

/// The trunks `dialed` may leave through, in order: the first route whose pattern matches
/// (by position, then id), its trunks minus those down, full or unknown, each with the
/// number after the route's strip and prepend. Empty when no route matches or none of its
/// trunks can take a call now.
pub fn outbound_candidates(
    dialed: &str,
    routes: &[OutboundRoute],
    trunk_state: &dyn Fn(&str) -> Option<TrunkState>,
) -> Vec<Candidate> {
    plan_outbound(dialed, routes, trunk_state)
        .map(|plan| plan.candidates)
        .unwrap_or_default()
}

/// Like `outbound_candidates`, telling "no route" (None: answer 404) apart from "no trunk
/// can take it now" (a plan without candidates: answer 503), with what was skipped and why.
///
/// Only the first matching route counts, as with dial-plan rules: a later, broader route
/// is not a silent fallback that could send a call somewhere the admin did not mean. A
/// route whose pattern does not parse is skipped with a warning; one whose strip and
/// prepend leave no number at all matches but offers no candidate.
pub fn plan_outbound(
    dialed: &str,
    routes: &[OutboundRoute],
    trunk_state: &dyn Fn(&str) -> Option<TrunkState>,
) -> Option<OutboundPlan> {
    let number = normalize(dialed);
    let mut ordered: Vec<&OutboundRoute> = routes.iter().collect();
    ordered.sort_by_key(|r| (r.position, r.id));
    let route = ordered
        .into_iter()
        .find(|r| match Pattern::parse(&r.pattern) {
            Ok(p) => p.matches(&number),
            Err(e) => {
                tracing::warn!(route = r.id, pattern = %r.pattern, "outbound route skipped: {e}");
                false
            }
        })?;
    let mut plan = OutboundPlan {
        route_id: route.id,
        dialed: manipulate(&number, route.strip, ""),
        candidates: Vec::new(),
        skipped: Vec::new(),
    };
    let out = manipulate(&number, route.strip, &route.prepend);
    if out.is_empty() {
        tracing::warn!(route = route.id, "outbound route strips the whole number");
        return Some(plan);
    }
    let mut seen = HashSet::new();
    for trunk in &route.trunks {
        if !seen.insert(trunk.as_str()) {
            continue;
        }
        match trunk_state(trunk) {
            None => plan.skipped.push((trunk.clone(), Skip::Unknown)),
            Some(s) if !s.up => plan.skipped.push((trunk.clone(), Skip::Down)),
            Some(s) if s.is_full() => plan.skipped.push((trunk.clone(), Skip::Full)),
            Some(_) => plan.candidates.push(Candidate {
                trunk: trunk.clone(),
                number: out.clone(),
            }),
        }
    }
    Some(plan)
}

/// Digit manipulation: drop the first `strip` characters (a leading `+` counts as one),
/// then put `prepend` in front. `9` + `12125550100` with strip 1 is `12125550100`; with
/// prepend `+` it is `+12125550100`.
pub fn manipulate(number: &str, strip: u32, prepend: &str) -> String {
    let rest: String = number
        .chars()
        .skip(usize::try_from(strip).unwrap_or(usize::MAX))
        .collect();
    format!("{prepend}{rest}")
}

/// The shortest national significant number `e164` accepts outside country code 1.
pub const MIN_NATIONAL: usize = 7;

/// Whether a final status from a trunk means "try the next trunk" (module comment).
pub fn should_fail_over(status: u16) -> bool {
    matches!(status, 401 | 402 | 407 | 408 | 500..=599)
}

/// E.164 form (`+` and 7 to 15 digits) of a number dialed or received in national or
/// international format, for a country with calling code `country_code` (`1`, `44`,
/// `+49`...). None when the number cannot be one (too short: emergency and service codes;
/// too long; not digits) or the country code is not 1 to 3 digits. Visual separators are
/// ignored. In order:
///
/// - `+…` is already international;
/// - the international prefix: `011` in the North American plan (country code 1), `00`
///   elsewhere (the ITU recommendation most countries follow);
/// - country code 1: ten digits `NXXNXXXXXX`, or eleven starting with `1`;
/// - elsewhere a leading `0` is the national trunk prefix and is dropped, except in Italy
///   (39), where the `0` belongs to the number (`06…` is `+3906…`); a number without it is
///   taken as national significant digits, which must be at least `MIN_NATIONAL` long.
pub fn e164(number: &str, country_code: &str) -> Option<String> {
    let cc = country_code.trim().trim_start_matches('+');
    if cc.is_empty() || cc.len() > 3 || !cc.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = normalize(number.trim());
    let number = number.as_ref();
    let international_prefix = if cc == "1" { "011" } else { "00" };
    let digits = if let Some(rest) = number.strip_prefix('+') {
        rest.to_owned()
    } else if let Some(rest) = number.strip_prefix(international_prefix) {
        rest.to_owned()
    } else if !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    } else if cc == "1" {
        match number.len() {
            10 if !number.starts_with(['0', '1']) => format!("1{number}"),
            11 if number.starts_with('1') => number.to_owned(),
            _ => return None,
        }
    } else {
        let national = match number.strip_prefix('0') {
            Some(national) if cc != "39" => national,
            _ => number,
        };
        // Shorter national numbers are service codes (116123, 118118), not subscribers.
        if national.len() < MIN_NATIONAL {
            return None;
        }
        format!("{cc}{national}")
    };
    let valid = (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| format!("+{digits}"))
}

#[cfg(test)]
#[path = "routing_tests.rs"]
mod tests;
