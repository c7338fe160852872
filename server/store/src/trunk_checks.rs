//! What the store accepts as a trunk, a DID or an outbound route, checked before anything is
//! written so every caller (CLI, portal) gets the same refusals with the same words. Values
//! that end up in SIP messages (host, numbers, user names) are kept to characters that need
//! no escaping there; lists stored as comma-separated text cannot contain a comma.

use std::collections::HashSet;
use std::net::IpAddr;

use pbx::dialplan::Pattern;
use pbx::trunk::{Did, Trunk, TrunkTransport};

use crate::error::StoreError;
use crate::extensions::valid_number;
use crate::features::valid_target;

/// The codecs a trunk may offer, by the names the media crate knows them by.
pub const TRUNK_CODECS: [&str; 4] = ["PCMU", "PCMA", "G722", "G729"];

/// Registration intervals asked of a provider, in seconds: below 10 s a registrar spends its
/// time on us; above a day a lost registration goes unnoticed too long.
pub const EXPIRES_RANGE: std::ops::RangeInclusive<u32> = 10..=86_400;

/// Longest OPTIONS interval (a day); 0 turns the checks off.
pub const MAX_OPTIONS_INTERVAL: u32 = 86_400;

/// Most digits a route may strip or prepend (longer than any number).
pub const MAX_DIGITS: u32 = 32;

/// Trunk names are what DIDs, routes and dial plan rules refer to.
fn valid_trunk_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// An IP address (IPv6 without brackets) or a DNS name.
fn valid_host(host: &str) -> bool {
    if host.parse::<IpAddr>().is_ok() {
        return true;
    }
    (1..=253).contains(&host.len())
        && host
            .trim_end_matches('.')
            .split('.')
            .all(|label| valid_label(label.as_bytes()))
}

