//! The audio both ends send, encoded once at start with the project's own codecs: the
//! caller's 1 kHz tone and the callee's 400 Hz tone, each as one second of 20 ms frames in
//! the codec that end speaks (Opus 48 kHz at complexity 5 as a browser would send, PCMU,
//! G.729). Both tones have whole cycles in 20 ms, so the second repeats seamlessly.

use std::f64::consts::TAU;

use anyhow::{Context, Result, anyhow};
use media::codec::{Codec, EncoderOptions, encoder};

use crate::scenario::{CALLEE_TONE_HZ, CALLER_TONE_HZ, Scenario};

/// Frames in one second of audio.
const FRAMES: usize = 50;

pub struct Tones {
    /// What the caller sends, frame by frame, repeated.
    pub caller: Vec<Vec<u8>>,
    /// What the callee sends.
    pub callee: Vec<Vec<u8>>,
}

fn sine(rate: u32, hz: f64, start: usize, len: usize) -> Vec<i16> {
    (start..start + len)
        .map(|n| (8000.0 * (TAU * hz * n as f64 / f64::from(rate)).sin()) as i16)
        .collect()
}

/// One second of a `hz` tone as `codec` frames of 20 ms.
fn encode_tone(codec: Codec, hz: f64) -> Result<Vec<Vec<u8>>> {
    let rate = codec.pcm_rate();
    let mut enc = encoder(codec, rate, &EncoderOptions::default())
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("{} encoder", codec.name()))?;
    let samples = rate as usize / FRAMES;
    (0..FRAMES)
        .map(|f| {
            let mut out = Vec::new();
            enc.encode(&sine(rate, hz, f * samples, samples), &mut out)
                .map_err(|e| anyhow!("{} encode: {e}", codec.name()))?;
            Ok(out)
        })
        .collect()
}

impl Tones {
    pub fn new(scenario: Scenario) -> Result<Tones> {
        Ok(Tones {
            caller: encode_tone(scenario.caller_codec(), CALLER_TONE_HZ)?,
            callee: encode_tone(scenario.callee().codec, CALLEE_TONE_HZ)?,
        })
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
    fn g729_tone_survives_its_codec() -> Result<()> {
        let tones = Tones::new(Scenario::PcmuG729)?;
        assert_eq!(tones.callee.first().map(Vec::len), Some(20));
        let mut dec = media::codec::decoder(Codec::G729, 8000).map_err(|e| anyhow!("{e}"))?;
        let mut pcm = Vec::new();
        for f in &tones.callee {
            pcm.clear();
            dec.decode(f, &mut pcm).map_err(|e| anyhow!("{e}"))?;
        }
        assert!(tone_share(&pcm, 8000, CALLEE_TONE_HZ) > 0.5);
        assert!(tone_share(&pcm, 8000, CALLER_TONE_HZ) < 0.1);
        Ok(())
    }

    #[test]
    fn goertzel_finds_the_tone() {
        let pcm = sine(8000, 1000.0, 0, 160);
        assert!(tone_share(&pcm, 8000, 1000.0) > 0.95);
        assert!(tone_share(&pcm, 8000, 400.0) < 0.05);
    }
}
