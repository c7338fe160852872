//! Per-20 ms-frame cost of the transcoding pipeline's pieces and of a whole call direction:
//! the resampler, the jitter buffer, and `Transcoder` push + poll_output for the codec pairs
//! a WebRTC-to-trunk call meets (Opus complexity 5 as in production).
//! Run: cargo bench -p media --bench pipeline -- --warm-up-time 1 --measurement-time 3
//! A 20 ms frame is the real-time budget of one call direction: ns/frame ÷ 20 ms gives the
//! share of one core a call direction takes.

use std::f64::consts::PI;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use media::codec::{self, Codec, EncoderOptions};
use media::jitter::JitterBuffer;
use media::resample::Resampler;
use media::transcode::Transcoder;

/// One second of a voice-like test signal: three partials with a syllable-rate envelope and
/// a little noise, so the encoders work as they would on speech rather than on silence.
fn signal(rate: u32) -> Vec<i16> {
    let mut noise = 0x1234_5678u32;
    (0..rate)
        .map(|i| {
            let t = f64::from(i) / f64::from(rate);
            let envelope = 0.6 + 0.4 * (2.0 * PI * 4.0 * t).sin();
            let voice = 4_000.0 * (2.0 * PI * 220.0 * t).sin()
                + 2_000.0 * (2.0 * PI * 660.0 * t).sin()
                + 1_000.0 * (2.0 * PI * 1_870.0 * t).sin();
            noise = noise.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let n = f64::from((noise >> 16) as i16) / 32.0;
            (envelope * voice + n) as i16
        })
        .collect()
}

fn resample(c: &mut Criterion) {
    let mut group = c.benchmark_group("resample 20 ms");
    group.throughput(Throughput::Elements(1));
    for (from, to) in [
        (8_000, 48_000),
        (48_000, 8_000),
        (16_000, 8_000),
        (8_000, 16_000),
    ] {
        let input = signal(from);
        let frame = from as usize / 50;
        let mut r = Resampler::new(from, to).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::with_capacity(to as usize / 50);
        let mut at = 0;
        group.bench_function(format!("{}k->{}k", from / 1000, to / 1000), |b| {
            b.iter(|| {
                out.clear();
                r.process(black_box(&input[at..at + frame]), &mut out);
                at = (at + frame) % input.len();
                black_box(out.len())
            })
        });
    }
    group.finish();
}

fn jitter(c: &mut Criterion) {
    let mut group = c.benchmark_group("jitter");
    group.throughput(Throughput::Elements(1));
    let payload = [0xd5u8; 160];
    let start = Instant::now();
    let mut jb = JitterBuffer::new(Duration::from_millis(30), 32);
    let mut i = 0u64;
    group.bench_function("push+pop in order", |b| {
        b.iter(|| {
            let now = start + Duration::from_millis(20 * i);
            jb.push(
                now,
                i as u16,
                (i as u32).wrapping_mul(160),
                black_box(&payload),
            );
            i += 1;
            black_box(jb.pop(now))
        })
    });
    // Every other pair swapped: one pop finds a gap, the next returns two.
    let mut jb = JitterBuffer::new(Duration::from_millis(30), 32);
    let mut i = 0u64;
    group.bench_function("push+pop pairs swapped", |b| {
        b.iter(|| {
            let now = start + Duration::from_millis(20 * i);
            let seq = (i ^ 1) as u16;
            jb.push(
                now,
                seq,
                u32::from(seq).wrapping_mul(160),
                black_box(&payload),
            );
            i += 1;
            while let Some(p) = jb.pop(now) {
                black_box(p);
            }
        })
    });
    group.finish();
}

/// 50 packets (1 s) of the test signal encoded as `codec`, as they arrive from a leg.
fn packets(codec: Codec) -> Vec<Vec<u8>> {
    let rate = codec.pcm_rate();
    let mut enc =
        codec::encoder(codec, rate, &EncoderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    signal(rate)
        .chunks_exact(rate as usize / 50)
        .map(|frame| {
            let mut p = Vec::new();
            enc.encode(frame, &mut p).unwrap_or_else(|e| panic!("{e}"));
            p
        })
        .collect()
}

fn transcode(c: &mut Criterion) {
    let mut group = c.benchmark_group("transcode 20 ms");
    group.throughput(Throughput::Elements(1));
    let mut pairs = vec![
        (Codec::Opus, Codec::Pcmu),
        (Codec::Pcmu, Codec::Opus),
        (Codec::G722, Codec::Pcmu),
        (Codec::Pcmu, Codec::G722),
        (Codec::Opus, Codec::G722),
    ];
    if cfg!(feature = "g729") {
        pairs.extend([(Codec::Pcmu, Codec::G729), (Codec::G729, Codec::Pcmu)]);
    }
    let start = Instant::now();
    for (from, to) in pairs {
        let input = packets(from);
        let opts = EncoderOptions::default();
        let mut tc = Transcoder::new(from, to, &opts).unwrap_or_else(|e| panic!("{e}"));
        let ticks = from.rtp_ticks_per_frame();
        let mut i = 0u64;
        group.bench_function(format!("{}->{}", from.name(), to.name()), |b| {
            b.iter(|| {
                let now = start + Duration::from_millis(20 * i);
                let p = &input[i as usize % input.len()];
                tc.push(now, i as u16, (i as u32).wrapping_mul(ticks), black_box(p));
                i += 1;
                let mut bytes = 0;
                while let Some(frame) = tc.poll_output(now) {
                    bytes += frame.payload.len();
                }
                black_box(bytes)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, resample, jitter, transcode);
criterion_main!(benches);
