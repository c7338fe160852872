//! Caller ID on calls out through a trunk: the From and P-Asserted-Identity we send, and
//! Privacy when the caller asked to withhold their number.
//!
//! The number is the extension's own outside number on that trunk (a DID that rings only
//! it), else the trunk's default number, else the extension number itself (the provider may
//! refuse or replace that; it is all there is). Providers check the asserted identity
//! against the numbers they gave us, so it is always sent, also with privacy: RFC 3325 §7
//! has the trusted network (the provider) strip it before the call leaves it, and it needs
//! the identity for billing and emergency services meanwhile.
//!
//! With privacy (RFC 3323 §4.1.1.3, RFC 3325 §9.3) the From is
//! `"Anonymous" <sip:anonymous@anonymous.invalid>` and `Privacy: id` is added. Emergency
//! calls ignore privacy: the PSAP must see a callback number, and regulations exempt
//! emergency calls from caller-ID blocking anyway.

use sip::{HeaderName, Headers, Host, NameAddr, Request, SipUri, Uri};

use super::Did;
use super::provider::{TrunkConfigError, user_uri};

/// The From of a call whose caller withholds their identity (RFC 3323 §4.1.1.3).
pub const ANONYMOUS_FROM: &str = "\"Anonymous\" <sip:anonymous@anonymous.invalid>";

/// What caller ID is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallerIdInput<'a> {
    /// The calling extension's number.
    pub extension: &'a str,
    /// Its display name (`Extension::name`); None or empty for none.
    pub display_name: Option<&'a str>,
    /// Its own outside number on this trunk (see `own_number`).
    pub own_number: Option<&'a str>,
    /// The trunk's default number (`Trunk::caller_id`).
    pub trunk_default: Option<&'a str>,
    /// The caller asked to withhold their identity (see `privacy_requested`).
    pub privacy: bool,
    /// The number dialed is an emergency number: privacy does not apply.
    pub emergency: bool,
    /// Host part of the From and P-Asserted-Identity URIs (the provider's domain, or ours,
    /// as the provider expects).
    pub domain: &'a str,
}

/// The identity headers of the outgoing leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerId {
    /// The number presented.
    pub number: String,
    /// The From, without tag (for `Dialog::outgoing`'s `local`).
    pub from: NameAddr,
    /// The P-Asserted-Identity value.
    pub asserted: NameAddr,
    /// Whether `Privacy: id` goes with the request.
    pub privacy: bool,
}

impl CallerId {
    /// Sets P-Asserted-Identity and Privacy on the outgoing request's headers (the From is
    /// the dialog's) and drops any P-Preferred-Identity, which must not reach a trunk.
    pub fn apply(&self, headers: &mut Headers) {
        headers.remove(&HeaderName::PPreferredIdentity);
        headers.set(HeaderName::PAssertedIdentity, self.asserted.to_string());
        if self.privacy {
            headers.set(HeaderName::Privacy, "id");
        } else {
            headers.remove(&HeaderName::Privacy);
        }
    }
}

/// The caller ID for an outbound call; an error only when `domain` is not a host.
pub fn caller_id(input: &CallerIdInput<'_>) -> Result<CallerId, TrunkConfigError> {
    let number = [input.own_number, input.trunk_default]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|n| is_number(n))
        .unwrap_or(input.extension.trim())
        .to_owned();
    let uri = Uri::Sip(user_uri(&number, input.domain)?);
    let private = input.privacy && !input.emergency;
    let display = input
        .display_name
        .map(clean_display)
        .filter(|d| !d.is_empty());
    let mut asserted = NameAddr::new(uri);
    let from = if private {
        anonymous()
    } else {
        asserted.display = display.clone();
        asserted.clone()
    };
    Ok(CallerId {
        number,
        from,
        asserted,
        privacy: private,
    })
}

/// `ANONYMOUS_FROM`, built rather than parsed.
fn anonymous() -> NameAddr {
    let mut uri = SipUri::new(Host::Name("anonymous.invalid".into()));
    uri.user = Some("anonymous".into());
    let mut from = NameAddr::new(Uri::Sip(uri));
    from.display = Some("Anonymous".into());
    from
}

/// The extension's own outside number on `trunk`: the first DID of that trunk that rings
/// this extension alone (a DID ringing a group is the group's number, not a person's).
pub fn own_number<'a>(extension: &str, trunk: &str, dids: &'a [Did]) -> Option<&'a str> {
    dids.iter()
        .find(|d| d.trunk == trunk && matches!(d.to.as_slice(), [only] if only == extension))
        .map(|d| d.number.as_str())
}

/// Whether the caller's request asks to withhold their identity: a Privacy header with
/// `id`, `user` or `header` (RFC 3323 §4.2, RFC 3325 §9.3); `none` and `critical` alone do
/// not.
pub fn privacy_requested(req: &Request) -> bool {
    req.headers
        .fields(&HeaderName::Privacy)
        .flat_map(|v| v.split([';', ',']))
        .map(str::trim)
        .any(|p| {
            ["id", "user", "header"]
                .iter()
                .any(|w| p.eq_ignore_ascii_case(w))
        })
}

