//! CANCEL (RFC 3261 §9): a CANCEL is its own non-INVITE transaction; the UAS finds the INVITE
//! it cancels by the same branch and sent-by (§9.2, §17.2.3), or by the RFC 2543 fields.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::HeaderName;
use sip::transaction::{Event, State, TransactionId, TransactionLayer, cancel_for};

fn receive(layer: &mut TransactionLayer<()>, clock: &Clock, req: sip::Request) -> TransactionId {
    layer
        .handle_request(clock.now, req, (), false)
        .expect("matches");
    let evs = events(layer);
    let Some(Event::Request { id, .. }) = evs.first() else {
        panic!("{evs:?}")
    };
    *id
}

#[test]
fn cancel_finds_its_invite_and_gets_its_own_transaction() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKc1");
    let invite_id = receive(&mut layer, &clock, req.clone());
    transmits(&mut layer);

    let cancel = cancel_for(&req).expect("builds");
    // §9.1: same Request-URI, Call-ID, From, To, CSeq number and top Via; method CANCEL.
    assert_eq!(cancel.uri, req.uri);
    assert_eq!(cancel.top_via().expect("Via"), req.top_via().expect("Via"));
    assert_eq!(cancel.cseq().expect("CSeq").seq, 1);
    assert_eq!(
        cancel.headers.get(&HeaderName::To),
        req.headers.get(&HeaderName::To)
    );
    let cancel_id = receive(&mut layer, &clock, cancel.clone());
    assert_ne!(cancel_id, invite_id);
    assert_eq!(layer.cancel_target(cancel_id), Some(invite_id));
    assert_eq!(
        layer.cancel_target(invite_id),
        None,
        "only a CANCEL has a target"
    );

    // The UAS answers both: 200 to the CANCEL, 487 to the INVITE.
    layer
        .send_response(clock.now, cancel_id, response(&cancel, 200))
        .expect("sends");
    layer
        .send_response(clock.now, invite_id, response(&req, 487))
        .expect("sends");
    assert_eq!(labels(&transmits(&mut layer)), ["200", "487"]);
    assert_eq!(layer.state(invite_id), Some(State::Completed));
    // A retransmitted CANCEL gets its 200 again, not the 487.
    layer
        .handle_request(clock.now, cancel, (), false)
        .expect("matches");
    assert_eq!(labels(&transmits(&mut layer)), ["200"]);
}

#[test]
fn cancel_with_another_branch_or_sent_by_matches_nothing() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKc2");
    receive(&mut layer, &clock, req.clone());
    let other_branch = cancel_for(&invite("z9hG4bKc2-other")).expect("builds");
    let id = receive(&mut layer, &clock, other_branch);
    assert_eq!(layer.cancel_target(id), None, "answer 481");

    let mut moved = cancel_for(&req).expect("builds");
    let mut via = moved.top_via().expect("Via");
    via.host = "elsewhere.example.com".into();
    moved.headers.set(HeaderName::Via, via.to_string());
    let id = receive(&mut layer, &clock, moved);
    assert_eq!(layer.cancel_target(id), None, "same branch, other sent-by");
}

#[test]
fn cancel_of_an_rfc2543_invite() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("1234-old-style");
    let invite_id = receive(&mut layer, &clock, req.clone());
    let cancel_id = receive(&mut layer, &clock, cancel_for(&req).expect("builds"));
    assert_eq!(layer.cancel_target(cancel_id), Some(invite_id));
}

#[test]
fn client_cancel_is_a_separate_client_transaction() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKc3");
    let invite_id = layer
        .send_request(clock.now, req.clone(), (), false)
        .expect("starts");
    layer
        .handle_response(clock.now, response(&req, 180), ())
        .expect("matches");
    let cancel = cancel_for(layer.request(invite_id).expect("alive")).expect("builds");
    let cancel_id = layer
        .send_request(clock.now, cancel.clone(), (), false)
        .expect("starts");
    assert_ne!(cancel_id, invite_id);
    transmits(&mut layer);
    events(&mut layer);
    // Responses are matched by branch *and* CSeq method.
    layer
        .handle_response(clock.now, response(&cancel, 200), ())
        .expect("matches");
    layer
        .handle_response(clock.now, response(&req, 487), ())
        .expect("matches");
    let evs = events(&mut layer);
    assert!(
        matches!(evs.first(), Some(Event::Response { id, response }) if *id == cancel_id && response.status == 200)
    );
    assert!(
        matches!(evs.get(1), Some(Event::Response { id, response }) if *id == invite_id && response.status == 487)
    );
    assert_eq!(labels(&transmits(&mut layer)), ["ACK"]);
}
