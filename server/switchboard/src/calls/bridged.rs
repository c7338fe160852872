//! Calls whose media Switchboard terminates (the media bridge): a browser on either leg
//! (WebRTC), SRTP with SDES keys, or two phones without a codec in common (transcoding).
//! Each leg then gets an SDP of ours, negotiated with that leg alone (a callee's early SDP
//! already does it while ringing: `early`); re-offers are answered here rather than passed
//! to the other leg, whose media goes on unchanged.
//!
//! A call starts relayed (`media::relay`, the cheap path) unless the caller's offer is
//! WebRTC or SDES; it becomes bridged when the callee answers from a WebSocket contact or
//! picks a codec the caller did not offer (we add the ones we transcode to every offer), or
//! one a trunk's codec order does not want on a call in from that trunk (`trunk_answer`).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use media::bridge::negotiate::{self, LocalAudio, Profile, RemoteAudio};
use media::bridge::{BridgeEvent, Chosen, LegSetup};
use media::codec::Codec;
use media::relay::Side;
use media::sdp::Direction;
use media::srtp::{CryptoAttribute, CryptoSuite, SrtpSession, answer_crypto};
use media::webrtc::WebRtcLeg;

use super::early::EarlyMedia;
use super::leg;
use super::sdp_memo::SdpMemo;
use super::task::Call;
use super::trunk_answer::TrunkTerms;

/// What a browser leg is offered, best first. Never G.729: browsers lack it.
const WEBRTC_CODECS: [Codec; 4] = [Codec::Opus, Codec::G722, Codec::Pcmu, Codec::Pcma];

/// The negotiation state of one call's media.
#[derive(Default)]
pub(super) struct MediaNeg {
    /// The caller's offer, as sent and as read.
    pub a_offer: Option<(String, RemoteAudio)>,
    /// The call is bridged (or will be once the callee answers).
    pub bridged: bool,
    /// Our offer to the callee's browser contacts (one str0m session serves every fork;
    /// only one can answer). Boxed: a str0m session is ~10 KiB inline, and the call task
    /// holds this for every call, most of which never offer to a browser.
    pub webrtc_offer: Option<(Box<WebRtcLeg>, String, SocketAddr)>,
    /// The key we offered an SDES callee (a phone that refused our plain offer: 488).
    pub b_key: Option<CryptoAttribute>,
    /// Our current description per leg when bridged, and its o= version.
    pub local_sdp: [Option<String>; 2],
    pub chosen: [Option<Chosen>; 2],
    pub session_ids: [u64; 2],
    pub versions: [u64; 2],
    /// A trunk's offer (the caller's, on a call in from a trunk): what our answer to it must
    /// be by the trunk's media policy.
    pub a_trunk: Option<TrunkTerms>,
    /// The callee's early media the bridge carries while it rings (`early`).
    pub early: Option<EarlyMedia>,
}

pub(super) fn ix(side: Side) -> usize {
    if side == Side::A { 0 } else { 1 }
}

impl MediaNeg {
    /// For the caller's `offer` (`memo` parses it).
    pub fn new(offer: &str, memo: &SdpMemo) -> MediaNeg {
        let a_offer = memo
            .parse(offer)
            .and_then(|parsed| negotiate::read_parsed(&parsed))
            .map(|remote| (offer.to_owned(), remote));
        let bridged = a_offer
            .as_ref()
            .is_some_and(|(_, a)| a.profile != Profile::Plain);
        MediaNeg {
            a_offer,
            bridged,
            session_ids: [rand::random(), rand::random()],
            versions: [1, 1],
            ..MediaNeg::default()
        }
    }

    /// Our SDP toward `side` so far came from an `Anchor` with this identity.
    pub fn continue_origin(&mut self, side: Side, session_id: u64, version: u64) {
        self.session_ids[ix(side)] = session_id;
        self.versions[ix(side)] = version;
    }

    /// Whether the caller's leg may get `codec` relayed from the callee (a trunk's policy
    /// may want another).
    fn caller_takes(&self, codec: Codec) -> bool {
        self.a_trunk.as_ref().is_none_or(|t| t.accepts(codec))
    }

    fn a_codecs(&self) -> Vec<Codec> {
        self.a_offer
            .as_ref()
            .map(|(_, a)| a.codecs.iter().map(|(c, _)| *c).collect())
            .unwrap_or_default()
    }
}