/// A presentable number: an optional leading `+` then digits, `*` or `#`.
fn is_number(s: &str) -> bool {
    let body = s.strip_prefix('+').unwrap_or(s);
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
}

/// A display name without control characters (CR/LF must never reach a header), trimmed
/// and at most 64 characters.
fn clean_display(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>() -> CallerIdInput<'a> {
        CallerIdInput {
            extension: "1001",
            display_name: Some("Alice Smith"),
            own_number: Some("+12125550101"),
            trunk_default: Some("+12125550100"),
            privacy: false,
            emergency: false,
            domain: "sip.provider.example",
        }
    }

    fn ok(i: &CallerIdInput<'_>) -> CallerId {
        caller_id(i).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_extensions_own_number_comes_first() {
        let c = ok(&input());
        assert_eq!(c.number, "+12125550101");
        assert_eq!(
            c.from.to_string(),
            "\"Alice Smith\" <sip:+12125550101@sip.provider.example>"
        );
        assert_eq!(c.asserted, c.from);
        assert!(!c.privacy);
    }

    #[test]
    fn then_the_trunk_default_then_the_extension() {
        let c = ok(&CallerIdInput {
            own_number: None,
            ..input()
        });
        assert_eq!(c.number, "+12125550100");
        let c = ok(&CallerIdInput {
            own_number: Some("not a number"),
            trunk_default: Some(" "),
            ..input()
        });
        assert_eq!(c.number, "1001");
        assert_eq!(
            c.asserted.to_string(),
            "\"Alice Smith\" <sip:1001@sip.provider.example>"
        );
    }

    #[test]
    fn privacy_hides_the_from_but_asserts_the_identity() {
        let c = ok(&CallerIdInput {
            privacy: true,
            ..input()
        });
        assert_eq!(
            c.from.to_string(),
            "\"Anonymous\" <sip:anonymous@anonymous.invalid>"
        );
        assert_eq!(
            c.asserted.to_string(),
            "<sip:+12125550101@sip.provider.example>",
            "no display name in the asserted identity either"
        );
        assert!(c.privacy);
        let mut h = Headers::new();
        h.push(HeaderName::PPreferredIdentity, "<sip:1001@pbx>");
        c.apply(&mut h);
        assert_eq!(h.get(&HeaderName::Privacy), Some("id"));
        assert_eq!(
            h.get(&HeaderName::PAssertedIdentity),
            Some("<sip:+12125550101@sip.provider.example>")
        );
        assert!(h.get(&HeaderName::PPreferredIdentity).is_none());
    }

    #[test]
    fn emergency_calls_ignore_privacy() {
        let c = ok(&CallerIdInput {
            privacy: true,
            emergency: true,
            ..input()
        });
        assert!(!c.privacy);
        assert!(c.from.to_string().contains("+12125550101"));
        let mut h = Headers::new();
        h.push(HeaderName::Privacy, "id");
        c.apply(&mut h);
        assert!(h.get(&HeaderName::Privacy).is_none());
    }

    #[test]
    fn display_names_cannot_break_the_header() {
        let c = ok(&CallerIdInput {
            display_name: Some("Eve\r\nX-Injected: 1\"<sip:evil>"),
            ..input()
        });
        let text = c.from.to_string();
        assert!(!text.contains('\r') && !text.contains('\n'), "{text}");
        let back = NameAddr::parse(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(back.uri, c.from.uri);
        let c = ok(&CallerIdInput {
            display_name: Some("  "),
            ..input()
        });
        assert_eq!(c.from.display, None);
        assert!(
            caller_id(&CallerIdInput {
                domain: "bad domain",
                ..input()
            })
            .is_err()
        );
    }

    #[test]
    fn own_number_is_a_did_ringing_only_that_extension_on_that_trunk() {
        let did = |n: &str, t: &str, to: &[&str]| Did {
            number: n.into(),
            trunk: t.into(),
            to: to.iter().map(|s| (*s).to_owned()).collect(),
            failover: None,
        };
        let dids = [
            did("+12125550100", "a", &["1001", "1002"]),
            did("+12125550101", "b", &["1001"]),
            did("+12125550102", "a", &["1001"]),
        ];
        assert_eq!(own_number("1001", "a", &dids), Some("+12125550102"));
        assert_eq!(own_number("1001", "b", &dids), Some("+12125550101"));
        assert_eq!(own_number("1002", "a", &dids), None);
    }

    #[test]
    fn privacy_requests_are_read_from_the_callers_request() {
        let req = |privacy: Option<&str>| {
            let mut r = Request::new(
                sip::Method::Invite,
                Uri::parse("sip:+12125550199@pbx").unwrap_or_else(|e| panic!("{e}")),
            );
            if let Some(p) = privacy {
                r.headers.push(HeaderName::Privacy, p);
            }
            r
        };
        assert!(privacy_requested(&req(Some("id"))));
        assert!(privacy_requested(&req(Some("user; critical"))));
        assert!(privacy_requested(&req(Some("HEADER"))));
        assert!(!privacy_requested(&req(Some("none"))));
        assert!(!privacy_requested(&req(Some("critical"))));
        assert!(!privacy_requested(&req(None)));
    }
}
