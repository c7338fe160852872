//! Audio codecs behind one pair of traits, so the transcoder never knows which one it drives.
//!
//! - [`Codec::Pcmu`] / [`Codec::Pcma`]: ITU-T G.711, our own tables (`g711`).
//! - [`Codec::G722`]: ITU-T G.722 64 kbit/s SB-ADPCM, our own (`g722`).
//! - [`Codec::G729`]: ITU-T G.729 (Annex A compatible) through Debian's libbcg729 (`g729`,
//!   cargo feature `g729`).
//! - [`Codec::Opus`]: libopus through the `opus` crate (`opus`).
//!
//! Every encoder takes 20 ms of mono PCM at its `input_rate` and appends one RTP payload;
//! every decoder appends the PCM of one payload at its `output_rate`.

#[cfg(feature = "g729")]
mod ffi;
mod g711;
mod g722;
#[cfg(feature = "g729")]
mod g729;
mod opus;
mod plc;
#[cfg(test)]
pub(crate) mod test_tone;

/// The frame length every encoder produces and every decoder conceals.
pub const FRAME_MS: u32 = 20;

/// The audio codecs Switchboard can transcode between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    Pcmu,
    Pcma,
    G722,
    G729,
    Opus,
}

impl Codec {
    pub const ALL: [Codec; 5] = [
        Codec::Pcmu,
        Codec::Pcma,
        Codec::G722,
        Codec::G729,
        Codec::Opus,
    ];

    /// The SDP encoding name (`a=rtpmap:<pt> <name>/<clock>`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
            Codec::G722 => "G722",
            Codec::G729 => "G729",
            Codec::Opus => "opus",
        }
    }

    /// The RTP clock rate. G.722 says 8000 although it samples at 16 kHz: RFC 3551 kept an
    /// error of RFC 1890 for compatibility.
    pub fn rtp_clock(self) -> u32 {
        match self {
            Codec::Opus => 48_000,
            _ => 8_000,
        }
    }

    /// The channel count written in SDP: RFC 7587 always says `opus/48000/2`, even for mono.
    pub fn channels(self) -> u8 {
        match self {
            Codec::Opus => 2,
            _ => 1,
        }
    }

    /// The PCM sample rate the codec works at natively.
    pub fn pcm_rate(self) -> u32 {
        match self {
            Codec::G722 => 16_000,
            Codec::Opus => 48_000,
            _ => 8_000,
        }
    }

    /// The RFC 3551 static payload type, if the codec has one.
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            Codec::Pcmu => Some(0),
            Codec::Pcma => Some(8),
            Codec::G722 => Some(9),
            Codec::G729 => Some(18),
            Codec::Opus => None,
        }
    }

    /// The codec an `a=rtpmap` line names; the name is compared case-insensitively.
    pub fn from_rtpmap(name: &str, clock: u32) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name) && c.rtp_clock() == clock)
    }

    /// RTP timestamp increment of one 20 ms frame.
    pub fn rtp_ticks_per_frame(self) -> u32 {
        self.rtp_clock() * FRAME_MS / 1000
    }
}

/// Encoder settings; only Opus has any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderOptions {
    /// libopus complexity 0..=10; 5 halves the CPU of 10 at a small quality cost.
    pub opus_complexity: u8,
    /// In-band FEC (LBRR), tuned for 10 % expected loss.
    pub opus_fec: bool,
    /// Target bit rate in bit/s; `None` lets libopus choose.
    pub opus_bitrate: Option<u32>,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        EncoderOptions {
            opus_complexity: 5,
            opus_fec: true,
            opus_bitrate: None,
        }
    }
}

/// Turns mono PCM into RTP payloads.
pub trait Encoder: Send {
    fn codec(&self) -> Codec;
    /// The PCM rate it wants; 20 ms is `input_rate / 50` samples.
    fn input_rate(&self) -> u32;
    /// Encodes 20 ms of PCM and appends the payload to `out`.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError>;
}

