//! Timer C (RFC 3261 §16.6 step 11, §16.8), optional and off by default: without any
//! provisional the INVITE is given up like a 408; with one, the TU is told to CANCEL, and the
//! transaction gives the CANCEL 64*T1 before it ends. Provisionals above 100 restart it.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::transaction::{Event, TimerConfig, TimerKind, TransactionLayer};

fn proxy_layer() -> TransactionLayer<()> {
    TransactionLayer::new(TimerConfig {
        timer_c: Some(secs(180)),
        ..TimerConfig::default()
    })
}

#[test]
fn ringing_restarts_timer_c_then_cancel_is_advised() {
    let mut clock = Clock::new();
    let mut layer = proxy_layer();
    let req = invite("z9hG4bKtc1");
    let id = layer
        .send_request(clock.now, req.clone(), (), true)
        .expect("starts");
    clock.set(secs(1));
    layer
        .handle_response(clock.now, response(&req, 100), ())
        .expect("matches");
    clock.set(secs(60));
    layer
        .handle_response(clock.now, response(&req, 180), ())
        .expect("matches");
    events(&mut layer);
    let (_, evs) = run_timers(&mut clock, &mut layer, secs(1_000));
    assert_eq!(
        evs,
        [
            (
                secs(240),
                Event::Timeout {
                    id,
                    timer: TimerKind::C
                }
            ),
            (secs(272), Event::Terminated { id }),
        ]
    );
}

#[test]
fn the_487_after_cancel_ends_it_normally() {
    let mut clock = Clock::new();
    let mut layer = proxy_layer();
    let req = invite("z9hG4bKtc2");
    let id = layer
        .send_request(clock.now, req.clone(), (), true)
        .expect("starts");
    layer
        .handle_response(clock.now, response(&req, 183), ())
        .expect("matches");
    let (_, evs) = run_timers(&mut clock, &mut layer, secs(181));
    assert!(evs.iter().any(|(_, e)| *e
        == Event::Timeout {
            id,
            timer: TimerKind::C
        }));
    layer
        .handle_response(clock.now, response(&req, 487), ())
        .expect("matches");
    let evs = events(&mut layer);
    assert!(matches!(
        evs.as_slice(),
        [Event::Response { .. }, Event::Terminated { .. }]
    ));
}

#[test]
fn timer_c_is_off_by_default() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKtc3");
    layer
        .send_request(clock.now, req.clone(), (), true)
        .expect("starts");
    layer
        .handle_response(clock.now, response(&req, 180), ())
        .expect("matches");
    events(&mut layer);
    let (_, evs) = run_timers(&mut clock, &mut layer, secs(3_600));
    assert!(evs.is_empty());
}
