//! Sample-rate conversion between the telephony rates, low delay: a polyphase FIR (windowed
//! sinc, Kaiser window) for rational ratios L/M, streaming with its history kept between calls.
//!
//! An FFT resampler would need a block of 10 ms or more before it could output anything; a
//! call path must add well under that, so the filter is sized to a group delay just under
//! 1 ms. The price is a transition band of about 1.6 kHz around the lower Nyquist frequency,
//! which sits above the 3.4 kHz telephone band (and 7 kHz wideband) anyway.

use thiserror::Error;

/// The rates the resampler converts between (the telephony and Opus rates).
const RATES: [u32; 6] = [8_000, 12_000, 16_000, 24_000, 32_000, 48_000];
/// Kaiser β: about 60 dB of stopband for the sidelobes.
const KAISER_BETA: f64 = 6.0;
/// Cutoff as a fraction of the lower Nyquist frequency; places the stopband edge a little
/// past Nyquist so aliasing folds onto the top of the band, not into the voice.
const CUTOFF: f64 = 0.92;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ResampleError {
    #[error("cannot resample {from} Hz to {to} Hz")]
    Rate { from: u32, to: u32 },
}

/// A streaming resampler from `from` Hz to `to` Hz.
#[derive(Debug, Clone)]
pub struct Resampler {
    up: usize,
    down: usize,
    /// Taps per phase.
    taps: usize,
    /// `up` phases of `taps` coefficients each, stored so that phase `p` is a plain dot
    /// product with the `taps` most recent input samples in time order.
    coeffs: Vec<f32>,
    /// The last `taps - 1` input samples, then the current call's input.
    buf: Vec<f32>,
    /// Position of the next output on the upsampled grid, relative to the next input sample.
    pos: usize,
    /// Group delay in output samples.
    delay: usize,
}

impl Resampler {
    pub fn new(from: u32, to: u32) -> Result<Resampler, ResampleError> {
        if !RATES.contains(&from) || !RATES.contains(&to) {
            return Err(ResampleError::Rate { from, to });
        }
        let g = gcd(from, to);
        let up = (to / g) as usize;
        let down = (from / g) as usize;
        if up == down {
            return Ok(Resampler {
                up: 1,
                down: 1,
                taps: 0,
                coeffs: Vec::new(),
                buf: Vec::new(),
                pos: 0,
                delay: 0,
            });
        }
        // The filter runs at the upsampled rate; its group delay there must be a multiple of
        // `down` to land on a whole output sample, and stay under 1 ms.
        let grid_rate = from as usize * up;
        let max_delay = (grid_rate - 1) / 1000;
        let grid_delay = max_delay - max_delay % down;
        let len = 2 * grid_delay + 1;
        let taps = len.div_ceil(up);

        // Cutoff in cycles per grid sample.
        let fc = CUTOFF * 0.5 * f64::from(from.min(to)) / grid_rate as f64;
        let mut h = vec![0.0f64; taps * up];
        let i0_beta = bessel_i0(KAISER_BETA);
        for (n, v) in h.iter_mut().enumerate().take(len) {
            let t = n as f64 - grid_delay as f64;
            let x = t / grid_delay as f64;
            let window = bessel_i0(KAISER_BETA * (1.0 - x * x).max(0.0).sqrt()) / i0_beta;
            *v = 2.0 * fc * sinc(2.0 * fc * t) * window;
        }
        // Each phase sees every `up`-th tap; scale so DC passes at unity gain.
        let sum: f64 = h.iter().sum();
        let gain = up as f64 / sum;

        let mut coeffs = vec![0.0f32; taps * up];
        for p in 0..up {
            for m in 0..taps {
                // Slot m multiplies the input `taps - 1 - m` samples back.
                coeffs[p * taps + m] = (h[p + (taps - 1 - m) * up] * gain) as f32;
            }
        }
        Ok(Resampler {
            up,
            down,
            taps,
            coeffs,
            buf: vec![0.0; taps - 1],
            pos: 0,
            delay: grid_delay / down,
        })
    }

