//! DiffServ marking (RFC 2474): the code point goes into the upper six bits of the IPv4 TOS
//! byte / IPv6 traffic class of every packet a socket sends, so that networks honouring it
//! queue voice (EF, 46) ahead of everything and signalling (CS3, 24) ahead of bulk traffic
//! (RFC 4594). Marking is best effort: a socket that refuses the option still carries calls,
//! so callers log the refusal and go on.

use std::io;
use std::os::fd::AsFd;

use socket2::SockRef;

/// The TOS / traffic class byte for a code point (the two ECN bits left clear).
pub fn tos(dscp: u8) -> u32 {
    u32::from(dscp & 0x3f) << 2
}

/// Marks `socket` (UDP, a TCP listener, an accepted or connected TCP stream). An IPv6 socket
/// gets IPV6_TCLASS, and IP_TOS too for the IPv4-mapped peers of a dual-stack socket (Linux
/// honours it there; where refused it does not matter).
pub fn mark<S: AsFd>(socket: &S, dscp: u8) -> io::Result<()> {
    let sock = SockRef::from(socket);
    let v6 = sock.local_addr()?.as_socket().is_some_and(|a| a.is_ipv6());
    if v6 {
        sock.set_tclass_v6(tos(dscp))?;
        let _ = sock.set_tos_v4(tos(dscp));
        Ok(())
    } else {
        sock.set_tos_v4(tos(dscp))
    }
}

/// `mark`, logging a refusal instead of failing (`what`: which socket, for the log).
pub fn mark_or_log<S: AsFd>(socket: &S, dscp: u8, what: &str) {
    if let Err(e) = mark(socket, dscp) {
        tracing::debug!("{what}: cannot set DSCP {dscp}: {e}");
    }
}

/// The TOS / traffic class byte a socket carries now (what `mark` set), read back with
/// getsockopt.
pub fn current<S: AsFd>(socket: &S) -> io::Result<u32> {
    let sock = SockRef::from(socket);
    if sock.local_addr()?.as_socket().is_some_and(|a| a.is_ipv6()) {
        sock.tclass_v6()
    } else {
        sock.tos_v4()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tos_byte_is_the_code_point_shifted_past_ecn() {
        assert_eq!(tos(46), 0xb8);
        assert_eq!(tos(24), 0x60);
        assert_eq!(tos(0), 0);
        assert_eq!(tos(0xff), 0xfc, "only six bits");
    }

    #[test]
    fn udp_sockets_are_marked_v4_and_v6() -> io::Result<()> {
        let v4 = std::net::UdpSocket::bind("127.0.0.1:0")?;
        mark(&v4, 46)?;
        assert_eq!(current(&v4)?, 0xb8);
        assert_eq!(SockRef::from(&v4).tos_v4()?, 0xb8, "IP_TOS read back");
        // Not every machine has IPv6 on loopback.
        if let Ok(v6) = std::net::UdpSocket::bind("[::1]:0") {
            mark(&v6, 24)?;
            assert_eq!(
                SockRef::from(&v6).tclass_v6()?,
                0x60,
                "IPV6_TCLASS read back"
            );
        }
        Ok(())
    }

    #[tokio::test]
    async fn tcp_streams_are_marked_on_both_ends() -> io::Result<()> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let client = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
        let (accepted, _) = listener.accept().await?;
        mark(&accepted, 24)?;
        mark(&client, 26)?;
        assert_eq!(current(&accepted)?, 0x60);
        assert_eq!(current(&client)?, 0x68);
        Ok(())
    }
}
