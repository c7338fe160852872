#![allow(clippy::unwrap_used)] // test code on fixed inputs: a panic is the report

use super::*;
use crate::codec::test_tone::{best_delay, dominant_frequency, energy, sine, snr_delayed};
use crate::codec::{decoder, encoder};

/// Encodes `input` (at `in_rate`) in 20 ms frames and decodes at `out_rate`; returns the
/// packets and the decoded audio.
fn round_trip(
    input: &[i16],
    in_rate: u32,
    out_rate: u32,
    opts: &EncoderOptions,
) -> (Vec<Vec<u8>>, Vec<i16>) {
    let mut enc = encoder(Codec::Opus, in_rate, opts).unwrap();
    let mut dec = decoder(Codec::Opus, out_rate).unwrap();
    let (mut packets, mut out) = (Vec::new(), Vec::new());
    for frame in input.chunks_exact(frame_samples(in_rate)) {
        let mut p = Vec::new();
        enc.encode(frame, &mut p).unwrap();
        let before = out.len();
        dec.decode(&p, &mut out).unwrap();
        assert_eq!(out.len() - before, frame_samples(out_rate));
        packets.push(p);
    }
    (packets, out)
}

#[test]
fn tone_at_48k() {
    for complexity in [5, 10] {
        let opts = EncoderOptions {
            opus_complexity: complexity,
            ..EncoderOptions::default()
        };
        let input = sine(1_000.0, 48_000, 48_000, 10_000.0);
        let (_, out) = round_trip(&input, 48_000, 48_000, &opts);
        let tail = &out[24_000..];
        assert_eq!(dominant_frequency(tail, 48_000, 200, 8_000, 50), 1_000);
        let ratio = energy(tail) / energy(&input[24_000..]);
        assert!((0.7..1.4).contains(&ratio), "energy ratio {ratio:.2}");
        // On a pure tone the delay is found modulo its period, which is all the SNR needs.
        let delay = best_delay(&input[..24_000], &out, 960);
        let snr = snr_delayed(&input, &out, delay, 9_600);
        println!("Opus c{complexity} 48k: delay {delay}, SNR {snr:.1} dB");
        // Measured 30-31 dB: a steady tone is easy for CELT/SILK.
        assert!(snr > 20.0, "SNR {snr:.1} dB");
    }
}

#[test]
fn decodes_straight_to_narrow_and_wideband() {
    let opts = EncoderOptions::default();
    let input = sine(1_000.0, 48_000, 48_000, 10_000.0);
    for (rate, per_frame) in [(8_000, 160), (16_000, 320)] {
        let (_, out) = round_trip(&input, 48_000, rate, &opts);
        assert_eq!(out.len(), 50 * per_frame);
        let tail = &out[out.len() / 2..];
        assert_eq!(dominant_frequency(tail, rate, 200, 3_800, 50), 1_000);
        let ratio = energy(tail) / energy(&input[24_000..]);
        assert!(
            (0.7..1.4).contains(&ratio),
            "{rate} Hz energy ratio {ratio:.2}"
        );
    }
}

#[test]
fn encodes_straight_from_8k() {
    let input = sine(1_000.0, 8_000, 8_000, 10_000.0);
    let (packets, out) = round_trip(&input, 8_000, 8_000, &EncoderOptions::default());
    assert_eq!(packets.len(), 50);
    let delay = best_delay(&input[..4_000], &out, 160);
    let snr = snr_delayed(&input, &out, delay, 1_600);
    println!("Opus 8k->8k: delay {delay}, SNR {snr:.1} dB");
    assert!(snr > 10.0, "SNR {snr:.1} dB");
    assert_eq!(
        dominant_frequency(&out[4_000..], 8_000, 200, 3_800, 50),
        1_000
    );
}

#[test]
fn bitrate_option_sets_packet_size() {
    let opts = EncoderOptions {
        opus_bitrate: Some(12_000),
        ..EncoderOptions::default()
    };
    let input = sine(440.0, 48_000, 96_000, 8_000.0);
    let (packets, _) = round_trip(&input, 48_000, 48_000, &opts);
    let mean = packets.iter().map(Vec::len).sum::<usize>() as f64 / packets.len() as f64;
    // 12 kbit/s over 20 ms is 30 bytes.
    assert!((20.0..40.0).contains(&mean), "mean packet {mean:.1} bytes");
}

#[test]
fn fec_recovers_a_lost_frame() {
    let opts = EncoderOptions {
        opus_bitrate: Some(32_000),
        ..EncoderOptions::default()
    };
    let input = sine(1_000.0, 48_000, 48_000, 10_000.0);
    let mut enc = encoder(Codec::Opus, 48_000, &opts).unwrap();
    let packets: Vec<Vec<u8>> = input
        .chunks_exact(960)
        .map(|f| {
            let mut p = Vec::new();
            enc.encode(f, &mut p).unwrap();
            p
        })
        .collect();
    for (next, label) in [(true, "FEC"), (false, "PLC")] {
        let mut dec = decoder(Codec::Opus, 8_000).unwrap();
        let mut good = Vec::new();
        for p in &packets[..30] {
            good.clear();
            dec.decode(p, &mut good).unwrap();
        }
        let mut lost = Vec::new();
        dec.conceal(next.then_some(packets[31].as_slice()), &mut lost)
            .unwrap();
        assert_eq!(lost.len(), 160, "{label}");
        assert_eq!(
            dominant_frequency(&lost, 8_000, 200, 3_800, 50),
            1_000,
            "{label}"
        );
        let ratio = energy(&lost) / energy(&good);
        println!("Opus {label}: concealed/good energy {ratio:.2}");
        // Measured: FEC rebuilds the frame at full level (1.03); PLC alone fades (0.37).
        let floor = if next { 0.8 } else { 0.2 };
        assert!(
            ratio > floor && ratio < 1.25,
            "{label} energy ratio {ratio:.2}"
        );
        let mut after = Vec::new();
        dec.decode(&packets[31], &mut after).unwrap();
        assert_eq!(after.len(), 160);
    }
}

#[test]
fn bad_frames_are_errors() {
    let mut enc = encoder(Codec::Opus, 48_000, &EncoderOptions::default()).unwrap();
    let mut p = Vec::new();
    assert!(matches!(
        enc.encode(&[0; 1000], &mut p),
        Err(CodecError::Frame(_))
    ));
    assert!(matches!(enc.encode(&[], &mut p), Err(CodecError::Frame(_))));
    assert!(p.is_empty());
    // 10 ms and 60 ms frames are legal Opus too.
    enc.encode(&[0; 480], &mut p).unwrap();
    enc.encode(&[0; 2_880], &mut p).unwrap();
    let mut dec = decoder(Codec::Opus, 48_000).unwrap();
    let mut out = Vec::new();
    assert!(matches!(
        dec.decode(&[], &mut out),
        Err(CodecError::Frame(_))
    ));
    // Code 3 (arbitrary frame count) announcing zero frames is invalid (RFC 6716 §3.2.5).
    assert!(matches!(
        dec.decode(&[0x03, 0x00], &mut out),
        Err(CodecError::Library(_))
    ));
    assert!(out.is_empty());
}
