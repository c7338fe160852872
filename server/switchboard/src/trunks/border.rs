//! What our messages toward a trunk carry, as a session border controller would shape them:
//! the configured public address as our sent-by and Contact on every request and answer of
//! the trunk's dialog (behind NAT the provider must reach that address, not the private one
//! the socket has; calls apply it through `Call::sent_by`), and only the headers a trunk
//! needs, so nothing internal (a phone's own headers, diagnostics) leaves the office.

use std::net::{IpAddr, SocketAddr};

use sip::{HeaderName, Headers};

/// The headers a request toward a trunk may carry. Beyond the obvious ones: Authorization /
/// Proxy-Authorization answer the provider's own challenge, Route follows the route set the
/// provider gave the dialog, Require goes with the options we use (RFC 3261 §8.1.1).
const TOWARD_TRUNK: &[HeaderName] = &[
    HeaderName::Via,
    HeaderName::MaxForwards,
    HeaderName::Route,
    HeaderName::From,
    HeaderName::To,
    HeaderName::CallId,
    HeaderName::CSeq,
    HeaderName::Contact,
    HeaderName::ContentType,
    HeaderName::ContentLength,
    HeaderName::Allow,
    HeaderName::Supported,
    HeaderName::Require,
    HeaderName::PAssertedIdentity,
    HeaderName::Privacy,
    HeaderName::SessionExpires,
    HeaderName::MinSe,
    HeaderName::UserAgent,
    HeaderName::Authorization,
    HeaderName::ProxyAuthorization,
];

/// Whether a header may go to a trunk.
pub fn allowed_toward_trunk(name: &HeaderName) -> bool {
    TOWARD_TRUNK.contains(name)
}

/// Removes every header a trunk does not need (all values of each).
pub fn normalize_toward_trunk(headers: &mut Headers) {
    let mut strip: Vec<HeaderName> = Vec::new();
    for h in headers.iter() {
        if !allowed_toward_trunk(&h.name) && !strip.contains(&h.name) {
            strip.push(h.name.clone());
        }
    }
    for name in &strip {
        headers.remove(name);
    }
}

/// Our Via sent-by toward a trunk ("SIP/2.0/UDP 10.0.0.5:5060") with the configured public
/// address in place of the local one, the port kept (the NAT forwards it). Unchanged without
/// a public address or when the text is not a sent-by with an address and port.
pub fn public_sent_by(sent_by: &str, public_ip: Option<IpAddr>) -> String {
    let Some(ip) = public_ip else {
        return sent_by.to_owned();
    };
    let Some((protocol, hostport)) = sent_by.split_once(' ') else {
        return sent_by.to_owned();
    };
    match hostport.trim().parse::<SocketAddr>() {
        Ok(local) => format!("{protocol} {}", SocketAddr::new(ip, local.port())),
        Err(_) => sent_by.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_address_replaces_the_local_one() {
        let public = Some(IpAddr::from([203, 0, 113, 10]));
        assert_eq!(
            public_sent_by("SIP/2.0/UDP 10.0.0.5:5060", public),
            "SIP/2.0/UDP 203.0.113.10:5060"
        );
        assert_eq!(
            public_sent_by("SIP/2.0/TLS [fd00::5]:5061", public),
            "SIP/2.0/TLS 203.0.113.10:5061"
        );
        let v6 = Some(IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]));
        assert_eq!(
            public_sent_by("SIP/2.0/UDP 10.0.0.5:5060", v6),
            "SIP/2.0/UDP [2001:db8::1]:5060"
        );
        assert_eq!(
            public_sent_by("SIP/2.0/UDP 10.0.0.5:5060", None),
            "SIP/2.0/UDP 10.0.0.5:5060"
        );
        assert_eq!(public_sent_by("garbage", public), "garbage");
    }

    #[test]
    fn only_the_needed_headers_remain() {
        let mut h = Headers::new();
        h.push(
            HeaderName::Via,
            "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx",
        );
        h.push(HeaderName::Other("X-Internal-Extension".into()), "1001");
        h.push(HeaderName::From, "<sip:+12125550100@p>;tag=a");
        h.push(HeaderName::RecordRoute, "<sip:10.0.0.1;lr>");
        h.push(HeaderName::Other("X-Internal-Extension".into()), "1002");
        h.push(HeaderName::PAssertedIdentity, "<sip:+12125550100@p>");
        h.push(HeaderName::PPreferredIdentity, "<sip:1001@office>");
        h.push(HeaderName::Server, "Switchboard");
        normalize_toward_trunk(&mut h);
        let names: Vec<HeaderName> = h.iter().map(|h| h.name.clone()).collect();
        assert_eq!(
            names,
            vec![
                HeaderName::Via,
                HeaderName::From,
                HeaderName::PAssertedIdentity
            ]
        );
    }
}
