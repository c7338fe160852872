//! Opus through libopus (the `opus` crate). Mono, VOIP application, in-band FEC tuned for
//! 10 % loss, no DTX (a silent leg must keep its NAT bindings and jitter estimates fed). Both
//! directions run at the caller's rate, so a G.711 leg decodes straight to 8 kHz and no
//! resampler sits in the path.

use opus::{Application, Bitrate, Channels};

use super::{Codec, CodecError, Decoder, Encoder, EncoderOptions, frame_samples};

/// Expected loss libopus sizes its LBRR (FEC) data for, in percent.
const EXPECTED_LOSS_PERCENT: i32 = 10;
/// The largest Opus packet (RFC 6716 §3.4: 1275 bytes a frame; 3 frames a 60 ms packet).
const MAX_PACKET: usize = 4_000;
/// The longest Opus packet, 120 ms.
const MAX_PACKET_MS: usize = 120;

fn library(e: opus::Error) -> CodecError {
    CodecError::Library(e.to_string())
}

pub(crate) struct OpusEncoder {
    inner: opus::Encoder,
    rate: u32,
}

impl OpusEncoder {
    pub(crate) fn new(rate: u32, opts: &EncoderOptions) -> Result<Self, CodecError> {
        let mut inner =
            opus::Encoder::new(rate, Channels::Mono, Application::Voip).map_err(library)?;
        inner
            .set_complexity(i32::from(opts.opus_complexity.min(10)))
            .map_err(library)?;
        inner.set_inband_fec(opts.opus_fec).map_err(library)?;
        let loss = if opts.opus_fec {
            EXPECTED_LOSS_PERCENT
        } else {
            0
        };
        inner.set_packet_loss_perc(loss).map_err(library)?;
        inner.set_dtx(false).map_err(library)?;
        if let Some(bps) = opts.opus_bitrate {
            let bps =
                i32::try_from(bps).map_err(|_| CodecError::Library(format!("bitrate {bps}")))?;
            inner.set_bitrate(Bitrate::Bits(bps)).map_err(library)?;
        }
        Ok(OpusEncoder { inner, rate })
    }
}

impl Encoder for OpusEncoder {
    fn codec(&self) -> Codec {
        Codec::Opus
    }

    fn input_rate(&self) -> u32 {
        self.rate
    }

    /// Takes one frame of 2.5, 5, 10, 20, 40 or 60 ms (20 ms is what RTP legs use).
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        // Opus frames are 1, 2, 4, 8, 16 or 24 times 2.5 ms.
        let unit = self.rate as usize / 400;
        let whole = pcm.len().is_multiple_of(unit);
        if !whole || !matches!(pcm.len() / unit, 1 | 2 | 4 | 8 | 16 | 24) {
            return Err(CodecError::Frame(format!(
                "Opus cannot encode {} samples at {} Hz",
                pcm.len(),
                self.rate
            )));
        }
        let start = out.len();
        out.resize(start + MAX_PACKET, 0);
        match self.inner.encode(pcm, &mut out[start..]) {
            Ok(n) => {
                out.truncate(start + n);
                Ok(())
            }
            Err(e) => {
                out.truncate(start);
                Err(library(e))
            }
        }
    }
}

pub(crate) struct OpusDecoder {
    inner: opus::Decoder,
    rate: u32,
}

impl OpusDecoder {
    pub(crate) fn new(rate: u32) -> Result<Self, CodecError> {
        let inner = opus::Decoder::new(rate, Channels::Mono).map_err(library)?;
        Ok(OpusDecoder { inner, rate })
    }

    /// Runs libopus into a fresh tail of `out` of `room` samples and keeps what it wrote.
    fn run(
        &mut self,
        payload: &[u8],
        fec: bool,
        room: usize,
        out: &mut Vec<i16>,
    ) -> Result<usize, CodecError> {
        let start = out.len();
        out.resize(start + room, 0);
        match self.inner.decode(payload, &mut out[start..], fec) {
            Ok(n) => {
                out.truncate(start + n);
                Ok(n)
            }
            Err(e) => {
                out.truncate(start);
                Err(library(e))
            }
        }
    }
}

impl Decoder for OpusDecoder {
    fn codec(&self) -> Codec {
        Codec::Opus
    }

    fn output_rate(&self) -> u32 {
        self.rate
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        // An empty slice would make libopus conceal 120 ms: that is `conceal`'s job.
        if payload.is_empty() {
            return Err(CodecError::Frame("empty Opus payload".into()));
        }
        let room = self.rate as usize * MAX_PACKET_MS / 1000;
        self.run(payload, false, room, out).map(|_| ())
    }

    /// With `next`, libopus rebuilds the lost frame from the LBRR copy inside it (or conceals
    /// when `next` carries none); libopus wants exactly the missing duration for both.
    fn conceal(&mut self, next: Option<&[u8]>, out: &mut Vec<i16>) -> Result<(), CodecError> {
        let frame = frame_samples(self.rate);
        if let Some(next) = next.filter(|p| !p.is_empty())
            && self.run(next, true, frame, out).is_ok()
        {
            return Ok(());
        }
        self.run(&[], false, frame, out).map(|_| ())
    }
}

#[cfg(test)]
mod tests;
