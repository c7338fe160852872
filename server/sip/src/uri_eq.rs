//! URI comparison of RFC 3261 §19.1.4: escapes decoded, host and parameter names
//! case-insensitive, user part case-sensitive, a few parameters that must match when either
//! side has them, header components that must match in full.

use crate::uri::{Host, SipUri, TelUri, Uri, unescape};

/// Parameters that make URIs differ when only one side has them.
const MUST_MATCH: &[&str] = &["user", "ttl", "method", "maddr", "transport"];

impl Uri {
    /// RFC 3261 §19.1.4 equality (not byte equality).
    pub fn equivalent(&self, other: &Uri) -> bool {
        match (self, other) {
            (Uri::Sip(a), Uri::Sip(b)) => a.equivalent(b),
            (Uri::Tel(a), Uri::Tel(b)) => a.equivalent(b),
            (
                Uri::Other {
                    scheme: s1,
                    rest: r1,
                },
                Uri::Other {
                    scheme: s2,
                    rest: r2,
                },
            ) => s1.eq_ignore_ascii_case(s2) && unescape(r1) == unescape(r2),
            _ => false,
        }
    }
}

fn host_eq(a: &Host, b: &Host) -> bool {
    match (a, b) {
        (Host::Name(x), Host::Name(y)) => unescape(x).eq_ignore_ascii_case(&unescape(y)),
        _ => a == b,
    }
}

fn params_eq(
    a: &[(String, Option<String>)],
    b: &[(String, Option<String>)],
    must: &[&str],
) -> bool {
    fn lookup<'p>(
        ps: &'p [(String, Option<String>)],
        name: &str,
    ) -> Option<Option<std::borrow::Cow<'p, str>>> {
        ps.iter()
            .find(|(k, _)| unescape(k).eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref().map(unescape))
    }
    for (i, (k, _)) in a.iter().enumerate() {
        let name = unescape(k);
        // A repeated name counts once, with its first value, on both sides.
        let first = a
            .iter()
            .position(|(k2, _)| unescape(k2).eq_ignore_ascii_case(&name));
        if first != Some(i) {
            continue;
        }
        let v = lookup(a, &name).flatten();
        match lookup(b, &name) {
            Some(w) => {
                let same = match (v, w) {
                    (Some(x), Some(y)) => x.eq_ignore_ascii_case(&y),
                    (None, None) => true,
                    _ => false,
                };
                if !same {
                    return false;
                }
            }
            None if must.iter().any(|m| name.eq_ignore_ascii_case(m)) => return false,
            None => {}
        }
    }
    // A must-match parameter present only in `b`.
    !b.iter().any(|(k, _)| {
        let name = unescape(k);
        must.iter().any(|m| name.eq_ignore_ascii_case(m)) && lookup(a, &name).is_none()
    })
}

impl SipUri {
    pub fn equivalent(&self, other: &SipUri) -> bool {
        self.secure == other.secure
            && self.user.as_deref().map(unescape) == other.user.as_deref().map(unescape)
            && self.password.as_deref().map(unescape) == other.password.as_deref().map(unescape)
            && host_eq(&self.host, &other.host)
            && self.port == other.port
            && params_eq(&self.params, &other.params, MUST_MATCH)
            && headers_eq(&self.headers, &other.headers)
    }
}

/// Header components are never ignored: the same set on both sides.
fn headers_eq(a: &[(String, String)], b: &[(String, String)]) -> bool {
    let contains = |xs: &[(String, String)], k: &str, v: &str| {
        xs.iter()
            .any(|(k2, v2)| unescape(k2).eq_ignore_ascii_case(k) && unescape(v2) == v)
    };
    a.iter()
        .all(|(k, v)| contains(b, &unescape(k), &unescape(v)))
        && b.iter()
            .all(|(k, v)| contains(a, &unescape(k), &unescape(v)))
}

impl TelUri {
    /// RFC 3966 §4: visual separators are ignored, parameters compared as a set.
    pub fn equivalent(&self, other: &TelUri) -> bool {
        let digits = |n: &str| -> String {
            n.chars()
                .filter(|c| !"-.()".contains(*c))
                .collect::<String>()
                .to_ascii_lowercase()
        };
        digits(&self.number) == digits(&other.number)
            && self.params.len() == other.params.len()
            && params_eq(&self.params, &other.params, &[])
            && params_eq(&other.params, &self.params, &[])
    }
}

#[cfg(test)]
mod tests {
    use crate::Uri;

    fn eq(a: &str, b: &str) -> bool {
        match (Uri::parse(a), Uri::parse(b)) {
            (Ok(x), Ok(y)) => x.equivalent(&y) && y.equivalent(&x),
            _ => panic!("parse {a} / {b}"),
        }
    }

    #[test]
    fn rfc3261_equal_examples() {
        assert!(eq(
            "sip:%61lice@atlanta.com;transport=TCP",
            "sip:alice@AtLanTa.CoM;Transport=tcp"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;newparam=5"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;security=on"
        ));
        assert!(eq(
            "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"
        ));
        assert!(eq(
            "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
            "sip:alice@atlanta.com?priority=urgent&subject=project%20x"
        ));
        assert!(eq("sip:[::1]:5060", "sip:[0:0::1]:5060"));
        assert!(eq("tel:+1-201-555-0123", "tel:+12015550123"));
    }

    #[test]
    fn rfc3261_unequal_examples() {
        assert!(!eq(
            "SIP:ALICE@AtLanTa.CoM;Transport=udp",
            "sip:alice@AtLanTa.CoM;Transport=UDP"
        ));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com;transport=udp"
        ));
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com:6000;transport=tcp"
        ));
        assert!(!eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com?Subject=next%20meeting"
        ));
        assert!(!eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
        assert!(!eq(
            "sip:carol@chicago.com;security=on",
            "sip:carol@chicago.com;security=off"
        ));
        assert!(!eq("sip:a@b", "sips:a@b"));
        assert!(!eq("sip:%00@h", "sip:%00%00@h"));
        assert!(eq("sip:h;x=1;x=2", "sip:h;x=1"));
    }
}
