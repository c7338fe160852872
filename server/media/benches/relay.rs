//! Nanoseconds per relayed packet through `Relay::on_packet` (the per-packet work of the
//! anchored relay, without the sockets): a latched call, 160-byte PCMU packets both ways.
//! Run: cargo bench -p media --bench relay -- --warm-up-time 1 --measurement-time 3
//! The reference figure is rtpengine's userspace relay on the same machine
//! (../shared/bench/rtpengine); this bench isolates our share of the per-packet cost.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use media::relay::{Kind, Relay, Side, Verdict};

fn rtp(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 0];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0xd5; 160]);
    p
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn relay(c: &mut Criterion) {
    let a = addr("192.0.2.10:4000");
    let b = addr("192.0.2.20:6000");
    let mut relay = Relay::new();
    relay.set_remote(Side::A, a, addr("192.0.2.10:4001"), &[0, 8, 101], 8000);
    relay.set_remote(Side::B, b, addr("192.0.2.20:6001"), &[0, 8, 101], 8000);

    let packets: Vec<Vec<u8>> = (0..1024).map(|i| rtp(i, 0x1234)).collect();
    let start = Instant::now();
    let mut group = c.benchmark_group("relay");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("on_packet rtp a->b latched", |bench| {
        bench.iter(|| {
            let seq = i;
            i = i.wrapping_add(1);
            let now = start + Duration::from_millis(20 * (seq as u64 % 1_000_000));
            let p = &packets[seq % packets.len()];
            let v = relay.on_packet(
                black_box(now),
                Side::A,
                Kind::Rtp,
                black_box(a),
                black_box(p),
            );
            assert!(matches!(v, Verdict::Forward { .. }));
            v
        })
    });
    let intruder = addr("203.0.113.66:5000");
    group.bench_function("on_packet rtp bleed dropped", |bench| {
        bench.iter(|| {
            relay.on_packet(
                start,
                Side::A,
                Kind::Rtp,
                black_box(intruder),
                black_box(&packets[0]),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, relay);
criterion_main!(benches);
