//! When a datagram reached our socket, as the kernel stamped it (SO_TIMESTAMPNS), rather
//! than when the generator's one thread got round to reading it: with hundreds of calls on
//! one thread that wait is most of what a user-space clock would measure.
//!
//! The kernel stamps with the wall clock (CLOCK_REALTIME); the stamp is turned into an
//! `Instant` by its age, read from both clocks right after the datagram is taken.

use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, setsockopt, sockopt,
};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// One datagram taken from a socket.
pub struct Received {
    pub len: usize,
    pub from: SocketAddr,
    /// When the kernel queued it on the socket (`read` when the kernel gave no stamp).
    pub arrived: Instant,
    /// When the generator read it.
    pub read: Instant,
}

/// Asks the kernel to stamp every datagram this socket receives.
pub fn enable(sock: &UdpSocket) -> io::Result<()> {
    setsockopt(sock, sockopt::ReceiveTimestampns, &true).map_err(io::Error::from)
}

/// `UdpSocket::recv_from` with the kernel's arrival time.
pub async fn recv_from(sock: &UdpSocket, buf: &mut [u8]) -> io::Result<Received> {
    sock.async_io(Interest::READABLE, || recv_now(sock, buf))
        .await
}

fn recv_now(sock: &UdpSocket, buf: &mut [u8]) -> io::Result<Received> {
    // a cmsghdr (16 bytes) and a timespec (16 bytes), with room to spare
    let mut control = [0u8; 64];
    let mut iov = [IoSliceMut::new(buf)];
    let msg = recvmsg::<SockaddrStorage>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut control),
        MsgFlags::MSG_DONTWAIT,
    )
    .map_err(io::Error::from)?;
    let read = Instant::now();
    let wall = SystemTime::now();
    let stamp = msg.cmsgs().ok().and_then(|mut cmsgs| {
        cmsgs.find_map(|c| match c {
            ControlMessageOwned::ScmTimestampns(ts) => Some(ts),
            _ => None,
        })
    });
    let arrived = stamp
        .and_then(|ts| {
            let secs = u64::try_from(ts.tv_sec()).ok()?;
            let nanos = u32::try_from(ts.tv_nsec()).ok()?;
            let at = UNIX_EPOCH + Duration::new(secs, nanos);
            // a stamp "from the future" (the wall clock stepped) counts as read now
            let age = wall.duration_since(at).unwrap_or(Duration::ZERO);
            read.checked_sub(age)
        })
        .unwrap_or(read);
    let from = msg
        .address
        .as_ref()
        .and_then(socket_addr)
        .ok_or_else(|| io::Error::other("datagram without a sender address"))?;
    Ok(Received {
        len: msg.bytes,
        from,
        arrived,
        read,
    })
}

fn socket_addr(a: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::V4((*v4).into()));
    }
    a.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stamps_a_datagram_before_it_is_read() -> io::Result<()> {
        let rx = UdpSocket::bind("127.0.0.1:0").await?;
        enable(&rx)?;
        let tx = UdpSocket::bind("127.0.0.1:0").await?;
        let sent = Instant::now();
        tx.send_to(b"hello", rx.local_addr()?).await?;
        std::thread::sleep(Duration::from_millis(30));
        let mut buf = [0u8; 16];
        let r = recv_from(&rx, &mut buf).await?;
        assert_eq!(buf.get(..r.len), Some(&b"hello"[..]));
        assert_eq!(r.from, tx.local_addr()?);
        // stamped on arrival, well before the read 30 ms later (no timing bound asserted
        // beyond the order of the three events)
        assert!(r.arrived >= sent.checked_sub(Duration::from_millis(1)).unwrap_or(sent));
        assert!(r.arrived < r.read);
        Ok(())
    }
}
