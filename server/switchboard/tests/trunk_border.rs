//! Session-border functions toward trunks, on loopback with in-test UDP providers: the
//! configured public address in the Via and Contact of an INVITE toward a trunk, only the
//! headers a trunk needs in it, and the size and rate limits on what a trunk sends us
//! (513 for a request too large, 503 with Retry-After over the rate, strangers unaffected).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::calls::{
    CallerDialog, answer_for, final_for, invite_with_auth, registered, request_of,
};
use common::{Conn, add_extension, boot, test_config, token};
use pbx::trunk::{Cidr, SrtpPolicy, Trunk, TrunkTransport};
use sip::{HeaderName, Method, Response, Via};
use switchboard::RunningServer;
use switchboard::config::TrunkLimits;
use tokio::net::UdpSocket;

fn trunk(name: &str, host: SocketAddr) -> Trunk {
    Trunk {
        id: 0,
        name: name.into(),
        host: host.ip().to_string(),
        port: Some(host.port()),
        transport: TrunkTransport::Udp,
        registration: None,
        allow: Vec::new(),
        codecs: vec!["PCMU".into()],
        srtp: SrtpPolicy::Off,
        channels: Some(2),
        options_interval: 0,
        caller_id: Some("+12125550100".into()),
        ca_file: None,
    }
}

async fn provider(ip: &str, server: SocketAddr) -> Conn {
    let sock = UdpSocket::bind(format!("{ip}:0")).await.unwrap();
    Conn::Udp { sock, server }
}

async fn server(
    dir: &tempfile::TempDir,
    rtp_ports: (u16, u16),
    public_ip: Option<IpAddr>,
    limits: Option<TrunkLimits>,
) -> (RunningServer, SocketAddr) {
    let mut config = test_config(dir.path(), None, 0);
    config.media.rtp_ports = rtp_ports;
    config.media.public_ip = public_ip;
    if let Some(l) = limits {
        config.trunks = l;
    }
    let server = boot(config).await;
    let udp = server.sip_udp.unwrap();
    add_extension(&server, "1001", "alice-secret").await;
    (server, udp)
}

/// Headers an INVITE toward a trunk may carry (the border's list).
const ALLOWED: &[&str] = &[
    "via",
    "max-forwards",
    "route",
    "from",
    "to",
    "call-id",
    "cseq",
    "contact",
    "content-type",
    "content-length",
    "allow",
    "supported",
    "require",
    "p-asserted-identity",
    "privacy",
    "session-expires",
    "min-se",
    "user-agent",
    "authorization",
    "proxy-authorization",
];

#[tokio::test]
async fn invites_toward_trunks_show_the_public_address_and_only_needed_headers() {
    let dir = tempfile::tempdir().unwrap();
    let public: IpAddr = [198, 51, 100, 7].into();
    let (server, udp) = server(&dir, (44700, 44799), Some(public), None).await;
    let mut acme = provider("127.0.0.6", udp).await;
    server
        .store
        .add_trunk(&trunk("acme", acme.local()))
        .await
        .unwrap();
    server
        .store
        .add_route("_1NXXNXXXXXX", &["acme".to_owned()], 0, "+", None)
        .await
        .unwrap();
    let mut alice = registered(udp, "1001", "alice-secret").await;
    let mut call = CallerDialog::new(alice.conn.local(), "1001", "12125550199");
    // What the phone adds must not cross the border.
    let extra = "X-Internal-Tenant: office-7\r\nSubject: payroll\r\nOrganization: Example Corp\r\nP-Preferred-Identity: <sip:1001@office>\r\n";
    invite_with_auth(
        &mut alice.conn,
        &mut call,
        "1001",
        "alice-secret",
        None,
        extra,
    )
    .await;

    let inv = request_of(&mut acme, Method::Invite)
        .await
        .expect("INVITE reaches the provider");
    let via = Via::parse(inv.headers.get(&HeaderName::Via).unwrap()).unwrap();
    assert_eq!(via.host, "198.51.100.7", "public address in the Via");
    assert_eq!(via.port, Some(udp.port()), "the listener's port");
    let contact = inv.headers.get(&HeaderName::Contact).unwrap();
    assert!(
        contact.contains(&format!("@198.51.100.7:{}", udp.port())),
        "public address in the Contact: {contact}"
    );
    let text = String::from_utf8_lossy(&inv.to_bytes()).to_string();
    assert!(
        !text.contains("127.0.0.1"),
        "private address leaked: {text}"
    );
    for h in inv.headers.iter() {
        let name = h.name.as_str().to_ascii_lowercase();
        assert!(
            ALLOWED.contains(&name.as_str()),
            "header {name} sent to a trunk:\n{text}"
        );
    }
    for needed in [
        "via",
        "from",
        "to",
        "call-id",
        "cseq",
        "contact",
        "max-forwards",
    ] {
        assert!(
            inv.headers
                .iter()
                .any(|h| h.name.as_str().eq_ignore_ascii_case(needed)),
            "{needed} missing:\n{text}"
        );
    }
    assert!(!text.contains("office-7") && !text.contains("payroll"));

    // The provider's answer still finds its way back (rport: to where the INVITE came from).
    acme.send(&answer_for(&inv, 486, &token(), "sip:p@127.0.0.6", None))
        .await;
    assert_eq!(final_for(&mut alice.conn, Method::Invite).await.status, 486);
}