    /// Appends the resampled `input` to `out`: over a stream, `len * to / from` samples.
    pub fn process(&mut self, input: &[i16], out: &mut Vec<i16>) {
        if self.taps == 0 {
            out.extend_from_slice(input);
            return;
        }
        let taps = self.taps;
        self.buf.extend(input.iter().map(|&s| f32::from(s)));
        out.reserve(input.len() * self.up / self.down + 1);
        for k in 0..input.len() {
            let window = &self.buf[k..k + taps];
            while self.pos < self.up {
                let phase = &self.coeffs[self.pos * taps..(self.pos + 1) * taps];
                out.push(saturate(dot(phase, window)));
                self.pos += self.down;
            }
            self.pos -= self.up;
        }
        self.buf.drain(..input.len());
    }

    /// Group delay at the output rate, in samples (under 1 ms).
    pub fn delay_samples(&self) -> usize {
        self.delay
    }
}

fn saturate(v: f32) -> i16 {
    // `as` saturates at the i16 bounds.
    v.round() as i16
}

/// Dot product in eight independent lanes so the compiler can vectorise it.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        let px = std::f64::consts::PI * x;
        px.sin() / px
    }
}

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..50 {
        term *= (half / k as f64).powi(2);
        sum += term;
        if term < sum * 1e-16 {
            break;
        }
    }
    sum
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::test_tone::{dominant_frequency, goertzel, sine, snr_delayed};

    /// Feeds `input` in chunks of the given sizes (cycled).
    fn run(r: &mut Resampler, input: &[i16], chunks: &[usize]) -> Vec<i16> {
        let mut out = Vec::new();
        let mut at = 0;
        let mut i = 0;
        while at < input.len() {
            let n = chunks[i % chunks.len()].min(input.len() - at);
            r.process(&input[at..at + n], &mut out);
            at += n;
            i += 1;
        }
        out
    }

    fn resample(from: u32, to: u32, input: &[i16]) -> (Vec<i16>, usize) {
        let mut r = Resampler::new(from, to).unwrap_or_else(|e| panic!("{e}"));
        let out = run(&mut r, input, &[from as usize / 50]);
        (out, r.delay_samples())
    }

    /// SNR of a resampled tone against the ideal tone at the output rate.
    fn tone_snr(from: u32, to: u32, freq: f64) -> f64 {
        let input = sine(freq, from, from as usize / 2, 10_000.0);
        let (out, delay) = resample(from, to, &input);
        assert_eq!(out.len(), to as usize / 2);
        let ideal = sine(freq, to, to as usize / 2, 10_000.0);
        assert_eq!(dominant_frequency(&out, to, 300, 3_800, 50), freq as u32);
        // Skip the filter's start-up (2 ms).
        snr_delayed(&ideal, &out, delay, to as usize / 500)
    }

    #[test]
    fn tone_up_8k_to_48k_keeps_frequency_and_snr() {
        let snr = tone_snr(8_000, 48_000, 1_000.0);
        assert!(snr > 30.0, "8k->48k SNR {snr:.1} dB");
    }

    #[test]
    fn tone_down_48k_to_8k_keeps_frequency_and_snr() {
        let snr = tone_snr(48_000, 8_000, 1_000.0);
        assert!(snr > 30.0, "48k->8k SNR {snr:.1} dB");
    }

    #[test]
    fn every_supported_pair_passes_a_tone() {
        for from in [8_000, 16_000, 24_000, 48_000] {
            for to in [8_000, 16_000, 24_000, 48_000] {
                let snr = tone_snr(from, to, 1_000.0);
                assert!(snr > 30.0, "{from}->{to}: SNR {snr:.1} dB");
            }
        }
    }

    #[test]
    fn tone_above_nyquist_is_removed_going_down() {
        // 5 kHz at 48k would alias to 3 kHz at 8k.
        let input = sine(5_000.0, 48_000, 24_000, 10_000.0);
        let (out, _) = resample(48_000, 8_000, &input);
        let tail = &out[200..];
        let alias = goertzel(tail, 3_000.0, 8_000);
        let original = 10_000.0f64.powi(2) / 4.0;
        let attenuation = 10.0 * (original / alias.max(1e-9)).log10();
        assert!(
            attenuation >= 40.0,
            "5 kHz alias only {attenuation:.1} dB down"
        );

        // 12 kHz at 48k → 16k would alias to 4 kHz.
        let input = sine(12_000.0, 48_000, 24_000, 10_000.0);
        let (out, _) = resample(48_000, 16_000, &input);
        let alias = goertzel(&out[200..], 4_000.0, 16_000);
        let attenuation = 10.0 * (original / alias.max(1e-9)).log10();
        assert!(
            attenuation >= 40.0,
            "12 kHz alias only {attenuation:.1} dB down"
        );
    }

    #[test]
    fn upsampling_images_are_removed() {
        // A 3 kHz tone at 8k upsampled to 48k has images at 5, 11, 13 kHz... without a filter.
        let input = sine(3_000.0, 8_000, 4_000, 10_000.0);
        let (out, _) = resample(8_000, 48_000, &input);
        let tail = &out[600..];
        let tone = goertzel(tail, 3_000.0, 48_000);
        let image = goertzel(tail, 5_000.0, 48_000);
        assert!(tone > 10_000.0f64.powi(2) / 4.0 * 0.8, "passband {tone}");
        assert!(
            10.0 * (tone / image).log10() >= 40.0,
            "image {image} vs {tone}"
        );
    }

    #[test]
    fn output_length_is_exact_over_odd_chunks() {
        for (from, to) in [
            (8_000, 48_000),
            (48_000, 8_000),
            (16_000, 8_000),
            (16_000, 24_000),
            (24_000, 16_000),
            (8_000, 8_000),
        ] {
            let input = sine(440.0, from, from as usize, 8_000.0);
            let mut r = Resampler::new(from, to).unwrap_or_else(|e| panic!("{e}"));
            let mut total = 0;
            let mut at = 0;
            for chunk in [1usize, 7, 13, 160, 3, 997, 45].iter().cycle() {
                if at >= input.len() {
                    break;
                }
                let n = (*chunk).min(input.len() - at);
                let mut out = Vec::new();
                r.process(&input[at..at + n], &mut out);
                at += n;
                total += out.len();
                // Never more than one sample ahead of the exact ratio.
                let exact = at * to as usize / from as usize;
                assert!(total >= exact && total <= exact + 1, "{from}->{to} at {at}");
            }
            assert_eq!(total, to as usize, "{from}->{to}");
        }
    }

    #[test]
    fn chunking_does_not_change_the_output() {
        let input = sine(1_234.0, 16_000, 3_200, 9_000.0);
        let mut a = Resampler::new(16_000, 24_000).unwrap_or_else(|e| panic!("{e}"));
        let mut b = a.clone();
        assert_eq!(
            run(&mut a, &input, &[320]),
            run(&mut b, &input, &[1, 5, 77, 2])
        );
    }

    #[test]
    fn delay_is_under_one_ms() {
        for from in RATES {
            for to in RATES {
                let r = Resampler::new(from, to).unwrap_or_else(|e| panic!("{e}"));
                assert!(
                    r.delay_samples() * 1000 < to as usize,
                    "{from}->{to}: {} samples",
                    r.delay_samples()
                );
            }
        }
        let r = Resampler::new(8_000, 48_000).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.delay_samples(), 47);
    }

    #[test]
    fn full_scale_saturates_instead_of_wrapping() {
        // A full-scale square wave overshoots after filtering (Gibbs).
        let input: Vec<i16> = (0..1600)
            .map(|i| {
                if (i / 20) % 2 == 0 {
                    i16::MAX
                } else {
                    i16::MIN
                }
            })
            .collect();
        let (out, _) = resample(8_000, 48_000, &input);
        let clipped = out
            .iter()
            .filter(|&&s| s == i16::MAX || s == i16::MIN)
            .count();
        assert!(clipped > 0);
        // A wrapped sample would flip sign in the middle of a plateau.
        for (i, w) in out.windows(2).enumerate().skip(100) {
            let jump = (i32::from(w[1]) - i32::from(w[0])).abs();
            assert!(jump < 40_000, "wrap at {i}: {w:?}");
        }
    }

    #[test]
    fn unsupported_rates_are_refused() {
        assert_eq!(
            Resampler::new(8_000, 44_100).err(),
            Some(ResampleError::Rate {
                from: 8_000,
                to: 44_100
            })
        );
        assert!(Resampler::new(0, 8_000).is_err());
    }
}
