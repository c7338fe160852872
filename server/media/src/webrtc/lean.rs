//! What the server's leg asks of str0m, sized for one audio stream per call.
//!
//! str0m's defaults suit a browser-grade video client. Kept for a server that holds hundreds
//! of audio legs, some of them cost memory for nothing:
//! - transport-wide congestion control: every packet we send is remembered for TWCC
//!   feedback (1000 records, about 90 KiB a leg once 20 s of audio have gone), which only a
//!   bandwidth estimator reads, and we send audio at the rate the codec sets. Without the
//!   header extension in our answer the browser sends no TWCC either;
//! - absolute send time and the simulcast/video extensions: not for an audio m-line;
//! - the retransmission cache of the audio stream, and the byte counts of the last second
//!   kept to cap retransmissions: nothing is ever retransmitted, as no audio codec we
//!   configure has NACK feedback. The counts are one entry a packet sent, and the burst
//!   after a stall grows that queue for good (about 10 KiB a leg under load).

use std::time::Duration;

use str0m::media::Mid;
use str0m::rtp::{Extension, ExtensionMap};
use str0m::{Rtc, RtcConfig};

/// The RTP header extensions the server's leg negotiates: the audio level (RFC 6464, cheap and
/// useful to a recording or a conference later) and the MID (RFC 8843), which BUNDLE uses to
/// match a stream before its SSRC is known.
pub(crate) fn audio_extensions() -> ExtensionMap {
    let mut exts = ExtensionMap::empty();
    exts.set(1, Extension::AudioLevel);
    exts.set(4, Extension::RtpMid);
    exts
}

/// `config` trimmed for a server-side audio leg.
pub(crate) fn lean(config: RtcConfig) -> RtcConfig {
    config.set_extension_map(audio_extensions())
}

/// Turns off the audio stream's retransmission cache and its ratio cap, once str0m has made
/// the stream (after each offer/answer). A cache with no lifetime keeps nothing; str0m wants
/// a size of at least one.
pub(crate) fn no_retransmissions(rtc: &mut Rtc, mid: Mid) {
    if let Some(stream) = rtc.direct_api().stream_tx_by_mid(mid, None) {
        stream.set_rtx_cache(1, Duration::ZERO, None);
    }
}
