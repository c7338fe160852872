#![allow(clippy::unwrap_used)] // test code on fixed inputs: a panic is the report

use super::*;
use crate::codec::test_tone::{
    best_delay, dominant_frequency, energy, goertzel, sine, snr_delayed,
};

fn round_trip(input: &[i16]) -> Vec<i16> {
    let mut enc = G722Encoder::new();
    let mut dec = G722Decoder::new();
    let mut out = Vec::new();
    for frame in input.chunks(320) {
        let mut payload = Vec::new();
        enc.encode(frame, &mut payload).unwrap();
        assert_eq!(payload.len(), frame.len() / 2);
        dec.decode(&payload, &mut out).unwrap();
    }
    assert_eq!(out.len(), input.len());
    out
}

fn mix(freqs: &[f64], len: usize) -> Vec<i16> {
    let parts: Vec<Vec<i16>> = freqs
        .iter()
        .map(|&f| sine(f, 16_000, len, 3_000.0))
        .collect();
    (0..len).map(|i| parts.iter().map(|p| p[i]).sum()).collect()
}

#[test]
fn delay_is_the_qmf_delay() {
    // Several unrelated tones, so the cross-correlation has a single clear peak.
    let input = mix(&[310.0, 1_130.0, 2_710.0, 5_090.0], 16_000);
    let out = round_trip(&input);
    assert_eq!(best_delay(&input, &out, 64), qmf::DELAY);
}

#[test]
fn sine_round_trip_snr() {
    let input = sine(1_000.0, 16_000, 16_000, 10_000.0);
    let out = round_trip(&input);
    // Skip the first 20 ms while the scale factors adapt up from rest.
    let snr = snr_delayed(&input, &out, qmf::DELAY, 320);
    println!("G.722 1 kHz SNR {snr:.1} dB");
    // Measured 47 dB; G.722 is specified to at least ~20 dB on tones.
    assert!(snr > 35.0, "SNR {snr:.1} dB");
    let tail = &out[8_000..];
    assert_eq!(dominant_frequency(tail, 16_000, 200, 7_800, 50), 1_000);
}

#[test]
fn upper_band_carries_wideband_tones() {
    // 5 kHz is above anything narrowband can carry: it must come through the upper band.
    let input = sine(5_000.0, 16_000, 16_000, 8_000.0);
    let out = round_trip(&input);
    let tail = &out[8_000..];
    assert_eq!(dominant_frequency(tail, 16_000, 200, 7_800, 50), 5_000);
    let ratio = goertzel(tail, 5_000.0, 16_000) / goertzel(&input[8_000..], 5_000.0, 16_000);
    assert!((0.5..2.0).contains(&ratio), "5 kHz power ratio {ratio:.2}");
    let snr = snr_delayed(&input, &out, qmf::DELAY, 320);
    println!("G.722 5 kHz SNR {snr:.1} dB");
    // Measured 22 dB: the 2-bit upper band is coarse.
    assert!(snr > 15.0, "SNR {snr:.1} dB");
}

#[test]
fn silence_stays_silent() {
    let out = round_trip(&[0; 3_200]);
    assert!(
        out.iter().all(|&s| s.abs() <= 8),
        "idle noise {:?}",
        out.iter().max()
    );
}

#[test]
fn full_scale_input_does_not_overflow() {
    let input: Vec<i16> = (0..3_200)
        .map(|i| if (i / 8) % 2 == 0 { i16::MAX } else { i16::MIN })
        .collect();
    let out = round_trip(&input);
    // A 1 kHz full-scale square wave: its fundamental survives, nothing panics or wraps.
    assert_eq!(
        dominant_frequency(&out[1_600..], 16_000, 200, 7_800, 50),
        1_000
    );
}

#[test]
fn frames_and_concealment() {
    let mut enc = G722Encoder::new();
    let mut payload = Vec::new();
    assert!(matches!(
        enc.encode(&[0; 321], &mut payload),
        Err(CodecError::Frame(_))
    ));
    let input = sine(1_000.0, 16_000, 1_600, 10_000.0);
    let mut dec = G722Decoder::new();
    let mut out = Vec::new();
    for frame in input.chunks(320) {
        payload.clear();
        enc.encode(frame, &mut payload).unwrap();
        assert_eq!(payload.len(), 160);
        out.clear();
        dec.decode(&payload, &mut out).unwrap();
        assert_eq!(out.len(), 320);
    }
    let mut lost = Vec::new();
    dec.conceal(None, &mut lost).unwrap();
    assert_eq!(lost.len(), 320);
    assert_eq!(dominant_frequency(&lost, 16_000, 200, 7_800, 50), 1_000);
    assert!(energy(&lost) > 0.1 * energy(&out));
}

/// FNV-1a 64, to pin a long output in one constant.
fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Bit-exact against SpanDSP's G.722 (the sippy/libg722 port, reset to DETL = 32, DETH = 8 as
/// §6.2.1 says), run once on the same four-tone signal: 800 bytes and 1600 samples.
#[test]
fn matches_spandsp_reference() {
    let input = mix(&[310.0, 1_130.0, 2_710.0, 5_090.0], 1_600);
    let mut bytes = Vec::new();
    G722Encoder::new().encode(&input, &mut bytes).unwrap();
    assert_eq!(bytes.len(), 800);
    let head: [u8; 24] = [
        0xb7, 0x10, 0x27, 0xb6, 0x04, 0xa0, 0xa0, 0x20, 0x27, 0xa3, 0x19, 0x9d, 0xac, 0x34, 0xad,
        0x2a, 0x1b, 0x9a, 0x3f, 0xd2, 0xbd, 0x32, 0x97, 0x99,
    ];
    assert_eq!(bytes[..24], head);
    assert_eq!(fnv1a(bytes.iter().copied()), 0x4241_1a53_7e57_210f);
    let mut pcm = Vec::new();
    G722Decoder::new().decode(&bytes, &mut pcm).unwrap();
    assert_eq!(
        pcm[100..108],
        [91, 2226, -3542, -10362, -4583, -2236, -2460, 171]
    );
    assert_eq!(
        fnv1a(pcm.iter().flat_map(|s| s.to_le_bytes())),
        0xace2_10af_0992_32e3
    );
}
