//! ITU-T G.711 µ-law (PCMU) and A-law (PCMA), table-driven.
//!
//! The tables are built at compile time from the segment rules of G.711 (the same arithmetic
//! as the CCITT reference `g711.c`), so the hot path is one load per sample either way: µ-law
//! keeps 14 significant bits and A-law 13, which is exactly how many index bits we use.

use super::plc::FadePlc;
use super::{Codec, CodecError, Decoder, Encoder, frame_samples};

/// Which companding law.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Law {
    Mu,
    A,
}

impl Law {
    fn codec(self) -> Codec {
        match self {
            Law::Mu => Codec::Pcmu,
            Law::A => Codec::Pcma,
        }
    }
}

/// Segment end points of the 14-bit magnitude (µ-law, after the bias is added).
const SEG_UEND: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
/// Segment end points of the 13-bit magnitude (A-law).
const SEG_AEND: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 8159;

const fn segment(value: i32, ends: &[i32; 8]) -> usize {
    let mut seg = 0;
    while seg < 8 {
        if value <= ends[seg] {
            return seg;
        }
        seg += 1;
    }
    8
}

/// µ-law code of a 14-bit sample (`linear >> 2`).
const fn ulaw_from_14bit(pcm: i32) -> u8 {
    let (mut mag, mask): (i32, i32) = if pcm < 0 { (-pcm, 0x7F) } else { (pcm, 0xFF) };
    if mag > ULAW_CLIP {
        mag = ULAW_CLIP;
    }
    mag += ULAW_BIAS >> 2;
    let seg = segment(mag, &SEG_UEND);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let code = ((seg as i32) << 4) | ((mag >> (seg + 1)) & 0xF);
    (code ^ mask) as u8
}

/// A-law code of a 13-bit sample (`linear >> 3`).
const fn alaw_from_13bit(pcm: i32) -> u8 {
    let (mag, mask): (i32, i32) = if pcm >= 0 {
        (pcm, 0xD5)
    } else {
        (-pcm - 1, 0x55)
    };
    let seg = segment(mag, &SEG_AEND);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let mut code = (seg as i32) << 4;
    code |= if seg < 2 {
        (mag >> 1) & 0xF
    } else {
        (mag >> seg) & 0xF
    };
    (code ^ mask) as u8
}

const fn ulaw_to_linear(code: u8) -> i16 {
    let u = !code;
    let mut t = (((u & 0x0F) as i32) << 3) + ULAW_BIAS;
    t <<= (u & 0x70) >> 4;
    (if u & 0x80 != 0 {
        ULAW_BIAS - t
    } else {
        t - ULAW_BIAS
    }) as i16
}

const fn alaw_to_linear(code: u8) -> i16 {
    let a = code ^ 0x55;
    let mut t = ((a & 0x0F) as i32) << 4;
    let seg = ((a & 0x70) >> 4) as i32;
    match seg {
        0 => t += 8,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

/// µ-law encode table indexed by the top 14 bits of the sample (two's complement, as u16).
static ULAW_ENC: [u8; 1 << 14] = {
    let mut t = [0u8; 1 << 14];
    let mut i = 0;
    while i < (1 << 14) {
        // Sign-extend the 14-bit index back to the sample it stands for.
        let pcm = ((i as i32) << 18) >> 18;
        t[i] = ulaw_from_14bit(pcm);
        i += 1;
    }
    t
};

/// A-law encode table indexed by the top 13 bits of the sample.
static ALAW_ENC: [u8; 1 << 13] = {
    let mut t = [0u8; 1 << 13];
    let mut i = 0;
    while i < (1 << 13) {
        let pcm = ((i as i32) << 19) >> 19;
        t[i] = alaw_from_13bit(pcm);
        i += 1;
    }
    t
};

static ULAW_DEC: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = ulaw_to_linear(i as u8);
        i += 1;
    }
    t
};

static ALAW_DEC: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = alaw_to_linear(i as u8);
        i += 1;
    }
    t
};

/// µ-law code of one 16-bit sample.
#[inline]
pub(crate) fn linear_to_ulaw(sample: i16) -> u8 {
    ULAW_ENC[(sample as u16 >> 2) as usize]
}

/// A-law code of one 16-bit sample.
#[inline]
pub(crate) fn linear_to_alaw(sample: i16) -> u8 {
    ALAW_ENC[(sample as u16 >> 3) as usize]
}

/// The 16-bit sample a µ-law code stands for.
#[inline]
pub(crate) fn ulaw_to_sample(code: u8) -> i16 {
    ULAW_DEC[code as usize]
}

/// The 16-bit sample an A-law code stands for.
#[inline]
pub(crate) fn alaw_to_sample(code: u8) -> i16 {
    ALAW_DEC[code as usize]
}

pub(crate) struct G711Encoder {
    law: Law,
}

impl G711Encoder {
    pub(crate) fn new(law: Law) -> Self {
        G711Encoder { law }
    }
}

impl Encoder for G711Encoder {
    fn codec(&self) -> Codec {
        self.law.codec()
    }

    fn input_rate(&self) -> u32 {
        8_000
    }