fn options(from: SocketAddr, body_bytes: usize) -> Vec<u8> {
    let body = "v".repeat(body_bytes);
    let content = if body_bytes > 0 {
        "Content-Type: text/plain\r\n"
    } else {
        ""
    };
    format!(
        "OPTIONS sip:{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bK{}\r\nMax-Forwards: 70\r\nFrom: <sip:probe@{from}>;tag={}\r\nTo: <sip:{DOMAIN}>\r\nCall-ID: {}\r\nCSeq: 1 OPTIONS\r\n{content}Content-Length: {}\r\n\r\n{body}",
        token(),
        token(),
        token(),
        body.len(),
        DOMAIN = common::DOMAIN,
    )
    .into_bytes()
}

async fn ask(conn: &mut Conn, bytes: &[u8]) -> Response {
    conn.send(bytes).await;
    tokio::time::timeout(Duration::from_secs(5), final_for(conn, Method::Options))
        .await
        .expect("an answer")
}

#[tokio::test]
async fn trunks_are_held_to_their_size_and_rate_limits() {
    let dir = tempfile::tempdir().unwrap();
    let limits = TrunkLimits {
        max_message_bytes: 2048,
        max_requests_per_second: 5,
    };
    let (server, udp) = server(&dir, (44800, 44899), None, Some(limits)).await;
    let mut carrier = provider("127.0.0.7", udp).await;
    let mut t = trunk("carrier", carrier.local());
    t.allow = vec![Cidr {
        addr: carrier.local().ip(),
        prefix: 32,
    }];
    server.store.add_trunk(&t).await.unwrap();
    let me = carrier.local();

    // The server learns the trunk's addresses in the background; until then the first
    // requests pass. Wait until a large request is refused.
    let mut refused = None;
    for _ in 0..20 {
        let r = ask(&mut carrier, &options(me, 3000)).await;
        if r.status == 513 {
            refused = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        refused.map(|r| r.status),
        Some(513),
        "too large from a trunk"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // A burst of a second's worth passes, the rest is told to come back later.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let r = ask(&mut carrier, &options(me, 0)).await;
        if r.status == 503 {
            let after = r.headers.get(&HeaderName::RetryAfter).expect("Retry-After");
            assert!(after.trim().parse::<u32>().unwrap() >= 1, "{after}");
        }
        statuses.push(r.status);
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let busy = statuses.iter().filter(|s| **s == 503).count();
    assert!((5..=7).contains(&ok), "{statuses:?}");
    assert_eq!(ok + busy, 12, "{statuses:?}");
    assert_eq!(statuses.first(), Some(&200), "{statuses:?}");

    // Anyone else is not limited this way.
    let mut stranger = provider("127.0.0.8", udp).await;
    let other = stranger.local();
    for _ in 0..12 {
        assert_eq!(ask(&mut stranger, &options(other, 0)).await.status, 200);
    }
    assert_eq!(ask(&mut stranger, &options(other, 3000)).await.status, 200);

    // After a second the trunk is served again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(ask(&mut carrier, &options(me, 0)).await.status, 200);
}
