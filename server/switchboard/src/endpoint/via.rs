//! Via handling at the receiving end (RFC 3261 §18.2.1, RFC 3581) and where a response goes
//! over UDP (RFC 3261 §18.2.2 with RFC 3581 §4).

use std::fmt::Write;
use std::net::{IpAddr, SocketAddr};

use sip::{HeaderName, Request, Via};

/// Stamps the top Via with the address the request really came from: `received` when the
/// sent-by host is not the source IP (NAT, a host name, a WebSocket client's `.invalid`
/// name), and the source port into an empty `rport`. Responses copy the Via, so the client
/// sees what we saw. Returns the updated top Via (None when it is missing or unparsable;
/// the request is then left untouched for validation to reject).
pub fn stamp(req: &mut Request, source: SocketAddr) -> Option<Via> {
    let first = req
        .headers
        .0
        .iter()
        .position(|h| h.name == HeaderName::Via)?;
    let value = &req.headers.0.get(first)?.value;
    // The usual case: the first Via field holds one via-parm, which is re-printed in place.
    let whole = !value.contains(',');
    let mut via = if whole {
        Via::parse(value).ok()?
    } else {
        Via::parse(req.headers.get_all(&HeaderName::Via).next()?).ok()?
    };
    let mut changed = false;
    if host_ip(&via.host) != Some(source.ip()) {
        via.set_param("received", Some(&source.ip().to_string()));
        changed = true;
    }
    if via.rport() == Some(None) {
        via.set_param("rport", Some(&source.port().to_string()));
        changed = true;
    }
    if !changed {
        return Some(via);
    }
    if whole {
        if let Some(field) = req.headers.0.get_mut(first) {
            field.value.clear();
            let _ = write!(field.value, "{via}");
        }
    } else {
        req.headers.remove_first_value(&HeaderName::Via);
        req.headers.push_front(HeaderName::Via, via.to_string());
    }
    Some(via)
}

/// Where a response to a UDP request goes: `received` (or the sent-by IP) and the `rport`
/// value (or the sent-by port). A sent-by host name would need RFC 3263 resolution, which a
/// stamped Via never needs: `stamp` adds `received` whenever the host is not the source IP.
pub fn udp_destination(top: Option<&Via>, source: SocketAddr) -> SocketAddr {
    let Some(via) = top else { return source };
    let ip = via
        .received()
        .and_then(host_ip)
        .or_else(|| host_ip(&via.host));
    let Some(ip) = ip else { return source };
    let port = match via.rport() {
        Some(Some(p)) => p,
        _ => via.port_or_default(),
    };
    SocketAddr::new(ip, port)
}

/// The sent-by or received host as an IP address (IPv6 with or without brackets).
fn host_ip(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(via: &str) -> Request {
        let text = format!(
            "OPTIONS sip:pbx SIP/2.0\r\nVia: {via}\r\nVia: SIP/2.0/UDP proxy.example;branch=z9hG4bKp\r\n\
Max-Forwards: 70\r\nFrom: <sip:a@pbx>;tag=1\r\nTo: <sip:pbx>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n"
        );
        match sip::parse_message(text.as_bytes()) {
            Ok(sip::Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    fn src(s: &str) -> SocketAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn rport_and_received_are_filled_in() {
        let mut req = request("SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1;rport");
        let via = stamp(&mut req, src("192.0.2.1:40000"));
        let via = via.unwrap_or_else(|| panic!("no via"));
        assert_eq!(via.received(), Some("192.0.2.1"));
        assert_eq!(via.rport(), Some(Some(40000)));
        assert_eq!(
            udp_destination(Some(&via), src("192.0.2.1:40000")),
            src("192.0.2.1:40000")
        );
        let top = req
            .headers
            .get_all(&HeaderName::Via)
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(
            top.contains("received=192.0.2.1") && top.contains("rport=40000"),
            "{top}"
        );
        assert_eq!(
            req.headers.get_all(&HeaderName::Via).count(),
            2,
            "second Via kept"
        );
    }

    #[test]
    fn same_address_gets_no_received() {
        let mut req = request("SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1");
        let via = stamp(&mut req, src("127.0.0.1:5062"));
        let via = via.unwrap_or_else(|| panic!("no via"));
        assert_eq!(via.received(), None);
        assert_eq!(via.rport(), None);
    }

    #[test]
    fn without_rport_the_sent_by_port_is_used() {
        let mut req = request("SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1");
        let via = stamp(&mut req, src("192.0.2.1:40000"));
        assert_eq!(
            udp_destination(via.as_ref(), src("192.0.2.1:40000")),
            src("192.0.2.1:5062")
        );
        let mut req = request("SIP/2.0/UDP phone.example;branch=z9hG4bK1");
        let via = stamp(&mut req, src("192.0.2.1:40000"));
        assert_eq!(
            udp_destination(via.as_ref(), src("192.0.2.1:40000")),
            src("192.0.2.1:5060")
        );
    }

    #[test]
    fn ipv6_hosts_compare_without_brackets() {
        let mut req = request("SIP/2.0/UDP [::1]:5062;branch=z9hG4bK1;rport");
        let via = stamp(&mut req, src("[::1]:5062"));
        assert_eq!(via.and_then(|v| v.received().map(str::to_owned)), None);
    }
}
