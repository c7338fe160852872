//! The transcoder end to end on a virtual clock: a tone goes in as one codec, the output is
//! decoded with the other and must still be that tone, frame for frame, through loss,
//! reordering and packet sizes other than 20 ms.

use std::time::{Duration, Instant};

use super::*;
use crate::codec::test_tone::{dominant_frequency, energy, goertzel, sine};

const TONE: f64 = 1_000.0;

/// One input packet and when it arrives.
#[derive(Clone)]
struct Arrival {
    at_ms: u64,
    seq: u16,
    timestamp: u32,
    payload: Vec<u8>,
}

/// `pcm` (at `rate`) encoded as `codec` in packets of `ms`, sent every `ms` from seq `seq0`.
fn packets(codec: Codec, rate: u32, pcm: &[i16], ms: usize, seq0: u16) -> Vec<Arrival> {
    let mut enc =
        codec::encoder(codec, rate, &EncoderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let chunk = rate as usize * ms / 1000;
    let ticks = codec.rtp_clock() * ms as u32 / 1000;
    pcm.chunks_exact(chunk)
        .enumerate()
        .map(|(i, frame)| {
            let mut payload = Vec::new();
            enc.encode(frame, &mut payload)
                .unwrap_or_else(|e| panic!("{e}"));
            Arrival {
                at_ms: (i * ms) as u64,
                seq: seq0.wrapping_add(i as u16),
                timestamp: 1_234_567u32.wrapping_add(ticks * i as u32),
                payload,
            }
        })
        .collect()
}

fn tone_packets(codec: Codec, rate: u32, seconds: f64, ms: usize) -> Vec<Arrival> {
    let pcm = sine(TONE, rate, (f64::from(rate) * seconds) as usize, 8_000.0);
    packets(codec, rate, &pcm, ms, 65_500)
}

/// Drives the transcoder as the media worker would: push each arrival at its time, wake at
/// `poll_timeout`, drain `poll_output` after each.
fn run(tc: &mut Transcoder, mut arrivals: Vec<Arrival>) -> Vec<OutFrame> {
    arrivals.sort_by_key(|a| a.at_ms);
    let base = Instant::now();
    let at = |a: &Arrival| base + Duration::from_millis(a.at_ms);
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let now = match (arrivals.get(i).map(at), tc.poll_timeout()) {
            (Some(a), Some(t)) => a.min(t),
            (Some(a), None) => a,
            (None, Some(t)) => t,
            (None, None) => break,
        };
        while let Some(a) = arrivals.get(i).filter(|a| at(a) <= now) {
            tc.push(now, a.seq, a.timestamp, &a.payload);
            i += 1;
        }
        while let Some(frame) = tc.poll_output(now) {
            out.push(frame);
        }
        if let Some(t) = tc.poll_timeout() {
            assert!(t > now, "poll_timeout in the past after draining");
        }
    }
    out
}

fn decode(codec: Codec, rate: u32, frames: &[OutFrame]) -> Vec<i16> {
    let mut dec = codec::decoder(codec, rate).unwrap_or_else(|e| panic!("{e}"));
    let mut pcm = Vec::new();
    for f in frames {
        dec.decode(&f.payload, &mut pcm)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    pcm
}

/// Output frames are numbered from timestamp 0 without a hole; only the first is marked.
fn assert_cadence(to: Codec, frames: &[OutFrame]) {
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(
            f.timestamp,
            i as u32 * to.rtp_ticks_per_frame(),
            "frame {i}"
        );
        assert_eq!(f.marker, i == 0, "marker of frame {i}");
    }
}

/// Checks the decoded output is the tone: its strongest frequency, and most of its energy.
fn assert_tone(pcm: &[i16], rate: u32, min_purity: f64) {
    // Leave out codec start-up.
    let body = &pcm[rate as usize / 10..];
    assert_eq!(dominant_frequency(body, rate, 300, 3_800, 50), TONE as u32);
    // A sine of peak A: Goertzel A²/4, mean square A²/2.
    let purity = 2.0 * goertzel(body, TONE, rate) / energy(body);
    assert!(
        purity > min_purity,
        "tone holds {:.0} % of the energy",
        purity * 100.0
    );
}

