//! Calls in from a trunk are answered toward the trunk by the trunk's media policy, as our
//! calls out are offered by it (`trunk_media`). The answer names the first codec of the
//! trunk's codec order that the provider offered; the callee is offered that codec first,
//! and when it answers with another (a PCMU-only phone, Opus from a browser) the call is
//! bridged and transcoded. SDES-SRTP follows the trunk's policy: `require` refuses an offer
//! without a key and answers a keyed one with our own key; `offer` takes a key when one
//! comes (answered as offered: `RTP/SAVP`, or best-effort `RTP/AVP` with the key) and
//! answers plainly otherwise; `off` refuses an `RTP/SAVP` offer and ignores keys in an
//! `RTP/AVP` one. A refusal is 488 (Not Acceptable Here), before anything rings.

use media::bridge::negotiate::{self, Chosen, Profile, RemoteAudio};
use media::codec::Codec;
use media::sdp::SessionDescription;
use media::srtp::{CryptoAttribute, answer_crypto};
use pbx::trunk::{SrtpPolicy, Trunk};

use super::task::Call;
use super::trunk_media::trunk_codecs;

/// What our answer toward a trunk must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TrunkTerms {
    /// The trunk's codec order: what the answer picks from, best first.
    pub codecs: Vec<Codec>,
    /// The first of `codecs` the offer has, with the offer's payload type. None when the
    /// offer has none of them: then any codec it offered will do.
    pub choice: Option<Chosen>,
    /// The answer carries our SDES key (the offer's key was taken).
    pub keyed: bool,
}

impl TrunkTerms {
    /// Whether the trunk leg may simply get `codec` (what a relayed callee answered).
    pub fn accepts(&self, codec: Codec) -> bool {
        self.choice.is_none_or(|c| c.codec == codec)
    }

    /// The codecs our answer prefers, best first: the trunk's, then what the callee speaks
    /// (relayed, when the trunk's list has nothing the provider offered).
    pub fn preference(&self, callee: Codec) -> Vec<Codec> {
        let mut out = self.codecs.clone();
        if !out.contains(&callee) {
            out.push(callee);
        }
        out
    }
}

/// The SRTP side of our answer to a trunk's offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SrtpAnswer {
    Plain,
    /// With our key, in the offer's profile.
    Keyed,
    Refuse,
}

/// The SRTP side of our answer, by the trunk's `policy`: `savp`, the offer's audio line is
/// `RTP/SAVP`; `keyed`, it carries an SDES key we can use.
pub(super) fn srtp_answer(policy: SrtpPolicy, savp: bool, keyed: bool) -> SrtpAnswer {
    match policy {
        SrtpPolicy::Require | SrtpPolicy::Offer if keyed => SrtpAnswer::Keyed,
        SrtpPolicy::Require => SrtpAnswer::Refuse,
        // An answer keeps the offer's transport (RFC 3264 §6): RTP/SAVP cannot be answered
        // plainly, and without a usable key it cannot be answered with SRTP either.
        SrtpPolicy::Offer | SrtpPolicy::Off if savp => SrtpAnswer::Refuse,
        SrtpPolicy::Offer | SrtpPolicy::Off => SrtpAnswer::Plain,
    }
}

/// The terms for a trunk's offer, or the status that refuses it (488). None: the trunk's
/// policy has nothing to say (a WebRTC offer brings its own DTLS-SRTP and codecs).
pub(super) fn terms(trunk: &Trunk, offer: &RemoteAudio) -> Result<Option<TrunkTerms>, u16> {
    if offer.profile == Profile::WebRtc {
        return Ok(None);
    }
    let savp = offer.proto.eq_ignore_ascii_case("RTP/SAVP");
    let keyed = match srtp_answer(trunk.srtp, savp, usable_key(&offer.cryptos)) {
        SrtpAnswer::Refuse => return Err(488),
        SrtpAnswer::Keyed => true,
        SrtpAnswer::Plain => false,
    };
    let codecs = trunk_codecs(trunk);
    let choice = offer
        .choose(&codecs)
        .filter(|chosen| codecs.contains(&chosen.codec));
    Ok(Some(TrunkTerms {
        codecs,
        choice,
        keyed,
    }))
}

