//! Nanoseconds per 20 ms frame, encode and decode, for every codec `media::codec` offers.
//! The input is speech-like (a 150 Hz voice with harmonics to 3.4 kHz, syllable-rate
//! envelope), since CELP and Opus costs depend on what they hear.
//! Run: cargo bench -p media --bench codecs -- --warm-up-time 1 --measurement-time 3
//! One call's transcoding costs a decode plus an encode per direction each 20 ms, so
//! 20 ms / (decode + encode) is the number of directions one core can carry.

#![allow(clippy::unwrap_used)] // bench set-up on fixed inputs

use std::f64::consts::PI;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use media::codec::{Codec, EncoderOptions, decoder, encoder};

/// One second of the test voice at `rate`.
fn voice(rate: u32) -> Vec<i16> {
    (0..rate)
        .map(|i| {
            let t = f64::from(i) / f64::from(rate);
            let envelope = 0.55 + 0.45 * (2.0 * PI * 4.0 * t).sin();
            let harmonics: f64 = (1..=22)
                .map(|h| (2.0 * PI * 150.0 * f64::from(h) * t + f64::from(h)).sin() / f64::from(h))
                .sum();
            (4_000.0 * envelope * harmonics) as i16
        })
        .collect()
}

/// The cases: a label, the codec, the encoder's input rate, the decoder's output rate and
/// the Opus complexity.
const CASES: [(&str, Codec, u32, u32, u8); 12] = [
    ("PCMU", Codec::Pcmu, 8_000, 8_000, 5),
    ("PCMA", Codec::Pcma, 8_000, 8_000, 5),
    ("G722", Codec::G722, 16_000, 16_000, 5),
    ("G729", Codec::G729, 8_000, 8_000, 5),
    ("opus c5 48k->48k", Codec::Opus, 48_000, 48_000, 5),
    ("opus c5 48k->8k", Codec::Opus, 48_000, 8_000, 5),
    ("opus c5 8k->8k", Codec::Opus, 8_000, 8_000, 5),
    ("opus c5 8k->48k", Codec::Opus, 8_000, 48_000, 5),
    ("opus c10 48k->48k", Codec::Opus, 48_000, 48_000, 10),
    ("opus c10 48k->8k", Codec::Opus, 48_000, 8_000, 10),
    ("opus c10 8k->8k", Codec::Opus, 8_000, 8_000, 10),
    ("opus c10 8k->48k", Codec::Opus, 8_000, 48_000, 10),
];

fn codecs(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec 20ms");
    group.throughput(Throughput::Elements(1));
    for (label, codec, in_rate, out_rate, complexity) in CASES {
        let opts = EncoderOptions {
            opus_complexity: complexity,
            ..EncoderOptions::default()
        };
        let Ok(mut enc) = encoder(codec, in_rate, &opts) else {
            eprintln!("{label}: not built in, skipped");
            continue;
        };
        let pcm = voice(in_rate);
        let frames: Vec<&[i16]> = pcm.chunks_exact(in_rate as usize / 50).collect();

        // Encode: only once per input rate (the decode rate does not change the encoder).
        if codec != Codec::Opus || in_rate == out_rate {
            let mut out = Vec::with_capacity(4_000);
            let mut i = 0;
            group.bench_function(
                format!("encode {}", label.split("->").next().unwrap_or(label)),
                |b| {
                    b.iter(|| {
                        out.clear();
                        enc.encode(black_box(frames[i % frames.len()]), &mut out)
                            .unwrap();
                        i += 1;
                        black_box(out.len())
                    })
                },
            );
        }

        let mut enc = encoder(codec, in_rate, &opts).unwrap();
        let packets: Vec<Vec<u8>> = frames
            .iter()
            .map(|f| {
                let mut p = Vec::new();
                enc.encode(f, &mut p).unwrap();
                p
            })
            .collect();
        let mut dec = decoder(codec, out_rate).unwrap();
        let mut out = Vec::with_capacity(out_rate as usize / 50 * 6);
        let mut i = 0;
        group.bench_function(format!("decode {label}"), |b| {
            b.iter(|| {
                out.clear();
                dec.decode(black_box(&packets[i % packets.len()]), &mut out)
                    .unwrap();
                i += 1;
                black_box(out.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, codecs);
criterion_main!(benches);
