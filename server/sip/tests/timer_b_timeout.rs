//! An INVITE into silence: Timer A retransmits at T1, 2T1, 4T1... and Timer B ends the
//! transaction at exactly 64*T1 = 32 s, on a virtual clock (the test takes microseconds).
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::transaction::{Event, TimerConfig, TimerKind, TransactionLayer};

#[test]
fn unreliable_invite_retransmits_then_times_out_at_64_t1() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let id = layer
        .send_request(clock.now, invite("z9hG4bKb1"), (), false)
        .expect("starts");
    assert_eq!(labels(&transmits(&mut layer)), ["INVITE"]);
    assert_eq!(layer.poll_timeout(), Some(clock.at(ms(500))));

    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(100));
    let offsets: Vec<u64> = sent.iter().map(|(t, _)| t.as_millis() as u64).collect();
    assert_eq!(offsets, [500, 1_500, 3_500, 7_500, 15_500, 31_500]);
    assert!(sent.iter().all(|(_, l)| l == "INVITE"));
    assert_eq!(
        evs,
        [
            (
                secs(32),
                Event::Timeout {
                    id,
                    timer: TimerKind::B
                }
            ),
            (secs(32), Event::Terminated { id }),
        ]
    );
    assert!(layer.is_empty());
    assert_eq!(layer.poll_timeout(), None);
}

#[test]
fn reliable_invite_does_not_retransmit_and_times_out_at_64_t1() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let id = layer
        .send_request(clock.now, invite("z9hG4bKb2"), (), true)
        .expect("starts");
    assert_eq!(transmits(&mut layer).len(), 1);
    assert_eq!(layer.poll_timeout(), Some(clock.at(secs(32))));
    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(100));
    assert!(sent.is_empty());
    assert_eq!(
        evs.first(),
        Some(&(
            secs(32),
            Event::Timeout {
                id,
                timer: TimerKind::B
            }
        ))
    );
}

#[test]
fn timer_b_follows_a_configured_t1() {
    let mut clock = Clock::new();
    let config = TimerConfig {
        t1: ms(100),
        ..TimerConfig::default()
    };
    let mut layer = TransactionLayer::<()>::new(config);
    let id = layer
        .send_request(clock.now, invite("z9hG4bKb3"), (), false)
        .expect("starts");
    assert_eq!(transmits(&mut layer).len(), 1);
    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(100));
    assert_eq!(sent.len(), 6, "A fires at 0.1, 0.3, 0.7, 1.5, 3.1, 6.3 s");
    assert_eq!(
        evs.first(),
        Some(&(
            ms(6_400),
            Event::Timeout {
                id,
                timer: TimerKind::B
            }
        ))
    );
}

#[test]
fn a_provisional_response_stops_timer_b() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKb4");
    let id = layer
        .send_request(clock.now, req.clone(), (), false)
        .expect("starts");
    clock.set(ms(700));
    layer
        .handle_response(clock.now, response(&req, 180), ())
        .expect("matches");
    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(600));
    assert!(
        sent.is_empty(),
        "no retransmission once proceeding: {sent:?}"
    );
    assert!(evs.is_empty(), "no timeout while proceeding: {evs:?}");
    assert_eq!(layer.state(id), Some(sip::transaction::State::Proceeding));
}