impl Call {
    /// The address our media is reached at, as written in SDP and ICE candidates, for the
    /// peer whose messages carry `sent_by` (`Call::sent_by`): the public address when that
    /// peer was given it (it is beyond the NAT: `nat`), else the one media is bound to, or
    /// the local address toward the peer.
    pub(super) fn media_ip(&self, sent_by: &str) -> Option<IpAddr> {
        let toward = leg::local_ip(sent_by);
        if let Some(public) = self.ctx.public_ip
            && toward == Some(public)
        {
            return Some(public);
        }
        let bound = self.ctx.media.bind_ip();
        (!bound.is_unspecified()).then_some(bound).or(toward)
    }

    /// The offer for one fork of the callee when the call is (or may become) bridged:
    /// WebRTC for a browser contact, else our RTP description. None: use the relayed offer.
    pub(super) fn bridged_offer(
        &mut self,
        side: Side,
        to_browser: bool,
        sent_by: &str,
    ) -> Option<String> {
        if !to_browser && !self.neg.bridged {
            return None;
        }
        let ip = self.media_ip(sent_by)?;
        let port = self.media.as_ref()?.port(side);
        if to_browser {
            if self.neg.webrtc_offer.is_none() {
                let candidate = SocketAddr::new(ip, port);
                match WebRtcLeg::offer(Instant::now(), candidate, &WEBRTC_CODECS) {
                    Ok((leg, sdp)) => {
                        self.neg.webrtc_offer = Some((Box::new(leg), sdp, candidate));
                    }
                    Err(e) => {
                        tracing::warn!("call: cannot make a WebRTC offer: {e}");
                        return None;
                    }
                }
            }
            return self
                .neg
                .webrtc_offer
                .as_ref()
                .map(|(_, sdp, _)| sdp.clone());
        }
        // A phone is offered plain RTP/AVP whatever the caller spoke: SRTP goes to a phone
        // only when it offers it itself (as a caller). The caller's codecs come first, so
        // a phone that has one of them gets it relayed.
        let codecs = negotiate::offer_codecs(&self.neg.a_codecs());
        let (formats, events) = negotiate::offer_formats(&codecs);
        Some(negotiate::describe(&LocalAudio {
            session_id: self.neg.session_ids[ix(side)],
            version: self.neg.versions[ix(side)],
            ip,
            port,
            codecs: &formats,
            events: &events,
            crypto: self.neg.b_key.as_ref(),
            keys_in_avp: false,
            direction: Direction::SendRecv,
        }))
    }

    /// Our RTP/SAVP offer for a phone that refused plain RTP: the same codecs, with a key.
    pub(super) fn srtp_offer(&mut self, side: Side, sent_by: &str) -> Option<String> {
        let ip = self.media_ip(sent_by)?;
        let port = self.media.as_ref()?.port(side);
        let key = self
            .neg
            .b_key
            .get_or_insert_with(|| {
                CryptoAttribute::generate(
                    1,
                    CryptoSuite::AesCm128HmacSha1_80,
                    &mut |b: &mut [u8]| rand::fill(b),
                )
            })
            .clone();
        self.neg.bridged = true;
        let codecs = negotiate::offer_codecs(&self.neg.a_codecs());
        let (formats, events) = negotiate::offer_formats(&codecs);
        Some(negotiate::describe(&LocalAudio {
            session_id: self.neg.session_ids[ix(side)],
            version: self.neg.versions[ix(side)],
            ip,
            port,
            codecs: &formats,
            events: &events,
            crypto: Some(&key),
            keys_in_avp: false,
            direction: Direction::SendRecv,
        }))
    }

    /// The callee (on `side`) answered with `answer`; `callee_sent_by` is what our
    /// messages to it carry. Returns false when the call stays relayed (the caller's SDP
    /// goes on as before).
    pub(super) fn on_callee_answer(
        &mut self,
        side: Side,
        from_browser: bool,
        answer: &str,
        callee_sent_by: &str,
    ) -> bool {
        let remote = self
            .sdp_memo
            .parse(answer)
            .and_then(|parsed| negotiate::read_parsed(&parsed));
        let relayable = !self.neg.bridged
            && !from_browser
            && remote.as_ref().is_some_and(|r| {
                r.profile == Profile::Plain
                    && r.answered().is_some_and(|c| {
                        (self.neg.a_offer.is_none() || self.neg.a_codecs().contains(&c.codec))
                            && self.neg.caller_takes(c.codec)
                    })
            });
        if relayable || self.neg.a_offer.is_none() {
            return false;
        }
        self.neg.bridged = true;
        self.install_callee(side, from_browser, remote.as_ref(), answer, callee_sent_by);
        true
    }