fn valid_label(label: &[u8]) -> bool {
    (1..=63).contains(&label.len())
        && label.first() != Some(&b'-')
        && label.last() != Some(&b'-')
        && label
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// A telephone number: digits with an optional leading `+`, at most 32 digits.
fn valid_phone_number(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    (1..=32).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Free text that goes into a header or a path: no control characters.
fn printable(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// Refuses a trunk the SIP and media layers could not use (`InvalidTrunk`).
pub(crate) fn check_trunk(t: &Trunk) -> Result<(), StoreError> {
    let invalid = |m: String| Err(StoreError::InvalidTrunk(m));
    if !valid_trunk_name(&t.name) {
        return invalid(format!(
            "name {:?}: use 1-64 letters, digits, '.', '_' or '-'",
            t.name
        ));
    }
    if !valid_host(&t.host) {
        return invalid(format!(
            "host {:?}: give a host name or an IP address (the port separately)",
            t.host
        ));
    }
    if t.port == Some(0) {
        return invalid("port: 0 is not a port (leave it out for the transport's default)".into());
    }
    if let Some(reg) = &t.registration {
        let user = &reg.username;
        if user.is_empty() || user.len() > 128 || !printable(user) || user.contains(' ') {
            return invalid(format!(
                "username {user:?}: 1-128 characters, no spaces or control characters"
            ));
        }
        // Not echoed: it is a secret.
        if reg.password.is_empty() || reg.password.len() > 256 || !printable(&reg.password) {
            return invalid("password: 1-256 characters, no control characters".into());
        }
        if !EXPIRES_RANGE.contains(&reg.expires) {
            return invalid(format!(
                "expires: {} s is outside {} to {} s",
                reg.expires,
                EXPIRES_RANGE.start(),
                EXPIRES_RANGE.end()
            ));
        }
    }
    codecs_text(&t.codecs)?;
    if t.channels == Some(0) {
        return invalid("channels: must be at least 1 (leave it out for no limit)".into());
    }
    if t.options_interval > MAX_OPTIONS_INTERVAL {
        return invalid(format!(
            "options_interval: {} s is more than {MAX_OPTIONS_INTERVAL} s (0 turns checks off)",
            t.options_interval
        ));
    }
    if let Some(number) = &t.caller_id
        && !valid_phone_number(number)
    {
        return invalid(format!(
            "caller_id {number:?}: use digits with an optional leading '+'"
        ));
    }
    if let Some(path) = &t.ca_file {
        if path.is_empty() || !printable(path) {
            return invalid(format!("ca_file {path:?}: give the path of a PEM file"));
        }
        if t.transport != TrunkTransport::Tls {
            return invalid(format!(
                "ca_file is only used with transport tls, not {}",
                t.transport
            ));
        }
    }
    Ok(())
}

/// The codec list as stored: known names, upper case, each once, at least one.
pub(crate) fn codecs_text(codecs: &[String]) -> Result<String, StoreError> {
    let invalid = |m: String| Err(StoreError::InvalidTrunk(m));
    if codecs.is_empty() {
        return invalid(format!(
            "codecs: give at least one of {}",
            TRUNK_CODECS.join(", ")
        ));
    }
    let mut names: Vec<&str> = Vec::with_capacity(codecs.len());
    for codec in codecs {
        let Some(name) = TRUNK_CODECS
            .iter()
            .find(|known| known.eq_ignore_ascii_case(codec.trim()))
        else {
            return invalid(format!("codec {codec:?}: use {}", TRUNK_CODECS.join(", ")));
        };
        if names.contains(name) {
            return invalid(format!("codec {name} is listed twice"));
        }
        names.push(name);
    }
    Ok(names.join(","))
}

/// Refuses a DID whose fields are malformed (`InvalidDid`); whether its trunk and
/// extensions exist is the database's to say.
pub(crate) fn check_did(did: &Did) -> Result<(), StoreError> {
    if !valid_phone_number(&did.number) {
        return Err(StoreError::InvalidDid(format!(
            "number {:?}: use digits with an optional leading '+', as the provider sends it",
            did.number
        )));
    }
    check_did_fields(Some(&did.to), Some(did.failover.as_deref()))
}

/// The fields of a DID that an edit may change, each checked as `check_did` checks it when
/// given: the extensions rung, and the failover (`Some(None)`: none).
pub(crate) fn check_did_fields(
    to: Option<&[String]>,
    failover: Option<Option<&str>>,
) -> Result<(), StoreError> {
    let invalid = |m: String| Err(StoreError::InvalidDid(m));
    if let Some(to) = to {
        if to.is_empty() {
            return invalid("give at least one extension to ring".into());
        }
        let mut seen = HashSet::new();
        for target in to {
            if !valid_number(target) {
                return invalid(format!(
                    "extension {target:?}: use 1-32 letters, digits, '.', '_' or '-'"
                ));
            }
            if !seen.insert(target.as_str()) {
                return invalid(format!("extension {target} is listed twice"));
            }
        }
    }
    if let Some(Some(failover)) = failover
        && !valid_target(failover)
    {
        return invalid(format!(
            "failover {failover:?} is not an extension or a number to dial"
        ));
    }
    Ok(())
}

/// Refuses a route routing could not use (`InvalidRoute`); whether its trunks exist is the
/// database's to say.
pub(crate) fn check_route(
    pattern: &str,
    trunks: &[String],
    strip: u32,
    prepend: &str,
) -> Result<(), StoreError> {
    check_route_fields(Some(pattern), Some(trunks), Some(strip), Some(prepend))
}

/// Each given field of a route (what an edit changes) as `check_route` checks it.
pub(crate) fn check_route_fields(
    pattern: Option<&str>,
    trunks: Option<&[String]>,
    strip: Option<u32>,
    prepend: Option<&str>,
) -> Result<(), StoreError> {
    let invalid = |m: String| Err(StoreError::InvalidRoute(m));
    // The dial plan's own parser: what is accepted here is exactly what routing can match.
    if let Some(pattern) = pattern
        && let Err(e) = Pattern::parse(pattern)
    {
        return invalid(format!("pattern {pattern:?}: {e}"));
    }
    if let Some(trunks) = trunks {
        if trunks.is_empty() {
            return invalid("give at least one trunk".into());
        }
        let mut seen = HashSet::new();
        for trunk in trunks {
            if !seen.insert(trunk.as_str()) {
                return invalid(format!("trunk {trunk} is listed twice"));
            }
        }
    }
    if let Some(strip) = strip
        && strip > MAX_DIGITS
    {
        return invalid(format!("strip: {strip} is more than {MAX_DIGITS} digits"));
    }
    if let Some(prepend) = prepend {
        let rest = prepend.strip_prefix('+').unwrap_or(prepend);
        let dialable = rest
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'*' | b'#'));
        if prepend.len() > MAX_DIGITS as usize || !dialable {
            return invalid(format!(
                "prepend {prepend:?}: use up to {MAX_DIGITS} digits, '*' or '#', with an \
                 optional leading '+'"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbx::trunk::{SrtpPolicy, TrunkRegistration};

    fn trunk() -> Trunk {
        Trunk {
            id: 0,
            name: "acme".into(),
            host: "sip.acme.example".into(),
            port: None,
            transport: TrunkTransport::Udp,
            registration: Some(TrunkRegistration {
                username: "acme-user".into(),
                password: "secret".into(),
                expires: 3600,
            }),
            allow: vec![],
            codecs: vec!["PCMU".into(), "pcma".into()],
            srtp: SrtpPolicy::Off,
            channels: Some(10),
            options_interval: 30,
            caller_id: Some("+15551230000".into()),
            ca_file: None,
        }
    }

    fn refused(change: impl FnOnce(&mut Trunk)) -> String {
        let mut t = trunk();
        change(&mut t);
        match check_trunk(&t) {
            Err(StoreError::InvalidTrunk(m)) => m,
            other => panic!("accepted: {other:?}"),
        }
    }

    #[test]
    fn good_trunks_pass() {
        assert!(check_trunk(&trunk()).is_ok());
        for host in [
            "192.0.2.10",
            "2001:db8::1",
            "sip.example.com.",
            "a-b_c.example",
        ] {
            let mut t = trunk();
            t.host = host.into();
            assert!(check_trunk(&t).is_ok(), "{host}");
        }
        let mut t = trunk();
        t.transport = TrunkTransport::Tls;
        t.ca_file = Some("/etc/switchboard/provider-ca.pem".into());
        t.registration = None;
        t.caller_id = None;
        t.channels = None;
        t.options_interval = 0;
        assert!(check_trunk(&t).is_ok());
    }

    #[test]
    fn bad_trunks_are_refused_with_the_field_named() {
        assert!(refused(|t| t.name = "ac me".into()).starts_with("name"));
        assert!(refused(|t| t.name = String::new()).starts_with("name"));
        for host in [
            "",
            "sip.acme.example:5060",
            "[2001:db8::1]",
            "a..b",
            "-a.example",
            "a b",
        ] {
            assert!(
                refused(|t| t.host = host.into()).starts_with("host"),
                "{host}"
            );
        }
        assert!(refused(|t| t.port = Some(0)).starts_with("port"));
        let registration = |change: fn(&mut TrunkRegistration)| {
            refused(|t| {
                if let Some(r) = t.registration.as_mut() {
                    change(r);
                }
            })
        };
        assert!(registration(|r| r.expires = 5).starts_with("expires"));
        assert!(registration(|r| r.username = "a b".into()).starts_with("username"));
        assert!(registration(|r| r.username = String::new()).starts_with("username"));
        let m = registration(|r| r.password = "x\ny".into());
        assert!(
            m.starts_with("password") && !m.contains('x'),
            "the secret is not echoed: {m}"
        );
        assert!(refused(|t| t.codecs = vec![]).starts_with("codecs"));
        assert!(refused(|t| t.codecs = vec!["OPUS".into()]).contains("PCMU, PCMA, G722, G729"));
        assert!(refused(|t| t.codecs = vec!["PCMU".into(), "pcmu".into()]).contains("twice"));
        assert!(refused(|t| t.channels = Some(0)).starts_with("channels"));
        assert!(refused(|t| t.options_interval = 86_401).starts_with("options_interval"));
        assert!(refused(|t| t.caller_id = Some("555-1234".into())).starts_with("caller_id"));
        assert!(refused(|t| t.ca_file = Some("/ca.pem".into())).contains("only used with"));
    }

    #[test]
    fn codecs_are_stored_by_their_names() {
        let given = vec!["g722".to_owned(), " PCMA".to_owned(), "G729".to_owned()];
        assert_eq!(codecs_text(&given).ok().as_deref(), Some("G722,PCMA,G729"));
    }

    #[test]
    fn dids_are_checked() {
        let did = Did {
            number: "+15551230000".into(),
            trunk: "acme".into(),
            to: vec!["1001".into(), "1002".into()],
            failover: Some("+15557654321".into()),
        };
        assert!(check_did(&did).is_ok());
        let bad = |change: fn(&mut Did)| {
            let mut d = did.clone();
            change(&mut d);
            matches!(check_did(&d), Err(StoreError::InvalidDid(_)))
        };
        assert!(bad(|d| d.number = "555 1234".into()));
        assert!(bad(|d| d.number = "+".into()));
        assert!(bad(|d| d.to.clear()));
        assert!(bad(|d| d.to.push("1001".into())));
        assert!(bad(|d| d.to = vec!["10,01".into()]));
        assert!(bad(|d| d.failover = Some("not a number".into())));
    }

    #[test]
    fn routes_are_checked() {
        let trunks = vec!["a".to_owned(), "b".to_owned()];
        assert!(check_route("_1NXXNXXXXXX", &trunks, 1, "+1").is_ok());
        assert!(check_route("_011.", &trunks, 3, "+").is_ok());
        assert!(check_route("_1NXXNXXXXXX", &trunks, 0, "+").is_ok());
        assert!(check_route("911", &trunks, 0, "").is_ok());
        let invalid = |r: Result<(), StoreError>| matches!(r, Err(StoreError::InvalidRoute(_)));
        assert!(invalid(check_route("_1[5-", &trunks, 0, "")));
        assert!(invalid(check_route("_X.", &[], 0, "")));
        assert!(invalid(check_route(
            "_X.",
            &["a".into(), "a".into()],
            0,
            ""
        )));
        assert!(invalid(check_route("_X.", &trunks, 33, "")));
        assert!(invalid(check_route("_X.", &trunks, 0, "9a")));
        assert!(invalid(check_route("_X.", &trunks, 0, "1+")));
        assert!(invalid(check_route("_X.", &trunks, 0, &"1".repeat(33))));
    }
}
