//! The checks a UAS (RFC 3261 §8.2) — or, with `Policy::proxy`, a proxy (§16.3) — makes
//! before acting on a request, with the answers RFC 4475 §3.1.2 and §3.3 expect.
//!
//! Never answer an ACK, whatever these checks say (RFC 3261 §17.2.3: ACK gets no response).

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::{HeaderName, Method, Request, Response, Uri};

/// Why a request is refused, and what goes into the response besides the copied headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    pub reason: &'static str,
    pub headers: Vec<(HeaderName, String)>,
}

impl Rejection {
    fn new(status: u16, reason: &'static str) -> Rejection {
        Rejection {
            status,
            reason,
            headers: Vec::new(),
        }
    }

    fn with(mut self, name: HeaderName, value: String) -> Rejection {
        self.headers.push((name, value));
        self
    }

    /// The response: Via/From/To/Call-ID/CSeq copied, a To tag added when the To has none
    /// (derived from the request, so a retransmission gets the same tag), then `headers`.
    pub fn to_response(&self, req: &Request) -> Response {
        let mut resp = Response::for_request(req, self.status, self.reason);
        if resp.to_tag().is_none() {
            let _ = resp.set_to_tag(&stateless_tag(req));
        }
        for (name, value) in &self.headers {
            resp.headers.push(name.clone(), value.clone());
        }
        resp
    }
}

/// A To tag for a stateless answer: a hash of what identifies the request (fixed-key
/// SipHash, so the same request always gets the same tag).
fn stateless_tag(req: &Request) -> String {
    let mut h = DefaultHasher::new();
    req.headers.get(&HeaderName::CallId).hash(&mut h);
    req.headers.get(&HeaderName::From).hash(&mut h);
    req.headers.get(&HeaderName::CSeq).hash(&mut h);
    req.headers.get_all(&HeaderName::Via).next().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// What this element is and what it supports.
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    /// Act as a proxy: Max-Forwards 0 is 483, Proxy-Require (not Require) is checked,
    /// unknown methods and body types are forwarded, not refused.
    pub proxy: bool,
    /// Option tags we support (Require / Proxy-Require).
    pub supported: &'a [&'a str],
    /// Body media types we accept (lower case); `Accept` of a 415.
    pub accept: &'a [&'a str],
}

/// Option tags Switchboard implements. Not `100rel` (no PRACK: provisionals are relayed
/// unreliably) nor `replaces` (no attended transfer yet): a request requiring them gets 420.
pub const SUPPORTED: &[&str] = &["path", "outbound", "gruu", "timer"];
/// Body types Switchboard understands.
pub const ACCEPT: &[&str] = &[
    "application/sdp",
    "multipart/mixed",
    "multipart/alternative",
    "text/plain",
    "message/sipfrag",
    "application/dtmf-relay",
    "application/pidf+xml",
];

impl Default for Policy<'static> {
    fn default() -> Self {
        Policy {
            proxy: false,
            supported: SUPPORTED,
            accept: ACCEPT,
        }
    }
}

/// `check_request_with` as a UAS with Switchboard's defaults.
pub fn check_request(req: &Request) -> Result<(), Rejection> {
    check_request_with(req, &Policy::default())
}

fn bad(reason: &'static str) -> Rejection {
    Rejection::new(400, reason)
}

/// Headers that may appear only once (RFC 3261 §7.3.1, RFC 4475 multi01, mcl01).
const SINGLE: &[(HeaderName, &str)] = &[
    (HeaderName::From, "Multiple From"),
    (HeaderName::To, "Multiple To"),
    (HeaderName::CallId, "Multiple Call-ID"),
    (HeaderName::CSeq, "Multiple CSeq"),
    (HeaderName::MaxForwards, "Multiple Max-Forwards"),
    (HeaderName::ContentLength, "Multiple Content-Length"),
    (HeaderName::ContentType, "Multiple Content-Type"),
    (HeaderName::Expires, "Multiple Expires"),
];

