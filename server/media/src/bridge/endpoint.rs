//! One leg of the bridge: an RTP/SRTP peer (latched like the relay) or a WebRTC peer
//! (str0m), seen the same way from the bridge: frames in, frames out.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use super::{BridgeError, BridgeEvent, Chosen, LegSetup, Transmit};
use crate::codec::Codec;
use crate::relay::leg::Leg;
use crate::relay::{DropReason, Kind, Side, Stats};
use crate::rtp;
use crate::srtp::SrtpSession;
use crate::stats::ReceiveStats;
use crate::webrtc::{WebRtcLeg, WebRtcOutput};

/// A media frame received on a leg (already decrypted).
#[derive(Debug, Clone)]
pub(super) struct Inbound {
    pub pt: u8,
    pub seq: u16,
    pub timestamp: u32,
    pub marker: bool,
    pub payload: Vec<u8>,
}

/// The stream we send a leg: our SSRC, sequence and timestamp origin.
#[derive(Debug, Clone, Copy)]
struct OutStream {
    ssrc: u32,
    seq: u16,
    base: u32,
    /// Where the next audio frame's timestamp falls (for DTMF events inserted between).
    next: u32,
}

impl OutStream {
    fn new() -> OutStream {
        let base = rand::random::<u32>();
        OutStream {
            ssrc: rand::random(),
            seq: rand::random(),
            base,
            next: base,
        }
    }
}

pub(super) enum Endpoint {
    Rtp(Box<RtpEndpoint>),
    WebRtc(Box<WebRtcEndpoint>),
}

pub(super) struct RtpEndpoint {
    leg: Leg,
    chosen: Chosen,
    srtp: Option<SrtpSession>,
    out: OutStream,
}

pub(super) struct WebRtcEndpoint {
    leg: WebRtcLeg,
    chosen: Chosen,
    /// Every telephone-event payload type the browser may send digits on, with its clock.
    events: Vec<(u8, u32)>,
    out: OutStream,
    receive: ReceiveStats,
    packets_in: u64,
    bytes_in: u64,
    packets_out: u64,
    failed: bool,
}

impl Endpoint {
    /// A new endpoint; `previous` (the leg before a re-INVITE) lends its outgoing stream so
    /// the peer sees one continuous SSRC.
    pub fn new(setup: LegSetup, previous: Option<Endpoint>) -> Result<Endpoint, BridgeError> {
        let out = previous.map(|p| p.out()).unwrap_or_else(OutStream::new);
        Ok(match setup {
            LegSetup::Rtp {
                rtp,
                rtcp,
                chosen,
                srtp,
            } => {
                let mut leg = Leg::default();
                let mut pts = vec![chosen.pt];
                pts.extend(chosen.telephone_event);
                leg.set_remote(rtp, rtcp, &pts, chosen.codec.rtp_clock());
                Endpoint::Rtp(Box::new(RtpEndpoint {
                    leg,
                    chosen,
                    srtp,
                    out,
                }))
            }
            LegSetup::WebRtc(leg) => {
                let (codec, pt) = leg.audio().ok_or(BridgeError::NoCodec)?;
                let telephone_event = leg.telephone_event().filter(|_| codec == Codec::Opus);
                let events = if codec == Codec::Opus {
                    leg.telephone_events()
                } else {
                    Vec::new()
                };
                Endpoint::WebRtc(Box::new(WebRtcEndpoint {
                    events,
                    leg: *leg,
                    chosen: Chosen {
                        codec,
                        pt,
                        telephone_event,
                    },
                    out,
                    receive: ReceiveStats::new(),
                    packets_in: 0,
                    bytes_in: 0,
                    packets_out: 0,
                    failed: false,
                }))
            }
        })
    }

    fn out(&self) -> OutStream {
        match self {
            Endpoint::Rtp(e) => e.out,
            Endpoint::WebRtc(e) => e.out,
        }
    }

