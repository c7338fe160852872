//! Nanoseconds to protect and then unprotect one RTP packet with SDES-keyed SRTP
//! (AES_CM_128_HMAC_SHA1_80, the suite trunks use): a 20 ms PCMU packet (12 + 160 = 172
//! bytes) and an Opus-sized one (12 + 88 = 100 bytes).
//! Run: cargo bench -p media --bench srtp -- --warm-up-time 1 --measurement-time 3
//! Reference: libsrtp2 protect + unprotect of such a packet, about 4 µs as quoted in the
//! issue (libsrtp is not linked here, so it is not re-measured in this run).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use media::srtp::{CryptoAttribute, CryptoSuite, SrtpSession};

fn rtp(seq: u16, payload: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend((0..payload).map(|i| i as u8));
    p
}

fn key(first: u8) -> CryptoAttribute {
    let mut next = first;
    CryptoAttribute::generate(
        1,
        CryptoSuite::AesCm128HmacSha1_80,
        &mut |buf: &mut [u8]| {
            for b in buf {
                *b = next;
                next = next.wrapping_mul(17).wrapping_add(3);
            }
        },
    )
}

fn srtp(c: &mut Criterion) {
    let (a, b) = (key(1), key(2));
    let mut group = c.benchmark_group("srtp AES_CM_128_HMAC_SHA1_80");
    group.throughput(Throughput::Elements(1));
    for (name, payload) in [("pcmu 172 B", 160), ("opus 100 B", 88)] {
        let (Ok(mut alice), Ok(mut bob)) = (SrtpSession::new(&a, &b), SrtpSession::new(&b, &a))
        else {
            panic!("session");
        };
        let mut packet = rtp(0, payload);
        let mut seq = 0u16;
        group.bench_function(format!("protect+unprotect {name}"), |bench| {
            bench.iter(|| {
                // A new sequence number each time, as on the wire: a repeat is a replay.
                seq = seq.wrapping_add(1);
                packet[2..4].copy_from_slice(&seq.to_be_bytes());
                let protected = alice.protect_rtp(black_box(&packet));
                let plain = protected.and_then(|p| bob.unprotect_rtp(black_box(&p)));
                assert_eq!(plain.as_ref().map(Vec::len), Ok(packet.len()));
                plain
            })
        });
        let (Ok(mut alice), Ok(_)) = (SrtpSession::new(&a, &b), SrtpSession::new(&b, &a)) else {
            panic!("session");
        };
        group.bench_function(format!("protect {name}"), |bench| {
            bench.iter(|| {
                seq = seq.wrapping_add(1);
                packet[2..4].copy_from_slice(&seq.to_be_bytes());
                alice.protect_rtp(black_box(&packet))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, srtp);
criterion_main!(benches);
