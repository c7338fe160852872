//! One call's media: the handle the call task holds, and the relay loop.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ::media::relay::{Kind, Relay, Side, Stats, Verdict};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::lock;
use super::socket::Pair;

/// Largest datagram relayed whole. RTP audio is far below; video fits an Ethernet MTU.
const MAX_DATAGRAM: usize = 2048;
/// Datagrams drained from one socket per wake-up, so a flood on one socket cannot starve
/// the other three.
const BURST: usize = 32;

/// The media of one call. Dropping it stops the relay and frees its ports.
pub struct CallMedia {
    ports: [u16; 2],
    relay: Arc<Mutex<Relay>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl CallMedia {
    pub(super) fn new(
        ports: [u16; 2],
        relay: Arc<Mutex<Relay>>,
        stop: oneshot::Sender<()>,
        task: JoinHandle<()>,
    ) -> CallMedia {
        CallMedia {
            ports,
            relay,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The RTP port `side`'s peer must send to (RTCP: this + 1). Put it in that leg's SDP.
    pub fn port(&self, side: Side) -> u16 {
        match side {
            Side::A => self.ports[0],
            Side::B => self.ports[1],
        }
    }

    /// After each offer/answer: where `side`'s peer wants RTP and RTCP, the payload types it
    /// may send, their clock rate. Unlatches that side (see `media::relay`).
    pub fn set_remote(
        &self,
        side: Side,
        rtp: SocketAddr,
        rtcp: SocketAddr,
        payload_types: impl AsRef<[u8]>,
        clock_rate: u32,
    ) {
        lock(&self.relay).set_remote(side, rtp, rtcp, payload_types.as_ref(), clock_rate);
    }

    pub fn stats(&self, side: Side) -> Stats {
        lock(&self.relay).stats(side)
    }

    /// The (RTP, RTCP) source addresses `side` is latched to.
    pub fn latched(&self, side: Side) -> (Option<SocketAddr>, Option<SocketAddr>) {
        lock(&self.relay).latched(side)
    }

    /// Stops the relay and returns once its sockets are closed and its ports are back in the
    /// pool. The counters stay readable until then: read them (`stats`) before closing.
    pub async fn close(mut self) {
        self.stop.take();
        if let Some(task) = self.task.take() {
            // A panicked task has dropped its sockets all the same.
            let _ = task.await;
        }
    }
}

impl Drop for CallMedia {
    fn drop(&mut self) {
        // Dropping the sender wakes the task, which ends and frees everything.
        self.stop.take();
    }
}

/// Waits on the four sockets until `stop` fires (or its sender is dropped).
pub(super) async fn relay_loop(
    relay: &Mutex<Relay>,
    a: &Pair,
    b: &Pair,
    mut stop: oneshot::Receiver<()>,
) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let ready = tokio::select! {
            biased;
            _ = &mut stop => return,
            r = a.rtp.readable() => r.map(|()| (Side::A, Kind::Rtp)),
            r = b.rtp.readable() => r.map(|()| (Side::B, Kind::Rtp)),
            r = a.rtcp.readable() => r.map(|()| (Side::A, Kind::Rtcp)),
            r = b.rtcp.readable() => r.map(|()| (Side::B, Kind::Rtcp)),
        };
        let (side, kind) = match ready {
            Ok(ready) => ready,
            Err(e) => {
                // Only when the runtime's I/O driver is gone.
                tracing::warn!(error = %e, "media socket failed; relay stops");
                return;
            }
        };
        let pair = |s: Side| if s == Side::A { a } else { b };
        let socket = pair(side).socket(kind);
        let out = pair(side.other()).socket(kind);
        for _ in 0..BURST {
            let (n, from) = match socket.try_recv_from(&mut buf) {
                Ok(got) => got,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                // ICMP errors from earlier sends (port unreachable) surface here: not ours.
                Err(_) => continue,
            };
            let Some(bytes) = buf.get(..n) else { continue };
            let verdict = lock(relay).on_packet(Instant::now(), side, kind, from, bytes);
            if let Verdict::Forward { to } = verdict
                && out.try_send_to(bytes, to).is_err()
            {
                lock(relay).send_failed(side.other(), kind);
            }
        }
    }
}
