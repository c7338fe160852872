//! ITU-T G.729 through libbcg729 (`ffi::bcg729`). RTP carries 10 ms frames of 10 bytes
//! (RFC 3551 §4.5.6), so 20 ms is two of them; a decoder takes any number of voice frames,
//! optionally followed by one 2-byte Annex B SID frame. VAD/DTX stays off on our side.

use super::ffi::bcg729::{DecoderChannel, EncoderChannel, FRAME_BYTES, FRAME_SAMPLES, Input};
use super::{Codec, CodecError, Decoder, Encoder, frame_samples};

const SID_BYTES: usize = 2;

pub(crate) struct G729Encoder {
    channel: EncoderChannel,
}

impl G729Encoder {
    pub(crate) fn new() -> Result<Self, CodecError> {
        let channel = EncoderChannel::new(false)
            .ok_or_else(|| CodecError::Library("bcg729 encoder channel".into()))?;
        Ok(G729Encoder { channel })
    }
}

impl Encoder for G729Encoder {
    fn codec(&self) -> Codec {
        Codec::G729
    }

    fn input_rate(&self) -> u32 {
        8_000
    }

    /// Takes any whole number of 10 ms frames (20 ms for RTP legs).
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        if pcm.is_empty() || !pcm.len().is_multiple_of(FRAME_SAMPLES) {
            return Err(CodecError::Frame(format!(
                "G.729 encodes 10 ms frames of 80 samples, got {}",
                pcm.len()
            )));
        }
        for chunk in pcm.chunks_exact(FRAME_SAMPLES) {
            let mut frame = [0i16; FRAME_SAMPLES];
            frame.copy_from_slice(chunk);
            let mut bits = [0u8; FRAME_BYTES];
            let n = self.channel.encode(&frame, &mut bits);
            out.extend_from_slice(&bits[..n]);
        }
        Ok(())
    }
}

pub(crate) struct G729Decoder {
    channel: DecoderChannel,
}

impl G729Decoder {
    pub(crate) fn new() -> Result<Self, CodecError> {
        let channel = DecoderChannel::new()
            .ok_or_else(|| CodecError::Library("bcg729 decoder channel".into()))?;
        Ok(G729Decoder { channel })
    }

    fn run(&mut self, input: Input<'_>, out: &mut Vec<i16>) {
        let mut pcm = [0i16; FRAME_SAMPLES];
        self.channel.decode(input, &mut pcm);
        out.extend_from_slice(&pcm);
    }
}

impl Decoder for G729Decoder {
    fn codec(&self) -> Codec {
        Codec::G729
    }

    fn output_rate(&self) -> u32 {
        8_000
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        let sid = payload.len() % FRAME_BYTES;
        if payload.is_empty() || (sid != 0 && sid != SID_BYTES) {
            return Err(CodecError::Frame(format!(
                "G.729 payload of {} bytes is not 10-byte frames plus an optional 2-byte SID",
                payload.len()
            )));
        }
        let (voice, tail) = payload.split_at(payload.len() - sid);
        for chunk in voice.chunks_exact(FRAME_BYTES) {
            let frame: &[u8; FRAME_BYTES] = chunk
                .try_into()
                .map_err(|_| CodecError::Frame("G.729 frame".into()))?;
            self.run(Input::Voice(frame), out);
        }
        if let Ok(sid) = <&[u8; SID_BYTES]>::try_from(tail) {
            self.run(Input::Sid(sid), out);
        }
        Ok(())
    }

    /// G.729 has no FEC; its own concealment extrapolates the last parameters, frame by frame.
    fn conceal(&mut self, _next: Option<&[u8]>, out: &mut Vec<i16>) -> Result<(), CodecError> {
        for _ in 0..frame_samples(8_000) / FRAME_SAMPLES {
            self.run(Input::Erased, out);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
