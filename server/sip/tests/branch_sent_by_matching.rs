//! RFC 3261 §17.2.3 / §17.1.3 matching: server transactions by branch + sent-by + method
//! (ACK as INVITE), client transactions by branch + CSeq method.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::HeaderName;
use sip::transaction::{Event, TransactionError};

#[test]
fn same_branch_from_two_hosts_is_two_transactions() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let a = request("OPTIONS", "z9hG4bKsame", "x");
    let mut b = a.clone();
    b.headers.set(
        HeaderName::Via,
        "SIP/2.0/UDP other.example.com:5060;branch=z9hG4bKsame",
    );
    layer
        .handle_request(clock.now, a.clone(), (), false)
        .expect("matches");
    layer
        .handle_request(clock.now, b, (), false)
        .expect("matches");
    // Host case does not matter in the sent-by.
    let mut a_upper = a;
    a_upper.headers.set(
        HeaderName::Via,
        "SIP/2.0/UDP CLIENT.example.com:5060;branch=z9hG4bKsame",
    );
    layer
        .handle_request(clock.now, a_upper, (), false)
        .expect("matches");
    assert_eq!(events(&mut layer).len(), 2);
}

#[test]
fn same_branch_other_method_is_another_transaction() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    layer
        .handle_request(clock.now, request("INVITE", "z9hG4bKm", "x"), (), false)
        .expect("ok");
    layer
        .handle_request(clock.now, request("OPTIONS", "z9hG4bKm", "x"), (), false)
        .expect("ok");
    assert_eq!(events(&mut layer).len(), 2);
}

#[test]
fn responses_need_branch_and_cseq_method_to_match() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = request("REGISTER", "z9hG4bKr", "x");
    layer
        .send_request(clock.now, req.clone(), (), false)
        .expect("starts");
    let other = request("OPTIONS", "z9hG4bKr", "x");
    layer
        .handle_response(clock.now, response(&other, 200), ())
        .expect("parses");
    assert!(matches!(
        events(&mut layer).as_slice(),
        [Event::StrayResponse { .. }]
    ));
    layer
        .handle_response(clock.now, response(&req, 200), ())
        .expect("parses");
    assert!(matches!(
        events(&mut layer).as_slice(),
        [Event::Response { .. }]
    ));
}

#[test]
fn outgoing_requests_are_checked() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    assert_eq!(
        layer.send_request(clock.now, request("OPTIONS", "oldstyle", "x"), (), false),
        Err(TransactionError::NoMagicCookie)
    );
    let mut no_branch = request("OPTIONS", "z9hG4bKq", "x");
    no_branch
        .headers
        .set(HeaderName::Via, "SIP/2.0/UDP client.example.com");
    assert_eq!(
        layer.send_request(clock.now, no_branch, (), false),
        Err(TransactionError::MissingBranch)
    );
    assert_eq!(
        layer.send_request(clock.now, request("ACK", "z9hG4bKq", "x"), (), false),
        Err(TransactionError::AckNotATransaction)
    );
    layer
        .send_request(clock.now, request("OPTIONS", "z9hG4bKq", "x"), (), false)
        .expect("ok");
    assert_eq!(
        layer.send_request(clock.now, request("OPTIONS", "z9hG4bKq", "x"), (), false),
        Err(TransactionError::Duplicate)
    );
    let mut no_via = request("OPTIONS", "z9hG4bKv", "x");
    no_via.headers.remove(&HeaderName::Via);
    assert!(matches!(
        layer.handle_request(clock.now, no_via, (), false),
        Err(TransactionError::Parse(_))
    ));
}
