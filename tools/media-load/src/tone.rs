//! The audio both ends send, encoded once at start: one second of a 1 kHz tone as 50 Opus
//! frames (48 kHz, complexity 5, as a browser would send), and a 400 Hz PCMU frame (8 whole
//! cycles in 20 ms, so one frame repeats seamlessly).

use std::f64::consts::TAU;

use anyhow::{Context, Result, anyhow};
use media::codec::{Codec, EncoderOptions, encoder};

pub struct Tones {
    pub opus: Vec<Vec<u8>>,
    pub pcmu: Vec<u8>,
}

fn sine(rate: u32, hz: f64, start: usize, len: usize) -> Vec<i16> {
    (start..start + len)
        .map(|n| (8000.0 * (TAU * hz * n as f64 / f64::from(rate)).sin()) as i16)
        .collect()
}

impl Tones {
    pub fn new() -> Result<Tones> {
        let mut opus_enc = encoder(Codec::Opus, 48_000, &EncoderOptions::default())
            .map_err(|e| anyhow!("{e}"))
            .context("Opus encoder")?;
        let mut opus = Vec::with_capacity(50);
        for f in 0..50 {
            let mut out = Vec::new();
            opus_enc
                .encode(&sine(48_000, 1000.0, f * 960, 960), &mut out)
                .map_err(|e| anyhow!("Opus encode: {e}"))?;
            opus.push(out);
        }
        let mut pcmu_enc = encoder(Codec::Pcmu, 8000, &EncoderOptions::default())
            .map_err(|e| anyhow!("PCMU encoder: {e}"))?;
        let mut pcmu = Vec::new();
        pcmu_enc
            .encode(&sine(8000, 400.0, 0, 160), &mut pcmu)
            .map_err(|e| anyhow!("PCMU encode: {e}"))?;
        Ok(Tones { opus, pcmu })
    }
}

/// Share of `pcm`'s energy at `hz` (Goertzel; 1.0 for a pure tone with whole cycles).
pub fn tone_share(pcm: &[i16], rate: u32, hz: f64) -> f64 {
    let w = TAU * hz / f64::from(rate);
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut energy = 0.0f64;
    for &x in pcm {
        let x = f64::from(x);
        energy += x * x;
        let s0 = x + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    if energy == 0.0 {
        return 0.0;
    }
    2.0 * power / (pcm.len() as f64 * energy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goertzel_finds_the_tone() {
        let pcm = sine(8000, 1000.0, 0, 160);
        assert!(tone_share(&pcm, 8000, 1000.0) > 0.95);
        assert!(tone_share(&pcm, 8000, 400.0) < 0.05);
    }
}
