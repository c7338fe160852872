//! Session timers (RFC 4028) on the caller's leg: when the caller asks for them we agree,
//! let the caller refresh, and tear the call down when refreshes stop (a phone that lost
//! power leaves no BYE behind; without this its call would stay up and billed forever).

use sip::{HeaderName, Request};

/// The smallest interval we accept (RFC 4028 §4: at least 90 s).
pub const MIN_SE: u32 = 90;

/// What the caller asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// No Session-Expires: no timer.
    None,
    /// Too short: answer 422 with Min-SE.
    TooSmall,
    /// Agree on this interval in seconds.
    Interval(u32),
}

/// Reads Session-Expires (and Min-SE) of an INVITE or UPDATE.
pub fn ask(req: &Request) -> Ask {
    let Some(value) = req.headers.get(&HeaderName::SessionExpires) else {
        return Ask::None;
    };
    let secs = value
        .split(';')
        .next()
        .and_then(|v| v.trim().parse::<u32>().ok());
    match secs {
        Some(s) if s < MIN_SE => Ask::TooSmall,
        Some(s) => Ask::Interval(s),
        None => Ask::None,
    }
}

/// Whether the caller's phone supports the timer extension (so our answer may Require it).
pub fn supported(req: &Request) -> bool {
    req.headers
        .fields(&HeaderName::Supported)
        .chain(req.headers.fields(&HeaderName::Require))
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("timer"))
}

/// The Session-Expires of our 2xx: the caller (the UAC of that leg) refreshes.
pub fn session_expires_value(interval: u32) -> String {
    format!("{interval};refresher=uac")
}

/// Seconds after the last refresh at which we give up on the session (RFC 4028 §10: the
/// side that does not refresh sends BYE before the session expires, leaving
/// min(32, interval/3) seconds).
pub fn teardown_after(interval: u32) -> u32 {
    interval - (interval / 3).min(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(extra: &str) -> Request {
        let text = format!(
            "INVITE sip:1002@pbx SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
From: <sip:1001@pbx>;tag=a\r\nTo: <sip:1002@pbx>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\
{extra}Content-Length: 0\r\n\r\n"
        );
        match sip::parse_message(text.as_bytes()) {
            Ok(sip::Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_callers_request_decides() {
        assert_eq!(ask(&invite("")), Ask::None);
        assert_eq!(
            ask(&invite("Session-Expires: 1800\r\n")),
            Ask::Interval(1800)
        );
        assert_eq!(ask(&invite("x: 120;refresher=uac\r\n")), Ask::Interval(120));
        assert_eq!(ask(&invite("Session-Expires: 30\r\n")), Ask::TooSmall);
        assert!(supported(&invite("Supported: replaces, timer\r\n")));
        assert!(!supported(&invite("Supported: replaces\r\n")));
        assert_eq!(teardown_after(1800), 1768);
        assert_eq!(teardown_after(90), 60);
        assert_eq!(session_expires_value(600), "600;refresher=uac");
    }
}
