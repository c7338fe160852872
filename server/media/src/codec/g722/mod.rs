//! ITU-T G.722 at 64 kbit/s (mode 1): a QMF splits 16 kHz audio into two 8 kHz sub-bands,
//! the lower coded with 6-bit and the upper with 2-bit ADPCM; each pair of input samples
//! becomes one byte (upper-band bits on top), so 20 ms is 320 samples and 160 bytes.
//!
//! Fixed-point exactly as the Recommendation's block diagram (the same arithmetic as the
//! public-domain CMU/SpanDSP code), so our bytes interoperate with every other G.722.

mod band;
mod qmf;

use self::band::{Band, RH2, RL42, Which};
use self::qmf::{Qmf, saturate};
use super::plc::FadePlc;
use super::{Codec, CodecError, Decoder, Encoder, frame_samples};

/// Lower-band quantiser decision levels (Table 6/G.722, Q6), scaled by DETL >> 12.
const Q6: [i32; 32] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0,
];
/// 6-bit codes for a negative / positive difference in interval `i` of Q6.
const ILN: [i32; 32] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4, 0,
];
const ILP: [i32; 32] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32, 0,
];
/// Inverse quantiser of the 4 most significant lower-band bits (QM4): feeds the predictor.
const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];
/// Inverse quantiser of all 6 lower-band bits (QM6): what the decoder outputs in mode 1.
const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
/// Upper-band inverse quantiser (QM2).
const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];
/// Upper-band codes for negative / positive differences, by magnitude class 1 or 2.
const IHN: [i32; 3] = [0, 1, 0];
const IHP: [i32; 3] = [0, 3, 2];

/// The 16 kHz rate G.722 samples at.
const RATE: u32 = 16_000;

pub(crate) struct G722Encoder {
    qmf: Qmf,
    low: Band,
    high: Band,
}

impl G722Encoder {
    pub(crate) fn new() -> Self {
        G722Encoder {
            qmf: Qmf::default(),
            low: Band::new(Which::Low),
            high: Band::new(Which::High),
        }
    }

    /// Block 1L (SUBTRA, QUANTL) and the lower-band adaptation: the 6-bit code.
    fn encode_low(&mut self, xlow: i32) -> i32 {
        let band = &mut self.low;
        let el = saturate(xlow - band.s);
        let magnitude = if el >= 0 { el } else { -(el + 1) };
        let interval = (1..30)
            .find(|&i| magnitude < (Q6[i] * band.det) >> 12)
            .unwrap_or(30);
        let code = if el < 0 { ILN[interval] } else { ILP[interval] };
        let top = (code >> 2) as usize;
        let d = (band.det * QM4[top]) >> 15;
        band.scale(RL42[top]);
        band.predict(d);
        code
    }

    /// Block 1H (SUBTRA, QUANTH) and the upper-band adaptation: the 2-bit code.
    fn encode_high(&mut self, xhigh: i32) -> i32 {
        let band = &mut self.high;
        let eh = saturate(xhigh - band.s);
        let magnitude = if eh >= 0 { eh } else { -(eh + 1) };
        let class = if magnitude >= (564 * band.det) >> 12 {
            2
        } else {
            1
        };
        let code = if eh < 0 { IHN[class] } else { IHP[class] };
        let d = (band.det * QM2[code as usize]) >> 15;
        band.scale(RH2[code as usize]);
        band.predict(d);
        code
    }
}

impl Encoder for G722Encoder {
    fn codec(&self) -> Codec {
        Codec::G722
    }

    fn input_rate(&self) -> u32 {
        RATE
    }

    /// Any even number of samples (a byte codes a pair); 320 for 20 ms.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        if !pcm.len().is_multiple_of(2) {
            return Err(CodecError::Frame(format!(
                "G.722 encodes sample pairs, got {} samples",
                pcm.len()
            )));
        }
        out.reserve(pcm.len() / 2);
        for pair in pcm.chunks_exact(2) {
            let (xlow, xhigh) = self.qmf.analyse(pair[0], pair[1]);
            let low = self.encode_low(xlow);
            let high = self.encode_high(xhigh);
            out.push(((high << 6) | low) as u8);
        }
        Ok(())
    }
}

pub(crate) struct G722Decoder {
    qmf: Qmf,
    low: Band,
    high: Band,
    plc: FadePlc,
}

impl G722Decoder {
    pub(crate) fn new() -> Self {
        G722Decoder {
            qmf: Qmf::default(),
            low: Band::new(Which::Low),
            high: Band::new(Which::High),
            plc: FadePlc::new(frame_samples(RATE)),
        }
    }

    /// Blocks 5L/6L (INVQBL, RECONS, LIMIT) plus the shared adaptation: reconstructed low band.
    fn decode_low(&mut self, code: usize) -> i32 {
        let band = &mut self.low;
        let r = (band.s + ((band.det * QM6[code]) >> 15)).clamp(-16_384, 16_383);
        let top = code >> 2;
        let d = (band.det * QM4[top]) >> 15;
        band.scale(RL42[top]);
        band.predict(d);
        r
    }

    /// Blocks 2H, 5H, 6H plus adaptation: reconstructed high band.
    fn decode_high(&mut self, code: usize) -> i32 {
        let band = &mut self.high;
        let d = (band.det * QM2[code]) >> 15;
        let r = (d + band.s).clamp(-16_384, 16_383);
        band.scale(RH2[code]);
        band.predict(d);
        r
    }
}

impl Decoder for G722Decoder {
    fn codec(&self) -> Codec {
        Codec::G722
    }

    fn output_rate(&self) -> u32 {
        RATE
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        let start = out.len();
        out.reserve(payload.len() * 2);
        for &byte in payload {
            let low = self.decode_low(usize::from(byte & 0x3F));
            let high = self.decode_high(usize::from(byte >> 6));
            out.extend_from_slice(&self.qmf.synthesise(low, high));
        }
        self.plc.good(&out[start..]);
        Ok(())
    }

    /// G.722 carries no redundancy: replay the last frame, fading out. The ADPCM state is
    /// left alone; it re-converges within a few milliseconds of the next good frame.
    fn conceal(&mut self, _next: Option<&[u8]>, out: &mut Vec<i16>) -> Result<(), CodecError> {
        self.plc.conceal(out);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
