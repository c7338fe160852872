//! [`WebRtcLeg`]: the server's side of a call leg to a browser.

use std::net::SocketAddr;
use std::time::Instant;

use str0m::Candidate;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, MediaKind};

use super::engine::Engine;
use super::lean::{lean, no_retransmissions};
use super::negotiated::{Negotiated, rtc_config};
use super::{WebRtcError, WebRtcOutput};
use crate::codec::Codec;

/// One browser's audio: ICE-lite on one host candidate, DTLS-SRTP, rtcp-mux, BUNDLE.
pub struct WebRtcLeg {
    engine: Engine,
    pending: Option<SdpPendingOffer>,
}

impl WebRtcLeg {
    /// Answer a browser's offer: ICE-lite, our candidate `local` (public_ip:port, host, udp),
    /// DTLS with the offer's fingerprint enforced, rtcp-mux, BUNDLE. Audio codecs limited to
    /// `codecs` (in our preference order; Opus, PCMU, PCMA, G722 — never G729) +
    /// telephone-event.
    pub fn answer(
        now: Instant,
        offer: &str,
        local: SocketAddr,
        codecs: &[Codec],
    ) -> Result<(WebRtcLeg, String), WebRtcError> {
        let offer =
            SdpOffer::from_sdp_string(offer).map_err(|e| WebRtcError::Sdp(e.to_string()))?;
        let mut rtc = lean(rtc_config(codecs, true)?).build(now);
        add_candidate(&mut rtc, local)?;
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| WebRtcError::Negotiation(e.to_string()))?;
        let negotiated = Negotiated::from_answer(&answer)?;
        let mut engine = Engine::new(rtc, negotiated.mid, local);
        settle(&mut engine, now, negotiated);
        Ok((
            WebRtcLeg {
                engine,
                pending: None,
            },
            answer.to_sdp_string(),
        ))
    }

    /// Offer toward a browser (call to a WebRTC extension); then `accept_answer`.
    pub fn offer(
        now: Instant,
        local: SocketAddr,
        codecs: &[Codec],
    ) -> Result<(WebRtcLeg, String), WebRtcError> {
        let mut rtc = lean(rtc_config(codecs, true)?).build(now);
        add_candidate(&mut rtc, local)?;
        let mut change = rtc.sdp_api();
        let mid = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let (offer, pending) = change
            .apply()
            .ok_or_else(|| WebRtcError::Negotiation("str0m made no offer".to_string()))?;
        let engine = Engine::new(rtc, mid, local);
        Ok((
            WebRtcLeg {
                engine,
                pending: Some(pending),
            },
            offer.to_sdp_string(),
        ))
    }

    pub fn accept_answer(&mut self, now: Instant, answer: &str) -> Result<(), WebRtcError> {
        let pending = self.pending.take().ok_or(WebRtcError::NoPendingOffer)?;
        let answer =
            SdpAnswer::from_sdp_string(answer).map_err(|e| WebRtcError::Sdp(e.to_string()))?;
        let negotiated = Negotiated::from_answer(&answer)?;
        self.engine
            .rtc()
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| WebRtcError::Negotiation(e.to_string()))?;
        settle(&mut self.engine, now, negotiated);
        Ok(())
    }

    /// A new offer from the browser on the same session (hold, resume, ICE restart): str0m
    /// answers it on the running connection. The codec agreed at first is kept when the new
    /// answer still has it (the bridge's paths stay as they are).
    pub fn accept_reoffer(&mut self, now: Instant, offer: &str) -> Result<String, WebRtcError> {
        let offer =
            SdpOffer::from_sdp_string(offer).map_err(|e| WebRtcError::Sdp(e.to_string()))?;
        let answer = self
            .engine
            .rtc()
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| WebRtcError::Negotiation(e.to_string()))?;
        let negotiated = Negotiated::from_answer(&answer)?;
        settle(&mut self.engine, now, negotiated);
        Ok(answer.to_sdp_string())
    }

    /// The audio codec both sides agreed (first in the answer) and its payload type.
    pub fn audio(&self) -> Option<(Codec, u8)> {
        self.engine.negotiation().map(|n| n.audio)
    }

    /// The telephone-event payload type: the one at the agreed codec's RTP clock (48000 for
    /// Opus), else the 48 kHz one, else any negotiated.
    pub fn telephone_event(&self) -> Option<u8> {
        self.telephone_event_clock().map(|(pt, _)| pt)
    }

    /// [`Self::telephone_event`] with its clock rate, for scaling event durations.
    pub fn telephone_event_clock(&self) -> Option<(u8, u32)> {
        self.engine
            .negotiation()
            .and_then(Negotiated::telephone_event)
    }

    /// Every negotiated telephone-event payload type with its clock. A browser may send
    /// digits on any of them: Chrome sends telephone-event/8000 next to Opus at 48000.
    pub fn telephone_events(&self) -> Vec<(u8, u32)> {
        self.engine
            .negotiation()
            .map(|n| n.events.clone())
            .unwrap_or_default()
    }

    /// Feeds one datagram that arrived from `from` on our socket `to`. False: not ours
    /// (unknown ufrag, not from the ICE-validated address, not STUN/DTLS/RTP, another port
    /// than our candidate's, a record that does not verify) — drop it. Only `to`'s port is
    /// compared: the socket may be bound to a wildcard or a private address behind NAT.
    pub fn handle_receive(
        &mut self,
        now: Instant,
        from: SocketAddr,
        to: SocketAddr,
        bytes: &[u8],
    ) -> bool {
        self.engine.handle_receive(now, from, to, bytes)
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.engine.handle_timeout(now);
    }

    /// Drain until None after every input.
    pub fn poll(&mut self) -> Option<WebRtcOutput> {
        self.engine.poll()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.engine.poll_timeout()
    }

    /// Sends one audio frame (RTP payload) or telephone-event payload, timestamp at the codec
    /// clock. Errors: not connected yet, failed, or `pt` not negotiated.
    pub fn send_audio(
        &mut self,
        now: Instant,
        pt: u8,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<(), WebRtcError> {
        self.engine.send_audio(now, pt, timestamp, marker, payload)
    }

    pub fn is_connected(&self) -> bool {
        self.engine.is_connected()
    }
}

/// An offer/answer is done: str0m has made (or kept) the audio stream, which is then
/// trimmed for audio before media may flow.
fn settle(engine: &mut Engine, now: Instant, negotiated: Negotiated) {
    no_retransmissions(engine.rtc(), negotiated.mid);
    engine.negotiated(now, negotiated);
}

pub(crate) fn add_candidate(rtc: &mut str0m::Rtc, local: SocketAddr) -> Result<(), WebRtcError> {
    let candidate = Candidate::host(local, "udp").map_err(|_| WebRtcError::Candidate(local))?;
    rtc.add_local_candidate(candidate)
        .ok_or(WebRtcError::Candidate(local))?;
    Ok(())
}
