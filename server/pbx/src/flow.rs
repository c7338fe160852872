//! Where a request came from, so that requests for a registered contact can go back over the
//! same connection (RFC 5626 flows): a phone behind NAT, or a browser on a WebSocket, is
//! reachable only over the connection it opened.

use std::fmt;
use std::net::SocketAddr;

/// The transport a flow runs over. The names are the Via transport tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
    Ws,
    Wss,
}

impl Transport {
    /// The Via transport token (RFC 3261 §20.42, RFC 7118 §5.1).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
        }
    }

    /// Parses a Via transport token; tokens are case-insensitive.
    pub fn parse(token: &str) -> Option<Transport> {
        [
            Transport::Udp,
            Transport::Tcp,
            Transport::Tls,
            Transport::Ws,
            Transport::Wss,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(token))
    }

    /// Reliable transports need no retransmissions (RFC 3261 §17: Timer A/E are not used).
    pub fn is_reliable(self) -> bool {
        !matches!(self, Transport::Udp)
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One flow: the transport, the peer's address as seen by us (after NAT), the local
/// listener it arrived on, and for connection-oriented transports the transport driver's id
/// of the connection. Connection ids mean something only to the process that made them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Flow {
    pub transport: Transport,
    pub remote: SocketAddr,
    pub local: SocketAddr,
    pub connection: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_case_insensitively() {
        for t in [
            Transport::Udp,
            Transport::Tcp,
            Transport::Tls,
            Transport::Ws,
            Transport::Wss,
        ] {
            assert_eq!(Transport::parse(t.as_str()), Some(t));
            assert_eq!(Transport::parse(&t.as_str().to_lowercase()), Some(t));
        }
        assert_eq!(Transport::parse("SCTP"), None);
        assert!(!Transport::Udp.is_reliable());
        assert!(Transport::Wss.is_reliable());
    }
}
