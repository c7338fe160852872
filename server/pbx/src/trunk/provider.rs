//! Turning what an admin typed about a provider (host, port, transport, user name) into SIP
//! URIs, shared by registration, health checks and the call legs toward the trunk.

use std::net::IpAddr;

use sip::{Host, SipUri};

use super::{Trunk, TrunkTransport};

/// Why a trunk's configuration cannot be turned into requests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrunkConfigError {
    #[error("{0:?} is not a host name or address")]
    BadHost(String),
    #[error("trunk {0:?} does not register")]
    NoRegistration(String),
    #[error("contact {0:?} is not a SIP name-addr")]
    BadContact(String),
}

/// Parses the provider's host as typed: a name, an IPv4 address, an IPv6 address with or
/// without brackets, or (liberally) `name:port` when no port was given separately. Returns
/// the host and the port found in the text, if any.
pub fn parse_host(text: &str) -> Result<(Host, Option<u16>), TrunkConfigError> {
    let text = text.trim();
    let bad = || TrunkConfigError::BadHost(text.to_owned());
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok((ip_host(ip), None));
    }
    if let Ok(host) = Host::parse(text) {
        return Ok((host, None));
    }
    // `host:port` or `[v6]:port`: the port is the part after the last colon.
    let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
    let port = port.parse::<u16>().map_err(|_| bad())?;
    let host = Host::parse(host).map_err(|_| bad())?;
    Ok((host, Some(port)))
}

fn ip_host(ip: IpAddr) -> Host {
    match ip {
        IpAddr::V4(v4) => Host::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Host::V4(v4),
            None => Host::V6(v6),
        },
    }
}

/// The address the host names directly, when it is an IP literal (no DNS needed).
pub fn host_ip(text: &str) -> Option<IpAddr> {
    match parse_host(text).ok()?.0 {
        Host::V4(a) => Some(IpAddr::V4(a)),
        Host::V6(a) => Some(IpAddr::V6(a)),
        Host::Name(_) => None,
    }
}

/// `sip:host[:port][;transport=tcp|tls]`: where requests to the provider go. The port is
/// written only when it is not the transport's default; UDP needs no transport parameter.
pub fn provider_uri(
    host: &str,
    port: Option<u16>,
    transport: TrunkTransport,
) -> Result<SipUri, TrunkConfigError> {
    let (host, port_in_host) = parse_host(host)?;
    let mut uri = SipUri::new(host);
    uri.port = port
        .or(port_in_host)
        .filter(|p| *p != transport.default_port());
    if transport != TrunkTransport::Udp {
        uri.set_param("transport", Some(transport.as_str()));
    }
    Ok(uri)
}

/// The provider URI of a configured trunk.
pub fn trunk_uri(trunk: &Trunk) -> Result<SipUri, TrunkConfigError> {
    provider_uri(&trunk.host, trunk.port, trunk.transport)
}

/// `sip:user@host` (no port, no parameters): an address-of-record at the provider.
pub fn user_uri(user: &str, host: &str) -> Result<SipUri, TrunkConfigError> {
    let (host, _) = parse_host(host)?;
    let mut uri = SipUri::new(host);
    uri.user = Some(escape_user(user));
    Ok(uri)
}

/// Escapes a user name for the user part of a SIP URI (RFC 3261 §25.1 `user`): unreserved
/// characters and `&=+$,` stay, everything else becomes `%HH`, so a name with `@`, `:`,
/// spaces or `;` can neither break the URI nor smuggle in user parameters.
pub fn escape_user(user: &str) -> String {
    let mut out = String::with_capacity(user.len());
    for b in user.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_as_admins_type_them() {
        let host = |s: &str| parse_host(s).map(|(h, p)| (h.to_string(), p));
        assert_eq!(
            host("sip.example.net"),
            Ok(("sip.example.net".into(), None))
        );
        assert_eq!(host("192.0.2.7"), Ok(("192.0.2.7".into(), None)));
        assert_eq!(host("2001:db8::1"), Ok(("[2001:db8::1]".into(), None)));
        assert_eq!(host("[2001:db8::1]"), Ok(("[2001:db8::1]".into(), None)));
        assert_eq!(
            host("[2001:db8::1]:5080"),
            Ok(("[2001:db8::1]".into(), Some(5080)))
        );
        assert_eq!(
            host("sip.example.net:5080"),
            Ok(("sip.example.net".into(), Some(5080)))
        );
        assert!(host("bad host").is_err());
        assert!(host("").is_err());
        assert!(host("a.example:99999").is_err());
        assert_eq!(
            host_ip("::ffff:192.0.2.1"),
            Some(IpAddr::from([192, 0, 2, 1]))
        );
        assert_eq!(host_ip("sip.example.net"), None);
    }

    #[test]
    fn provider_uris_omit_defaults() {
        let uri = |h, p, t| provider_uri(h, p, t).map(|u| u.to_string());
        assert_eq!(
            uri("sip.example.net", None, TrunkTransport::Udp),
            Ok("sip:sip.example.net".into())
        );
        assert_eq!(
            uri("sip.example.net", Some(5060), TrunkTransport::Udp),
            Ok("sip:sip.example.net".into())
        );
        assert_eq!(
            uri("sip.example.net", Some(5080), TrunkTransport::Tcp),
            Ok("sip:sip.example.net:5080;transport=tcp".into())
        );
        assert_eq!(
            uri("sip.example.net", Some(5061), TrunkTransport::Tls),
            Ok("sip:sip.example.net;transport=tls".into())
        );
        assert_eq!(
            uri("sip.example.net:5070", None, TrunkTransport::Udp),
            Ok("sip:sip.example.net:5070".into())
        );
    }

    #[test]
    fn user_names_are_escaped() {
        assert_eq!(escape_user("acme-1_x.y"), "acme-1_x.y");
        assert_eq!(escape_user("a@b c:d>"), "a%40b%20c%3Ad%3E");
        let uri = user_uri("a@b", "sip.example.net").map(|u| u.to_string());
        assert_eq!(uri, Ok("sip:a%40b@sip.example.net".into()));
        assert!(sip::Uri::parse("sip:a%40b%20c%3Ad%3E@h").is_ok());
    }
}