    /// Sets the callee's media (its `answer`, read as `remote`) up in the bridge on `side`,
    /// and answers the caller's offer if that was not done yet. Each is described with the
    /// address its peer was given (`callee_sent_by`, `a_sent_by`): behind NAT a trunk's is
    /// the public one, a phone's on the LAN the local one. False when the answer is
    /// unusable or the bridge refused it.
    pub(super) fn install_callee(
        &mut self,
        side: Side,
        from_browser: bool,
        remote: Option<&RemoteAudio>,
        answer: &str,
        callee_sent_by: &str,
    ) -> bool {
        let now = Instant::now();
        let callee = if from_browser {
            self.callee_webrtc(now, answer)
        } else {
            remote.and_then(|r| self.callee_rtp(r))
        };
        let Some((setup, chosen)) = callee else {
            tracing::info!(call = %self.record.id, "call: the callee's answer is unusable for the bridge");
            return false;
        };
        self.note_codec(side, chosen);
        if !from_browser {
            self.neg.local_sdp[ix(side)] = self.describe_settled(side, chosen, callee_sent_by);
        }
        let Some(media) = self.media.as_ref() else {
            return false;
        };
        let installed = media.with_bridge(|b| b.set_leg(now, side, setup));
        if let Err(e) = installed {
            tracing::warn!(call = %self.record.id, "call: bridge refused the callee's media: {e}");
            return false;
        }
        if self.neg.local_sdp[0].is_none() {
            let caller_sent_by = self.a_sent_by.clone();
            self.answer_caller(now, chosen.codec, &caller_sent_by);
        }
        true
    }

    /// Our description of a phone leg once its codec is settled (what a later re-offer on
    /// that leg is answered from): that codec, its telephone-event, our key if SRTP.
    fn describe_settled(&self, side: Side, chosen: Chosen, sent_by: &str) -> Option<String> {
        let ip = self.media_ip(sent_by)?;
        let port = self.media.as_ref()?.port(side);
        let events = events_of(chosen);
        Some(negotiate::describe(&LocalAudio {
            session_id: self.neg.session_ids[ix(side)],
            version: self.neg.versions[ix(side)],
            ip,
            port,
            codecs: &[(chosen.codec, chosen.pt)],
            events: &events,
            crypto: self.neg.b_key.as_ref(),
            keys_in_avp: false,
            direction: Direction::SendRecv,
        }))
    }

    fn callee_webrtc(&mut self, now: Instant, answer: &str) -> Option<(LegSetup, Chosen)> {
        let (mut leg, offer, candidate) = self.neg.webrtc_offer.take()?;
        self.neg.local_sdp[1] = Some(offer);
        if let Err(e) = leg.accept_answer(now, answer) {
            tracing::info!(call = %self.record.id, "call: browser answer refused: {e}");
            return None;
        }
        let (codec, pt) = leg.audio()?;
        if let Some(media) = &self.media {
            media.set_candidate(Side::B, candidate);
        }
        let chosen = Chosen {
            codec,
            pt,
            telephone_event: leg.telephone_event(),
        };
        Some((LegSetup::WebRtc(leg), chosen))
    }

    fn callee_rtp(&self, answer: &RemoteAudio) -> Option<(LegSetup, Chosen)> {
        let chosen = answer.answered()?;
        let srtp = match (&self.neg.b_key, answer.cryptos.first()) {
            (Some(ours), Some(theirs)) => Some(SrtpSession::new(ours, theirs).ok()?),
            (Some(_), None) => return None,
            _ => None,
        };
        Some((
            LegSetup::Rtp {
                rtp: answer.rtp,
                rtcp: answer.rtcp,
                chosen,
                srtp,
            },
            chosen,
        ))
    }

