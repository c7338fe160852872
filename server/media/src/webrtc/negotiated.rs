//! The codec side of a WebRTC leg: which payload types we configure str0m with, and what the
//! answer finally agreed.

use str0m::RtcConfig;
use str0m::change::SdpAnswer;
use str0m::format::{Codec as StrCodec, FormatParams};
use str0m::media::{Frequency, Mid};

use super::WebRtcError;
use crate::codec::Codec;

/// Payload types of the telephone-events we offer. Chrome uses the same two numbers, so a
/// re-offer from either side keeps them stable.
const TELEPHONE_EVENT_48K: u8 = 110;
const TELEPHONE_EVENT_8K: u8 = 126;

/// An `RtcConfig` in RTP mode that knows only `codecs` (in that preference order; G.729 is
/// skipped, browsers have none) plus telephone-event at 48 and 8 kHz.
pub(crate) fn rtc_config(codecs: &[Codec], ice_lite: bool) -> Result<RtcConfig, WebRtcError> {
    let mut config = RtcConfig::new()
        .clear_codecs()
        .set_rtp_mode(true)
        .set_ice_lite(ice_lite);
    let params = config.codec_config();
    let mut enabled: Vec<Codec> = Vec::new();
    for &codec in codecs {
        // enable_* removes and re-appends, so a duplicate would demote the codec.
        if enabled.contains(&codec) {
            continue;
        }
        match codec {
            Codec::Opus => params.enable_opus(true, false),
            Codec::Pcmu => params.enable_pcmu(true, false),
            Codec::Pcma => params.enable_pcma(true, false),
            Codec::G722 => params.enable_g722(true, false),
            Codec::G729 => continue,
        }
        enabled.push(codec);
    }
    if enabled.is_empty() {
        return Err(WebRtcError::NoCodec);
    }
    // str0m leaves out of an offer the event clock rates no audio codec uses.
    for (pt, clock) in [
        (TELEPHONE_EVENT_48K, Frequency::FORTY_EIGHT_KHZ),
        (TELEPHONE_EVENT_8K, Frequency::EIGHT_KHZ),
    ] {
        params.add_config(
            pt.into(),
            None,
            StrCodec::Tele,
            clock,
            None,
            FormatParams::default(),
        );
    }
    Ok(config)
}

fn our_codec(codec: StrCodec) -> Option<Codec> {
    match codec {
        StrCodec::Opus => Some(Codec::Opus),
        StrCodec::PCMU => Some(Codec::Pcmu),
        StrCodec::PCMA => Some(Codec::Pcma),
        StrCodec::G722 => Some(Codec::G722),
        _ => None,
    }
}

/// What an answer settled for the audio m-line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Negotiated {
    /// The audio m-line.
    pub mid: Mid,
    /// The first audio codec of the answer's m-line and its payload type.
    pub audio: (Codec, u8),
    /// Telephone-event payload types with their clock rates, in answer order.
    pub events: Vec<(u8, u32)>,
    /// Every payload type we may send or accept (audio codecs and events of the answer).
    pub pts: Vec<u8>,
}

impl Negotiated {
    pub fn from_answer(answer: &SdpAnswer) -> Result<Negotiated, WebRtcError> {
        let line = answer
            .media_lines
            .iter()
            .filter(|line| !line.disabled)
            .find(|line| line.rtp_params().iter().any(|p| p.spec().codec.is_audio()))
            .ok_or(WebRtcError::NoCommonCodec)?;
        let params = line.rtp_params();
        let mut audio = None;
        let mut events = Vec::new();
        let mut pts = Vec::new();
        // The m= line carries the answerer's preference order; a=rtpmap lines need not.
        for pt in &line.pts {
            let Some(param) = params.iter().find(|p| p.pt() == *pt) else {
                continue;
            };
            let spec = param.spec();
            if let Some(codec) = our_codec(spec.codec) {
                audio.get_or_insert((codec, **pt));
                pts.push(**pt);
            } else if spec.codec.is_tele() {
                events.push((**pt, spec.clock_rate.get()));
                pts.push(**pt);
            }
        }
        let audio = audio.ok_or(WebRtcError::NoCommonCodec)?;
        Ok(Negotiated {
            mid: line.mid(),
            audio,
            events,
            pts,
        })
    }

    /// The telephone-event payload type to use with the agreed codec: the one at its RTP
    /// clock (RFC 4733 §2.1 wants the same clock as the audio), else the 48 kHz one, else any.
    pub fn telephone_event(&self) -> Option<(u8, u32)> {
        let clock = self.audio.0.rtp_clock();
        let at = |c: u32| self.events.iter().copied().find(|&(_, rate)| rate == c);
        at(clock)
            .or_else(|| at(48_000))
            .or_else(|| self.events.first().copied())
    }
}
