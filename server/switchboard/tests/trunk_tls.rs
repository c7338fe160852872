//! Trunks over TLS and TCP against in-test providers: a test CA made with rcgen signs the
//! provider's certificate; the trunk that names the CA file connects, registers through a
//! 401 challenge and carries an outbound call over the same connection; the same trunk
//! without the CA (the system's roots) refuses the provider's certificate and says so as its
//! last error; a TCP trunk registers over a plain connection. Both put the server's own
//! listener for their transport (TLS, TCP) in the REGISTER's Contact. A TCP trunk with
//! nothing to send by itself (no registration, no OPTIONS) connects only for a call.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/trunk.rs"]
mod trunk_helpers;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::calls::{CallerDialog, answer_for, final_for, invite_with_auth, registered, sdp};
use common::{boot, test_config, token};
use pbx::trunk::registration::RegistrationStatus;
use pbx::trunk::{SrtpPolicy, Trunk, TrunkRegistration, TrunkTransport};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sip::{HeaderName, Method, Response};
use switchboard::trunks::TrunkLive;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use trunk_helpers::{StreamPeer, contact_port, trunk_live_until};

const USER: &str = "tls-user";
const PASSWORD: &str = "tls-secret-7";
/// The providers' address: not the phones' 127.0.0.1, which would make them the trunk's.
const PROVIDER_IP: &str = "127.0.0.5";

/// Challenges the first REGISTER, accepts the second (checking its credentials); returns
/// the Contact they carried.
async fn register_with_challenge(peer: &mut StreamPeer, transport: &str) -> String {
    let first = peer.expect(Method::Register).await;
    let via = first.top_via().unwrap();
    assert_eq!(via.transport, transport);
    let contact = first.headers.get(&HeaderName::Contact).unwrap().to_owned();
    let param = format!(";transport={}", transport.to_ascii_lowercase());
    assert!(contact.contains(&param), "{contact}");
    let challenge =
        sip::digest::Challenge::new("provider.example", "n0nce-tls", sip::digest::Algorithm::Md5);
    let mut unauthorized = Response::for_request(&first, 401, "Unauthorized");
    unauthorized
        .headers
        .push(HeaderName::WwwAuthenticate, challenge.to_string());
    peer.send(&unauthorized.to_bytes()).await;
    let second = peer.expect(Method::Register).await;
    assert_eq!(
        second.headers.get(&HeaderName::Contact),
        Some(contact.as_str())
    );
    let auth = second.headers.get(&HeaderName::Authorization).unwrap();
    let creds = sip::digest::Credentials::parse(auth).unwrap();
    assert!(sip::digest::verify(
        &creds,
        "REGISTER",
        &sip::digest::ha1(
            sip::digest::Algorithm::Md5,
            USER,
            "provider.example",
            PASSWORD
        )
    ));
    let mut ok = Response::for_request(&second, 200, "OK");
    ok.headers
        .push(HeaderName::Contact, format!("{contact};expires=300"));
    peer.send(&ok.to_bytes()).await;
    contact
}

