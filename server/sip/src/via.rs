//! The Via header (RFC 3261 §20.42, §18.2.1; `rport` of RFC 3581).

use std::fmt;

use crate::ParseError;
use crate::scan::{Cursor, find_param, is_token, set_param, write_params};
use crate::uri_parse::parse_hostport;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Transport token in upper case (`UDP`, `TCP`, `TLS`, `WS`, `WSS`, `SCTP`, or any other).
    pub transport: String,
    /// Host as written in the sent-by (an IPv6 address keeps its brackets).
    pub host: String,
    pub port: Option<u16>,
    /// Parameters as received; values keep their quotes when quoted.
    pub params: Vec<(String, Option<String>)>,
}

fn bad(reason: &'static str) -> ParseError {
    ParseError::header("Via", reason)
}

impl Via {
    /// A Via for a request we send: `SIP/2.0/<transport> host[:port];branch=<branch>`.
    pub fn new(transport: &str, host: &str, port: Option<u16>, branch: &str) -> Via {
        Via {
            transport: transport.to_ascii_uppercase(),
            host: host.to_owned(),
            port,
            params: vec![("branch".to_owned(), Some(branch.to_owned()))],
        }
    }

    /// Parse one via-parm (one element of a Via list). LWS is allowed around `/`, `;`, `=`
    /// and between protocol and sent-by (RFC 4475 wsinv).
    pub fn parse(s: &str) -> Result<Via, ParseError> {
        let mut c = Cursor::new(s);
        c.skip_ws();
        let name = c.token().ok_or_else(|| bad("no protocol name"))?;
        c.skip_ws();
        if !c.eat(b'/') {
            return Err(bad("expected '/'"));
        }
        c.skip_ws();
        let version = c.token().ok_or_else(|| bad("no protocol version"))?;
        c.skip_ws();
        if !c.eat(b'/') {
            return Err(bad("expected '/'"));
        }
        c.skip_ws();
        let transport = c.token().ok_or_else(|| bad("no transport"))?;
        if !name.eq_ignore_ascii_case("SIP") || version != "2.0" {
            return Err(bad("not SIP/2.0"));
        }
        if !c.skip_ws() {
            return Err(bad("no space before sent-by"));
        }
        let hostport = c.take_while(|b| is_token(b) || b == b':' || b == b'[' || b == b']');
        // "host : port" with LWS around the colon is allowed by HCOLON-like SWS rules.
        let hostport_owned;
        let hostport = {
            let save = c.pos;
            c.skip_ws();
            if c.eat(b':') && !hostport.contains(':') {
                c.skip_ws();
                let port = c.take_while(|b| b.is_ascii_digit());
                hostport_owned = format!("{hostport}:{port}");
                hostport_owned.as_str()
            } else {
                c.pos = save;
                hostport
            }
        };
        if hostport.is_empty() {
            return Err(bad("no sent-by"));
        }
        let (_host, port) = parse_hostport(hostport).map_err(|_| bad("bad sent-by"))?;
        let params = c.params().map_err(bad)?;
        // Keep the host text as written (IPv6 with brackets, names as cased by the sender).
        let host_text = match (port, hostport.rfind(':')) {
            (Some(_), Some(i)) => hostport.get(..i).unwrap_or("").to_owned(),
            _ => hostport.to_owned(),
        };
        Ok(Via {
            transport: transport.to_ascii_uppercase(),
            host: host_text,
            port,
            params,
        })
    }

    /// A parameter by name (case-insensitive); valueless ones give `Some("")`.
    pub fn param(&self, name: &str) -> Option<&str> {
        find_param(&self.params, name)
    }

    pub fn branch(&self) -> Option<&str> {
        self.param("branch").filter(|b| !b.is_empty())
    }

    pub fn received(&self) -> Option<&str> {
        self.param("received").filter(|r| !r.is_empty())
    }

    /// RFC 3581: `Some(None)` when `rport` is present without a value (a request asking for
    /// it), `Some(Some(port))` once filled in. An unparsable value counts as absent value.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.param("rport").map(|v| v.parse().ok())
    }

    pub fn set_param(&mut self, name: &str, value: Option<&str>) {
        set_param(&mut self.params, name, value)
    }

    pub fn remove_param(&mut self, name: &str) {
        self.params.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// The sent-by port, or the default of RFC 3261 §18.2.2: 5061 for TLS, 5060 otherwise.
    pub fn port_or_default(&self) -> u16 {
        self.port
            .unwrap_or(if self.transport == "TLS" { 5061 } else { 5060 })
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Plain write_str calls: this runs for every request received (Via stamping), and
        // `write!` with format arguments costs several times more.
        f.write_str("SIP/2.0/")?;
        f.write_str(&self.transport)?;
        f.write_str(" ")?;
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            f.write_str(":")?;
            crate::scan::write_u16(f, p)?;
        }
        write_params(f, &self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        let v = Via::parse(
            "SIP  /   2.0 /udp    192.0.2.2:5070 ;branch = z9hG4bK1;rport;received=192.0.2.9",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.host, "192.0.2.2");
        assert_eq!(v.port, Some(5070));
        assert_eq!(v.branch(), Some("z9hG4bK1"));
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.received(), Some("192.0.2.9"));
        assert_eq!(
            v.to_string(),
            "SIP/2.0/UDP 192.0.2.2:5070;branch=z9hG4bK1;rport;received=192.0.2.9"
        );
        let mut v = v;
        v.set_param("rport", Some("5999"));
        assert_eq!(v.rport(), Some(Some(5999)));
    }

    #[test]
    fn ipv6_and_no_port() {
        let v = Via::parse("SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bKx")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.host, "[2001:db8::9]");
        assert_eq!(v.port, Some(5061));
        let v = Via::parse("SIP/2.0/WSS [2001:db8::9];branch=z9hG4bKx")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.host, "[2001:db8::9]");
        assert_eq!(v.port, None);
        let v = Via::parse("SIP/2.0/UDP Host.Example.com").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.host, "Host.Example.com");
        assert_eq!(v.branch(), None);
    }

    #[test]
    fn rejects() {
        for bad in [
            "SIP/2.0/UDP 192.0.2.15;;",
            ";",
            "SIP/7.0/UDP h",
            "SIP/2.0/UDP",
            "SIP/2.0/UDPh",
            "SIP/2.0/UDP h:99999",
            "SIP/2.0/UDP h x",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad}");
        }
    }
}