/// The checks, in the order that gives the answers RFC 4475 expects: structure (400), then
/// method (501), then CSeq (400), scheme (416), hops (483), extensions (420), body (415),
/// acceptable answer (406).
pub fn check_request_with(req: &Request, policy: &Policy<'_>) -> Result<(), Rejection> {
    let h = &req.headers;
    for (name, reason) in [
        (HeaderName::Via, "Missing Via"),
        (HeaderName::From, "Missing From"),
        (HeaderName::To, "Missing To"),
        (HeaderName::CallId, "Missing Call-ID"),
        (HeaderName::CSeq, "Missing CSeq"),
    ] {
        if !h.contains(&name) {
            return Err(bad(reason));
        }
    }
    for (name, reason) in SINGLE {
        if h.count(name) > 1 {
            return Err(bad(reason));
        }
    }
    // Each value must parse; nothing here needs them kept (no Vec of every Via).
    h.get_all(&HeaderName::Via)
        .try_for_each(|v| crate::Via::parse(v).map(drop))
        .map_err(|_| bad("Malformed Via"))?;
    let from = req.from_header().map_err(|_| bad("Malformed From"))?;
    let to = req.to_header().map_err(|_| bad("Malformed To"))?;
    let _ = from;
    req.call_id().map_err(|_| bad("Malformed Call-ID"))?;
    let cseq = req.cseq().map_err(|_| bad("Malformed CSeq"))?;
    let max_forwards = req
        .max_forwards()
        .map_err(|_| bad("Malformed Max-Forwards"))?;
    req.expires().map_err(|_| bad("Malformed Expires"))?;
    h.get_all(&HeaderName::Contact)
        .try_for_each(|v| crate::name_addr::Contact::parse(v).map(drop))
        .map_err(|_| bad("Malformed Contact"))?;

    if !policy.proxy && matches!(req.method, Method::Extension(_)) {
        return Err(
            Rejection::new(501, "Not Implemented").with(HeaderName::Allow, ALLOW.to_owned())
        );
    }
    if cseq.method != req.method {
        return Err(bad("CSeq method does not match"));
    }
    match &req.uri {
        Uri::Sip(u) if !u.headers.is_empty() => {
            // RFC 4475 escruri: headers escaped into the Request-URI are refused, never
            // turned into real header fields.
            return Err(bad("Headers in Request-URI"));
        }
        Uri::Sip(_) | Uri::Tel(_) => {}
        Uri::Other { .. } => return Err(Rejection::new(416, "Unsupported URI Scheme")),
    }
    if policy.proxy && max_forwards == Some(0) {
        return Err(Rejection::new(483, "Too Many Hops"));
    }
    if !matches!(req.method, Method::Ack | Method::Cancel) {
        let require = if policy.proxy {
            HeaderName::ProxyRequire
        } else {
            HeaderName::Require
        };
        let unknown: Vec<&str> = h
            .get_all(&require)
            .filter(|tag| !policy.supported.iter().any(|s| s.eq_ignore_ascii_case(tag)))
            .collect();
        if !unknown.is_empty() {
            return Err(Rejection::new(420, "Bad Extension")
                .with(HeaderName::Unsupported, unknown.join(", ")));
        }
    }
    if !policy.proxy {
        check_body(req, policy)?;
        if req.method == Method::Register && !to.uri.is_sip() {
            // RFC 4475 unksm2: an address-of-record must be a sip or sips URI.
            return Err(bad("Address of record is not a SIP URI"));
        }
    }
    Ok(())
}

/// Methods a Switchboard UAS knows (the `Allow` of a 501).
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, INFO, UPDATE, PRACK, SUBSCRIBE, NOTIFY, REFER, MESSAGE";

fn check_body(req: &Request, policy: &Policy<'_>) -> Result<(), Rejection> {
    let h = &req.headers;
    let unsupported_type = || {
        Rejection::new(415, "Unsupported Media Type")
            .with(HeaderName::Accept, policy.accept.join(", "))
    };
    if !req.body.is_empty() {
        let encodings_ok = h
            .get_all(&HeaderName::ContentEncoding)
            .all(|e| e.eq_ignore_ascii_case("identity"));
        if !encodings_ok {
            return Err(unsupported_type().with(HeaderName::AcceptEncoding, "identity".to_owned()));
        }
        // RFC 3261 §7.4.1: a body without Content-Type is application/sdp in practice.
        let media = req
            .content_type()
            .unwrap_or_else(|| "application/sdp".to_owned());
        if !policy.accept.contains(&media.as_str()) {
            return Err(unsupported_type());
        }
    }
    // RFC 4475 sdp01: an INVITE whose Accept rules out SDP cannot get an answer.
    if req.method == Method::Invite && h.contains(&HeaderName::Accept) {
        let sdp_ok = h.get_all(&HeaderName::Accept).any(|a| {
            let media = a
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            matches!(media.as_str(), "application/sdp" | "application/*" | "*/*")
        });
        if !sdp_ok {
            return Err(Rejection::new(406, "Not Acceptable"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Message, parse_message};

    fn req(extra: &str, method: &str) -> Request {
        let text = format!(
            "{method} sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        match parse_message(text.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    fn status(r: &Request, p: &Policy<'_>) -> Option<u16> {
        check_request_with(r, p).err().map(|e| e.status)
    }

    #[test]
    fn checks() {
        let uas = Policy::default();
        let proxy = Policy {
            proxy: true,
            ..Policy::default()
        };
        assert_eq!(status(&req("", "INVITE"), &uas), None);
        assert_eq!(status(&req("Require: foo\r\n", "INVITE"), &uas), Some(420));
        assert_eq!(status(&req("Require: foo\r\n", "INVITE"), &proxy), None);
        assert_eq!(
            status(&req("Require: path, Timer\r\n", "INVITE"), &uas),
            None
        );
        assert_eq!(
            status(&req("Accept: text/plain\r\n", "INVITE"), &uas),
            Some(406)
        );
        assert_eq!(status(&req("Expires: x\r\n", "INVITE"), &uas), Some(400));
        assert_eq!(status(&req("Call-ID: c2\r\n", "INVITE"), &uas), Some(400));
        assert_eq!(status(&req("", "FOO"), &uas), Some(501));
        assert_eq!(status(&req("", "FOO"), &proxy), None);
        let mut r = req("", "OPTIONS");
        r.headers.set(HeaderName::MaxForwards, "0");
        assert_eq!(status(&r, &uas), None);
        assert_eq!(status(&r, &proxy), Some(483));
    }

    #[test]
    fn rejection_response() {
        let r = req("Require: foo, bar\r\n", "INVITE");
        let rej = check_request(&r)
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        let resp = rej.to_response(&r);
        assert_eq!(resp.status, 420);
        assert_eq!(resp.headers.get(&HeaderName::Unsupported), Some("foo, bar"));
        let tag = resp.to_tag();
        assert!(tag.is_some());
        assert_eq!(rej.to_response(&r).to_tag(), tag);
        assert_eq!(resp.call_id().ok(), Some("c1"));
    }
}
