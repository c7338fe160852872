//! Binding a side's RTP/RTCP pair from the pool, and giving the ports back.

use std::net::{SocketAddr, UdpSocket as StdSocket};
use std::sync::Arc;

use ::media::relay::Kind;
use tokio::net::UdpSocket;

use super::engine::Shared;
use super::{MediaError, lock};

/// A booked RTP port; released to the pool on drop.
struct Lease {
    shared: Arc<Shared>,
    port: u16,
}

impl Drop for Lease {
    fn drop(&mut self) {
        lock(&self.shared.pool).release(self.port);
    }
}

/// One side's sockets. Field order matters: the sockets drop (close) before the lease.
pub(super) struct Pair {
    pub(super) rtp: UdpSocket,
    pub(super) rtcp: UdpSocket,
    lease: Lease,
}

impl Pair {
    pub(super) fn port(&self) -> u16 {
        self.lease.port
    }

    /// Drops whatever datagrams wait on the pair (from the call that used it before).
    pub(super) fn drain(&self) {
        let mut buf = [0u8; 64];
        for socket in [&self.rtp, &self.rtcp] {
            // Bounded: a peer flooding the port cannot keep us here.
            for _ in 0..1024 {
                match socket.try_recv_from(&mut buf) {
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    _ => {}
                }
            }
        }
    }

    pub(super) fn socket(&self, kind: Kind) -> &UdpSocket {
        match kind {
            Kind::Rtp => &self.rtp,
            Kind::Rtcp => &self.rtcp,
        }
    }
}

/// Books the next free pair and binds it; a pair the OS refuses (another program holds one
/// of the ports) is given back and the next one tried, at most once round the pool.
pub(super) fn bind_pair(shared: &Arc<Shared>) -> Result<Pair, MediaError> {
    let now = std::time::Instant::now();
    if let Some(pair) = shared.take_idle(now, false) {
        return Ok(pair);
    }
    match bind_new_pair(shared) {
        Ok(pair) => Ok(pair),
        // The range is used up (or the OS refuses more sockets): a pair that has not rested
        // its full time is better than no call.
        Err(e) => shared.take_idle(now, true).ok_or(e),
    }
}

fn bind_new_pair(shared: &Arc<Shared>) -> Result<Pair, MediaError> {
    let (first, last) = shared.range();
    let attempts = lock(&shared.pool).capacity();
    let mut refused = None;
    for _ in 0..attempts {
        let Some(port) = lock(&shared.pool).allocate() else {
            break;
        };
        let lease = Lease {
            shared: shared.clone(),
            port,
        };
        match bind(shared, port).and_then(|rtp| Ok((rtp, bind(shared, port + 1)?))) {
            Ok((rtp, rtcp)) => return Ok(Pair { rtp, rtcp, lease }),
            Err(e) => {
                tracing::debug!(port, error = %e, "RTP port pair refused, trying the next");
                refused = Some(MediaError::Bind { port, source: e });
            }
        }
    }
    Err(refused.unwrap_or(MediaError::NoPorts { first, last }))
}

fn bind(shared: &Shared, port: u16) -> std::io::Result<UdpSocket> {
    let socket = StdSocket::bind(SocketAddr::new(shared.bind_ip(), port))?;
    crate::transport::dscp::mark_or_log(&socket, shared.dscp(), "RTP");
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket)
}
