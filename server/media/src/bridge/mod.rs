//! The media bridge of one call, sans-IO: Switchboard terminates each leg's media and joins
//! the two. A leg is a phone or trunk (RTP, or SRTP with SDES keys) or a browser (WebRTC
//! through str0m). Audio from one leg reaches the other either relayed (both legs use the
//! same codec: payloads pass unchanged under the other leg's payload type, sequence, SSRC
//! and keys) or transcoded (`transcode::Transcoder`). RFC 4733 DTMF is translated between
//! the legs' clocks and reported as digits.
//!
//! The driver feeds datagrams (`handle_packet`) and timeouts (`handle_timeout`) and drains
//! `poll_transmit`, `poll_event` and `poll_timeout`, as with str0m.

mod endpoint;
pub mod negotiate;
mod path;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use endpoint::{Endpoint, Inbound};
use path::Path;

use crate::codec::EncoderOptions;
use crate::dtmf::DtmfSender;
use crate::relay::{Kind, Side, Stats};
use crate::srtp::SrtpSession;
use crate::webrtc::WebRtcLeg;
pub use negotiate::{Chosen, Profile, RemoteAudio};

/// How one leg's media is carried.
// Made once per offer/answer and moved into the bridge at once: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum LegSetup {
    /// A phone or trunk: RTP (SRTP when `srtp` is set) to/from `rtp`/`rtcp`, strictly
    /// latched like the relay.
    Rtp {
        rtp: SocketAddr,
        rtcp: SocketAddr,
        chosen: Chosen,
        srtp: Option<SrtpSession>,
    },
    /// A browser: str0m does ICE, DTLS and SRTP; the codec is what it negotiated.
    WebRtc(Box<WebRtcLeg>),
}

/// A datagram to send from `side`'s socket of `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub side: Side,
    pub kind: Kind,
    pub to: SocketAddr,
    pub bytes: Vec<u8>,
}

/// What the call should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BridgeEvent {
    /// A DTMF digit pressed on `side` (once per key press).
    Digit { side: Side, digit: char },
    /// A WebRTC leg finished ICE and DTLS.
    Connected { side: Side },
    /// A leg's media failed for good (DTLS or fingerprint failure, consent lost): hang up.
    Failed { side: Side, reason: String },
}

/// How audio goes from one side to the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    Relay,
    Transcode,
}

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("a WebRTC leg has no audio codec negotiated")]
    NoCodec,
    #[error(transparent)]
    Codec(#[from] crate::codec::CodecError),
}

/// One call's bridge.
#[derive(Default)]
pub struct Bridge {
    legs: [Option<Endpoint>; 2],
    /// Indexed by the side the audio comes from.
    paths: [Option<Path>; 2],
    /// DTMF we generate towards a side (a digit that came by SIP INFO), the event's RTP
    /// timestamp, and whether its first packet (the one with the marker) has gone.
    senders: [Option<(DtmfSender, u32, bool)>; 2],
    options: EncoderOptions,
    transmits: VecDeque<Transmit>,
    events: VecDeque<BridgeEvent>,
}

fn ix(side: Side) -> usize {
    match side {
        Side::A => 0,
        Side::B => 1,
    }
}

impl Bridge {
    pub fn new(options: EncoderOptions) -> Bridge {
        Bridge {
            options,
            ..Bridge::default()
        }
    }

    /// Sets (or replaces, after a re-INVITE) how `side`'s media is carried. The paths
    /// between the legs are chosen again: relay when both use one codec, else transcode.
    pub fn set_leg(
        &mut self,
        now: Instant,
        side: Side,
        setup: LegSetup,
    ) -> Result<(), BridgeError> {
        let previous = self.legs[ix(side)].take();
        let endpoint = Endpoint::new(setup, previous)?;
        self.legs[ix(side)] = Some(endpoint);
        for from in Side::BOTH {
            let (Some(src), Some(dst)) = (&self.legs[ix(from)], &self.legs[ix(from.other())])
            else {
                continue;
            };
            let (src, dst) = (src.chosen(), dst.chosen());
            let keep = self.paths[ix(from)]
                .as_ref()
                .is_some_and(|p| p.joins(src, dst));
            if !keep {
                self.paths[ix(from)] = Some(Path::new(src, dst, &self.options)?);
            }
        }
        self.flush(now, side);
        Ok(())
    }

