//! URI parsing (RFC 3261 §19.1 and §25.1 for sip/sips, RFC 3966 loosely for tel).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::ParseError;
use crate::scan::table;
use crate::uri::{Host, SipUri, TelUri, Uri};

fn err(why: &'static str) -> ParseError {
    ParseError::Uri(why)
}

/// Characters (unreserved plus the part's own; `%` escapes are checked separately)
/// allowed in each URI part (RFC 3261 §25.1).
static USER: [bool; 256] = table(b"-_.!~*'()&=+$,;?/");
static PASSWORD: [bool; 256] = table(b"-_.!~*'()&=+$,");
static PARAM: [bool; 256] = table(b"-_.!~*'()[]/:&+$");
static HEADER: [bool; 256] = table(b"-_.!~*'()[]/?:+$");

/// Check that `s` only has characters of `allowed` and well-formed %HH escapes.
fn check_chars(s: &str, allowed: &[bool; 256], why: &'static str) -> Result<(), ParseError> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if allowed.get(usize::from(c)).copied().unwrap_or(false) {
            i += 1;
        } else if c == b'%' {
            let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err(err("bad %-escape"));
            }
            i += 3;
        } else {
            return Err(err(why));
        }
    }
    Ok(())
}

impl Uri {
    /// Parse a URI. The scheme is case-insensitive; unknown schemes are kept opaque but must
    /// still look like `scheme:something` without white space or `<>"`.
    pub fn parse(s: &str) -> Result<Uri, ParseError> {
        let colon = s.find(':').ok_or(err("no scheme"))?;
        let scheme = s.get(..colon).unwrap_or("");
        let rest = s.get(colon + 1..).unwrap_or("");
        let valid_scheme = scheme
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphabetic)
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        if !valid_scheme {
            return Err(err("bad scheme"));
        }
        if scheme.eq_ignore_ascii_case("sip") {
            SipUri::parse_after_scheme(rest, false).map(Uri::Sip)
        } else if scheme.eq_ignore_ascii_case("sips") {
            SipUri::parse_after_scheme(rest, true).map(Uri::Sip)
        } else if scheme.eq_ignore_ascii_case("tel") {
            TelUri::parse_after_scheme(rest).map(Uri::Tel)
        } else {
            if rest.is_empty()
                || rest
                    .bytes()
                    .any(|b| b <= b' ' || b"<>\"".contains(&b) || b == 0x7f)
            {
                return Err(err("bad opaque URI"));
            }
            Ok(Uri::Other {
                scheme: scheme.to_owned(),
                rest: rest.to_owned(),
            })
        }
    }
}

impl SipUri {
    pub fn parse(s: &str) -> Result<SipUri, ParseError> {
        match Uri::parse(s)? {
            Uri::Sip(u) => Ok(u),
            _ => Err(err("not a sip or sips URI")),
        }
    }

    fn parse_after_scheme(s: &str, secure: bool) -> Result<SipUri, ParseError> {
        // '@' cannot appear unescaped after the userinfo (not in host, params or headers),
        // so the first '@' ends the userinfo even when the user part holds ';' or '?'.
        let (userinfo, rest) = match s.find('@') {
            Some(at) => (
                Some(s.get(..at).unwrap_or("")),
                s.get(at + 1..).unwrap_or(""),
            ),
            None => (None, s),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(ui) => {
                let (u, p) = match ui.find(':') {
                    Some(c) => (
                        ui.get(..c).unwrap_or(""),
                        Some(ui.get(c + 1..).unwrap_or("")),
                    ),
                    None => (ui, None),
                };
                if u.is_empty() {
                    return Err(err("empty user"));
                }
                check_chars(u, &USER, "bad character in user")?;
                if let Some(p) = p {
                    check_chars(p, &PASSWORD, "bad character in password")?;
                }
                (Some(u.to_owned()), p.map(str::to_owned))
            }
        };
        let (hostport, after) = split_hostport(rest)?;
        let (host, port) = parse_hostport(hostport)?;
        let (params_text, headers_text) = match after.find('?') {
            Some(q) => (
                after.get(..q).unwrap_or(""),
                Some(after.get(q + 1..).unwrap_or("")),
            ),
            None => (after, None),
        };
        let mut params = Vec::new();
        if !params_text.is_empty() {
            let body = params_text
                .strip_prefix(';')
                .ok_or(err("junk after host"))?;
            for p in body.split(';') {
                let (k, v) = match p.find('=') {
                    Some(e) => (p.get(..e).unwrap_or(""), Some(p.get(e + 1..).unwrap_or(""))),
                    None => (p, None),
                };
                if k.is_empty() {
                    return Err(err("empty URI parameter"));
                }
                check_chars(k, &PARAM, "bad character in URI parameter")?;
                if let Some(v) = v {
                    check_chars(v, &PARAM, "bad character in URI parameter")?;
                }
                params.push((k.to_owned(), v.map(str::to_owned)));
            }
        }
        let mut headers = Vec::new();
        if let Some(h) = headers_text {
            for kv in h.split('&') {
                let (k, v) = kv.split_once('=').ok_or(err("URI header without '='"))?;
                if k.is_empty() {
                    return Err(err("empty URI header name"));
                }
                check_chars(k, &HEADER, "bad character in URI header")?;
                check_chars(v, &HEADER, "bad character in URI header")?;
                headers.push((k.to_owned(), v.to_owned()));
            }
        }
        Ok(SipUri {
            secure,
            user,
            password,
            host,
            port,
            params,
            headers,
        })
    }
}

