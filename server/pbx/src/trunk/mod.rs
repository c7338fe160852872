//! SIP trunks to a provider: what an admin configures (`Trunk`), which company numbers come
//! in on them (`Did`), and which dialed numbers go out through them (`OutboundRoute`).
//! Plain data shared by `store` (which keeps it) and the trunk logic (registration, health
//! checks, route choice), which stays sans-IO.

pub mod backoff;
pub mod caller_id;
pub mod health;
pub mod inbound;
pub mod provider;
pub mod registration;
pub mod routing;

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// How SIP reaches the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrunkTransport {
    Udp,
    Tcp,
    Tls,
}

impl TrunkTransport {
    pub fn as_str(self) -> &'static str {
        match self {
            TrunkTransport::Udp => "udp",
            TrunkTransport::Tcp => "tcp",
            TrunkTransport::Tls => "tls",
        }
    }

    /// 5061 for TLS, 5060 otherwise (RFC 3261 §19.1.2).
    pub fn default_port(self) -> u16 {
        match self {
            TrunkTransport::Tls => 5061,
            _ => 5060,
        }
    }
}

impl fmt::Display for TrunkTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TrunkTransport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "udp" => Ok(TrunkTransport::Udp),
            "tcp" => Ok(TrunkTransport::Tcp),
            "tls" => Ok(TrunkTransport::Tls),
            _ => Err(format!("unknown transport {s:?}: use udp, tcp or tls")),
        }
    }
}

/// Whether calls to and from the trunk use SRTP with SDES keys (RFC 4568).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SrtpPolicy {
    /// Plain RTP.
    #[default]
    Off,
    /// Offer SRTP; accept plain RTP when the provider declines.
    Offer,
    /// SRTP or no call.
    Require,
}

impl SrtpPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            SrtpPolicy::Off => "off",
            SrtpPolicy::Offer => "offer",
            SrtpPolicy::Require => "require",
        }
    }
}

impl FromStr for SrtpPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(SrtpPolicy::Off),
            "offer" => Ok(SrtpPolicy::Offer),
            "require" => Ok(SrtpPolicy::Require),
            _ => Err(format!(
                "unknown SRTP policy {s:?}: use off, offer or require"
            )),
        }
    }
}

/// An address block a provider sends from (IP-authenticated trunks): `203.0.113.0/24`, or one
/// address (`/32`, `/128` implied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let shift = 32 - u32::from(self.prefix.min(32));
                let mask = u32::MAX.checked_shl(shift).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let shift = 128 - u32::from(self.prefix.min(128));
                let mask = u128::MAX.checked_shl(shift).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            // An IPv4 peer seen as ::ffff:a.b.c.d matches its IPv4 block.
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6
                .to_ipv4_mapped()
                .is_some_and(|v4| self.contains(IpAddr::V4(v4))),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || format!("{s:?} is not an address or address/prefix");
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
        };
        Ok(Cidr { addr, prefix })
    }
}

/// Registration with the provider (trunks that authenticate by registering).
#[derive(Clone, PartialEq, Eq)]
pub struct TrunkRegistration {
    pub username: String,
    /// Needed in clear for digest; never shown after saving, never logged (`Debug` omits it).
    pub password: String,
    /// Seconds asked for in Expires.
    pub expires: u32,
}

impl fmt::Debug for TrunkRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrunkRegistration")
            .field("username", &self.username)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// A trunk as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trunk {
    pub id: i64,
    /// Unique; what routes and DIDs refer to.
    pub name: String,
    /// The provider's host name or address.
    pub host: String,
    /// None: the transport's default port.
    pub port: Option<u16>,
    pub transport: TrunkTransport,
    /// Some: we register; None: IP-authenticated (or no authentication).
    pub registration: Option<TrunkRegistration>,
    /// Source addresses accepted as this trunk (IP authentication). Empty with registration:
    /// the addresses `host` resolves to.
    pub allow: Vec<Cidr>,
    /// Codec names in order of preference: PCMU, PCMA, G722, G729.
    pub codecs: Vec<String>,
    pub srtp: SrtpPolicy,
    /// Most calls at once; None is no limit.
    pub channels: Option<u32>,
    /// Seconds between OPTIONS health checks; 0 is off.
    pub options_interval: u32,
    /// Caller ID sent when the extension has no number of its own on this trunk (the
    /// trunk's main number), e.g. `+15551230000`.
    pub caller_id: Option<String>,
    /// A PEM file of CA certificates for TLS (default: the system's roots).
    pub ca_file: Option<String>,
}

/// A company number that comes in on a trunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Did {
    /// As the provider sends it in the Request-URI or To (digits, maybe a leading +).
    pub number: String,
    pub trunk: String,
    /// Extensions rung together (one or more).
    pub to: Vec<String>,
    /// Where the call goes when nobody takes it (unregistered, busy, unanswered): an
    /// extension or an outside number (then through the outbound routes).
    pub failover: Option<String>,
}

/// Which dialed numbers leave through which trunks, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRoute {
    pub id: i64,
    /// An exact number or a pattern starting with '_' (the dial plan's syntax).
    pub pattern: String,
    /// Trunk names, tried in this order.
    pub trunks: Vec<String>,
    /// Leading digits removed before sending.
    pub strip: u32,
    /// Digits put in front after stripping.
    pub prepend: String,
    pub position: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks_contain_their_addresses() {
        let net: Cidr = "192.0.2.0/24".parse().unwrap_or(Cidr {
            addr: IpAddr::from([0, 0, 0, 0]),
            prefix: 32,
        });
        assert!(net.contains("192.0.2.77".parse().unwrap_or(net.addr)));
        assert!(!net.contains(IpAddr::from([192, 0, 3, 1])));
        assert!(net.contains("::ffff:192.0.2.9".parse().unwrap_or(net.addr)));
        let one: Result<Cidr, _> = "127.0.0.1".parse();
        assert_eq!(one.map(|c| c.prefix), Ok(32));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("example.com".parse::<Cidr>().is_err());
        let all: Result<Cidr, _> = "0.0.0.0/0".parse();
        assert!(all.is_ok_and(|c| c.contains(IpAddr::from([8, 8, 8, 8]))));
    }

    #[test]
    fn registration_debug_hides_the_password() {
        let r = TrunkRegistration {
            username: "acme".into(),
            password: "hunter2-secret".into(),
            expires: 600,
        };
        assert!(!format!("{r:?}").contains("hunter2"));
    }
}
