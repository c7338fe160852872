//! The registrar on the real (cached) store, without the network: one authenticated
//! registration as `make bench` sends it (REGISTER -> 401, REGISTER with an MD5 digest ->
//! 200), timing only `Registrar::handle` (the requests are parsed outside the timing).
//! Everything above this figure in `make bench` is transport, parsing and transactions.
//! Run: cargo bench -p store --bench registrar -- --warm-up-time 1 --measurement-time 3
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use pbx::{Flow, Registrar, RegistrarConfig, Transport};
use sip::digest::{Challenge, Credentials};
use sip::{HeaderName, Message, Request};
use store::Store;

const NOW: u64 = 1_800_000_000;

fn register(call: u64, cseq: u32, authorization: Option<&str>) -> Request {
    let mut text = format!(
        "REGISTER sip:example.com SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-{call}-{cseq};rport\r\n\
         From: <sip:1001@example.com>;tag=1t{call}\r\n\
         To: <sip:1001@example.com>\r\n\
         Call-ID: {call}-1@127.0.0.1\r\n\
         CSeq: {cseq} REGISTER\r\n\
         Contact: <sip:1001@127.0.0.1:5070>\r\n\
         Max-Forwards: 70\r\n\
         Expires: 300\r\n"
    );
    if let Some(a) = authorization {
        text.push_str(&format!("Authorization: {a}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    match sip::parse_message(text.as_bytes()) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

fn registration(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let store = rt.block_on(async {
        let store = Store::connect(&url).await.unwrap();
        store
            .add_extension("1001", "Bench", "secret")
            .await
            .unwrap();
        store
    });
    let mut config = RegistrarConfig::new("example.com", [1; 32]);
    config.sha256_first = false; // what sipp answers
    let registrar = Registrar::new(config, store.clone(), store.clone());
    let flow = Flow {
        transport: Transport::Udp,
        remote: SocketAddr::from(([127, 0, 0, 1], 5070)),
        local: SocketAddr::from(([127, 0, 0, 1], 5060)),
        connection: None,
    };
    let mut call = 0u64;
    c.bench_function(
        "registrar on sqlite store: REGISTER 401 + REGISTER 200",
        |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut spent = Duration::ZERO;
                    for _ in 0..iters {
                        call += 1;
                        // 500 registrations a second of virtual time, as `make bench` sends them
                        // (nonce bookkeeping depends on the clock moving).
                        let now = NOW + call / 500;
                        let first = register(call, 1, None);
                        let t = Instant::now();
                        let challenge = registrar.handle(&first, &flow, now).await;
                        spent += t.elapsed();
                        let www = challenge.headers.get(&HeaderName::WwwAuthenticate).unwrap();
                        let ch = Challenge::parse(www).unwrap();
                        let creds = Credentials::answer(
                            &ch,
                            "1001",
                            "secret",
                            "REGISTER",
                            "sip:example.com",
                            "bench",
                            1,
                        );
                        let second = register(call, 2, Some(&creds.to_string()));
                        let t = Instant::now();
                        let ok = registrar.handle(&second, &flow, now).await;
                        spent += t.elapsed();
                        assert_eq!(ok.status, 200);
                    }
                    spent
                })
            })
        },
    );
    rt.block_on(store.close());
}

criterion_group!(benches, registration);
criterion_main!(benches);
