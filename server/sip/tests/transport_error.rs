//! A send failure reported by the driver (RFC 3261 §17.1.4, §17.2.4) ends the transaction and
//! tells the TU, on either side.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::transaction::{Event, TransactionId};

#[test]
fn client_transport_error_is_reported_and_terminates() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let id = layer
        .send_request(clock.now, invite("z9hG4bKte1"), (), true)
        .expect("starts");
    let sent = transmits(&mut layer);
    assert_eq!(
        sent.first().and_then(|t| t.transaction),
        Some(id),
        "transmits name their transaction"
    );
    layer.handle_transport_error(clock.now, id);
    assert_eq!(
        events(&mut layer),
        [Event::TransportError { id }, Event::Terminated { id }]
    );
    assert!(layer.is_empty());
    assert_eq!(layer.poll_timeout(), None, "Timer B went with it");
    // Reports about transactions already gone are ignored.
    layer.handle_transport_error(clock.now, id);
    layer.handle_transport_error(clock.now, TransactionId(999));
    assert!(events(&mut layer).is_empty());
}

#[test]
fn server_transport_error_is_reported_and_terminates() {
    let clock = Clock::new();
    let mut layer = udp_layer::<()>();
    let req = request("OPTIONS", "z9hG4bKte2", "x");
    layer
        .handle_request(clock.now, req.clone(), (), true)
        .expect("matches");
    let Some(Event::Request { id, .. }) = layer.poll_event() else {
        panic!()
    };
    layer
        .send_response(clock.now, id, response(&req, 100))
        .expect("sends");
    layer.handle_transport_error(clock.now, id);
    assert_eq!(
        events(&mut layer),
        [Event::TransportError { id }, Event::Terminated { id }]
    );
}