/// Split `host[:port]` from what follows (`;params?headers`).
fn split_hostport(s: &str) -> Result<(&str, &str), ParseError> {
    let end = if s.starts_with('[') {
        let close = s.find(']').ok_or(err("unterminated IPv6 reference"))?;
        close
            + 1
            + s.get(close + 1..)
                .unwrap_or("")
                .find([';', '?'])
                .unwrap_or(s.len() - close - 1)
    } else {
        s.find([';', '?']).unwrap_or(s.len())
    };
    Ok((s.get(..end).unwrap_or(""), s.get(end..).unwrap_or("")))
}

/// Parse `host[:port]` where host is a hostname, IPv4 address or `[IPv6]` reference.
pub(crate) fn parse_hostport(s: &str) -> Result<(Host, Option<u16>), ParseError> {
    let (host_text, port_text) = if let Some(rest) = s.strip_prefix('[') {
        let close = rest.find(']').ok_or(err("unterminated IPv6 reference"))?;
        let after = rest.get(close + 1..).unwrap_or("");
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or(err("junk after IPv6 reference"))?,
            ),
        };
        (s.get(..close + 2).unwrap_or(""), port)
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let host = Host::parse(host_text)?;
    let port = match port_text {
        None => None,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().map_err(|_| err("port out of range"))?)
        }
        Some(_) => return Err(err("bad port")),
    };
    Ok((host, port))
}

impl Host {
    /// Parse a host: `[IPv6]`, an IPv4 address, or a host name (letters, digits, `-`, `.`;
    /// `_` tolerated as real deployments use it).
    pub fn parse(s: &str) -> Result<Host, ParseError> {
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or(err("unterminated IPv6 reference"))?;
            return inner
                .parse::<Ipv6Addr>()
                .map(Host::V6)
                .map_err(|_| err("bad IPv6 address"));
        }
        if s.is_empty() {
            return Err(err("empty host"));
        }
        if s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && let Ok(a) = s.parse::<Ipv4Addr>()
        {
            return Ok(Host::V4(a));
        }
        if s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        {
            Ok(Host::Name(s.to_owned()))
        } else {
            Err(err("bad character in host"))
        }
    }
}

impl TelUri {
    fn parse_after_scheme(s: &str) -> Result<TelUri, ParseError> {
        let mut parts = s.split(';');
        let number = parts.next().unwrap_or("");
        let number_ok = !number.is_empty()
            && number
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b"+-.()*#pPwW%".contains(&b));
        if !number_ok {
            return Err(err("bad telephone number"));
        }
        let mut params = Vec::new();
        for p in parts {
            let (k, v) = match p.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (p, None),
            };
            if k.is_empty() {
                return Err(err("empty tel parameter"));
            }
            check_chars(k, &PARAM, "bad character in tel parameter")?;
            if let Some(v) = v {
                check_chars(v, &PARAM, "bad character in tel parameter")?;
            }
            params.push((k.to_owned(), v.map(str::to_owned)));
        }
        Ok(TelUri {
            number: number.to_owned(),
            params,
        })
    }
}

impl std::str::FromStr for Uri {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Uri, ParseError> {
        Uri::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(s: &str) {
        let u = Uri::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(u.to_string(), s);
    }

    #[test]
    fn round_trips() {
        rt("sip:alice@atlanta.com");
        rt(
            "sips:alice:secretword@atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent",
        );
        rt("sip:+1-212-555-1212:1234@gateway.com;user=phone");
        rt("sip:[2001:db8::10]:5070;maddr=[2001:db8::1]");
        rt("sip:192.0.2.4");
        rt("tel:+1-201-555-0123;phone-context=example.com");
        rt("sip:user;par=u%40example.net@example.com");
        rt(
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
        );
        rt("nobodyKnowsThisScheme:totallyopaquecontent");
        rt("soap.beep://192.0.2.103:3002");
    }

    #[test]
    fn parts() {
        let u = SipUri::parse("SIP:user;par=u%40example.net@Example.COM:5070;Transport=TCP;lr")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(u.user.as_deref(), Some("user;par=u%40example.net"));
        assert_eq!(
            u.user_unescaped().as_deref(),
            Some("user;par=u@example.net")
        );
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.param("transport"), Some("TCP"));
        assert_eq!(u.transport().as_deref(), Some("tcp"));
        assert!(u.has_param("LR"));
        let v6 = SipUri::parse("sip:[::1]").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v6.host, Host::V6(std::net::Ipv6Addr::LOCALHOST));
        assert_eq!(v6.port_or_default(), 5060);
    }

    #[test]
    fn rejects() {
        for bad in [
            "<sip:user@example.com>",
            "sip:user@example.com; lr",
            " sip:a@b",
            "sip:a@b:99999",
            "sip:a@b:x",
            "sip:a%4@b",
            "sip:[::1",
            "sip:[zz::1]",
            "sip:@b",
            "sip:a@",
            "sip:a@b;",
            "sip:a@b?x",
            "nocolon",
            "1x:foo",
            "http:",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad}");
        }
    }
}
