//! Inbound calls from trunks: which trunk a request came from (IP authentication) and which
//! company number (DID) it is for. A request that matches no trunk, or a number no DID
//! claims, is refused by the caller without saying which of the two failed.

use std::net::IpAddr;

use sip::{Request, Uri};

use super::provider::host_ip;
use super::{Did, Trunk};
use crate::dialplan::normalize;

/// The trunk a request from `source` belongs to, by its `allow` list; a trunk whose list is
/// empty is identified by its host when that is an IP literal. See `identify_trunk_with`.
pub fn identify_trunk(source: IpAddr, trunks: &[Trunk]) -> Option<&Trunk> {
    identify_trunk_with(source, trunks, &|_| Vec::new())
}

/// The trunk a request from `source` belongs to.
///
/// - A trunk with an `allow` list is identified by it alone: nothing else is accepted as
///   that trunk (not even its host's addresses).
/// - A trunk with an empty list is identified by the addresses of its host: the literal
///   address, or what `resolved(host)` returns (the binary's DNS cache; no lookups here).
/// - When several trunks claim the address, the most specific block wins (a /32 over a
///   /24; a host address counts as a full-length block), then the first in the slice. IPv4
///   addresses seen as `::ffff:a.b.c.d` are treated as IPv4.
pub fn identify_trunk_with<'a>(
    source: IpAddr,
    trunks: &'a [Trunk],
    resolved: &dyn Fn(&str) -> Vec<IpAddr>,
) -> Option<&'a Trunk> {
    let source = source.to_canonical();
    let mut best: Option<(&Trunk, u8)> = None;
    for trunk in trunks {
        let Some(specificity) = claim(trunk, source, resolved) else {
            continue;
        };
        if best.is_none_or(|(_, s)| specificity > s) {
            best = Some((trunk, specificity));
        }
    }
    best.map(|(trunk, _)| trunk)
}

/// How specifically `trunk` claims `source` (prefix length on a 128-bit scale), if at all.
fn claim(trunk: &Trunk, source: IpAddr, resolved: &dyn Fn(&str) -> Vec<IpAddr>) -> Option<u8> {
    if !trunk.allow.is_empty() {
        return trunk
            .allow
            .iter()
            .filter(|cidr| cidr.contains(source))
            .map(|cidr| match cidr.addr {
                IpAddr::V4(_) => cidr.prefix.min(32) + 96,
                IpAddr::V6(_) => cidr.prefix.min(128),
            })
            .max();
    }
    let literal = host_ip(&trunk.host).map(|ip| ip.to_canonical());
    let hit = literal == Some(source)
        || (literal.is_none()
            && resolved(&trunk.host)
                .into_iter()
                .any(|ip| ip.to_canonical() == source));
    hit.then_some(128)
}

/// The number a request is addressed to, from the Request-URI, else the To header. A
/// provider sending to a registration trunk puts our Contact's user (often the account name)
/// in the Request-URI and the dialed number in To; `did_for_request` tries both.
pub fn called_numbers(req: &Request) -> Vec<String> {
    let mut out = Vec::with_capacity(2);
    out.extend(uri_number(&req.uri));
    if let Ok(to) = req.to_header()
        && let Some(n) = uri_number(&to.uri)
        && !out.contains(&n)
    {
        out.push(n);
    }
    out
}

/// The telephone number in a URI: a sip/sips user part (unescaped, without user
/// parameters such as `;npdi;rn=`) or a tel number, with visual separators removed.
pub fn uri_number(uri: &Uri) -> Option<String> {
    let raw = match uri {
        Uri::Sip(u) => u.user_unescaped()?.into_owned(),
        Uri::Tel(t) => t.number.clone(),
        Uri::Other { .. } => return None,
    };
    let number = raw.split(';').next().unwrap_or_default().trim();
    let number = normalize(number);
    (!number.is_empty()).then(|| number.into_owned())
}

/// The DID a request is for: the first of `called_numbers` that `did_for` knows.
pub fn did_for_request<'a>(req: &Request, dids: &'a [Did]) -> Option<&'a Did> {
    called_numbers(req)
        .iter()
        .find_map(|number| did_for(number, dids))
}

/// The DID for a number as the provider sent it, among DIDs of the trunk it came on.
pub fn did_for_trunk<'a>(number: &str, trunk: &str, dids: &'a [Did]) -> Option<&'a Did> {
    let on_trunk: Vec<&Did> = dids.iter().filter(|d| d.trunk == trunk).collect();
    find(number, &on_trunk)
}

/// The DID for a number as the provider sent it. Providers differ in how they write the
/// same number (`+12125550100`, `12125550100`, `2125550100`, `0044…`, `0207…`), and admins
/// type DIDs either way, so matching goes from strict to loose and stops at the first
/// level that finds anything:
///
/// 1. the same text (separators ignored);
/// 2. the same digits once a leading `+` or `00` international prefix is dropped;
/// 3. one is the other with a country code in front: the longer (at least one digit more)
///    ends with the shorter, or with the shorter minus a national trunk prefix `0`, and
///    what is left in front is a 1-3 digit code; the shorter keeps at least 7 digits.
///    Level 3 refuses ambiguity: if two DIDs match there (the same national number in two
///    countries), none is returned, since ringing the wrong company is worse than a
///    refusal.
pub fn did_for<'a>(number: &str, dids: &'a [Did]) -> Option<&'a Did> {
    let all: Vec<&Did> = dids.iter().collect();
    find(number, &all)
}

/// The shortest number level 3 matches by suffix: below this, suffixes collide too easily.
const MIN_SUFFIX: usize = 7;

fn find<'a>(number: &str, dids: &[&'a Did]) -> Option<&'a Did> {
    let wanted = clean(number);
    if wanted.is_empty() {
        return None;
    }
    if let Some(d) = dids.iter().find(|d| clean(&d.number) == wanted) {
        return Some(d);
    }
    let wanted_digits = digits(&wanted)?;
    if let Some(d) = dids
        .iter()
        .find(|d| digits(&clean(&d.number)).as_deref() == Some(wanted_digits.as_str()))
    {
        return Some(d);
    }
    let mut matches = dids.iter().filter(|d| {
        digits(&clean(&d.number)).is_some_and(|theirs| country_variant(&theirs, &wanted_digits))
    });
    match (matches.next(), matches.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

fn clean(number: &str) -> String {
    normalize(number.trim()).into_owned()
}

/// The digits of a number without `+` or a `00` prefix; None when it is not all digits.
fn digits(number: &str) -> Option<String> {
    let rest = number
        .strip_prefix('+')
        .or_else(|| number.strip_prefix("00"))
        .unwrap_or(number);
    (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())).then(|| rest.to_owned())
}

/// Whether one digit string is the other with a 1-3 digit country code in front (level 3).
fn country_variant(a: &str, b: &str) -> bool {
    let (long, short) = if a.len() > b.len() { (a, b) } else { (b, a) };
    if long.len() == short.len() {
        return false;
    }
    let national = short.strip_prefix('0');
    [Some(short), national].into_iter().flatten().any(|tail| {
        tail.len() >= MIN_SUFFIX
            && long
                .strip_suffix(tail)
                .is_some_and(|code| (1..=3).contains(&code.len()))
    })
}

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod tests;
