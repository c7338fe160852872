//! INVITE client transaction and a non-2xx final response (RFC 3261 §17.1.1.2-3): the
//! transaction itself ACKs, resends that ACK for every retransmitted final without bothering
//! the TU, and lingers for Timer D (32 s on UDP, 0 on reliable transports).
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::transaction::{Event, State};
use sip::{HeaderName, Message, Method};

#[test]
fn ack_is_generated_resent_and_timer_d_ends_it() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKic1");
    let id = layer
        .send_request(clock.now, req.clone(), (), false)
        .expect("starts");
    transmits(&mut layer);

    clock.set(ms(200));
    layer
        .handle_response(clock.now, response(&req, 100), ())
        .expect("matches");
    clock.set(ms(900));
    let busy = over_the_wire(&Message::Response(response(&req, 486)));
    let Message::Response(busy) = busy else {
        unreachable!()
    };
    layer
        .handle_response(clock.now, busy.clone(), ())
        .expect("matches");

    let sent = transmits(&mut layer);
    assert_eq!(labels(&sent), ["ACK"]);
    let Some(Message::Request(ack)) = sent.first().map(|t| (*t.message).clone()) else {
        panic!()
    };
    // §17.1.1.3: same Request-URI, Call-ID, From, CSeq number, top Via; To from the response.
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(ack.uri, req.uri);
    assert_eq!(ack.cseq().expect("CSeq").seq, 1);
    assert_eq!(ack.cseq().expect("CSeq").method, Method::Ack);
    assert_eq!(ack.top_via().expect("Via").branch(), Some("z9hG4bKic1"));
    assert_eq!(ack.vias().expect("Via").len(), 1);
    assert_eq!(ack.to_header().expect("To").tag(), Some("b1"));
    assert_eq!(
        ack.headers.get(&HeaderName::CallId),
        req.headers.get(&HeaderName::CallId)
    );
    assert_eq!(ack.from_header().expect("From").tag(), Some("a1"));
    let evs = events(&mut layer);
    assert_eq!(evs.len(), 2, "100 and 486 reach the TU: {evs:?}");
    assert_eq!(layer.state(id), Some(State::Completed));

    // The 486 again (our ACK was lost): ACK again, TU not told.
    clock.set(ms(1_500));
    layer
        .handle_response(clock.now, busy.clone(), ())
        .expect("matches");
    assert_eq!(labels(&transmits(&mut layer)), ["ACK"]);
    assert!(events(&mut layer).is_empty());

    // Timer D: 32 s after the first final.
    assert_eq!(layer.poll_timeout(), Some(clock.at(ms(900) + secs(32))));
    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(100));
    assert!(sent.is_empty());
    assert_eq!(evs, [(ms(32_900), Event::Terminated { id })]);

    // After D, a late retransmission is stray.
    layer.handle_response(clock.now, busy, ()).expect("parses");
    assert!(matches!(
        events(&mut layer).as_slice(),
        [Event::StrayResponse { .. }]
    ));
}

#[test]
fn reliable_transport_terminates_right_after_the_ack() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKic2");
    let id = layer
        .send_request(clock.now, req.clone(), (), true)
        .expect("starts");
    transmits(&mut layer);
    layer
        .handle_response(clock.now, response(&req, 603), ())
        .expect("matches");
    assert_eq!(labels(&transmits(&mut layer)), ["ACK"]);
    let evs = events(&mut layer);
    assert!(
        matches!(evs.as_slice(), [Event::Response { .. }, Event::Terminated { id: t }] if *t == id)
    );
    assert!(layer.is_empty());
}

#[test]
fn retransmissions_stop_once_proceeding_and_late_provisionals_are_absorbed() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKic3");
    layer
        .send_request(clock.now, req.clone(), (), false)
        .expect("starts");
    transmits(&mut layer);
    let (sent, _) = run_timers(&mut clock, &mut layer, ms(1_600));
    assert_eq!(sent.len(), 2, "A at 0.5 and 1.5 s");
    layer
        .handle_response(clock.now, response(&req, 183), ())
        .expect("matches");
    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(200));
    assert!(sent.is_empty() && evs.is_empty());
    layer
        .handle_response(clock.now, response(&req, 486), ())
        .expect("matches");
    transmits(&mut layer);
    events(&mut layer);
    // A provisional after the final changes nothing.
    layer
        .handle_response(clock.now, response(&req, 180), ())
        .expect("matches");
    assert!(events(&mut layer).is_empty());
    assert!(transmits(&mut layer).is_empty());
}

#[test]
fn a_late_forked_2xx_after_a_rejection_still_reaches_the_tu() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKic4");
    let id = layer
        .send_request(clock.now, req.clone(), (), false)
        .expect("starts");
    layer
        .handle_response(clock.now, response(&req, 486), ())
        .expect("matches");
    events(&mut layer);
    transmits(&mut layer);
    let mut ok = response(&req, 200);
    ok.set_to_tag("other-fork").expect("To");
    layer.handle_response(clock.now, ok, ()).expect("matches");
    assert!(
        matches!(events(&mut layer).as_slice(), [Event::StrayResponse { response, .. }] if response.status == 200)
    );
    assert!(
        transmits(&mut layer).is_empty(),
        "the TU ACKs a 2xx, never the transaction"
    );
    assert_eq!(layer.state(id), Some(State::Completed));
}
