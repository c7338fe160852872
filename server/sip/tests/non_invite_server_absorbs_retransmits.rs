//! Non-INVITE server transaction (RFC 3261 §17.2.2): the TU sees the request once; while
//! Trying retransmissions are swallowed, then answered with the latest provisional or the
//! final response; Timer J keeps the final for 64*T1 on UDP, zero on reliable transports.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::transaction::{Event, State, TransactionError};

#[test]
fn retransmissions_are_absorbed_then_replayed() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<&str>();
    let req = request("REGISTER", "z9hG4bKns1", "r1");
    layer
        .handle_request(clock.now, req.clone(), "alice", false)
        .expect("matches");
    let evs = events(&mut layer);
    let [Event::Request { id, request, peer }] = evs.as_slice() else {
        panic!("{evs:?}")
    };
    let id = *id;
    assert_eq!((request, *peer), (&req, "alice"));
    assert_eq!(layer.state(id), Some(State::Trying));

    // Trying: absorbed, nothing sent, TU not told again.
    clock.set(ms(500));
    layer
        .handle_request(clock.now, req.clone(), "alice", false)
        .expect("matches");
    assert!(events(&mut layer).is_empty() && transmits(&mut layer).is_empty());

    // Proceeding: the provisional is replayed.
    layer
        .send_response(clock.now, id, response(&req, 100))
        .expect("sends");
    assert_eq!(labels(&transmits(&mut layer)), ["100"]);
    clock.set(ms(1_500));
    layer
        .handle_request(clock.now, req.clone(), "alice", false)
        .expect("matches");
    assert_eq!(labels(&transmits(&mut layer)), ["100"]);

    // Completed: the final is replayed, to where the retransmission came from.
    clock.set(ms(2_000));
    layer
        .send_response(clock.now, id, response(&req, 200))
        .expect("sends");
    assert_eq!(labels(&transmits(&mut layer)), ["200"]);
    clock.set(ms(3_500));
    layer
        .handle_request(clock.now, req.clone(), "alice-new-port", false)
        .expect("matches");
    let sent = transmits(&mut layer);
    assert_eq!(labels(&sent), ["200"]);
    assert_eq!(sent.first().map(|t| t.peer), Some("alice-new-port"));
    assert!(events(&mut layer).is_empty());

    // A second final is refused.
    assert_eq!(
        layer.send_response(clock.now, id, response(&req, 500)),
        Err(TransactionError::InvalidState(State::Completed))
    );

    // Timer J: 64*T1 after the final.
    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(100));
    assert!(
        sent.is_empty(),
        "a server never retransmits a non-INVITE final on its own"
    );
    assert_eq!(evs, [(ms(34_000), Event::Terminated { id })]);

    // After J the same request is new again.
    layer
        .handle_request(clock.now, req, "alice", false)
        .expect("matches");
    assert!(matches!(
        events(&mut layer).as_slice(),
        [Event::Request { .. }]
    ));
}

#[test]
fn reliable_transport_terminates_at_the_final() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = request("OPTIONS", "z9hG4bKns2", "o1");
    layer
        .handle_request(clock.now, req.clone(), (), true)
        .expect("matches");
    let Some(Event::Request { id, .. }) = layer.poll_event() else {
        panic!()
    };
    layer
        .send_response(clock.now, id, response(&req, 200))
        .expect("sends");
    assert_eq!(labels(&transmits(&mut layer)), ["200"]);
    assert_eq!(events(&mut layer), [Event::Terminated { id }]);
    assert!(layer.is_empty());
}

#[test]
fn bad_statuses_and_unknown_ids_are_errors() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = request("OPTIONS", "z9hG4bKns3", "o1");
    layer
        .handle_request(clock.now, req.clone(), (), false)
        .expect("matches");
    let Some(Event::Request { id, .. }) = layer.poll_event() else {
        panic!()
    };
    let mut odd = response(&req, 200);
    odd.status = 99;
    assert_eq!(
        layer.send_response(clock.now, id, odd),
        Err(TransactionError::BadStatus(99))
    );
    let client = layer
        .send_request(clock.now, request("OPTIONS", "z9hG4bKns4", "o2"), (), false)
        .expect("starts");
    assert_eq!(
        layer.send_response(clock.now, client, response(&req, 200)),
        Err(TransactionError::NotAServerTransaction)
    );
    layer.abandon(id);
    assert_eq!(
        layer.send_response(clock.now, id, response(&req, 200)),
        Err(TransactionError::UnknownTransaction)
    );
}
