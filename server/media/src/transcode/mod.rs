//! One direction of a transcoded call: leg X's RTP payloads in, leg Y's payloads out.
//!
//! `jitter buffer -> decode (or conceal) -> resample (only when rates differ) -> re-frame to
//! 20 ms -> encode`. Opus decodes and encodes straight at the telephone rate, so an
//! Opus <-> G.711/G.729 call never resamples, and Opus <-> G.722 runs at 16 kHz.
//!
//! The output stream is our own: its RTP timestamp starts at 0 and advances one frame per
//! frame, so it stays continuous across loss (a lost packet is concealed, not skipped).

mod fifo;

use std::time::{Duration, Instant};

use crate::codec::{self, Codec, CodecError, Decoder, Encoder, EncoderOptions};
use crate::jitter::{JitterBuffer, JitterStats, Playout};
use crate::resample::Resampler;
use fifo::PcmFifo;

/// How long a gap may hold back the packets behind it before it is concealed.
pub const JITTER_MAX_WAIT: Duration = Duration::from_millis(30);
/// Packets held at most (1.3 s of 40 ms packets).
pub const JITTER_CAPACITY: usize = 32;
/// The longest packet we expect (Opus allows 120 ms): caps how much one loss conceals.
const MAX_PACKET_MS: usize = 120;

/// One encoded 20 ms frame of the output leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFrame {
    pub payload: Vec<u8>,
    /// At the output codec's RTP clock: starts at 0, + `rtp_ticks_per_frame` per frame.
    pub timestamp: u32,
    /// Set on the first frame, and on the first after the input stream restarted.
    pub marker: bool,
}

/// What the transcoder had to repair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TranscodeStats {
    pub jitter: JitterStats,
    /// 20 ms frames made up by FEC or concealment.
    pub concealed: u64,
    /// Payloads the decoder refused (concealed instead).
    pub decode_errors: u64,
    /// Frames the encoder refused (their timestamp is skipped, as a loss).
    pub encode_errors: u64,
}

pub struct Transcoder {
    jitter: JitterBuffer,
    decoder: Box<dyn Decoder>,
    resampler: Option<Resampler>,
    encoder: Box<dyn Encoder>,
    /// Samples in 20 ms at the decoder's rate and at the encoder's.
    dec_frame: usize,
    enc_frame: usize,
    /// Decoder output of the current packet.
    decoded: Vec<i16>,
    /// PCM at the encoder's rate waiting to fill a 20 ms frame.
    pcm: PcmFifo,
    /// Samples of the last decoded packet: a lost packet is concealed for as long.
    last_packet: usize,
    ticks: u32,
    timestamp: u32,
    marker: bool,
    resyncs_seen: u64,
    stats: TranscodeStats,
}

impl Transcoder {
    pub fn new(from: Codec, to: Codec, opts: &EncoderOptions) -> Result<Transcoder, CodecError> {
        let dec_rate = match from {
            Codec::Opus => match to {
                Codec::Pcmu | Codec::Pcma | Codec::G729 => 8_000,
                Codec::G722 => 16_000,
                Codec::Opus => 48_000,
            },
            _ => from.pcm_rate(),
        };
        let enc_rate = match to {
            Codec::Opus => dec_rate,
            _ => to.pcm_rate(),
        };
        let decoder = codec::decoder(from, dec_rate)?;
        let encoder = codec::encoder(to, enc_rate, opts)?;
        let resampler = if dec_rate == enc_rate {
            None
        } else {
            Some(
                Resampler::new(dec_rate, enc_rate).map_err(|_| CodecError::Rate {
                    codec: to,
                    rate: dec_rate,
                })?,
            )
        };
        let dec_frame = frame_samples(dec_rate);
        Ok(Transcoder {
            jitter: JitterBuffer::new(JITTER_MAX_WAIT, JITTER_CAPACITY),
            decoder,
            resampler,
            encoder,
            dec_frame,
            enc_frame: frame_samples(enc_rate),
            // Grown by the first decode to what this codec needs (a G.711 frame is 160
            // samples; only Opus reserves room for its longest packet).
            decoded: Vec::new(),
            pcm: PcmFifo::default(),
            last_packet: dec_frame,
            ticks: to.rtp_ticks_per_frame(),
            timestamp: 0,
            marker: true,
            resyncs_seen: 0,
            stats: TranscodeStats::default(),
        })
    }

    /// An RTP packet of the input leg (payload only; the caller has checked the PT).
    pub fn push(&mut self, now: Instant, seq: u16, timestamp: u32, payload: &[u8]) {
        self.jitter.push(now, seq, timestamp, payload);
    }

    /// The next encoded 20 ms frame, if any; call until `None` after every push and timeout.
    pub fn poll_output(&mut self, now: Instant) -> Option<OutFrame> {
        loop {
            if let Some(frame) = self.pcm.front(self.enc_frame) {
                let mut payload = Vec::new();
                let result = self.encoder.encode(frame, &mut payload);
                self.pcm.consume(self.enc_frame);
                let timestamp = self.timestamp;
                self.timestamp = self.timestamp.wrapping_add(self.ticks);
                if result.is_err() {
                    self.stats.encode_errors += 1;
                    continue;
                }
                let marker = std::mem::take(&mut self.marker);
                return Some(OutFrame {
                    payload,
                    timestamp,
                    marker,
                });
            }
            let playout = self.jitter.pop(now)?;
            self.decoded.clear();
            match playout {
                Playout::Frame { payload, .. } => {
                    if self.decoder.decode(&payload, &mut self.decoded).is_ok() {
                        self.last_packet = self.decoded.len().clamp(1, self.max_packet());
                    } else {
                        self.stats.decode_errors += 1;
                        self.decoded.clear();
                        self.conceal(None);
                    }
                }
                Playout::Lost { next, .. } => self.conceal(next.as_deref()),
            }
            let resyncs = self.jitter.stats().resyncs;
            if resyncs != self.resyncs_seen {
                self.resyncs_seen = resyncs;
                self.marker = true;
            }
            match &mut self.resampler {
                Some(r) => r.process(&self.decoded, self.pcm.tail()),
                None => self.pcm.tail().extend_from_slice(&self.decoded),
            }
        }
    }

    /// When to call `poll_output` next without a new packet (a gap's wait ending).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.jitter.poll_timeout()
    }

    pub fn stats(&self) -> TranscodeStats {
        TranscodeStats {
            jitter: self.jitter.stats(),
            ..self.stats
        }
    }

    /// Fills `decoded` with as much audio as the lost packet held (the last packet's length),
    /// 20 ms at a time; FEC from `next` only for the last piece, the one just before it.
    fn conceal(&mut self, next: Option<&[u8]>) {
        let want = self.last_packet;
        let pieces = want.div_ceil(self.dec_frame).max(1);
        for i in 0..pieces {
            let fec = if i + 1 == pieces { next } else { None };
            let before = self.decoded.len();
            if self.decoder.conceal(fec, &mut self.decoded).is_err() || self.decoded.len() == before
            {
                // Silence keeps the cadence when the codec cannot conceal.
                self.decoded.resize(before + self.dec_frame, 0);
            }
            self.stats.concealed += 1;
        }
        self.decoded.truncate(want);
    }

    fn max_packet(&self) -> usize {
        self.dec_frame * MAX_PACKET_MS / codec::FRAME_MS as usize
    }
}

fn frame_samples(rate: u32) -> usize {
    (rate * codec::FRAME_MS / 1000) as usize
}

#[cfg(test)]
mod tests;