    /// Answers the caller's offer with a codec of its own, `callee_codec` first when it
    /// has it (then audio is relayed) or by a trunk's policy, and installs the caller's leg
    /// in the bridge.
    fn answer_caller(&mut self, now: Instant, callee_codec: Codec, sent_by: &str) {
        let Some((offer_sdp, offer)) = self.neg.a_offer.clone() else {
            return;
        };
        let (Some(ip), Some(port)) = (
            self.media_ip(sent_by),
            self.media.as_ref().map(|m| m.port(Side::A)),
        ) else {
            return;
        };
        let result = match offer.profile {
            Profile::WebRtc => {
                let candidate = SocketAddr::new(ip, port);
                match WebRtcLeg::answer(now, &offer_sdp, candidate, &WEBRTC_CODECS) {
                    Ok((leg, sdp)) => {
                        if let Some(media) = &self.media {
                            media.set_candidate(Side::A, candidate);
                        }
                        leg.audio().map(|(codec, pt)| {
                            let chosen = Chosen {
                                codec,
                                pt,
                                telephone_event: leg.telephone_event(),
                            };
                            (LegSetup::WebRtc(Box::new(leg)), chosen, sdp)
                        })
                    }
                    Err(e) => {
                        tracing::info!(call = %self.record.id, "call: cannot answer the browser: {e}");
                        None
                    }
                }
            }
            Profile::Sdes | Profile::Plain => {
                self.answer_rtp_caller(&offer, callee_codec, ip, port)
            }
        };
        let Some((setup, chosen, sdp)) = result else {
            return;
        };
        self.note_codec(Side::A, chosen);
        self.neg.local_sdp[0] = Some(sdp);
        if let Some(media) = &self.media
            && let Err(e) = media.with_bridge(|b| b.set_leg(now, Side::A, setup))
        {
            tracing::warn!(call = %self.record.id, "call: bridge refused the caller's media: {e}");
        }
    }

    fn answer_rtp_caller(
        &mut self,
        offer: &RemoteAudio,
        callee_codec: Codec,
        ip: IpAddr,
        port: u16,
    ) -> Option<(LegSetup, Chosen, String)> {
        // A trunk's offer is answered by the trunk's codec order and SRTP policy; anyone
        // else's with the callee's codec when it has it (then audio is relayed).
        let (preference, keyed) = match &self.neg.a_trunk {
            Some(terms) => (terms.preference(callee_codec), terms.keyed),
            None => (vec![callee_codec], offer.profile == Profile::Sdes),
        };
        let chosen = offer.choose(&preference)?;
        let (srtp, key) = if keyed {
            let (theirs, ours) = answer_crypto(&offer.cryptos, &mut |b: &mut [u8]| rand::fill(b))?;
            (Some(SrtpSession::new(&ours, &theirs).ok()?), Some(ours))
        } else {
            (None, None)
        };
        let events = events_of(chosen);
        let sdp = negotiate::describe(&LocalAudio {
            session_id: self.neg.session_ids[0],
            version: self.neg.versions[0],
            ip,
            port,
            codecs: &[(chosen.codec, chosen.pt)],
            events: &events,
            crypto: key.as_ref(),
            keys_in_avp: offer.proto.eq_ignore_ascii_case("RTP/AVP"),
            direction: offer.direction.reversed(),
        });
        Some((
            LegSetup::Rtp {
                rtp: offer.rtp,
                rtcp: offer.rtcp,
                chosen,
                srtp,
            },
            chosen,
            sdp,
        ))
    }

    fn note_codec(&mut self, side: Side, chosen: Chosen) {
        self.neg.chosen[ix(side)] = Some(chosen);
        let name = format!("{}/{}", chosen.codec.name(), chosen.codec.rtp_clock());
        match side {
            Side::A => self.record.codec_a = Some(name),
            Side::B => self.record.codec_b = Some(name),
        }
    }

