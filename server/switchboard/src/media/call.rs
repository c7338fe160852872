//! One call's media: the handle the call task holds, and the loop of its media task.

use std::cell::RefCell;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ::media::bridge::{Bridge, BridgeEvent, PathKind};
use ::media::codec::EncoderOptions;
use ::media::dtmf::{DtmfTranslator, parse_event};
use ::media::relay::{Kind, Relay, Side, Stats, Verdict};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use super::lock;
use super::socket::Pair;

/// Largest datagram handled whole. RTP audio is far below; video fits an Ethernet MTU.
const MAX_DATAGRAM: usize = 2048;
/// Datagrams drained from one socket per wake-up, so a flood on one socket cannot starve
/// the other three.
const BURST: usize = 32;

thread_local! {
    /// Where datagrams are read into: one buffer per runtime thread, not one per call, as
    /// a burst is handled whole (no await) before the task yields.
    static RECEIVE_BUFFER: RefCell<Vec<u8>> = RefCell::new(vec![0u8; MAX_DATAGRAM]);
}

/// The bridge's events as they travel to the call task: boxed, because the channel
/// allocates its slots 32 at a time for the whole call, and most calls send none.
pub type MediaEvents = UnboundedReceiver<Box<BridgeEvent>>;

/// What carries a call's media: the anchored relay (both legs RTP with one codec: packets
/// pass untouched) until the call installs a bridge (WebRTC, SRTP or transcoding).
pub(super) struct Plane {
    relay: Relay,
    bridge: Option<Bridge>,
    /// The address a WebRTC leg's ICE candidate names, per side (our public address and the
    /// side's port): str0m matches incoming datagrams to it.
    candidates: [Option<SocketAddr>; 2],
    /// Relayed calls: each side's telephone-event payload type, and the digits seen in it
    /// (the bridge does this itself), so the PBX core hears key presses either way.
    event_pts: [Option<u8>; 2],
    digits: [DtmfTranslator; 2],
}

impl Plane {
    pub(super) fn new() -> Plane {
        Plane {
            relay: Relay::new(),
            bridge: None,
            candidates: [None, None],
            event_pts: [None, None],
            digits: [
                DtmfTranslator::new(8000, 8000),
                DtmfTranslator::new(8000, 8000),
            ],
        }
    }

    /// A digit pressed, if `bytes` (relayed from `side`) ends an RFC 4733 event.
    fn relayed_digit(&mut self, side: Side, bytes: &[u8]) -> Option<BridgeEvent> {
        let i = if side == Side::A { 0 } else { 1 };
        let pt = (*self.event_pts.get(i)?)?;
        let header = ::media::rtp::parse(bytes).ok()?;
        if header.payload_type != pt {
            return None;
        }
        let end = header.payload_offset.checked_add(header.payload_len)?;
        let event = parse_event(bytes.get(header.payload_offset..end)?)?;
        let digit = self
            .digits
            .get_mut(i)?
            .translate(header.timestamp, &event)?
            .digit_done?;
        Some(BridgeEvent::Digit { side, digit })
    }
}