/// Whether one of the offered keys is one we can answer (the answerer's own rule, with a
/// key that is thrown away).
fn usable_key(offered: &[CryptoAttribute]) -> bool {
    answer_crypto(offered, &mut |_: &mut [u8]| {}).is_some()
}

impl Call {
    /// The caller's offer held to its trunk's media policy, on a call in from a trunk: the
    /// offer with the trunk's codec first (what the callee is offered) and the terms of our
    /// answer. Err: the status that refuses the call. Any other call passes unchanged.
    pub(super) fn trunk_policy(
        &self,
        offer: Option<String>,
    ) -> Result<(Option<String>, Option<TrunkTerms>), u16> {
        let (Some(inbound), Some(sdp)) = (&self.inbound, offer.as_deref()) else {
            return Ok((offer, None));
        };
        let trunk = &inbound.trunk;
        let Some(remote) = negotiate::read(sdp) else {
            // Nothing we could read, so no key either: "SRTP or no call" means no call.
            if trunk.srtp == SrtpPolicy::Require {
                return Err(488);
            }
            return Ok((offer, None));
        };
        let Some(terms) = terms(trunk, &remote).inspect_err(|status| {
            tracing::info!(
                trunk = %trunk.name, policy = trunk.srtp.as_str(), proto = %remote.proto,
                keys = remote.cryptos.len(), status,
                "trunk call refused: its offer breaks the trunk's SRTP policy"
            );
        })?
        else {
            return Ok((offer, None));
        };
        let sdp = match terms.choice {
            Some(choice) => prefer_format(sdp, choice.pt),
            None => sdp.to_owned(),
        };
        Ok((Some(sdp), Some(terms)))
    }
}

