#![allow(clippy::unwrap_used)] // test code on fixed inputs: a panic is the report

use super::*;
use crate::codec::test_tone::{best_delay, dominant_frequency, energy, sine, snr_delayed};
use crate::codec::{EncoderOptions, decoder, encoder};

fn assert_send<T: Send>() {}

#[test]
fn channels_are_send() {
    assert_send::<G729Encoder>();
    assert_send::<G729Decoder>();
}

fn encode_all(input: &[i16]) -> Vec<Vec<u8>> {
    let mut enc = encoder(Codec::G729, 8_000, &EncoderOptions::default()).unwrap();
    input
        .chunks_exact(160)
        .map(|f| {
            let mut p = Vec::new();
            enc.encode(f, &mut p).unwrap();
            assert_eq!(p.len(), 20, "20 ms is two 10-byte frames");
            p
        })
        .collect()
}

#[test]
fn tone_round_trip() {
    let input = sine(1_000.0, 8_000, 16_000, 8_000.0);
    let mut dec = decoder(Codec::G729, 8_000).unwrap();
    let mut out = Vec::new();
    for p in encode_all(&input) {
        let before = out.len();
        dec.decode(&p, &mut out).unwrap();
        assert_eq!(out.len() - before, 160);
    }
    let tail = &out[8_000..];
    assert_eq!(dominant_frequency(tail, 8_000, 200, 3_800, 25), 1_000);
    let ratio = energy(tail) / energy(&input[8_000..]);
    assert!((0.5..2.0).contains(&ratio), "energy ratio {ratio:.2}");
    // On a pure tone the delay is found modulo its period, which is all the SNR needs.
    let delay = best_delay(&input[..8_000], &out, 160);
    let snr = snr_delayed(&input, &out, delay, 1_600);
    println!("G.729 1 kHz: delay {delay}, SNR {snr:.1} dB");
    // CELP matches the waveform only roughly: measured 11 dB.
    assert!(snr > 8.0, "SNR {snr:.1} dB");
}

#[test]
fn tone_frequency_follows_input() {
    for freq in [400.0, 700.0, 1_800.0] {
        let input = sine(freq, 8_000, 8_000, 8_000.0);
        let mut dec = decoder(Codec::G729, 8_000).unwrap();
        let mut out = Vec::new();
        for p in encode_all(&input) {
            dec.decode(&p, &mut out).unwrap();
        }
        assert_eq!(
            f64::from(dominant_frequency(&out[4_000..], 8_000, 200, 3_800, 25)),
            freq
        );
    }
}

#[test]
fn payload_shapes() {
    let input = sine(1_000.0, 8_000, 2_400, 8_000.0);
    let packets = encode_all(&input);
    let mut dec = decoder(Codec::G729, 8_000).unwrap();
    let mut out = Vec::new();
    // 10, 20 and 30 ms payloads.
    for n in [10, 20, 30] {
        let payload: Vec<u8> = packets.concat()[..n].to_vec();
        out.clear();
        dec.decode(&payload, &mut out).unwrap();
        assert_eq!(out.len(), n * 8);
    }
    // Two voice frames then an Annex B SID frame.
    let mut with_sid = packets[0].clone();
    with_sid.extend_from_slice(&[0x12, 0x34]);
    out.clear();
    dec.decode(&with_sid, &mut out).unwrap();
    assert_eq!(out.len(), 240);
    for bad in [0usize, 1, 5, 15, 21] {
        let payload = vec![0u8; bad];
        assert!(
            matches!(dec.decode(&payload, &mut out), Err(CodecError::Frame(_))),
            "{bad} bytes"
        );
    }
    let mut enc = encoder(Codec::G729, 8_000, &EncoderOptions::default()).unwrap();
    let mut p = Vec::new();
    assert!(matches!(
        enc.encode(&[0; 100], &mut p),
        Err(CodecError::Frame(_))
    ));
    assert!(p.is_empty());
}

#[test]
fn conceal_continues_the_tone() {
    let input = sine(1_000.0, 8_000, 4_000, 8_000.0);
    let mut dec = decoder(Codec::G729, 8_000).unwrap();
    let mut good = Vec::new();
    for p in encode_all(&input) {
        good.clear();
        dec.decode(&p, &mut good).unwrap();
    }
    let mut lost = Vec::new();
    dec.conceal(None, &mut lost).unwrap();
    assert_eq!(lost.len(), 160);
    // The concealment repeats a pitch period of at least 20 samples, so a 1 kHz tone comes
    // back within a Goertzel step or two.
    let f = dominant_frequency(&lost, 8_000, 200, 3_800, 25);
    assert!(f.abs_diff(1_000) <= 50, "concealed tone at {f} Hz");
    assert!(energy(&lost) > 0.2 * energy(&good));
}