/// A CA and a certificate for `PROVIDER_IP` it signed: (CA PEM, server config).
fn test_pki() -> (String, Arc<rustls::ServerConfig>) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_params = CertificateParams::new(vec![PROVIDER_IP.to_owned()]).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    let chain = vec![CertificateDer::from(leaf.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    (ca_cert.pem(), Arc::new(config))
}

fn trunk(name: &str, port: u16, transport: TrunkTransport, ca_file: Option<&Path>) -> Trunk {
    Trunk {
        id: 0,
        name: name.into(),
        host: PROVIDER_IP.into(),
        port: Some(port),
        transport,
        registration: Some(TrunkRegistration {
            username: USER.into(),
            password: PASSWORD.into(),
            expires: 600,
        }),
        allow: vec![],
        codecs: vec!["PCMU".into()],
        srtp: SrtpPolicy::Off,
        channels: None,
        options_interval: 0,
        caller_id: Some("+12125550100".into()),
        ca_file: ca_file.map(|p| p.display().to_string()),
    }
}

fn registered_now(live: &TrunkLive) -> bool {
    matches!(
        live.registration,
        Some(RegistrationStatus::Registered { .. })
    )
}

#[tokio::test]
async fn a_tls_trunk_with_its_ca_registers_and_calls_out_over_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (ca_pem, tls_config) = test_pki();
    let ca_path = dir.path().join("provider-ca.pem");
    std::fs::write(&ca_path, ca_pem).unwrap();
    let listener = TcpListener::bind((PROVIDER_IP, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();

    let server = boot(test_config(dir.path(), None, 0)).await;
    let udp = server.sip_udp.unwrap();
    common::add_extension(&server, "1001", "alice-secret").await;
    let t = trunk("secure", port, TrunkTransport::Tls, Some(&ca_path));
    server.store.add_trunk(&t).await.unwrap();
    server
        .store
        .add_route("_1NXXNXXXXXX", &["secure".to_owned()], 0, "+", None)
        .await
        .unwrap();

    let (tcp, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("the trunk connects")
        .unwrap();
    let stream = TlsAcceptor::from(tls_config).accept(tcp).await.unwrap();
    let mut provider = StreamPeer::new(stream);
    let contact = register_with_challenge(&mut provider, "TLS").await;
    assert_eq!(
        contact_port(&contact),
        server.sip_tls.map(|a| a.port()),
        "our TLS listener, where the provider can reach us: {contact}"
    );
    assert!(
        contact.starts_with(&format!("<sip:{USER}@127.0.0.1:")),
        "{contact}"
    );
    trunk_live_until(&server, "secure", "registered", registered_now).await;

    // A call out: the INVITE comes over the connection the trunk registered over.
    let mut alice = registered(udp, "1001", "alice-secret").await;
    let a_rtp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut call = CallerDialog::new(alice.conn.local(), "1001", "12125550199");
    let offer = sdp("alice", a_rtp.local_addr().unwrap(), "sendrecv");
    invite_with_auth(
        &mut alice.conn,
        &mut call,
        "1001",
        "alice-secret",
        Some(&offer),
        "",
    )
    .await;
    let inv = provider.expect(Method::Invite).await;
    assert_eq!(inv.top_via().unwrap().transport, "TLS");
    assert_eq!(
        inv.uri.to_string(),
        format!("sip:+12125550199@{PROVIDER_IP}:{port};transport=tls")
    );
    let p_rtp: SocketAddr = "127.0.0.1:49170".parse().unwrap();
    let answer = sdp("provider", p_rtp, "sendrecv");
    provider
        .send(&answer_for(
            &inv,
            200,
            &token(),
            "sip:p@127.0.0.1",
            Some(answer),
        ))
        .await;
    assert_eq!(final_for(&mut alice.conn, Method::Invite).await.status, 200);
    let ack = provider.request().await;
    assert_eq!(ack.method, Method::Ack, "ACK over the same connection");
    assert!(
        tokio::time::timeout(Duration::from_millis(300), listener.accept())
            .await
            .is_err(),
        "one connection per trunk"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_tls_trunk_without_the_ca_refuses_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (_ca_pem, tls_config) = test_pki();
    let listener = TcpListener::bind((PROVIDER_IP, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // The provider keeps accepting; every handshake fails on the client's side.
    tokio::spawn(async move {
        let acceptor = TlsAcceptor::from(tls_config);
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = acceptor.accept(tcp).await;
        }
    });
    let server = boot(test_config(dir.path(), None, 0)).await;
    let t = trunk("untrusted", port, TrunkTransport::Tls, None);
    server.store.add_trunk(&t).await.unwrap();
    let live = trunk_live_until(&server, "untrusted", "failing", |l| l.last_error.is_some()).await;
    let error = live.last_error.clone().unwrap_or_default();
    assert!(error.contains("certificate"), "{error}");
    assert!(!registered_now(&live));
    server.shutdown().await;
}

#[tokio::test]
async fn a_tcp_trunk_registers() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind((PROVIDER_IP, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let t = trunk("plain", port, TrunkTransport::Tcp, None);
    server.store.add_trunk(&t).await.unwrap();
    let mut provider = StreamPeer::accept_tcp(&listener).await;
    let contact = register_with_challenge(&mut provider, "TCP").await;
    assert_eq!(
        contact_port(&contact),
        server.sip_tcp.map(|a| a.port()),
        "our TCP listener, not the connection's port: {contact}"
    );
    let live = trunk_live_until(&server, "plain", "registered", registered_now).await;
    assert_eq!(live.last_error, None);
    server.shutdown().await;
}

/// A trunk that neither registers nor checks health (IP authentication, OPTIONS off) has
/// nothing to tell its provider until a call: no connection is opened before, and no error
/// shown for a provider that does not listen for us. A call out opens the connection.
#[tokio::test]
async fn a_tcp_trunk_without_registration_or_checks_connects_for_calls_only() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind((PROVIDER_IP, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let udp = server.sip_udp.unwrap();
    common::add_extension(&server, "1001", "alice-secret").await;
    let mut t = trunk("quiet", port, TrunkTransport::Tcp, None);
    t.registration = None;
    server.store.add_trunk(&t).await.unwrap();
    server
        .store
        .add_route("_1NXXNXXXXXX", &["quiet".to_owned()], 0, "+", None)
        .await
        .unwrap();

    // The driver picks trunks up within a second.
    let idle = tokio::time::timeout(Duration::from_secs(3), listener.accept()).await;
    assert!(idle.is_err(), "no connection before a call");
    let live = server.trunks().live("quiet");
    assert!(
        live.as_ref().is_none_or(|l| l.last_error.is_none()),
        "{live:?}"
    );

    let mut alice = registered(udp, "1001", "alice-secret").await;
    let mut call = CallerDialog::new(alice.conn.local(), "1001", "12125550123");
    invite_with_auth(&mut alice.conn, &mut call, "1001", "alice-secret", None, "").await;
    let mut provider = StreamPeer::accept_tcp(&listener).await;
    let inv = provider.expect(Method::Invite).await;
    assert_eq!(inv.top_via().unwrap().transport, "TCP");
    assert_eq!(
        inv.uri.to_string(),
        format!("sip:+12125550123@{PROVIDER_IP}:{port};transport=tcp")
    );
    provider
        .send(&answer_for(&inv, 486, &token(), "sip:p@127.0.0.5", None))
        .await;
    assert_eq!(final_for(&mut alice.conn, Method::Invite).await.status, 486);
    server.shutdown().await;
}
