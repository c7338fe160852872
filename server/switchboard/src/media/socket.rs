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
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket)
}