    fn out_mut(&mut self) -> &mut OutStream {
        match self {
            Endpoint::Rtp(e) => &mut e.out,
            Endpoint::WebRtc(e) => &mut e.out,
        }
    }

    pub fn chosen(&self) -> Chosen {
        match self {
            Endpoint::Rtp(e) => e.chosen,
            Endpoint::WebRtc(e) => e.chosen,
        }
    }

    /// The clock of telephone-event payload type `pt` when this leg accepts digits on it.
    pub fn event_clock(&self, pt: u8) -> Option<u32> {
        match self {
            Endpoint::Rtp(e) => {
                (e.chosen.telephone_event == Some(pt)).then(|| e.chosen.codec.rtp_clock())
            }
            Endpoint::WebRtc(e) => e
                .events
                .iter()
                .find(|&&(event_pt, _)| event_pt == pt)
                .map(|&(_, clock)| clock),
        }
    }

    /// The timestamp an event inserted now should carry.
    pub fn next_timestamp(&self) -> u32 {
        self.out().next
    }

    pub fn webrtc_mut(&mut self) -> Option<&mut WebRtcLeg> {
        match self {
            Endpoint::WebRtc(e) => Some(&mut e.leg),
            Endpoint::Rtp(_) => None,
        }
    }

    pub fn latched(&self) -> (Option<SocketAddr>, Option<SocketAddr>) {
        match self {
            Endpoint::Rtp(e) => (e.leg.latched_rtp, e.leg.latched_rtcp),
            Endpoint::WebRtc(_) => (None, None),
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Endpoint::Rtp(_) => None,
            Endpoint::WebRtc(e) if e.failed => None,
            Endpoint::WebRtc(e) => e.leg.poll_timeout(),
        }
    }

    pub fn stats(&self) -> Stats {
        match self {
            Endpoint::Rtp(e) => e.leg.stats(),
            Endpoint::WebRtc(e) => Stats {
                packets_in: e.packets_in,
                bytes_in: e.bytes_in,
                packets_out: e.packets_out,
                lost: e.receive.lost(),
                jitter_ms: e.receive.jitter_ms(),
                ..Stats::default()
            },
        }
    }

    /// A datagram for this leg: decrypted, checked and, if it carries media, queued in `inbound`.
    pub fn receive(
        &mut self,
        now: Instant,
        kind: Kind,
        from: SocketAddr,
        local: SocketAddr,
        bytes: &[u8],
        inbound: &mut Vec<Inbound>,
    ) {
        match self {
            Endpoint::Rtp(e) => e.receive(now, kind, from, bytes, inbound),
            Endpoint::WebRtc(e) => {
                if !e.failed {
                    e.leg.handle_receive(now, from, local, bytes);
                }
            }
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if let Endpoint::WebRtc(e) = self
            && !e.failed
        {
            e.leg.handle_timeout(now);
        }
    }

    /// Collects what a WebRTC leg has to say after an input.
    pub fn drain(
        &mut self,
        now: Instant,
        side: Side,
        transmits: &mut VecDeque<Transmit>,
        events: &mut VecDeque<BridgeEvent>,
        inbound: &mut Vec<Inbound>,
    ) {
        let Endpoint::WebRtc(e) = self else {
            return;
        };
        while let Some(output) = e.leg.poll() {
            match output {
                WebRtcOutput::Transmit { to, bytes, .. } => transmits.push_back(Transmit {
                    side,
                    kind: Kind::Rtp,
                    to,
                    bytes,
                }),
                WebRtcOutput::Media {
                    pt,
                    seq,
                    timestamp,
                    marker,
                    payload,
                } => {
                    e.packets_in += 1;
                    e.bytes_in += payload.len() as u64;
                    inbound.push(Inbound {
                        pt,
                        seq,
                        timestamp,
                        marker,
                        payload,
                    });
                }
                WebRtcOutput::Connected => events.push_back(BridgeEvent::Connected { side }),
                WebRtcOutput::Failed(reason) => {
                    e.failed = true;
                    events.push_back(BridgeEvent::Failed { side, reason });
                }
            }
        }
        let clock = e.chosen.codec.rtp_clock();
        for frame in inbound.iter().filter(|f| f.pt == e.chosen.pt) {
            e.receive.on_packet(now, frame.seq, frame.timestamp, clock);
        }
    }

    /// Sends one frame. `audio`: `timestamp` counts from the stream's start (a path's
    /// output); else it is absolute (an event at `next_timestamp()`).
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        &mut self,
        now: Instant,
        pt: u8,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
        audio: bool,
        emit: &mut dyn FnMut(Kind, SocketAddr, Vec<u8>),
    ) {
        let ticks = self.chosen().codec.rtp_ticks_per_frame();
        let out = self.out_mut();
        let ts = if audio {
            let ts = out.base.wrapping_add(timestamp);
            out.next = ts.wrapping_add(ticks);
            ts
        } else {
            timestamp
        };
        match self {
            Endpoint::Rtp(e) => e.send(pt, ts, marker, payload, emit),
            Endpoint::WebRtc(e) => {
                if !e.failed && e.leg.send_audio(now, pt, ts, marker, payload).is_ok() {
                    e.packets_out += 1;
                }
            }
        }
    }
}