    /// Takes `side`'s leg out of the bridge: nothing is sent to it or taken from it until a
    /// leg is set there again. A call still ringing elsewhere drops the early media of a
    /// callee that refused it this way; the other leg stays as it is.
    pub fn clear_leg(&mut self, side: Side) {
        self.legs[ix(side)] = None;
        self.paths = [None, None];
        self.senders[ix(side)] = None;
    }

    /// A datagram that arrived on `side`'s socket of `kind` (`local`: that socket's address).
    pub fn handle_packet(
        &mut self,
        now: Instant,
        side: Side,
        kind: Kind,
        from: SocketAddr,
        local: SocketAddr,
        bytes: &[u8],
    ) {
        let Some(leg) = self.legs[ix(side)].as_mut() else {
            return;
        };
        let mut inbound = Vec::new();
        leg.receive(now, kind, from, local, bytes, &mut inbound);
        self.flush(now, side);
        for frame in inbound {
            self.route(now, side, frame);
        }
    }

    /// Timers: str0m's (ICE, DTLS, consent), the jitter buffers', DTMF being sent.
    pub fn handle_timeout(&mut self, now: Instant) {
        for side in Side::BOTH {
            if let Some(leg) = self.legs[ix(side)].as_mut() {
                leg.handle_timeout(now);
                self.flush(now, side);
            }
            self.drain_path(now, side);
            self.send_due_digits(now, side);
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<BridgeEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let legs = self
            .legs
            .iter()
            .flatten()
            .filter_map(Endpoint::poll_timeout);
        let paths = self.paths.iter().flatten().filter_map(Path::poll_timeout);
        let digits = self
            .senders
            .iter()
            .flatten()
            .filter_map(|(s, _, _)| s.poll_timeout());
        legs.chain(paths).chain(digits).min()
    }

    /// Sends `digit` as RFC 4733 events towards `to` (a digit the other leg signalled by
    /// SIP INFO). Ignored when that leg has no telephone-event.
    pub fn send_digit(&mut self, now: Instant, to: Side, digit: char, duration_ms: u32) {
        let Some(leg) = &self.legs[ix(to)] else {
            return;
        };
        let chosen = leg.chosen();
        if chosen.telephone_event.is_none() {
            return;
        }
        let Some(sender) = DtmfSender::new(digit, duration_ms, chosen.codec.rtp_clock(), now)
        else {
            return;
        };
        let ts = leg.next_timestamp();
        self.senders[ix(to)] = Some((sender, ts, false));
        self.send_due_digits(now, to);
    }

    pub fn stats(&self, side: Side) -> Stats {
        self.legs[ix(side)]
            .as_ref()
            .map(Endpoint::stats)
            .unwrap_or_default()
    }

    /// How audio from `from` reaches the other side (None until both legs are set).
    pub fn path_kind(&self, from: Side) -> Option<PathKind> {
        self.paths[ix(from)].as_ref().map(Path::kind)
    }

    /// The (RTP, RTCP) source addresses an RTP leg is latched to.
    pub fn latched(&self, side: Side) -> (Option<SocketAddr>, Option<SocketAddr>) {
        self.legs[ix(side)]
            .as_ref()
            .map(Endpoint::latched)
            .unwrap_or_default()
    }

    /// The WebRTC leg of `side`, for a renegotiation (re-INVITE from a browser).
    pub fn webrtc_mut(&mut self, side: Side) -> Option<&mut WebRtcLeg> {
        self.legs[ix(side)].as_mut().and_then(Endpoint::webrtc_mut)
    }

    /// One frame that came in on `from`: audio along the path, DTMF translated.
    fn route(&mut self, now: Instant, from: Side, frame: Inbound) {
        let to = from.other();
        let Some(src_leg) = self.legs[ix(from)].as_ref() else {
            return;
        };
        let src = src_leg.chosen();
        let event_clock = src_leg.event_clock(frame.pt);
        let Some(path) = self.paths[ix(from)].as_mut() else {
            return;
        };
        if let Some(clock) = event_clock {
            let dst_event = self.legs[ix(to)]
                .as_ref()
                .and_then(|l| l.chosen().telephone_event);
            let next_ts = self.legs[ix(to)].as_ref().map(Endpoint::next_timestamp);
            if let Some(out) = path.dtmf(&frame, clock, next_ts.unwrap_or(0)) {
                if let Some(digit) = out.digit_done {
                    self.events
                        .push_back(BridgeEvent::Digit { side: from, digit });
                }
                if let (Some(pt), Some(packet)) = (dst_event, out.packet) {
                    self.send(
                        now,
                        to,
                        pt,
                        packet.timestamp,
                        packet.marker,
                        &packet.payload,
                        false,
                    );
                }
            }
            return;
        }
        if frame.pt != src.pt {
            return;
        }
        path.push(now, &frame);
        self.drain_path(now, from);
    }

    /// Sends whatever the path from `from` has ready.
    fn drain_path(&mut self, now: Instant, from: Side) {
        let to = from.other();
        let Some(dst) = self.legs[ix(to)].as_ref().map(Endpoint::chosen) else {
            return;
        };
        while let Some(out) = self.paths[ix(from)]
            .as_mut()
            .and_then(|p| p.poll_output(now))
        {
            self.send(
                now,
                to,
                dst.pt,
                out.timestamp,
                out.marker,
                &out.payload,
                true,
            );
        }
    }

    fn send_due_digits(&mut self, now: Instant, to: Side) {
        let Some((sender, ts, started)) = self.senders[ix(to)].as_mut() else {
            return;
        };
        let ts = *ts;
        let first_sent = std::mem::replace(started, true);
        let mut packets = Vec::new();
        while let Some(event) = sender.poll(now) {
            packets.push(event);
        }
        if sender.is_done() {
            self.senders[ix(to)] = None;
        }
        let Some(pt) = self.legs[ix(to)]
            .as_ref()
            .and_then(|l| l.chosen().telephone_event)
        else {
            return;
        };
        for (i, event) in packets.iter().enumerate() {
            let mut payload = Vec::with_capacity(4);
            crate::dtmf::write_event(event, &mut payload);
            let marker = i == 0 && !first_sent;
            self.send(now, to, pt, ts, marker, &payload, false);
        }
    }

    /// `timestamp` is relative to the leg's own stream base for audio paths (`audio`), or
    /// already absolute for events.
    #[allow(clippy::too_many_arguments)]
    fn send(
        &mut self,
        now: Instant,
        to: Side,
        pt: u8,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
        audio: bool,
    ) {
        let Some(leg) = self.legs[ix(to)].as_mut() else {
            return;
        };
        leg.send(
            now,
            pt,
            timestamp,
            marker,
            payload,
            audio,
            &mut |kind, dest, bytes| {
                self.transmits.push_back(Transmit {
                    side: to,
                    kind,
                    to: dest,
                    bytes,
                });
            },
        );
        self.flush(now, to);
    }

    /// Moves a WebRTC leg's own output (ICE answers, DTLS, SRTP) and events into the queues.
    fn flush(&mut self, now: Instant, side: Side) {
        let Some(leg) = self.legs[ix(side)].as_mut() else {
            return;
        };
        let mut inbound = Vec::new();
        leg.drain(
            now,
            side,
            &mut self.transmits,
            &mut self.events,
            &mut inbound,
        );
        for frame in inbound {
            self.route(now, side, frame);
        }
    }
}
