//! SDP (RFC 8866) for the SIP legs: our own small parser and printer.
//!
//! Liberal in what we accept: LF-only line ends, a missing `s=`, blank lines, trailing
//! whitespace, lines we do not know (kept verbatim, in order). Exact in what we send: `v=`,
//! `o=`, `s=`, then the other lines in RFC 8866 order, every line ending in CRLF.

mod anchor;
mod error;
mod media;
mod parse;
mod print;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_anchor;

pub use anchor::Anchor;
pub use error::SdpError;
pub use media::Direction;

use std::net::IpAddr;

/// An attribute line `a=name` or `a=name:value`, as the contract names it.
pub type Attribute = (String, Option<String>);

/// A parsed session description. Printing it (`Display`) gives the SDP body back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    pub origin: Origin,
    /// `s=`; "-" when the peer sent none (it is mandatory, so we always print one).
    pub session_name: String,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// Session-level lines other than v/o/s/c/a/m (`t=`, `b=`, `i=`, unknown ones), in order.
    pub lines: Vec<Line>,
    /// Session-level attributes, in order.
    pub attributes: Vec<Attribute>,
    pub media: Vec<MediaDescription>,
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>`.
/// Id and version are kept as text: we never do arithmetic on a peer's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    pub session_id: String,
    pub version: String,
    pub net_type: String,
    pub addr_type: String,
    pub address: String,
}

/// `c=<nettype> <addrtype> <address>` (address may carry `/ttl` for multicast).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub net_type: String,
    pub addr_type: String,
    pub address: String,
}

impl Connection {
    /// A `c=IN IP4|IP6 <ip>` line for one of our addresses.
    pub fn for_ip(ip: IpAddr) -> Connection {
        Connection {
            net_type: "IN".to_string(),
            addr_type: if ip.is_ipv4() { "IP4" } else { "IP6" }.to_string(),
            address: ip.to_string(),
        }
    }

    /// The address as an IP (None for a host name); a multicast `/ttl` suffix is ignored.
    pub fn ip(&self) -> Option<IpAddr> {
        let addr = self.address.split('/').next().unwrap_or_default();
        addr.parse().ok()
    }

    /// `0.0.0.0` (or `::`): RFC 2543 hold, or an ICE offer's placeholder.
    pub fn is_unspecified(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }
}

/// A line kept as it came: its type letter and everything after the `=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: char,
    pub value: String,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// `audio`, `video`, `application`, `image`, ...
    pub kind: String,
    /// 0 = a rejected or disabled stream.
    pub port: u16,
    /// The `/<number of ports>` suffix, rarely used.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, `udptl`, ...
    pub proto: String,
    /// Payload type numbers for RTP (as text: other protos use names).
    pub formats: Vec<String>,
    pub connection: Option<Connection>,
    /// Media-level lines other than c/a (`i=`, `b=`, `k=`, unknown ones), in order.
    pub lines: Vec<Line>,
    pub attributes: Vec<Attribute>,
}
