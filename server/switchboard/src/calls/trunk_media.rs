//! The media of a trunk leg on calls out: our own offer in the trunk's codec order (the
//! bridge transcodes when the caller spoke something else: Opus from a browser, G.722 from
//! a phone), with an SDES key when the trunk's SRTP policy asks for one — in `RTP/SAVP`
//! when SRTP is required, in `RTP/AVP` (best effort) when it is only offered, so a
//! provider without SRTP can still answer plainly. Calls in from a trunk are answered by
//! the same policy (`trunk_answer`).

use media::bridge::negotiate::{self, LocalAudio};
use media::codec::Codec;
use media::relay::Side;
use media::sdp::Direction;
use media::srtp::{CryptoAttribute, CryptoSuite};
use pbx::trunk::{SrtpPolicy, Trunk};
use sip::Response;

use super::leg;
use super::task::Call;

/// What a trunk gets when its codec list names nothing we have.
const FALLBACK: [Codec; 2] = [Codec::Pcmu, Codec::Pcma];

impl Call {
    /// Our offer to `trunk`, making the call bridged; None when the caller sent no offer
    /// (the trunk then offers in its 2xx and the caller answers in its ACK, as between
    /// phones).
    pub(super) fn trunk_offer(&mut self, trunk: &Trunk, sent_by: &str) -> Option<String> {
        self.neg.a_offer.as_ref()?;
        let ip = self.media_ip(sent_by)?;
        let port = self.media.as_ref()?.port(Side::B);
        self.neg.bridged = true;
        let codecs = trunk_codecs(trunk);
        self.neg.b_key = (trunk.srtp != SrtpPolicy::Off).then(|| {
            CryptoAttribute::generate(
                1,
                CryptoSuite::AesCm128HmacSha1_80,
                &mut |b: &mut [u8]| rand::fill(b),
            )
        });
        let (formats, events) = negotiate::offer_formats(&codecs);
        Some(negotiate::describe(&LocalAudio {
            session_id: self.neg.session_ids[1],
            version: self.neg.versions[1],
            ip,
            port,
            codecs: &formats,
            events: &events,
            crypto: self.neg.b_key.as_ref(),
            keys_in_avp: trunk.srtp == SrtpPolicy::Offer,
            direction: Direction::SendRecv,
        }))
    }
}

/// The trunk's codec order as codecs this build has (FALLBACK when it names none of them).
pub(super) fn trunk_codecs(trunk: &Trunk) -> Vec<Codec> {
    let codecs: Vec<Codec> = trunk
        .codecs
        .iter()
        .filter_map(|name| codec_named(name))
        .filter(|c| negotiate::available(*c))
        .collect();
    if codecs.is_empty() {
        FALLBACK.to_vec()
    } else {
        codecs
    }
}

/// A codec by the name admins write in a trunk's codec list (`PCMU`, `g722`...).
fn codec_named(name: &str) -> Option<Codec> {
    Codec::ALL
        .into_iter()
        .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
}

/// Whether a 2xx's SDP carries an SDES key (`a=crypto`).
pub(super) fn answer_has_key(response: &Response) -> bool {
    leg::sdp_body(response.content_type(), &response.body)
        .and_then(|sdp| negotiate::read(&sdp))
        .is_some_and(|a| !a.cryptos.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_names_as_admins_write_them() {
        assert_eq!(codec_named("pcmu"), Some(Codec::Pcmu));
        assert_eq!(codec_named(" G722 "), Some(Codec::G722));
        assert_eq!(codec_named("AMR"), None);
    }
}
