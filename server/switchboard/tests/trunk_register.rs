//! The trunk driver against in-test providers on UDP sockets: a registrar that challenges
//! (401) then accepts with a shorter expiry, one that refuses (403), one that never answers
//! (the REGISTER is retransmitted, then given up after Timer F with a backoff), OPTIONS
//! health checks (200 marks reachable, two 503s unreachable), a TCP trunk whose provider
//! refuses the connection (TCP/TLS trunks that connect: tests/trunk_tls.rs; that lose
//! their connection: tests/trunk_reconnect.rs), and what `switchboard trunk list` prints
//! from the stored status.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/trunk.rs"]
mod trunk_helpers;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use pbx::trunk::health::Reachability;
use pbx::trunk::registration::RegistrationStatus;
use pbx::trunk::{SrtpPolicy, Trunk, TrunkRegistration, TrunkTransport};
use sip::digest::{Algorithm, Challenge, Credentials, ha1, verify};
use sip::{HeaderName, Message, Method, Request, Response};
use switchboard::RunningServer;
use tokio::net::UdpSocket;
use trunk_helpers::{trunk_list, trunk_live_until};

const USER: &str = "acme-user";
const PASSWORD: &str = "trunk-secret-9";

struct Provider {
    socket: UdpSocket,
}

impl Provider {
    async fn new() -> Provider {
        Provider {
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        }
    }

    fn port(&self) -> u16 {
        self.socket.local_addr().unwrap().port()
    }

    /// The next request, within `wait`.
    async fn request(&self, wait: Duration) -> Option<(Request, SocketAddr)> {
        let mut buf = vec![0u8; 65_535];
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let (n, from) = tokio::time::timeout(left, self.socket.recv_from(&mut buf))
                .await
                .ok()?
                .unwrap();
            if let Ok(Message::Request(req)) = sip::parse_message(&buf[..n]) {
                return Some((req, from));
            }
        }
    }

    async fn expect(&self, method: Method) -> (Request, SocketAddr) {
        let (req, from) = self
            .request(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("no {method} came"));
        assert_eq!(req.method, method, "{req:?}");
        (req, from)
    }

    async fn answer(&self, resp: &Response, to: SocketAddr) {
        self.socket.send_to(&resp.to_bytes(), to).await.unwrap();
    }
}

fn trunk(name: &str, provider_port: u16, register: bool, options_interval: u32) -> Trunk {
    Trunk {
        id: 0,
        name: name.into(),
        host: "127.0.0.1".into(),
        port: Some(provider_port),
        transport: TrunkTransport::Udp,
        registration: register.then(|| TrunkRegistration {
            username: USER.into(),
            password: PASSWORD.into(),
            expires: 600,
        }),
        allow: vec![],
        codecs: vec!["PCMU".into()],
        srtp: SrtpPolicy::Off,
        channels: None,
        options_interval,
        caller_id: None,
        ca_file: None,
    }
}

async fn stored(server: &RunningServer, name: &str) -> Option<store::TrunkStatus> {
    let statuses = server.store.trunk_statuses().await.unwrap();
    statuses.into_iter().find(|s| s.name == name)
}

