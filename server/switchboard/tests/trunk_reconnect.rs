//! TCP trunks whose provider drops the connection: the driver notices, connects again and
//! registers over the new connection at once (same Call-ID, higher CSeq), long before the
//! hour-long registration would be refreshed; a provider that is gone is tried again only
//! after the registration's backoff, then registered with once it is back. The first
//! provider is named `localhost`, so its host is looked up (again, after the close) by the
//! system's resolver.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/trunk.rs"]
mod trunk_helpers;

use std::time::{Duration, Instant};

use common::{boot, test_config};
use pbx::trunk::registration::{FailReason, RegistrationStatus};
use pbx::trunk::{SrtpPolicy, Trunk, TrunkRegistration, TrunkTransport};
use sip::{HeaderName, Method, Request, Response};
use switchboard::trunks::TrunkLive;
use tokio::net::TcpListener;
use trunk_helpers::{StreamPeer, contact_port, trunk_list, trunk_live_until};

const USER: &str = "reconnect-user";

fn tcp_trunk(name: &str, host: &str, port: u16) -> Trunk {
    Trunk {
        id: 0,
        name: name.into(),
        host: host.into(),
        port: Some(port),
        transport: TrunkTransport::Tcp,
        registration: Some(TrunkRegistration {
            username: USER.into(),
            password: "reconnect-secret".into(),
            expires: 3600,
        }),
        allow: vec![],
        codecs: vec!["PCMU".into()],
        srtp: SrtpPolicy::Off,
        channels: None,
        options_interval: 0,
        caller_id: None,
        ca_file: None,
    }
}

/// Accepts the REGISTER for an hour (no challenge: it is not what this test is about).
async fn grant_an_hour(peer: &mut StreamPeer) -> Request {
    let req = peer.expect(Method::Register).await;
    let contact = req.headers.get(&HeaderName::Contact).unwrap().to_owned();
    let mut ok = Response::for_request(&req, 200, "OK");
    ok.headers
        .push(HeaderName::Contact, format!("{contact};expires=3600"));
    peer.send(&ok.to_bytes()).await;
    req
}

fn registered_until(live: &TrunkLive) -> Option<Instant> {
    match live.registration {
        Some(RegistrationStatus::Registered { until }) => Some(until),
        _ => None,
    }
}

fn cseq(req: &Request) -> u32 {
    req.cseq().unwrap().seq
}

#[tokio::test]
async fn a_closed_connection_is_replaced_and_registered_over_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = boot(test_config(dir.path(), None, 0)).await;
    server
        .store
        .add_trunk(&tcp_trunk("steady", "localhost", port))
        .await
        .unwrap();

    let mut provider = StreamPeer::accept_tcp(&listener).await;
    let first = grant_an_hour(&mut provider).await;
    let contact = first.headers.get(&HeaderName::Contact).unwrap().to_owned();
    assert_eq!(
        contact_port(&contact),
        server.sip_tcp.map(|a| a.port()),
        "{contact}"
    );
    let live = trunk_live_until(&server, "steady", "registered", |l| {
        registered_until(l).is_some()
    })
    .await;
    let until = registered_until(&live).unwrap();

    // The provider restarts: the connection is gone, its refresh is half an hour away.
    drop(provider);
    let mut provider = StreamPeer::accept_tcp(&listener).await;
    let again = grant_an_hour(&mut provider).await;
    assert_eq!(again.call_id().unwrap(), first.call_id().unwrap());
    assert!(cseq(&again) > cseq(&first), "{again:?}");
    assert_eq!(
        again.headers.get(&HeaderName::Contact),
        Some(contact.as_str()),
        "the same Contact: our listener, not the new connection's port"
    );
    let live = trunk_live_until(&server, "steady", "registered again", |l| {
        registered_until(l).is_some_and(|u| u > until)
    })
    .await;
    let error = live.last_error.unwrap_or_default();
    assert!(error.contains("closed"), "the drop is noted: {error}");

    let mut list = String::new();
    for _ in 0..50 {
        list = trunk_list(dir.path());
        if list.contains("closed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(list.contains("\tregistered=yes expires-in="), "{list}");
    server.shutdown().await;
}

/// The retry waits for the backoff (about 30 s): this test takes that long.
#[tokio::test]
async fn a_provider_that_is_gone_is_retried_after_the_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind(("127.0.0.6", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    server
        .store
        .add_trunk(&tcp_trunk("flaky", "127.0.0.6", addr.port()))
        .await
        .unwrap();
    let mut provider = StreamPeer::accept_tcp(&listener).await;
    let first = grant_an_hour(&mut provider).await;
    trunk_live_until(&server, "flaky", "registered", |l| {
        registered_until(l).is_some()
    })
    .await;

    // Gone altogether: the connection closes and nothing listens any more.
    drop(provider);
    drop(listener);
    let live = trunk_live_until(&server, "flaky", "failing", |l| {
        matches!(l.registration, Some(RegistrationStatus::Failed { .. }))
    })
    .await;
    let Some(RegistrationStatus::Failed { reason, retry_at }) = live.registration else {
        unreachable!()
    };
    assert_eq!(reason, FailReason::NoResponse);
    let error = live.last_error.unwrap_or_default();
    assert!(
        error.starts_with(&format!("cannot connect to {addr}")),
        "{error}"
    );
    let wait = retry_at.saturating_duration_since(Instant::now()).as_secs();
    assert!(
        (20..=30).contains(&wait),
        "backs off about 30 s, not {wait}"
    );

    // Back on the same address: not hammered meanwhile, registered after the wait.
    let listener = TcpListener::bind(addr).await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_secs(3), listener.accept())
            .await
            .is_err(),
        "no attempt before the backoff"
    );
    let (tcp, _) = tokio::time::timeout(Duration::from_secs(45), listener.accept())
        .await
        .expect("tried again after the backoff")
        .unwrap();
    let mut provider = StreamPeer::new(tcp);
    let again = grant_an_hour(&mut provider).await;
    assert_eq!(again.call_id().unwrap(), first.call_id().unwrap());
    assert!(cseq(&again) > cseq(&first));
    trunk_live_until(&server, "flaky", "registered again", |l| {
        registered_until(l).is_some()
    })
    .await;
    server.shutdown().await;
}
