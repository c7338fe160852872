//! INVITE server transaction with a non-2xx final (RFC 3261 §17.2.1): 100 Trying at once,
//! the INVITE's retransmissions answered with the latest response, Timer G retransmits the
//! final (T1 doubling to T2) until the ACK, which the transaction absorbs (Confirmed, Timer
//! I) together with its retransmissions. Without an ACK, Timer H reports a timeout at 64*T1.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::transaction::{Event, State, TimerKind, ack_for};
use sip::{Message, Request};

fn start(
    layer: &mut sip::transaction::TransactionLayer<()>,
    clock: &Clock,
    req: &Request,
    reliable: bool,
) -> sip::transaction::TransactionId {
    layer
        .handle_request(clock.now, req.clone(), (), reliable)
        .expect("matches");
    let sent = transmits(layer);
    assert_eq!(labels(&sent), ["100"]);
    let Some(Message::Response(trying)) = sent.first().map(|t| (*t.message).clone()) else {
        panic!()
    };
    assert_eq!(
        trying.to_header().expect("To").tag(),
        None,
        "100 Trying carries no To tag"
    );
    let Some(Event::Request { id, .. }) = layer.poll_event() else {
        panic!()
    };
    id
}

#[test]
fn final_is_retransmitted_until_ack_and_acks_are_absorbed() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKis1");
    let id = start(&mut layer, &clock, &req, false);

    // A retransmitted INVITE gets the 100 again; a 180 then replaces it.
    clock.set(ms(500));
    layer
        .handle_request(clock.now, req.clone(), (), false)
        .expect("matches");
    assert_eq!(labels(&transmits(&mut layer)), ["100"]);
    layer
        .send_response(clock.now, id, response(&req, 180))
        .expect("sends");
    transmits(&mut layer);
    layer
        .handle_request(clock.now, req.clone(), (), false)
        .expect("matches");
    assert_eq!(labels(&transmits(&mut layer)), ["180"]);
    assert!(events(&mut layer).is_empty(), "the TU saw the INVITE once");

    clock.set(secs(1));
    let busy = response(&req, 486);
    layer
        .send_response(clock.now, id, busy.clone())
        .expect("sends");
    assert_eq!(labels(&transmits(&mut layer)), ["486"]);
    assert_eq!(layer.state(id), Some(State::Completed));

    // Timer G: 1.5, 2.5, 4.5, 8.5, 12.5 s ... (T1, 2T1, 4T1, then T2).
    let (sent, _) = run_timers(&mut clock, &mut layer, ms(12_600));
    let offsets: Vec<u64> = sent.iter().map(|(t, _)| t.as_millis() as u64).collect();
    assert_eq!(offsets, [1_500, 2_500, 4_500, 8_500, 12_500]);
    // INVITE retransmission in Completed: the final again.
    layer
        .handle_request(clock.now, req.clone(), (), false)
        .expect("matches");
    assert_eq!(labels(&transmits(&mut layer)), ["486"]);

    let ack = ack_for(&req, &busy).expect("builds");
    clock.set(ms(13_000));
    layer
        .handle_request(clock.now, ack.clone(), (), false)
        .expect("matches");
    assert_eq!(layer.state(id), Some(State::Confirmed));
    assert!(
        events(&mut layer).is_empty(),
        "the ACK for a non-2xx is absorbed"
    );
    // ACK retransmissions are absorbed too; G is off.
    layer
        .handle_request(clock.now, ack, (), false)
        .expect("matches");
    assert!(events(&mut layer).is_empty() && transmits(&mut layer).is_empty());

    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(100));
    assert!(sent.is_empty());
    assert_eq!(evs, [(secs(18), Event::Terminated { id })], "Timer I = T4");
}

#[test]
fn no_ack_means_timer_h_timeout_at_64_t1() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKis2");
    let id = start(&mut layer, &clock, &req, false);
    clock.set(secs(2));
    layer
        .send_response(clock.now, id, response(&req, 404))
        .expect("sends");
    transmits(&mut layer);
    let (sent, evs) = run_timers(&mut clock, &mut layer, secs(100));
    assert_eq!(sent.len(), 10, "G until H: {sent:?}");
    assert_eq!(
        evs,
        [
            (
                secs(34),
                Event::Timeout {
                    id,
                    timer: TimerKind::H
                }
            ),
            (secs(34), Event::Terminated { id }),
        ]
    );
}

#[test]
fn reliable_transport_no_g_and_i_is_zero() {
    let mut clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = invite("z9hG4bKis3");
    let id = start(&mut layer, &clock, &req, true);
    let busy = response(&req, 486);
    layer
        .send_response(clock.now, id, busy.clone())
        .expect("sends");
    transmits(&mut layer);
    assert_eq!(
        layer.poll_timeout(),
        Some(clock.at(secs(32))),
        "only Timer H"
    );
    clock.set(ms(100));
    layer
        .handle_request(clock.now, ack_for(&req, &busy).expect("ACK"), (), true)
        .expect("matches");
    assert_eq!(events(&mut layer), [Event::Terminated { id }]);
    assert_eq!(layer.poll_timeout(), None);
}

#[test]
fn trying_can_be_left_to_the_tu() {
    let config = sip::transaction::TimerConfig {
        send_trying: false,
        ..Default::default()
    };
    let mut layer = sip::transaction::TransactionLayer::<()>::new(config);
    let req = invite("z9hG4bKis4");
    layer
        .handle_request(Clock::new().now, req, (), false)
        .expect("matches");
    assert!(transmits(&mut layer).is_empty());
}
