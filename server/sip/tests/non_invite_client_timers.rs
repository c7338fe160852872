//! Non-INVITE client transaction (RFC 3261 §17.1.2): Timer E backs off to T2 while Trying,
//! sits at T2 once Proceeding, Timer F times out at 64*T1, Timer K absorbs retransmitted
//! finals for T4 on UDP and is zero on reliable transports.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::transaction::{Event, State, TimerKind};

#[test]
fn timer_e_backs_off_to_t2_and_timer_f_fires_at_32s() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let id = layer
        .send_request(clock.now, request("REGISTER", "z9hG4bKn1", "r1"), (), false)
        .expect("starts");
    assert_eq!(labels(&transmits(&mut layer)), ["REGISTER"]);
    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(100));
    let offsets: Vec<u64> = sent.iter().map(|(t, _)| t.as_millis() as u64).collect();
    assert_eq!(
        offsets,
        [
            500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500
        ]
    );
    assert_eq!(
        evs,
        [
            (
                secs(32),
                Event::Timeout {
                    id,
                    timer: TimerKind::F
                }
            ),
            (secs(32), Event::Terminated { id }),
        ]
    );
}

#[test]
fn proceeding_retransmits_every_t2() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = request("OPTIONS", "z9hG4bKn2", "o1");
    let id = layer
        .send_request(clock.now, req.clone(), (), false)
        .expect("starts");
    transmits(&mut layer);
    clock.set(ms(100));
    layer
        .handle_response(clock.now, response(&req, 100), ())
        .expect("matches");
    assert_eq!(layer.state(id), Some(State::Proceeding));
    assert!(matches!(
        events(&mut layer).as_slice(),
        [Event::Response { .. }]
    ));
    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(100));
    let offsets: Vec<u64> = sent.iter().map(|(t, _)| t.as_millis() as u64).collect();
    // E was armed at 0.5 s while Trying; from then on every T2.
    assert_eq!(
        offsets,
        [500, 4_500, 8_500, 12_500, 16_500, 20_500, 24_500, 28_500]
    );
    assert!(
        matches!(evs.first(), Some((t, Event::Timeout { timer: TimerKind::F, .. })) if *t == secs(32))
    );
}

#[test]
fn completed_absorbs_retransmitted_finals_for_t4() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = request("BYE", "z9hG4bKn3", "b1");
    let id = layer
        .send_request(clock.now, req.clone(), (), false)
        .expect("starts");
    transmits(&mut layer);
    clock.set(ms(50));
    layer
        .handle_response(clock.now, response(&req, 200), ())
        .expect("matches");
    assert!(matches!(
        events(&mut layer).as_slice(),
        [Event::Response { .. }]
    ));
    assert_eq!(layer.state(id), Some(State::Completed));
    clock.set(ms(600));
    layer
        .handle_response(clock.now, response(&req, 200), ())
        .expect("matches");
    assert!(
        events(&mut layer).is_empty(),
        "retransmitted final absorbed"
    );
    assert!(transmits(&mut layer).is_empty());
    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(100));
    assert!(sent.is_empty(), "no retransmission in Completed");
    assert_eq!(evs, [(ms(5_050), Event::Terminated { id })]);
}

#[test]
fn reliable_transport_no_retransmissions_and_k_is_zero() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = request("MESSAGE", "z9hG4bKn4", "m1");
    let id = layer
        .send_request(clock.now, req.clone(), (), true)
        .expect("starts");
    transmits(&mut layer);
    assert_eq!(
        layer.poll_timeout(),
        Some(clock.at(secs(32))),
        "only Timer F"
    );
    clock.set(secs(3));
    layer
        .handle_response(clock.now, response(&req, 202), ())
        .expect("matches");
    let evs = events(&mut layer);
    assert!(
        matches!(evs.as_slice(), [Event::Response { .. }, Event::Terminated { id: t }] if *t == id)
    );
    assert_eq!(layer.poll_timeout(), None);
}