impl RtpEndpoint {
    fn receive(
        &mut self,
        now: Instant,
        kind: Kind,
        from: SocketAddr,
        bytes: &[u8],
        inbound: &mut Vec<Inbound>,
    ) {
        let plain = match (&mut self.srtp, kind) {
            (None, _) => None,
            (Some(s), Kind::Rtp) => match s.unprotect_rtp(bytes) {
                Ok(p) => Some(p),
                Err(_) => return self.leg.count_drop(DropReason::Malformed),
            },
            (Some(s), Kind::Rtcp) => match s.unprotect_rtcp(bytes) {
                Ok(p) => Some(p),
                Err(_) => return self.leg.count_drop(DropReason::Malformed),
            },
        };
        let bytes = plain.as_deref().unwrap_or(bytes);
        let accepted = match kind {
            Kind::Rtp => self.leg.accept_rtp(now, from, bytes),
            Kind::Rtcp => self.leg.accept_rtcp(from, bytes, Some(self.out.ssrc)),
        };
        if let Err(reason) = accepted {
            return self.leg.count_drop(reason);
        }
        if kind == Kind::Rtcp {
            return;
        }
        let Ok(header) = rtp::parse(bytes) else {
            return;
        };
        let end = header.payload_offset.saturating_add(header.payload_len);
        let Some(payload) = bytes.get(header.payload_offset..end) else {
            return;
        };
        inbound.push(Inbound {
            pt: header.payload_type,
            seq: header.sequence,
            timestamp: header.timestamp,
            marker: header.marker,
            payload: payload.to_vec(),
        });
    }

    fn send(
        &mut self,
        pt: u8,
        ts: u32,
        marker: bool,
        payload: &[u8],
        emit: &mut dyn FnMut(Kind, SocketAddr, Vec<u8>),
    ) {
        let Some(to) = self.leg.destination(Kind::Rtp) else {
            return;
        };
        let mut packet = Vec::with_capacity(rtp::HEADER_LEN + payload.len());
        packet.push(0x80);
        packet.push(if marker { 0x80 } else { 0 } | (pt & 0x7f));
        packet.extend_from_slice(&self.out.seq.to_be_bytes());
        packet.extend_from_slice(&ts.to_be_bytes());
        packet.extend_from_slice(&self.out.ssrc.to_be_bytes());
        packet.extend_from_slice(payload);
        self.out.seq = self.out.seq.wrapping_add(1);
        let packet = match &mut self.srtp {
            Some(s) => match s.protect_rtp(&packet) {
                Ok(p) => p,
                Err(_) => return,
            },
            None => packet,
        };
        self.leg.packets_out += 1;
        emit(Kind::Rtp, to, packet);
    }
}