    /// Our answer to a re-offer (re-INVITE or UPDATE with SDP) on a bridged leg: the same
    /// media, the peer's new address and direction taken into account. None: refuse (488).
    pub(super) fn answer_reoffer(&mut self, side: Side, offer_sdp: Option<&str>) -> Option<String> {
        let i = ix(side);
        let current = self.neg.local_sdp[i].clone()?;
        let Some(offer_sdp) = offer_sdp else {
            // An offerless re-INVITE: our current description is the offer.
            return Some(current);
        };
        let offer = negotiate::read(offer_sdp)?;
        if offer.profile == Profile::WebRtc {
            let now = Instant::now();
            let media = self.media.as_ref()?;
            let answer = media.with_bridge(|b| {
                b.webrtc_mut(side)
                    .map(|leg| leg.accept_reoffer(now, offer_sdp))
            })?;
            return match answer {
                Ok(sdp) => {
                    self.neg.local_sdp[i] = Some(sdp.clone());
                    Some(sdp)
                }
                Err(e) => {
                    tracing::info!(call = %self.record.id, "call: browser re-offer refused: {e}");
                    None
                }
            };
        }
        let chosen = self.neg.chosen[i]?;
        let keep = offer
            .choose(&[chosen.codec])
            .filter(|c| c.codec == chosen.codec)?;
        let parsed = media::sdp::SessionDescription::parse(&current).ok()?;
        let ip = parsed.connection.as_ref().and_then(|c| c.ip())?;
        let port = parsed.media.first()?.port;
        let key = parsed
            .media
            .first()
            .and_then(|m| m.attribute("crypto"))
            .and_then(|v| CryptoAttribute::parse(v).ok());
        let srtp = match (&key, offer.cryptos.first()) {
            (Some(ours), Some(theirs)) => Some(SrtpSession::new(ours, theirs).ok()?),
            (Some(_), None) => return None,
            _ => None,
        };
        let events = events_of(keep);
        self.neg.versions[i] += 1;
        let sdp = negotiate::describe(&LocalAudio {
            session_id: self.neg.session_ids[i],
            version: self.neg.versions[i],
            ip,
            port,
            codecs: &[(keep.codec, keep.pt)],
            events: &events,
            crypto: key.as_ref(),
            keys_in_avp: offer.proto.eq_ignore_ascii_case("RTP/AVP"),
            direction: offer.direction.reversed(),
        });
        let setup = LegSetup::Rtp {
            rtp: offer.rtp,
            rtcp: offer.rtcp,
            chosen: keep,
            srtp,
        };
        let media = self.media.as_ref()?;
        media
            .with_bridge(|b| b.set_leg(Instant::now(), side, setup))
            .ok()?;
        self.neg.chosen[i] = Some(keep);
        self.neg.local_sdp[i] = Some(sdp.clone());
        Some(sdp)
    }

    /// A digit that came by SIP INFO (`application/dtmf-relay`) on `from`: sent on as RFC
    /// 4733 events to the other leg. False when the body is not a digit.
    pub(super) fn relay_info_digit(&mut self, from: Side, body: &[u8]) -> bool {
        let Some((digit, ms)) = std::str::from_utf8(body)
            .ok()
            .and_then(media::dtmf::parse_dtmf_relay)
        else {
            return false;
        };
        self.on_digit(from, digit);
        if let Some(media) = &self.media {
            media.with_bridge(|b| b.send_digit(Instant::now(), from.other(), digit, ms));
        }
        true
    }

    /// A key pressed on `side` (RFC 4733 or SIP INFO): the PBX core's record of it.
    pub(super) fn on_digit(&mut self, side: Side, digit: char) {
        tracing::info!(call = %self.record.id, ?side, %digit, "call: DTMF digit");
        self.digits.push((side, digit));
        self.ep.calls().add_digit(self.handle, digit);
        self.tell_browser_digit(side, digit);
    }

    /// The bridge's news during the conversation. True: the call must end.
    pub(super) fn on_bridge_event(&mut self, event: BridgeEvent) -> bool {
        match event {
            BridgeEvent::Digit { side, digit } => {
                self.on_digit(side, digit);
                false
            }
            BridgeEvent::Connected { side } => {
                tracing::debug!(call = %self.record.id, ?side, "call: WebRTC media connected");
                false
            }
            BridgeEvent::Failed { side, reason } => {
                tracing::info!(call = %self.record.id, ?side, %reason, "call: media failed; hanging up");
                true
            }
        }
    }
}

/// The telephone-event line a settled leg keeps: the one at its codec's clock, if any.
fn events_of(chosen: Chosen) -> Vec<(u8, u32)> {
    chosen
        .telephone_event
        .map(|pt| vec![(pt, chosen.codec.rtp_clock())])
        .unwrap_or_default()
}