/// The media of one call. Dropping it stops the media task and frees its ports.
pub struct CallMedia {
    ports: [u16; 2],
    plane: Arc<Mutex<Plane>>,
    wake: Arc<Notify>,
    events: Option<MediaEvents>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// The media task's half of a call.
pub(super) struct TaskSide {
    pub plane: Arc<Mutex<Plane>>,
    pub wake: Arc<Notify>,
    pub events: UnboundedSender<Box<BridgeEvent>>,
}

impl CallMedia {
    pub(super) fn new(
        ports: [u16; 2],
        plane: Arc<Mutex<Plane>>,
        wake: Arc<Notify>,
        events: MediaEvents,
        stop: oneshot::Sender<()>,
        task: JoinHandle<()>,
    ) -> CallMedia {
        CallMedia {
            ports,
            plane,
            wake,
            events: Some(events),
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

    /// After each offer/answer of a relayed call: where `side`'s peer wants RTP and RTCP,
    /// the payload types it may send, their clock rate. Unlatches that side (see
    /// `media::relay`).
    pub fn set_remote(
        &self,
        side: Side,
        rtp: SocketAddr,
        rtcp: SocketAddr,
        payload_types: impl AsRef<[u8]>,
        clock_rate: u32,
    ) {
        lock(&self.plane)
            .relay
            .set_remote(side, rtp, rtcp, payload_types.as_ref(), clock_rate);
    }

    /// The telephone-event payload type `side` sends in a relayed call (digits are then
    /// reported like the bridge's).
    pub fn set_event_pt(&self, side: Side, pt: Option<u8>) {
        let i = if side == Side::A { 0 } else { 1 };
        if let Some(slot) = lock(&self.plane).event_pts.get_mut(i) {
            *slot = pt;
        }
    }

    /// Runs `f` on the call's bridge, creating it (and leaving the relay) the first time.
    /// The media task is woken afterwards to send what `f` queued and rearm its timer.
    pub fn with_bridge<R>(&self, f: impl FnOnce(&mut Bridge) -> R) -> R {
        let result = {
            let mut plane = lock(&self.plane);
            let bridge = plane
                .bridge
                .get_or_insert_with(|| Bridge::new(EncoderOptions::default()));
            f(bridge)
        };
        self.wake.notify_one();
        result
    }

    /// Records the ICE candidate address a WebRTC leg on `side` was given.
    pub fn set_candidate(&self, side: Side, candidate: SocketAddr) {
        let i = if side == Side::A { 0 } else { 1 };
        if let Some(slot) = lock(&self.plane).candidates.get_mut(i) {
            *slot = Some(candidate);
        }
    }

    pub fn is_bridged(&self) -> bool {
        lock(&self.plane).bridge.is_some()
    }

    /// How audio from `from` reaches the other side when bridged.
    pub fn path_kind(&self, from: Side) -> Option<PathKind> {
        lock(&self.plane)
            .bridge
            .as_ref()
            .and_then(|b| b.path_kind(from))
    }

    /// The bridge's events (digits, a failed WebRTC leg); taken once by the call task.
    pub fn take_events(&mut self) -> Option<MediaEvents> {
        self.events.take()
    }

    pub fn stats(&self, side: Side) -> Stats {
        let plane = lock(&self.plane);
        match &plane.bridge {
            Some(b) => b.stats(side),
            None => plane.relay.stats(side),
        }
    }

    /// The (RTP, RTCP) source addresses `side` is latched to.
    pub fn latched(&self, side: Side) -> (Option<SocketAddr>, Option<SocketAddr>) {
        let plane = lock(&self.plane);
        match &plane.bridge {
            Some(b) => b.latched(side),
            None => plane.relay.latched(side),
        }
    }

    /// Stops the media and returns once its sockets are closed and its ports are back in
    /// the pool. The counters stay readable until then: read them (`stats`) before closing.
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

/// Waits on the four sockets, the bridge's timer and wake-ups until `stop` fires (or its
/// sender is dropped).
pub(super) async fn media_loop(
    shared: &TaskSide,
    a: &Pair,
    b: &Pair,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        let deadline = lock(&shared.plane)
            .bridge
            .as_ref()
            .and_then(Bridge::poll_timeout);
        let timer = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        let ready = tokio::select! {
            biased;
            _ = &mut stop => return,
            () = shared.wake.notified() => None,
            () = timer => {
                if let Some(bridge) = lock(&shared.plane).bridge.as_mut() {
                    bridge.handle_timeout(Instant::now());
                }
                None
            }
            r = a.rtp.readable() => Some(r.map(|()| (Side::A, Kind::Rtp))),
            r = b.rtp.readable() => Some(r.map(|()| (Side::B, Kind::Rtp))),
            r = a.rtcp.readable() => Some(r.map(|()| (Side::A, Kind::Rtcp))),
            r = b.rtcp.readable() => Some(r.map(|()| (Side::B, Kind::Rtcp))),
        };
        let pair = |s: Side| if s == Side::A { a } else { b };
        if let Some(ready) = ready {
            let (side, kind) = match ready {
                Ok(ready) => ready,
                Err(e) => {
                    // Only when the runtime's I/O driver is gone.
                    tracing::warn!(error = %e, "media socket failed; media stops");
                    return;
                }
            };
            RECEIVE_BUFFER.with(|buf| match buf.try_borrow_mut() {
                Ok(mut buf) => {
                    receive_burst(shared, pair(side), pair(side.other()), side, kind, &mut buf);
                }
                // Only if a burst were ever handled inside another on this thread.
                Err(_) => {
                    let mut buf = vec![0u8; MAX_DATAGRAM];
                    receive_burst(shared, pair(side), pair(side.other()), side, kind, &mut buf);
                }
            });
        }
        flush(shared, a, b);
    }
}

fn receive_burst(
    shared: &TaskSide,
    here: &Pair,
    there: &Pair,
    side: Side,
    kind: Kind,
    buf: &mut [u8],
) {
    let socket = here.socket(kind);
    let out = there.socket(kind);
    // Only a WebRTC leg looks at the local address, and it has a candidate: no system call
    // (getsockname) on every wake-up for the others.
    let port = here.port() + u16::from(kind == Kind::Rtcp);
    let unspecified = SocketAddr::from(([0, 0, 0, 0], port));
    for _ in 0..BURST {
        let (n, from) = match socket.try_recv_from(buf) {
            Ok(got) => got,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            // ICMP errors from earlier sends (port unreachable) surface here: not ours.
            Err(_) => continue,
        };
        let Some(bytes) = buf.get(..n) else { continue };
        let now = Instant::now();
        let mut plane = lock(&shared.plane);
        let candidate = plane.candidates[if side == Side::A { 0 } else { 1 }];
        if let Some(bridge) = plane.bridge.as_mut() {
            let local = candidate.unwrap_or(unspecified);
            bridge.handle_packet(now, side, kind, from, local, bytes);
            continue;
        }
        let verdict = plane.relay.on_packet(now, side, kind, from, bytes);
        if kind == Kind::Rtp
            && matches!(verdict, Verdict::Forward { .. })
            && let Some(digit) = plane.relayed_digit(side, bytes)
        {
            let _ = shared.events.send(Box::new(digit));
        }
        drop(plane);
        if let Verdict::Forward { to } = verdict
            && out.try_send_to(bytes, to).is_err()
        {
            lock(&shared.plane).relay.send_failed(side.other(), kind);
        }
    }
}

/// Sends what the bridge queued and hands its events to the call.
fn flush(shared: &TaskSide, a: &Pair, b: &Pair) {
    let mut plane = lock(&shared.plane);
    let Some(bridge) = plane.bridge.as_mut() else {
        return;
    };
    while let Some(t) = bridge.poll_transmit() {
        let pair = if t.side == Side::A { a } else { b };
        // Never wait on a full socket buffer: late audio is worse than lost audio.
        let _ = pair.socket(t.kind).try_send_to(&t.bytes, t.to);
    }
    while let Some(event) = bridge.poll_event() {
        let _ = shared.events.send(Box::new(event));
    }
}