#[tokio::test]
async fn registers_through_a_digest_challenge() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let provider = Provider::new().await;
    server
        .store
        .add_trunk(&trunk("acme", provider.port(), true, 0))
        .await
        .unwrap();

    let (first, from) = provider.expect(Method::Register).await;
    assert_eq!(from, server.sip_udp.unwrap(), "sent from the SIP listener");
    assert_eq!(
        first.uri.to_string(),
        format!("sip:127.0.0.1:{}", provider.port())
    );
    let aor = format!("<sip:{USER}@127.0.0.1>");
    assert_eq!(first.headers.get(&HeaderName::To), Some(aor.as_str()));
    let contact = format!("<sip:{USER}@127.0.0.1:{}>", server.sip_udp.unwrap().port());
    assert_eq!(
        first.headers.get(&HeaderName::Contact),
        Some(contact.as_str())
    );
    assert_eq!(first.headers.get(&HeaderName::Expires), Some("600"));
    assert!(first.headers.get(&HeaderName::Authorization).is_none());
    let via = first.top_via().unwrap();
    assert!(via.branch().is_some_and(|b| b.starts_with("z9hG4bK")));
    assert_eq!(via.transport, "UDP");
    let live = trunk_live_until(&server, "acme", "registering", |l| {
        l.registration == Some(RegistrationStatus::Registering)
    })
    .await;
    assert_eq!(live.reachability, Reachability::Unknown);

    let challenge = Challenge::new("provider.example", "n0nce-1", Algorithm::Md5);
    let mut unauthorized = Response::for_request(&first, 401, "Unauthorized");
    unauthorized
        .headers
        .push(HeaderName::WwwAuthenticate, challenge.to_string());
    provider.answer(&unauthorized, from).await;

    let (second, _) = provider.expect(Method::Register).await;
    assert_eq!(
        second.call_id().unwrap(),
        first.call_id().unwrap(),
        "one Call-ID"
    );
    assert_eq!(second.cseq().unwrap().seq, first.cseq().unwrap().seq + 1);
    let auth = second.headers.get(&HeaderName::Authorization).unwrap();
    let creds = Credentials::parse(auth).unwrap();
    assert_eq!(creds.username, USER);
    assert!(verify(
        &creds,
        "REGISTER",
        &ha1(Algorithm::Md5, USER, "provider.example", PASSWORD)
    ));
    let mut ok = Response::for_request(&second, 200, "OK");
    ok.headers
        .push(HeaderName::Contact, format!("{contact};expires=120"));
    provider.answer(&ok, from).await;

    let before = now_unix() as i64;
    let live = trunk_live_until(&server, "acme", "registered", |l| {
        matches!(l.registration, Some(RegistrationStatus::Registered { .. }))
    })
    .await;
    let Some(RegistrationStatus::Registered { until }) = live.registration else {
        unreachable!()
    };
    let left = until.saturating_duration_since(Instant::now()).as_secs();
    assert!((115..=120).contains(&left), "granted 120 s, {left} s left");

    // Stored for the CLI: registered until about now + 120.
    let mut status = None;
    for _ in 0..50 {
        status = stored(&server, "acme").await;
        if status
            .as_ref()
            .is_some_and(|s| s.registered_until.is_some())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = status.expect("a stored status");
    let until = status.registered_until.expect("registered");
    assert!(
        (before + 110..=before + 125).contains(&until),
        "{until} vs {before}"
    );
    let list = trunk_list(dir.path());
    assert!(list.contains("\tregistered=yes expires-in="), "{list}");
    assert!(!list.contains(PASSWORD), "{list}");

    // Removed: the driver unregisters (Expires: 0) and forgets the trunk.
    server.store.remove_trunk("acme").await.unwrap();
    let (bye, _) = provider.expect(Method::Register).await;
    assert_eq!(bye.headers.get(&HeaderName::Expires), Some("0"));
    assert!(
        bye.headers.get(&HeaderName::Authorization).is_some(),
        "challenge reused"
    );
    for _ in 0..50 {
        if server.trunks().live("acme").is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(server.trunks().live("acme").is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn a_refusal_is_reported_as_the_last_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let provider = Provider::new().await;
    server
        .store
        .add_trunk(&trunk("acme", provider.port(), true, 0))
        .await
        .unwrap();
    let (req, from) = provider.expect(Method::Register).await;
    provider
        .answer(&Response::for_request(&req, 403, "Forbidden"), from)
        .await;
    let live = trunk_live_until(&server, "acme", "failed", |l| {
        matches!(l.registration, Some(RegistrationStatus::Failed { .. }))
    })
    .await;
    assert_eq!(
        live.last_error.as_deref(),
        Some("registration: 403 Forbidden")
    );
    let Some(RegistrationStatus::Failed { retry_at, .. }) = live.registration else {
        unreachable!()
    };
    let wait = retry_at.saturating_duration_since(Instant::now()).as_secs();
    assert!(
        (20..=30).contains(&wait),
        "backs off about 30 s, not {wait}"
    );
    assert!(
        provider.request(Duration::from_secs(2)).await.is_none(),
        "no retry at once"
    );
    let mut list = String::new();
    for _ in 0..50 {
        list = trunk_list(dir.path());
        if list.contains("last-error") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        list.contains("\tregistered=no last-error=\"registration: 403 Forbidden\" updated="),
        "{list}"
    );
    server.shutdown().await;
}

/// Timer F is 32 s: this test takes that long.
#[tokio::test]
async fn silence_is_retransmitted_then_backed_off() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let provider = Provider::new().await;
    server
        .store
        .add_trunk(&trunk("quiet", provider.port(), true, 0))
        .await
        .unwrap();
    let (first, _) = provider.expect(Method::Register).await;
    let (again, _) = provider.expect(Method::Register).await;
    assert_eq!(
        again.cseq().unwrap(),
        first.cseq().unwrap(),
        "Timer E retransmission"
    );
    assert_eq!(
        again.top_via().unwrap().branch(),
        first.top_via().unwrap().branch()
    );
    let started = Instant::now();
    let mut live = None;
    while started.elapsed() < Duration::from_secs(45) {
        live = server.trunks().live("quiet");
        if live
            .as_ref()
            .is_some_and(|l| matches!(l.registration, Some(RegistrationStatus::Failed { .. })))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let live = live.expect("on the board");
    let Some(RegistrationStatus::Failed { retry_at, .. }) = live.registration else {
        panic!("not failed after Timer F: {live:?}");
    };
    assert_eq!(
        live.last_error.as_deref(),
        Some("registration: no response from the registrar")
    );
    let wait = retry_at.saturating_duration_since(Instant::now()).as_secs();
    assert!(
        (20..=30).contains(&wait),
        "backs off about 30 s, not {wait}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn options_checks_mark_reachable_then_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let provider = Provider::new().await;
    server
        .store
        .add_trunk(&trunk("ipauth", provider.port(), false, 1))
        .await
        .unwrap();
    let (req, from) = provider.expect(Method::Options).await;
    assert_eq!(
        req.uri.to_string(),
        format!("sip:127.0.0.1:{}", provider.port())
    );
    provider
        .answer(&Response::for_request(&req, 200, "OK"), from)
        .await;
    let live = trunk_live_until(&server, "ipauth", "reachable", |l| {
        l.reachability == Reachability::Up
    })
    .await;
    assert_eq!(live.registration, None, "IP-authenticated: no registration");
    for _ in 0..2 {
        let (req, from) = provider.expect(Method::Options).await;
        provider
            .answer(
                &Response::for_request(&req, 503, "Service Unavailable"),
                from,
            )
            .await;
    }
    let live = trunk_live_until(&server, "ipauth", "unreachable", |l| {
        l.reachability == Reachability::Down
    })
    .await;
    assert_eq!(live.last_error.as_deref(), Some("OPTIONS answered 503"));
    let mut status = None;
    for _ in 0..50 {
        status = stored(&server, "ipauth").await;
        if status.as_ref().is_some_and(|s| s.reachable == Some(false)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status.and_then(|s| s.reachable), Some(false));
    server.shutdown().await;
}

#[tokio::test]
async fn tcp_trunks_report_a_provider_that_refuses_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    // A port nobody listens on: the connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut t = trunk("streamy", port, true, 30);
    t.transport = TrunkTransport::Tcp;
    server.store.add_trunk(&t).await.unwrap();
    let live = trunk_live_until(&server, "streamy", "reported", |l| l.last_error.is_some()).await;
    let error = live.last_error.unwrap_or_default();
    assert!(
        error.starts_with(&format!("cannot connect to 127.0.0.1:{port}")),
        "{error}"
    );
    assert_eq!(live.registration, None);
    server.shutdown().await;
}
