//! Test helpers: tones, Goertzel power, SNR after delay alignment. Other modules' tests may
//! use these (`crate::codec::test_tone`).

use std::f64::consts::PI;

/// `len` samples of a sine of `freq` Hz at `rate`, peak `amplitude`.
pub(crate) fn sine(freq: f64, rate: u32, len: usize, amplitude: f64) -> Vec<i16> {
    (0..len)
        .map(|i| (amplitude * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()).round() as i16)
        .collect()
}

/// Power of `freq` in `x` (Goertzel), normalised so a full-length sine of peak A gives A²/4.
pub(crate) fn goertzel(x: &[i16], freq: f64, rate: u32) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let w = 2.0 * PI * freq / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s0 = f64::from(v) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    power / (x.len() as f64).powi(2)
}

/// The frequency among `start..=end` in `step` Hz steps with the most Goertzel power.
pub(crate) fn dominant_frequency(x: &[i16], rate: u32, start: u32, end: u32, step: u32) -> u32 {
    let mut best = (start, f64::MIN);
    let mut f = start;
    while f <= end {
        let p = goertzel(x, f64::from(f), rate);
        if p > best.1 {
            best = (f, p);
        }
        f += step;
    }
    best.0
}

/// Mean square of `x`.
pub(crate) fn energy(x: &[i16]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len() as f64
}

/// The delay (in samples, `0..max_delay`) at which `output` best matches `input`.
pub(crate) fn best_delay(input: &[i16], output: &[i16], max_delay: usize) -> usize {
    let mut best = (0, f64::MIN);
    for d in 0..max_delay.min(output.len()) {
        let n = input.len().min(output.len() - d);
        let c: f64 = (0..n)
            .map(|i| f64::from(input[i]) * f64::from(output[i + d]))
            .sum();
        if c > best.1 {
            best = (d, c);
        }
    }
    best.0
}

/// SNR in dB of `output` against `input` with `delay` samples of codec delay removed; the
/// first `skip` samples (codec start-up) are left out.
pub(crate) fn snr_delayed(input: &[i16], output: &[i16], delay: usize, skip: usize) -> f64 {
    let n = input.len().min(output.len().saturating_sub(delay));
    let (mut sig, mut noise) = (0.0f64, 0.0f64);
    for i in skip..n {
        let s = f64::from(input[i]);
        let e = f64::from(output[i + delay]) - s;
        sig += s * s;
        noise += e * e;
    }
    10.0 * (sig / noise.max(1e-9)).log10()
}

/// SNR in dB for a codec without delay.
pub(crate) fn snr_db(input: &[i16], output: &[i16]) -> f64 {
    snr_delayed(input, output, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goertzel_finds_the_tone() {
        let x = sine(1_000.0, 8_000, 800, 10_000.0);
        assert_eq!(dominant_frequency(&x, 8_000, 200, 3_800, 50), 1_000);
        let p = goertzel(&x, 1_000.0, 8_000);
        assert!((p - 10_000.0f64.powi(2) / 4.0).abs() < 0.01 * p, "{p}");
        assert!(goertzel(&x, 2_000.0, 8_000) < p * 1e-4);
    }

    #[test]
    fn delay_alignment() {
        let x = sine(700.0, 8_000, 800, 5_000.0);
        let mut y = vec![0i16; 23];
        y.extend_from_slice(&x);
        assert_eq!(best_delay(&x, &y, 40), 23);
        assert!(snr_delayed(&x, &y, 23, 0) > 100.0);
    }
}
