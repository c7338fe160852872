//! Requests from RFC 2543 peers (top Via branch without `z9hG4bK`, or none at all) are
//! matched by Request-URI, To tag, From tag, Call-ID, CSeq number and top Via (§17.2.3);
//! their ACK carries the To tag of our final response and still finds the transaction.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::transaction::{Event, KeyId, State, TransactionKey, ack_for};
use sip::{HeaderName, Request};

fn old_invite(via_params: &str, from_tag: &str) -> Request {
    parse_request(&format!(
        "INVITE sip:bob@example.com SIP/2.0\n\
         Via: SIP/2.0/UDP old.example.com:5060{via_params}\n\
         From: <sip:carol@example.com>;tag={from_tag}\n\
         To: <sip:bob@example.com>\n\
         Call-ID: legacy-1@old.example.com\n\
         CSeq: 5 INVITE\n\
         Max-Forwards: 70\n\
         Content-Length: 0\n\n"
    ))
}

#[test]
fn legacy_key_is_used_without_the_magic_cookie() {
    let key = TransactionKey::for_incoming_request(&old_invite(";branch=1", "f1")).expect("key");
    assert!(matches!(key.id, KeyId::Legacy(_)));
    let key = TransactionKey::for_incoming_request(&old_invite("", "f1")).expect("key");
    assert!(matches!(key.id, KeyId::Legacy(_)));
    let key = TransactionKey::for_incoming_request(&invite("z9hG4bKx")).expect("key");
    assert!(matches!(key.id, KeyId::Branch { .. }));
}

#[test]
fn retransmission_is_matched_and_another_from_tag_is_new() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = old_invite("", "f1");
    layer
        .handle_request(clock.now, req.clone(), (), false)
        .expect("matches");
    assert_eq!(events(&mut layer).len(), 1);
    assert_eq!(labels(&transmits(&mut layer)), ["100"]);
    layer
        .handle_request(clock.now, req.clone(), (), false)
        .expect("matches");
    assert!(events(&mut layer).is_empty(), "retransmission absorbed");
    assert_eq!(labels(&transmits(&mut layer)), ["100"]);
    layer
        .handle_request(clock.now, old_invite("", "f2"), (), false)
        .expect("matches");
    assert_eq!(
        events(&mut layer).len(),
        1,
        "another From tag is another transaction"
    );
    assert_eq!(layer.len(), 2);
}

#[test]
fn ack_with_our_to_tag_confirms_and_a_foreign_tag_does_not() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = old_invite(";branch=7", "f1");
    layer
        .handle_request(clock.now, req.clone(), (), false)
        .expect("matches");
    let Some(Event::Request { id, .. }) = layer.poll_event() else {
        panic!()
    };
    let busy = response(&req, 486);
    layer
        .send_response(clock.now, id, busy.clone())
        .expect("sends");
    transmits(&mut layer);

    // An ACK with a To tag we never sent: not ours, the TU sees it.
    let mut wrong = busy.clone();
    wrong.set_to_tag("someone-else").expect("To");
    layer
        .handle_request(clock.now, ack_for(&req, &wrong).expect("ACK"), (), false)
        .expect("ok");
    assert!(matches!(
        events(&mut layer).as_slice(),
        [Event::Ack { id: None, .. }]
    ));
    assert_eq!(layer.state(id), Some(State::Completed));

    let ack = ack_for(&req, &busy).expect("ACK");
    assert_eq!(ack.to_header().expect("To").tag(), Some("b1"));
    layer
        .handle_request(clock.now, ack, (), false)
        .expect("matches");
    assert!(events(&mut layer).is_empty());
    assert_eq!(layer.state(id), Some(State::Confirmed));
}

#[test]
fn a_changed_top_via_is_another_transaction() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = old_invite("", "f1");
    layer
        .handle_request(clock.now, req.clone(), (), false)
        .expect("matches");
    let mut other = req.clone();
    other
        .headers
        .set(HeaderName::Via, "SIP/2.0/UDP other.example.com:5060");
    layer
        .handle_request(clock.now, other, (), false)
        .expect("matches");
    assert_eq!(events(&mut layer).len(), 2);
}