/// `sdp` with payload type `pt` first on its audio line, so a callee that has the trunk's
/// codec answers with it and audio passes untouched. Unchanged when `pt` is already first
/// or absent, or the SDP does not parse.
pub(super) fn prefer_format(sdp: &str, pt: u8) -> String {
    let Ok(mut parsed) = SessionDescription::parse(sdp) else {
        return sdp.to_owned();
    };
    let Some(m) = parsed
        .media
        .iter_mut()
        .find(|m| m.kind.eq_ignore_ascii_case("audio") && m.port != 0)
    else {
        return sdp.to_owned();
    };
    let wanted = pt.to_string();
    match m.formats.iter().position(|f| f.trim() == wanted) {
        Some(at) if at > 0 => {
            let format = m.formats.remove(at);
            m.formats.insert(0, format);
            parsed.to_string()
        }
        _ => sdp.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

    fn offer(proto: &str, formats: &str, crypto: bool) -> String {
        let mut sdp = format!(
            "v=0\r\no=p 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
m=audio 4000 {proto} {formats} 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:9 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
        );
        if crypto {
            sdp.push_str(&format!("a=crypto:{KEY}\r\n"));
        }
        sdp
    }

    fn read(sdp: &str) -> RemoteAudio {
        negotiate::read(sdp).unwrap_or_else(|| panic!("unreadable test SDP:\n{sdp}"))
    }

    fn trunk(codecs: &[&str], srtp: SrtpPolicy) -> Trunk {
        Trunk {
            id: 0,
            name: "t".into(),
            host: "192.0.2.9".into(),
            port: None,
            transport: pbx::trunk::TrunkTransport::Udp,
            registration: None,
            allow: Vec::new(),
            codecs: codecs.iter().map(|c| (*c).to_owned()).collect(),
            srtp,
            channels: None,
            options_interval: 0,
            caller_id: None,
            ca_file: None,
        }
    }

    #[test]
    fn srtp_follows_the_trunks_policy() {
        use SrtpAnswer::{Keyed, Plain, Refuse};
        use SrtpPolicy::{Off, Offer, Require};
        // (policy, RTP/SAVP, usable key) -> answer
        let table = [
            (Require, false, false, Refuse),
            (Require, true, false, Refuse),
            (Require, true, true, Keyed),
            (Require, false, true, Keyed),
            (Offer, false, false, Plain),
            (Offer, false, true, Keyed),
            (Offer, true, true, Keyed),
            (Offer, true, false, Refuse),
            (Off, false, false, Plain),
            (Off, false, true, Plain),
            (Off, true, true, Refuse),
            (Off, true, false, Refuse),
        ];
        for (policy, savp, keyed, want) in table {
            assert_eq!(
                srtp_answer(policy, savp, keyed),
                want,
                "{policy:?} savp={savp} keyed={keyed}"
            );
        }
    }

    #[test]
    fn the_answer_takes_the_trunks_first_offered_codec() {
        // (trunk codecs, offered formats) -> chosen codec
        let table: [(&[&str], &str, Option<Codec>); 5] = [
            (&["G722", "PCMU"], "0 9", Some(Codec::G722)),
            (&["PCMU", "G722"], "9 0", Some(Codec::Pcmu)),
            (&["PCMA", "G722"], "0 9", Some(Codec::G722)),
            (&["G729", "PCMA"], "0 9", None),
            (&["AMR"], "9 0", Some(Codec::Pcmu)),
        ];
        for (codecs, formats, want) in table {
            let Ok(Some(t)) = terms(
                &trunk(codecs, SrtpPolicy::Off),
                &read(&offer("RTP/AVP", formats, false)),
            ) else {
                panic!("{codecs:?} offered {formats}: no terms");
            };
            assert_eq!(
                t.choice.map(|c| c.codec),
                want,
                "{codecs:?} offered {formats}"
            );
            if let Some(c) = t.choice {
                assert_eq!(c.telephone_event, Some(101));
            }
        }
    }

    #[test]
    fn refusals_and_keys_come_from_the_offer() {
        let cases = [
            (SrtpPolicy::Require, "RTP/AVP", false, Err(488)),
            (SrtpPolicy::Require, "RTP/SAVP", true, Ok(true)),
            (SrtpPolicy::Off, "RTP/SAVP", true, Err(488)),
            (SrtpPolicy::Off, "RTP/AVP", true, Ok(false)),
            (SrtpPolicy::Offer, "RTP/AVP", true, Ok(true)),
            (SrtpPolicy::Offer, "RTP/AVP", false, Ok(false)),
        ];
        for (policy, proto, crypto, want) in cases {
            let got = terms(&trunk(&["PCMU"], policy), &read(&offer(proto, "0", crypto)))
                .map(|t| t.map(|t| t.keyed).unwrap_or_default());
            assert_eq!(got, want, "{policy:?} {proto} key={crypto}");
        }
    }

    #[test]
    fn a_garbled_key_is_no_key() {
        let bad = "1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=";
        let sdp = offer("RTP/SAVP", "0", false) + &format!("a=crypto:{bad}\r\n");
        let got = terms(&trunk(&["PCMU"], SrtpPolicy::Require), &read(&sdp));
        assert_eq!(got, Err(488));
    }

    #[test]
    fn the_trunks_codec_goes_first_for_the_callee() {
        let sdp = offer("RTP/AVP", "0 8 9", false);
        let out = prefer_format(&sdp, 9);
        assert!(out.contains("m=audio 4000 RTP/AVP 9 0 8 101\r\n"), "{out}");
        assert!(out.contains("a=rtpmap:9 G722/8000"), "{out}");
        assert_eq!(prefer_format(&sdp, 0), sdp, "already first");
        assert_eq!(prefer_format(&sdp, 18), sdp, "not offered");
        assert_eq!(prefer_format("garbage", 9), "garbage");
    }

    #[test]
    fn the_preference_ends_with_the_callees_codec() {
        let t = TrunkTerms {
            codecs: vec![Codec::G722, Codec::Pcmu],
            choice: None,
            keyed: false,
        };
        assert_eq!(
            t.preference(Codec::Opus),
            vec![Codec::G722, Codec::Pcmu, Codec::Opus]
        );
        assert_eq!(t.preference(Codec::Pcmu), vec![Codec::G722, Codec::Pcmu]);
        assert!(t.accepts(Codec::Pcma), "no choice: anything offered");
    }
}