/// Turns RTP payloads back into mono PCM.
pub trait Decoder: Send {
    fn codec(&self) -> Codec;
    fn output_rate(&self) -> u32;
    /// Decodes one payload (any length the codec allows) and appends its samples.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError>;
    /// One lost 20 ms frame: FEC from `next` (the packet after the gap) when the codec has it
    /// (Opus in-band FEC), else packet-loss concealment. Appends output_rate/50 samples.
    fn conceal(&mut self, next: Option<&[u8]>, out: &mut Vec<i16>) -> Result<(), CodecError>;
}

/// What can go wrong making or running a codec.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("{} cannot run at {rate} Hz", codec.name())]
    Rate { codec: Codec, rate: u32 },
    #[error("{} is not built in (cargo feature off)", .0.name())]
    Unavailable(Codec),
    #[error("bad frame: {0}")]
    Frame(String),
    #[error("codec library: {0}")]
    Library(String),
}

/// The rates libopus encodes from and decodes to without resampling.
const OPUS_RATES: [u32; 5] = [8_000, 12_000, 16_000, 24_000, 48_000];

fn check_rate(codec: Codec, rate: u32) -> Result<(), CodecError> {
    let ok = match codec {
        Codec::Opus => OPUS_RATES.contains(&rate),
        _ => rate == codec.pcm_rate(),
    };
    if ok {
        Ok(())
    } else {
        Err(CodecError::Rate { codec, rate })
    }
}

/// An encoder of `codec` fed at `input_rate`: for Opus any of 8000/12000/16000/24000/48000
/// (Opus encodes straight from it); other codecs only accept their pcm_rate.
pub fn encoder(
    codec: Codec,
    input_rate: u32,
    opts: &EncoderOptions,
) -> Result<Box<dyn Encoder>, CodecError> {
    check_rate(codec, input_rate)?;
    Ok(match codec {
        Codec::Pcmu => Box::new(g711::G711Encoder::new(g711::Law::Mu)),
        Codec::Pcma => Box::new(g711::G711Encoder::new(g711::Law::A)),
        Codec::G722 => Box::new(g722::G722Encoder::new()),
        Codec::G729 => g729_encoder()?,
        Codec::Opus => Box::new(opus::OpusEncoder::new(input_rate, opts)?),
    })
}

/// A decoder of `codec` producing `output_rate`: Opus decodes straight to
/// 8000/12000/16000/24000/48000; others only to their pcm_rate.
pub fn decoder(codec: Codec, output_rate: u32) -> Result<Box<dyn Decoder>, CodecError> {
    check_rate(codec, output_rate)?;
    Ok(match codec {
        Codec::Pcmu => Box::new(g711::G711Decoder::new(g711::Law::Mu)),
        Codec::Pcma => Box::new(g711::G711Decoder::new(g711::Law::A)),
        Codec::G722 => Box::new(g722::G722Decoder::new()),
        Codec::G729 => g729_decoder()?,
        Codec::Opus => Box::new(opus::OpusDecoder::new(output_rate)?),
    })
}

#[cfg(feature = "g729")]
fn g729_encoder() -> Result<Box<dyn Encoder>, CodecError> {
    Ok(Box::new(g729::G729Encoder::new()?))
}

#[cfg(not(feature = "g729"))]
fn g729_encoder() -> Result<Box<dyn Encoder>, CodecError> {
    Err(CodecError::Unavailable(Codec::G729))
}

#[cfg(feature = "g729")]
fn g729_decoder() -> Result<Box<dyn Decoder>, CodecError> {
    Ok(Box::new(g729::G729Decoder::new()?))
}

#[cfg(not(feature = "g729"))]
fn g729_decoder() -> Result<Box<dyn Decoder>, CodecError> {
    Err(CodecError::Unavailable(Codec::G729))
}

/// Samples in one 20 ms frame at `rate`.
pub(crate) fn frame_samples(rate: u32) -> usize {
    (rate / 1000 * FRAME_MS) as usize
}

#[cfg(test)]
mod tests;
