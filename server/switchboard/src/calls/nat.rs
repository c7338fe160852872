//! Which of our addresses a peer is given when the server sits behind NAT (`[media]
//! public_ip` set). Peers beyond it (trunks, and phones or browsers with a public address:
//! people working from home) must get the public address in Via, Contact and SDP. Peers on
//! the office network (private, loopback, link-local or unique-local addresses) reach the
//! server directly: given the public address, their media would have to go out to the
//! router and back in (hairpin NAT), which many routers do not do.

use std::net::IpAddr;

/// Whether `peer` is on the far side of the NAT from the server.
pub fn beyond_the_nat(peer: IpAddr) -> bool {
    match peer.to_canonical() {
        IpAddr::V4(v4) => {
            !(v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified())
        }
        IpAddr::V6(v6) => {
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_unique_local()
                || v6.is_unicast_link_local())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_addresses_are_inside_and_the_internet_beyond() {
        let inside = [
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.20",
            "127.0.0.1",
            "169.254.7.7",
            "::1",
            "fd00::5",
            "fe80::1",
            "::ffff:192.168.1.20",
        ];
        for a in inside {
            let ip: IpAddr = a.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
            assert!(!beyond_the_nat(ip), "{a}");
        }
        for a in ["203.0.113.10", "8.8.8.8", "172.32.0.1", "2001:db8::10"] {
            let ip: IpAddr = a.parse().unwrap_or(IpAddr::from([10, 0, 0, 1]));
            assert!(beyond_the_nat(ip), "{a}");
        }
    }
}