fn transcode_tone(from: Codec, to: Codec, in_rate: u32, ms: usize, drop: &[usize]) -> Transcoder {
    let mut tc =
        Transcoder::new(from, to, &EncoderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut input = tone_packets(from, in_rate, 1.0, ms);
    let sent = input.len();
    for &i in drop.iter().rev() {
        input.remove(i);
    }
    let frames = run(&mut tc, input);
    assert_eq!(
        frames.len(),
        sent * ms / 20,
        "{from:?} -> {to:?}: frame count"
    );
    assert_cadence(to, &frames);
    let rate = to.pcm_rate();
    let pcm = decode(to, rate, &frames);
    assert_eq!(pcm.len(), frames.len() * rate as usize / 50);
    assert_tone(&pcm, rate, if drop.is_empty() { 0.95 } else { 0.85 });
    tc
}

#[test]
fn pcmu_to_opus() {
    transcode_tone(Codec::Pcmu, Codec::Opus, 8_000, 20, &[]);
}

#[test]
fn opus_to_pcmu() {
    transcode_tone(Codec::Opus, Codec::Pcmu, 48_000, 20, &[]);
}

#[test]
fn pcmu_to_g722_and_back() {
    transcode_tone(Codec::Pcmu, Codec::G722, 8_000, 20, &[]);
    transcode_tone(Codec::G722, Codec::Pcmu, 16_000, 20, &[]);
}

#[test]
fn opus_to_g722_and_pcma() {
    transcode_tone(Codec::Opus, Codec::G722, 48_000, 20, &[]);
    transcode_tone(Codec::Opus, Codec::Pcma, 48_000, 20, &[]);
}

#[cfg(feature = "g729")]
#[test]
fn g729_both_ways() {
    transcode_tone(Codec::Pcmu, Codec::G729, 8_000, 20, &[]);
    transcode_tone(Codec::G729, Codec::Pcmu, 8_000, 20, &[]);
    transcode_tone(Codec::Opus, Codec::G729, 48_000, 20, &[]);
}

/// 5 of 50 packets lost: every output frame is still there, on time, and still the tone.
const LOST: [usize; 5] = [7, 16, 25, 33, 41];

#[test]
fn ten_percent_loss_pcmu_to_opus_keeps_frames_and_tone() {
    let tc = transcode_tone(Codec::Pcmu, Codec::Opus, 8_000, 20, &LOST);
    let stats = tc.stats();
    assert_eq!((stats.jitter.lost, stats.concealed), (5, 5));
}

#[test]
fn ten_percent_loss_opus_to_pcmu_uses_fec() {
    let tc = transcode_tone(Codec::Opus, Codec::Pcmu, 48_000, 20, &LOST);
    assert_eq!(tc.stats().concealed, 5);
}

#[test]
fn loss_of_a_40_ms_packet_conceals_40_ms() {
    let tc = transcode_tone(Codec::Pcmu, Codec::G722, 8_000, 40, &[4, 15]);
    assert_eq!(tc.stats().concealed, 4);
}

#[test]
fn other_packet_sizes_are_reframed_to_20_ms() {
    transcode_tone(Codec::Pcmu, Codec::Opus, 8_000, 30, &[]);
    transcode_tone(Codec::Opus, Codec::Pcmu, 48_000, 60, &[]);
    transcode_tone(Codec::Opus, Codec::Pcmu, 48_000, 10, &[]);
    transcode_tone(Codec::G722, Codec::Pcma, 16_000, 40, &[]);
    #[cfg(feature = "g729")]
    transcode_tone(Codec::G729, Codec::Pcmu, 8_000, 10, &[]);
}

#[test]
fn reordered_packets_come_out_in_order() {
    // Packet k holds a constant level 500·k, so each output frame shows which packet it is.
    let pcm: Vec<i16> = (0..40).flat_map(|k| [500 * k as i16; 160]).collect();
    let mut input = packets(Codec::Pcmu, 8_000, &pcm, 20, 65_530);
    // After the first two, each odd packet overtakes the even one before it by 15 ms.
    for pair in input.chunks_mut(2).skip(1) {
        if let [even, odd] = pair {
            odd.at_ms = even.at_ms;
            even.at_ms += 15;
        }
    }
    let mut tc = Transcoder::new(Codec::Pcmu, Codec::Pcma, &EncoderOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let frames = run(&mut tc, input);
    assert_eq!(frames.len(), 40);
    assert_cadence(Codec::Pcma, &frames);
    let out = decode(Codec::Pcma, 8_000, &frames);
    for (k, frame) in out.chunks(160).enumerate() {
        let mean = frame.iter().map(|&s| f64::from(s)).sum::<f64>() / 160.0;
        let want = 500.0 * k as f64;
        assert!(
            (mean - want).abs() <= want * 0.05 + 8.0,
            "frame {k}: {mean} for {want}"
        );
    }
    assert_eq!(tc.stats().jitter.lost, 0);
}

#[cfg(feature = "g729")]
#[test]
fn a_payload_the_decoder_refuses_is_concealed() {
    let mut input = tone_packets(Codec::G729, 8_000, 1.0, 20);
    input[10].payload = vec![0xff; 7];
    let mut tc = Transcoder::new(Codec::G729, Codec::Pcmu, &EncoderOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let frames = run(&mut tc, input);
    assert_eq!(frames.len(), 50);
    assert_cadence(Codec::Pcmu, &frames);
    assert_eq!((tc.stats().decode_errors, tc.stats().concealed), (1, 1));
    assert_tone(&decode(Codec::Pcmu, 8_000, &frames), 8_000, 0.85);
}

#[test]
fn a_restarted_input_stream_marks_the_next_frame() {
    let mut input = tone_packets(Codec::Pcmu, 8_000, 0.4, 20);
    for a in &mut input[10..] {
        a.seq = a.seq.wrapping_add(20_000);
    }
    let mut tc = Transcoder::new(Codec::Pcmu, Codec::Pcma, &EncoderOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let frames = run(&mut tc, input);
    assert_eq!(frames.len(), 20);
    let marked: Vec<usize> = (0..20).filter(|&i| frames[i].marker).collect();
    assert_eq!(marked, [0, 10]);
    // The output timeline does not jump.
    assert!(
        frames
            .iter()
            .enumerate()
            .all(|(i, f)| f.timestamp == 160 * i as u32)
    );
    assert_eq!(tc.stats().jitter.lost, 0);
}

#[test]
fn opus_runs_at_the_other_legs_rate_and_resamples_only_when_needed() {
    for (from, to, dec, enc, resamples) in [
        (Codec::Opus, Codec::Pcmu, 8_000, 8_000, false),
        (Codec::Opus, Codec::G729, 8_000, 8_000, false),
        (Codec::Opus, Codec::G722, 16_000, 16_000, false),
        (Codec::Pcma, Codec::Opus, 8_000, 8_000, false),
        (Codec::G722, Codec::Opus, 16_000, 16_000, false),
        (Codec::Pcmu, Codec::G722, 8_000, 16_000, true),
        (Codec::G722, Codec::Pcma, 16_000, 8_000, true),
        (Codec::Pcmu, Codec::Pcma, 8_000, 8_000, false),
    ] {
        if cfg!(not(feature = "g729")) && to == Codec::G729 {
            continue;
        }
        let tc =
            Transcoder::new(from, to, &EncoderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tc.decoder.output_rate(), dec, "{from:?} -> {to:?}");
        assert_eq!(tc.encoder.input_rate(), enc, "{from:?} -> {to:?}");
        assert_eq!(tc.resampler.is_some(), resamples, "{from:?} -> {to:?}");
    }
}
