//! The anchored relay of one call, sans-IO. Two sides, A (the caller's leg) and B (the
//! callee's), each with an RTP and an RTCP socket in the driver. A packet that arrives on
//! side X's socket comes from X's peer and, if accepted, goes out of the *other* side's socket
//! of the same kind to the other side's peer.
//!
//! Rules, checked in this order for each packet:
//! 1. No SDP known for X yet (`set_remote` not called): dropped (`NoRemote`).
//! 2. Strict latching. After each `set_remote(X, ..)` X is unlatched; the first *valid*
//!    packet (RTP: version 2 with a negotiated payload type; RTCP: an RTCP header) latches
//!    its source address, whatever the SDP said — a phone behind NAT sends from an address
//!    it cannot know. From then on packets from any other address are dropped (`Bleed`):
//!    a stale peer of an earlier call on these ports, or an attacker spraying the range,
//!    never gets into the call. RTCP latches on its own, but only from the IP RTP latched
//!    to (when RTP latched first).
//! 3. RTP whose payload type was not negotiated for X is dropped (`PayloadType`), as is
//!    anything that does not parse (`Malformed`), including RTCP on the RTP port (we never
//!    offer rtcp-mux).
//! 4. The destination is the other side's latched address, else its SDP address. When the
//!    other side has no SDP yet, or its SDP address is 0.0.0.0 (old-style hold) or port 0
//!    (stream rejected), the packet is dropped (`NoDestination`) after being counted.

pub(crate) mod leg;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::time::Instant;

use leg::Leg;

use crate::rtp;

/// One leg of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    A,
    B,
}

impl Side {
    pub const BOTH: [Side; 2] = [Side::A, Side::B];

    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }
}

/// Which of a side's two sockets a packet came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Rtp,
    Rtcp,
}

/// What to do with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send the bytes unchanged out of the other side's socket of the same kind, to `to`.
    Forward {
        to: SocketAddr,
    },
    Drop(DropReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The side has no negotiated SDP yet.
    NoRemote,
    /// Not RTP (or not RTCP on the RTCP port).
    Malformed,
    /// An RTP payload type that was not negotiated.
    PayloadType(u8),
    /// From an address other than the one latched (RTP bleed).
    Bleed,
    /// Nowhere to send: the other side has no SDP, is on old-style hold, or rejected the stream.
    NoDestination,
}

/// Packets dropped on one side, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drops {
    pub no_remote: u64,
    pub malformed: u64,
    pub payload_type: u64,
    pub bleed: u64,
    pub no_destination: u64,
}

/// Media figures of one side (mirrors `pbx::cdr::LegStats`, plus drop counters).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// Valid RTP packets received from this side's peer.
    pub packets_in: u64,
    /// RTP payload bytes of those (headers and padding excluded, as RTCP's octet count).
    pub bytes_in: u64,
    /// RTP packets forwarded to this side's peer.
    pub packets_out: u64,
    /// Packets of this peer's stream that never arrived (RFC 3550 A.3).
    pub lost: u64,
    /// Interarrival jitter of this peer's stream, ms (RFC 3550 A.8).
    pub jitter_ms: f64,
    /// RTCP packets received from this side's peer.
    pub rtcp_packets_in: u64,
    /// What the peer last reported (RTCP SR/RR) about the stream we send it.
    pub rtcp_lost: Option<u64>,
    pub rtcp_jitter_ms: Option<f64>,
    pub drops: Drops,
}

/// The relay of one call. See the module documentation for the rules.
#[derive(Debug, Default)]
pub struct Relay {
    legs: [Leg; 2],
}

impl Relay {
    pub fn new() -> Relay {
        Relay::default()
    }

    /// The negotiated media of `side`'s peer (from the last offer/answer): where it wants
    /// RTP and RTCP, the payload types it may send, and their clock rate. Unlatches the side,
    /// so a peer that moved (re-INVITE, transfer) is learnt again; counters are kept.
    pub fn set_remote(
        &mut self,
        side: Side,
        rtp: SocketAddr,
        rtcp: SocketAddr,
        payload_types: &[u8],
        clock_rate: u32,
    ) {
        self.legs[side.index()].set_remote(rtp, rtcp, payload_types, clock_rate);
    }

    /// Decides the fate of `bytes`, received at `now` on `side`'s `kind` socket from `from`.
    pub fn on_packet(
        &mut self,
        now: Instant,
        side: Side,
        kind: Kind,
        from: SocketAddr,
        bytes: &[u8],
    ) -> Verdict {
        let verdict = self.check(now, side, kind, from, bytes);
        match verdict {
            Verdict::Drop(reason) => self.legs[side.index()].count_drop(reason),
            Verdict::Forward { .. } if kind == Kind::Rtp => {
                self.legs[side.other().index()].packets_out += 1;
            }
            Verdict::Forward { .. } => {}
        }
        verdict
    }

    fn check(
        &mut self,
        now: Instant,
        side: Side,
        kind: Kind,
        from: SocketAddr,
        bytes: &[u8],
    ) -> Verdict {
        let other_ssrc = self.legs[side.other().index()].ssrc;
        let leg = &mut self.legs[side.index()];
        let accepted = match kind {
            Kind::Rtp => leg.accept_rtp(now, from, bytes),
            Kind::Rtcp => leg.accept_rtcp(from, bytes, other_ssrc),
        };
        if let Err(reason) = accepted {
            return Verdict::Drop(reason);
        }
        match self.legs[side.other().index()].destination(kind) {
            Some(to) => Verdict::Forward { to },
            None => Verdict::Drop(DropReason::NoDestination),
        }
    }

    /// The driver could not send a packet it was told to forward to `to`'s peer (socket
    /// buffer full): keeps `packets_out` honest.
    pub fn send_failed(&mut self, to: Side, kind: Kind) {
        if kind == Kind::Rtp {
            let leg = &mut self.legs[to.index()];
            leg.packets_out = leg.packets_out.saturating_sub(1);
        }
    }

    /// The addresses `side` is latched to (RTP, RTCP), if any.
    pub fn latched(&self, side: Side) -> (Option<SocketAddr>, Option<SocketAddr>) {
        let leg = &self.legs[side.index()];
        (leg.latched_rtp, leg.latched_rtcp)
    }

    pub fn stats(&self, side: Side) -> Stats {
        self.legs[side.index()].stats()
    }
}

/// Payload types as a 128-bit set: one test per packet, no allocation.
pub(crate) fn pt_set(payload_types: &[u8]) -> u128 {
    payload_types
        .iter()
        .filter(|pt| **pt < 128)
        .fold(0, |set, pt| set | 1u128 << pt)
}

fn pt_allowed(set: u128, pt: u8) -> bool {
    pt < 128 && set & (1u128 << pt) != 0
}

/// Re-exported for the leg module: parse errors all map to `Malformed`.
fn rtp_header(bytes: &[u8]) -> Result<rtp::RtpHeader, DropReason> {
    if rtp::is_rtcp(bytes) {
        return Err(DropReason::Malformed);
    }
    rtp::parse(bytes).map_err(|_| DropReason::Malformed)
}
