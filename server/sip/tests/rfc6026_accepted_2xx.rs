//! RFC 6026 Accepted state. Client: a 2xx moves the INVITE transaction to Accepted, where every
//! further 2xx (retransmission or fork) goes to the TU, which ACKs it; Timer M ends it after
//! 64*T1. Server: a 2xx moves to Accepted, INVITE retransmissions are absorbed, the TU's own 2xx
//! retransmissions pass through, an ACK reaching the transaction goes to the TU; Timer L ends it.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::Message;
use sip::transaction::{Event, State};

#[test]
fn client_passes_every_2xx_to_the_tu_until_timer_m() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKac1");
    let id = layer
        .send_request(clock.now, req.clone(), (), false)
        .expect("starts");
    transmits(&mut layer);
    clock.set(secs(1));
    let ok = response(&req, 200);
    layer
        .handle_response(clock.now, ok.clone(), ())
        .expect("matches");
    assert_eq!(layer.state(id), Some(State::Accepted));
    assert!(
        transmits(&mut layer).is_empty(),
        "the transaction never ACKs a 2xx"
    );
    assert!(
        matches!(events(&mut layer).as_slice(), [Event::Response { response, .. }] if response.status == 200)
    );

    clock.set(secs(2));
    layer
        .handle_response(clock.now, ok.clone(), ())
        .expect("matches");
    let mut forked = response(&req, 200);
    forked.set_to_tag("fork2").expect("To");
    layer
        .handle_response(clock.now, forked, ())
        .expect("matches");
    let evs = events(&mut layer);
    assert_eq!(evs.len(), 2, "both 2xx reach the TU: {evs:?}");
    // A non-2xx after the 2xx is not the TU's business.
    layer
        .handle_response(clock.now, response(&req, 500), ())
        .expect("matches");
    assert!(events(&mut layer).is_empty());

    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(100));
    assert!(sent.is_empty());
    assert_eq!(
        evs,
        [(secs(33), Event::Terminated { id })],
        "Timer M = 64*T1 after the 2xx"
    );
    layer.handle_response(clock.now, ok, ()).expect("parses");
    assert!(matches!(
        events(&mut layer).as_slice(),
        [Event::StrayResponse { .. }]
    ));
}

#[test]
fn server_absorbs_invites_passes_acks_and_tu_retransmissions_until_timer_l() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKas1");
    layer
        .handle_request(clock.now, req.clone(), (), false)
        .expect("matches");
    let Some(Event::Request { id, .. }) = layer.poll_event() else {
        panic!()
    };
    transmits(&mut layer);
    clock.set(secs(1));
    let ok = response(&req, 200);
    layer
        .send_response(clock.now, id, ok.clone())
        .expect("sends");
    assert_eq!(labels(&transmits(&mut layer)), ["200"]);
    assert_eq!(layer.state(id), Some(State::Accepted));

    // INVITE retransmission: absorbed (the TU retransmits the 2xx, not the transaction).
    layer
        .handle_request(clock.now, req.clone(), (), false)
        .expect("matches");
    assert!(transmits(&mut layer).is_empty() && events(&mut layer).is_empty());
    // The TU's 2xx retransmission goes out through the transaction.
    clock.set(ms(1_500));
    layer
        .send_response(clock.now, id, ok.clone())
        .expect("sends");
    assert_eq!(labels(&transmits(&mut layer)), ["200"]);

    // The ACK for the 2xx (its own branch) matches nothing and goes to the TU.
    let ack = ack_for_2xx(&req, &ok);
    layer
        .handle_request(clock.now, ack.clone(), (), false)
        .expect("matches");
    assert!(matches!(
        events(&mut layer).as_slice(),
        [Event::Ack { id: None, .. }]
    ));
    // An ACK reusing the INVITE's branch reaches the transaction, which hands it up too.
    let same_branch = sip::transaction::ack_for(&req, &ok).expect("ACK");
    layer
        .handle_request(clock.now, same_branch, (), false)
        .expect("matches");
    assert_eq!(
        events(&mut layer)
            .first()
            .map(|e| matches!(e, Event::Ack { id: Some(i), .. } if *i == id)),
        Some(true)
    );

    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(100));
    assert!(sent.is_empty(), "no Timer G for a 2xx");
    assert_eq!(
        evs,
        [(secs(33), Event::Terminated { id })],
        "Timer L = 64*T1 after the 2xx"
    );
    // After L the UAS core can still send statelessly.
    layer.send_stateless(Message::Response(ok), ());
    assert!(matches!(layer.poll_transmit(), Some(t) if t.transaction.is_none()));
}

#[test]
fn two_xx_after_provisional_and_2xx_on_reliable_still_waits_for_timer_m() {
    // Timer M is not zeroed on reliable transports: forks' 2xx may still come.
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKac2");
    let id = layer
        .send_request(clock.now, req.clone(), (), true)
        .expect("starts");
    layer
        .handle_response(clock.now, response(&req, 180), ())
        .expect("matches");
    layer
        .handle_response(clock.now, response(&req, 200), ())
        .expect("matches");
    assert_eq!(layer.state(id), Some(State::Accepted));
    assert_eq!(layer.poll_timeout(), Some(clock.at(secs(32))));
    let (_, evs) = run_timers(&mut clock, &mut layer, secs(40));
    assert_eq!(evs.last(), Some(&(secs(32), Event::Terminated { id })));
}
