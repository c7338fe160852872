//! A browser stand-in for tests: a full (non-lite) str0m agent with the leg's shapes, so
//! tests can run a WebRTC call in memory on a virtual clock.

use std::net::SocketAddr;
use std::time::Instant;

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, MediaKind};

use super::engine::Engine;
use super::leg::add_candidate;
use super::negotiated::{Negotiated, rtc_config};
use super::{WebRtcError, WebRtcOutput};
use crate::codec::Codec;

/// What a browser offers: Opus first, PCMU as the fallback (plus telephone-event).
const BROWSER_CODECS: [Codec; 2] = [Codec::Opus, Codec::Pcmu];

pub struct TestPeer {
    engine: Engine,
    pending: Option<SdpPendingOffer>,
}

impl TestPeer {
    /// An offer as a browser makes it: UDP/TLS/RTP/SAVPF, Opus, PCMU, telephone-event, one
    /// host candidate `local`, full ICE (controlling), DTLS actpass.
    pub fn offer(now: Instant, local: SocketAddr) -> Result<(TestPeer, String), WebRtcError> {
        let mut rtc = rtc_config(&BROWSER_CODECS, false)?.build(now);
        add_candidate(&mut rtc, local)?;
        let mut change = rtc.sdp_api();
        let mid = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let (offer, pending) = change
            .apply()
            .ok_or_else(|| WebRtcError::Negotiation("str0m made no offer".to_string()))?;
        let peer = TestPeer {
            engine: Engine::new(rtc, mid, local),
            pending: Some(pending),
        };
        Ok((peer, offer.to_sdp_string()))
    }

    /// Answers the server's offer as a browser would (Opus preferred, then PCMU).
    pub fn answer(
        now: Instant,
        offer: &str,
        local: SocketAddr,
    ) -> Result<(TestPeer, String), WebRtcError> {
        let offer =
            SdpOffer::from_sdp_string(offer).map_err(|e| WebRtcError::Sdp(e.to_string()))?;
        let mut rtc = rtc_config(&BROWSER_CODECS, false)?.build(now);
        add_candidate(&mut rtc, local)?;
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| WebRtcError::Negotiation(e.to_string()))?;
        let negotiated = Negotiated::from_answer(&answer)?;
        let mut engine = Engine::new(rtc, negotiated.mid, local);
        engine.negotiated(now, negotiated);
        let peer = TestPeer {
            engine,
            pending: None,
        };
        Ok((peer, answer.to_sdp_string()))
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
        self.engine.negotiated(now, negotiated);
        Ok(())
    }

    pub fn audio(&self) -> Option<(Codec, u8)> {
        self.engine.negotiation().map(|n| n.audio)
    }

    pub fn telephone_event(&self) -> Option<u8> {
        self.engine
            .negotiation()
            .and_then(Negotiated::telephone_event)
            .map(|(pt, _)| pt)
    }

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

    pub fn poll(&mut self) -> Option<WebRtcOutput> {
        self.engine.poll()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.engine.poll_timeout()
    }

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
