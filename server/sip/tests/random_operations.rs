//! A seeded storm of arbitrary inputs (requests, responses, ACKs, CANCELs, TU answers,
//! transport errors, timeouts, some with clashing branches) on one layer: no panic, and the
//! layer's bookkeeping stays consistent: every transaction terminates once, and once input
//! stops every timer is gone within 64*T1 + T4.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::transaction::{Event, TransactionId, ack_for, cancel_for};
use std::collections::HashSet;

const METHODS: [&str; 5] = ["INVITE", "OPTIONS", "REGISTER", "BYE", "MESSAGE"];
const STATUSES: [u16; 8] = [100, 180, 183, 200, 202, 404, 486, 603];

fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    let i = (rng.next_u64() % items.len() as u64) as usize;
    items.get(i).copied().expect("index in range")
}

#[test]
fn random_operations_keep_the_layer_consistent() {
    for seed in 0..100 {
        let mut rng = Rng::new(seed);
        let mut clock = Clock::new();
        let mut layer = udp_layer::<u8>();
        let mut created = HashSet::new();
        let mut terminated = HashSet::new();
        let mut known: Vec<TransactionId> = Vec::new();
        let mut sent_requests = Vec::new();
        for _ in 0..300 {
            let branch = format!("z9hG4bK{}", rng.next_u64() % 12);
            let method = pick(&mut rng, &METHODS);
            let reliable = rng.chance(0.3);
            let req = request(method, &branch, "storm");
            let now = clock.now;
            match rng.next_u64() % 9 {
                0 | 1 => {
                    let _ = layer.handle_request(now, req, 1, reliable);
                }
                2 => {
                    if let Ok(id) = layer.send_request(now, req.clone(), 2, reliable) {
                        known.push(id);
                        sent_requests.push(req);
                    }
                }
                3 => {
                    let status = pick(&mut rng, &STATUSES);
                    let _ = layer.handle_response(now, response(&req, status), 3);
                }
                4 => {
                    let status = pick(&mut rng, &STATUSES);
                    if let Some(&id) =
                        known.get((rng.next_u64() % (known.len() as u64 + 1)) as usize)
                    {
                        let _ = layer.send_response(now, id, response(&req, status));
                    }
                }
                5 => {
                    let inv = invite(&branch);
                    let status = pick(&mut rng, &STATUSES);
                    if let Ok(ack) = ack_for(&inv, &response(&inv, status)) {
                        let _ = layer.handle_request(now, ack, 1, reliable);
                    }
                    if let Ok(cancel) = cancel_for(&inv) {
                        let _ = layer.handle_request(now, cancel, 1, reliable);
                    }
                }
                6 => {
                    if let Some(&id) =
                        known.get((rng.next_u64() % (known.len() as u64 + 1)) as usize)
                    {
                        layer.handle_transport_error(now, id);
                    }
                }
                7 => {
                    clock.advance(rng.between(ms(0), secs(5)));
                    layer.handle_timeout(clock.now);
                }
                _ => {
                    if let Some(at) = layer.poll_timeout() {
                        assert!(
                            !layer.is_empty(),
                            "seed {seed}: a deadline without a transaction"
                        );
                        clock.now = clock.now.max(at);
                        layer.handle_timeout(clock.now);
                    }
                }
            }
            transmits(&mut layer);
            for e in events(&mut layer) {
                match e {
                    Event::Request { id, .. } => {
                        assert!(created.insert(id), "seed {seed}: {id:?} created twice");
                        known.push(id);
                    }
                    Event::Terminated { id } => {
                        assert!(
                            terminated.insert(id),
                            "seed {seed}: {id:?} terminated twice"
                        );
                        assert!(layer.state(id).is_none());
                    }
                    _ => {}
                }
            }
            assert!(
                layer.len() <= created.len() + sent_requests.len(),
                "seed {seed}"
            );
        }
        // Quiet: proceeding transactions wait for their TU; everything else ends by itself.
        let quiet_until = clock.elapsed() + secs(32 + 5 + 1);
        let (_, evs) = run_timers(&mut clock, &mut layer, quiet_until);
        for (_, e) in evs {
            if let Event::Terminated { id } = e {
                assert!(
                    terminated.insert(id),
                    "seed {seed}: {id:?} terminated twice"
                );
            }
        }
        assert_eq!(
            layer.poll_timeout(),
            None,
            "seed {seed}: a timer outlived 64*T1 + T4"
        );
    }
}