    /// G.711 is sample-by-sample, so any length is one payload of that many bytes.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        match self.law {
            Law::Mu => out.extend(pcm.iter().map(|&s| linear_to_ulaw(s))),
            Law::A => out.extend(pcm.iter().map(|&s| linear_to_alaw(s))),
        }
        Ok(())
    }
}

pub(crate) struct G711Decoder {
    law: Law,
    plc: FadePlc,
}

impl G711Decoder {
    pub(crate) fn new(law: Law) -> Self {
        G711Decoder {
            law,
            plc: FadePlc::new(frame_samples(8_000)),
        }
    }
}

impl Decoder for G711Decoder {
    fn codec(&self) -> Codec {
        self.law.codec()
    }

    fn output_rate(&self) -> u32 {
        8_000
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        let start = out.len();
        match self.law {
            Law::Mu => out.extend(payload.iter().map(|&c| ulaw_to_sample(c))),
            Law::A => out.extend(payload.iter().map(|&c| alaw_to_sample(c))),
        }
        self.plc.good(&out[start..]);
        Ok(())
    }

    /// G.711 carries no redundancy: replay the last frame, fading out.
    fn conceal(&mut self, _next: Option<&[u8]>, out: &mut Vec<i16>) -> Result<(), CodecError> {
        self.plc.conceal(out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code on fixed inputs: a panic is the report

    use super::*;
    use crate::codec::test_tone::{sine, snr_db};
    use crate::codec::{EncoderOptions, decoder, encoder};

    #[test]
    fn known_codes() {
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
        // G.711 Table 2a/2b extremes: the largest decision values.
        assert_eq!(ulaw_to_sample(0x80), 32_124);
        assert_eq!(ulaw_to_sample(0x00), -32_124);
        assert_eq!(alaw_to_sample(0xAA), 32_256);
        assert_eq!(alaw_to_sample(0x2A), -32_256);
        // Smallest non-zero steps.
        assert_eq!(alaw_to_sample(0xD5), 8);
        assert_eq!(alaw_to_sample(0x55), -8);
        assert_eq!(ulaw_to_sample(0xFE), 8);
        assert_eq!(ulaw_to_sample(0x7E), -8);
    }

    #[test]
    fn every_code_round_trips() {
        for code in 0..=255u8 {
            assert_eq!(
                linear_to_alaw(alaw_to_sample(code)),
                code,
                "A-law {code:#04x}"
            );
            // µ-law has two zeros; 0x7F ("-0") decodes to 0, which encodes as 0xFF.
            let expect = if code == 0x7F { 0xFF } else { code };
            assert_eq!(
                linear_to_ulaw(ulaw_to_sample(code)),
                expect,
                "µ-law {code:#04x}"
            );
        }
    }

    #[test]
    fn tables_match_segment_search() {
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            assert_eq!(linear_to_ulaw(s), ulaw_from_14bit(i32::from(s) >> 2));
            assert_eq!(linear_to_alaw(s), alaw_from_13bit(i32::from(s) >> 3));
        }
    }

    #[test]
    fn decode_is_monotonic() {
        // Positive codes, from smallest to largest magnitude, must decode increasingly.
        let mu: Vec<i16> = (0..128u8).rev().map(|c| ulaw_to_sample(c | 0x80)).collect();
        assert!(mu.windows(2).all(|w| w[0] < w[1]));
        let a: Vec<i16> = (0..128u8)
            .map(|c| alaw_to_sample((c ^ 0x55) | 0x80))
            .collect();
        assert!(a[0] > 0 && a.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sine_round_trip_snr() {
        for codec in [Codec::Pcmu, Codec::Pcma] {
            let input = sine(1_000.0, 8_000, 8_000, 10_000.0);
            let mut enc = encoder(codec, 8_000, &EncoderOptions::default()).unwrap();
            let mut dec = decoder(codec, 8_000).unwrap();
            let mut decoded = Vec::new();
            for frame in input.chunks(160) {
                let mut payload = Vec::new();
                enc.encode(frame, &mut payload).unwrap();
                assert_eq!(payload.len(), 160);
                dec.decode(&payload, &mut decoded).unwrap();
            }
            let snr = snr_db(&input, &decoded);
            // G.711 gives ~38 dB for a loud tone (its SQNR is nearly level-independent).
            assert!(snr > 30.0, "{codec:?} SNR {snr:.1} dB");
        }
    }

    #[test]
    fn conceal_gives_a_faded_frame() {
        let mut dec = G711Decoder::new(Law::Mu);
        let tone = sine(1_000.0, 8_000, 160, 8_000.0);
        let payload: Vec<u8> = tone.iter().map(|&s| linear_to_ulaw(s)).collect();
        let mut out = Vec::new();
        dec.decode(&payload, &mut out).unwrap();
        let mut lost = Vec::new();
        dec.conceal(None, &mut lost).unwrap();
        assert_eq!(lost.len(), 160);
        let e = |x: &[i16]| x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>();
        assert!(e(&lost) > 0.05 * e(&out) && e(&lost) < e(&out));
        for _ in 0..5 {
            lost.clear();
            dec.conceal(None, &mut lost).unwrap();
        }
        assert_eq!(lost.len(), 160);
        assert!(lost.iter().all(|&s| s == 0), "long losses fade to silence");
    }
}
