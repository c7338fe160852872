//! Calls through SIP trunks on loopback, with in-test UDP providers: out through an outbound
//! route whose first trunk answers 503 and whose second challenges (digest with the trunk's
//! account) and answers, with caller ID, topology hiding and RTP both ways; class of
//! service before any trunk; in on a DID from a provider identified by its address, ringing
//! a registered extension, RTP both ways; the same INVITE from another address challenged
//! like any stranger's, and an unknown number refused 404.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;

use common::calls::{
    CalleeDialog, CallerDialog, answer_for, final_for, invite_with_auth, quiet_for, recv_rtp,
    registered, request_of, rtp, rtp_socket, sdp, sdp_port,
};
use common::{Conn, add_extension, boot, test_config, token};
use pbx::trunk::{Cidr, Did, SrtpPolicy, Trunk, TrunkRegistration, TrunkTransport};
use sip::{HeaderName, Method, Request};
use switchboard::RunningServer;
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
        codecs: vec!["PCMU".into(), "PCMA".into()],
        srtp: SrtpPolicy::Off,
        channels: Some(2),
        options_interval: 0,
        caller_id: Some("+12125550100".into()),
        ca_file: None,
    }
}

/// A provider's SIP socket on a loopback address of its own (phones use 127.0.0.1).
async fn provider(ip: &str, server: SocketAddr) -> Conn {
    let sock = UdpSocket::bind(format!("{ip}:0")).await.unwrap();
    Conn::Udp { sock, server }
}

fn local(conn: &Conn) -> SocketAddr {
    conn.local()
}

async fn server_with(rtp_ports: (u16, u16)) -> (RunningServer, SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path(), None, 0);
    config.media.rtp_ports = rtp_ports;
    let server = boot(config).await;
    let udp = server.sip_udp.unwrap();
    add_extension(&server, "1001", "alice-secret").await;
    add_extension(&server, "1002", "bob-secret").await;
    (server, udp, dir)
}

/// The INVITE's final answer from a provider, with an extra header.
fn answer_with(req: &Request, status: u16, header: &str) -> Vec<u8> {
    let bytes = answer_for(req, status, &token(), "sip:p@127.0.0.9", None);
    String::from_utf8(bytes)
        .unwrap()
        .replace(
            "Content-Length: 0\r\n",
            &format!("{header}\r\nContent-Length: 0\r\n"),
        )
        .into_bytes()
}

#[tokio::test]
async fn outbound_calls_fail_over_authenticate_and_carry_media() {
    let (server, udp, _dir) = server_with((43100, 43199)).await;
    let mut dead = provider("127.0.0.2", udp).await;
    let mut good = provider("127.0.0.3", udp).await;
    let mut acme = trunk("acme", local(&good));
    acme.registration = Some(TrunkRegistration {
        username: "acme-user".into(),
        password: "acme-pass".into(),
        expires: 600,
    });
    server
        .store
        .add_trunk(&trunk("flaky", local(&dead)))
        .await
        .unwrap();
    server.store.add_trunk(&acme).await.unwrap();
    let both = ["flaky".to_owned(), "acme".to_owned()];
    server
        .store
        .add_route("_1NXXNXXXXXX", &both, 0, "+", None)
        .await
        .unwrap();
    server
        .store
        .add_route("_00.", &both, 0, "", None)
        .await
        .unwrap();
    let mut alice = registered(udp, "1001", "alice-secret").await;

    // Class of service first: 1001 may not dial international numbers, whatever the route.
    let mut barred = CallerDialog::new(alice.conn.local(), "1001", "00442071234567");
    invite_with_auth(
        &mut alice.conn,
        &mut barred,
        "1001",
        "alice-secret",
        None,
        "",
    )
    .await;
    assert_eq!(final_for(&mut alice.conn, Method::Invite).await.status, 403);
    // The trunk driver's REGISTER to acme (it registers) may arrive meanwhile: only an
    // INVITE would mean a trunk was tried.
    while let Some(m) = quiet_for(&mut good, 300).await {
        assert!(
            !matches!(&m, sip::Message::Request(r) if r.method == Method::Invite),
            "no trunk was tried: {m:?}"
        );
    }

    // A route that matches nothing: 404.
    let mut nowhere = CallerDialog::new(alice.conn.local(), "1001", "5550100");
    invite_with_auth(
        &mut alice.conn,
        &mut nowhere,
        "1001",
        "alice-secret",
        None,
        "",
    )
    .await;
    assert_eq!(final_for(&mut alice.conn, Method::Invite).await.status, 404);

    let a_rtp = rtp_socket().await;
    let p_rtp = rtp_socket().await;
    let mut a = CallerDialog::new(alice.conn.local(), "1001", "12125550199");
    let offer = sdp("alice", a_rtp.local_addr().unwrap(), "sendrecv");
    let secret = "X-Secret-Topology: 10.99.99.99\r\n";
    invite_with_auth(
        &mut alice.conn,
        &mut a,
        "1001",
        "alice-secret",
        Some(&offer),
        secret,
    )
    .await;

    // The first trunk is overloaded.
    let inv = request_of(&mut dead, Method::Invite)
        .await
        .expect("INVITE to the first trunk");
    dead.send(&answer_for(&inv, 503, &token(), "sip:p@127.0.0.2", None))
        .await;

    // The second challenges, then takes the call.
    let inv = request_of(&mut good, Method::Invite)
        .await
        .expect("INVITE to the second trunk");
    good.send(&answer_with(
        &inv,
        401,
        "WWW-Authenticate: Digest realm=\"provider\", nonce=\"n0nce\", qop=\"auth\", algorithm=MD5",
    ))
    .await;
    let inv = request_of(&mut good, Method::Invite)
        .await
        .expect("INVITE with credentials");
    let auth = inv
        .headers
        .get(&HeaderName::Authorization)
        .expect("Authorization");
    assert!(auth.contains("username=\"acme-user\""), "{auth}");
    assert!(!auth.contains("acme-pass"));
    assert_eq!(
        inv.uri.to_string(),
        format!("sip:+12125550199@{}", local(&good))
    );
    let text = String::from_utf8_lossy(&inv.to_bytes()).to_string();
    assert!(!text.contains("10.99.99.99"), "topology leaked: {text}");
    assert!(!text.contains(&a.call_id), "caller's Call-ID leaked");
    let pai = inv
        .headers
        .get(&HeaderName::PAssertedIdentity)
        .expect("P-Asserted-Identity");
    assert!(pai.contains("+12125550100"), "{pai}");
    let body = String::from_utf8_lossy(&inv.body).to_string();
    let pcmu = body.find("PCMU").expect("PCMU offered");
    assert!(
        body.find("PCMA").is_none_or(|pcma| pcmu < pcma),
        "trunk codec order: {body}"
    );
    let callee = CalleeDialog {
        local: local(&good),
        user: "p".into(),
        tag: token(),
        call_id: inv.call_id().unwrap().to_owned(),
        remote: inv.headers.get(&HeaderName::From).unwrap().to_owned(),
        local_uri: inv.headers.get(&HeaderName::To).unwrap().to_owned(),
        remote_target: "sip:switchboard@127.0.0.1".into(),
        cseq: 0,
        invite_cseq: 0,
        invite: inv.clone(),
    };
    good.send(&callee.respond(&inv, 180, None)).await;
    let answer = sdp("provider", p_rtp.local_addr().unwrap(), "sendrecv");
    good.send(&callee.respond(&inv, 200, Some(answer))).await;
    request_of(&mut good, Method::Ack)
        .await
        .expect("ACK to the provider");
    let ok = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(ok.status, 200);
    a.on_2xx(&ok);
    alice.conn.send(&a.ack(None)).await;

    // Media both ways through the server.
    let to_server_a: SocketAddr = ([127, 0, 0, 1], sdp_port(&ok.body)).into();
    let to_server_p: SocketAddr = ([127, 0, 0, 1], sdp_port(&inv.body)).into();
    let mut heard_p = false;
    let mut heard_a = false;
    for seq in 0..50u16 {
        a_rtp
            .send_to(&rtp(seq, 0xa11ce), to_server_a)
            .await
            .unwrap();
        p_rtp.send_to(&rtp(seq, 0x9a9a), to_server_p).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        if !heard_p {
            heard_p = tokio::time::timeout(std::time::Duration::from_millis(5), recv_rtp(&p_rtp))
                .await
                .ok()
                .flatten()
                .is_some();
        }
        if !heard_a {
            heard_a = tokio::time::timeout(std::time::Duration::from_millis(5), recv_rtp(&a_rtp))
                .await
                .ok()
                .flatten()
                .is_some();
        }
        if heard_a && heard_p {
            break;
        }
    }
    assert!(heard_p, "the provider hears the caller");
    assert!(heard_a, "the caller hears the provider");
    assert_eq!(server.trunks().live("acme").map(|l| l.calls), Some(1));

    alice.conn.send(&a.request("BYE", None)).await;
    assert_eq!(final_for(&mut alice.conn, Method::Bye).await.status, 200);
    let bye = request_of(&mut good, Method::Bye)
        .await
        .expect("BYE to the provider");
    good.send(&callee.respond(&bye, 200, None)).await;
    assert!(
        common::eventually(|| async {
            server.trunks().live("acme").map(|l| l.calls) == Some(0)
                && server.trunks().live("flaky").map(|l| l.calls) == Some(0)
        })
        .await,
        "channels released"
    );
}

#[tokio::test]
async fn inbound_did_rings_the_extension_and_strangers_are_refused() {
    let (server, udp, _dir) = server_with((43200, 43299)).await;
    let mut carrier = provider("127.0.0.4", udp).await;
    let mut t = trunk("carrier", local(&carrier));
    t.allow = vec![Cidr {
        addr: local(&carrier).ip(),
        prefix: 32,
    }];
    server.store.add_trunk(&t).await.unwrap();
    server
        .store
        .add_did(&Did {
            number: "+12125550100".into(),
            trunk: "carrier".into(),
            to: vec!["1002".into()],
            failover: None,
        })
        .await
        .unwrap();
    let mut bob = registered(udp, "1002", "bob-secret").await;
    let c_rtp = rtp_socket().await;
    let b_rtp = rtp_socket().await;

    // The provider dials the DID in national form; no challenge for a trunk.
    let mut call = CallerDialog::new(local(&carrier), "+13125559999", "2125550100");
    let offer = sdp("carrier", c_rtp.local_addr().unwrap(), "sendrecv");
    carrier.send(&call.invite(Some(&offer), "", None)).await;
    let inv = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("the DID rings 1002");
    assert!(
        inv.headers
            .get(&HeaderName::From)
            .unwrap()
            .contains("+13125559999"),
        "caller ID passed on"
    );
    assert!(
        !String::from_utf8_lossy(&inv.to_bytes()).contains("127.0.0.4"),
        "provider topology hidden"
    );
    let b = CalleeDialog::new(&bob, &inv);
    bob.conn.send(&b.respond(&inv, 180, None)).await;
    let answer = sdp("bob", b_rtp.local_addr().unwrap(), "sendrecv");
    bob.conn.send(&b.respond(&inv, 200, Some(answer))).await;
    request_of(&mut bob.conn, Method::Ack)
        .await
        .expect("ACK for bob's 200");
    let ok = final_for(&mut carrier, Method::Invite).await;
    assert_eq!(ok.status, 200);
    call.on_2xx(&ok);
    carrier.send(&call.ack(None)).await;

    let to_server_c: SocketAddr = ([127, 0, 0, 1], sdp_port(&ok.body)).into();
    let to_server_b: SocketAddr = ([127, 0, 0, 1], sdp_port(&inv.body)).into();
    for seq in 0..5u16 {
        c_rtp.send_to(&rtp(seq, 1), to_server_c).await.unwrap();
        b_rtp.send_to(&rtp(seq, 2), to_server_b).await.unwrap();
    }
    assert!(
        recv_rtp(&b_rtp).await.is_some(),
        "bob hears the outside caller"
    );
    assert!(
        recv_rtp(&c_rtp).await.is_some(),
        "the outside caller hears bob"
    );

    carrier.send(&call.request("BYE", None)).await;
    let bye = request_of(&mut bob.conn, Method::Bye)
        .await
        .expect("BYE reaches bob");
    bob.conn.send(&b.respond(&bye, 200, None)).await;
    assert_eq!(final_for(&mut carrier, Method::Bye).await.status, 200);

    // A number the trunk has no DID for: 404.
    let mut unknown = CallerDialog::new(local(&carrier), "+13125559999", "2125550177");
    carrier.send(&unknown.invite(Some(&offer), "", None)).await;
    let refused = final_for(&mut carrier, Method::Invite).await;
    assert_eq!(refused.status, 404);
    carrier.send(&unknown.ack_failure(&refused)).await;

    // The same INVITE from another address is a stranger's: challenged, nothing rings.
    let mut stranger = provider("127.0.0.5", udp).await;
    let mut spoof = CallerDialog::new(local(&stranger), "+13125559999", "2125550100");
    stranger.send(&spoof.invite(Some(&offer), "", None)).await;
    let refused = final_for(&mut stranger, Method::Invite).await;
    assert_eq!(refused.status, 407, "not accepted as the trunk");
    stranger.send(&spoof.ack_failure(&refused)).await;
    assert!(
        quiet_for(&mut bob.conn, 500).await.is_none(),
        "nothing rang"
    );
}

/// An access code (`9` + the number, stripped by the route) is not part of the number the
/// class of service judges: a national caller reaches `9` + a national number, and still
/// cannot reach `9` + an international one.
#[tokio::test]
async fn access_code_routes_judge_the_number_behind_the_code() {
    let (server, udp, _dir) = server_with((43300, 43399)).await;
    let mut carrier = provider("127.0.0.4", udp).await;
    server
        .store
        .add_trunk(&trunk("carrier", local(&carrier)))
        .await
        .unwrap();
    server
        .store
        .add_route("_9X.", &["carrier".to_owned()], 1, "+", None)
        .await
        .unwrap();
    let mut alice = registered(udp, "1001", "alice-secret").await;

    let mut abroad = CallerDialog::new(alice.conn.local(), "1001", "9011442071234567");
    invite_with_auth(
        &mut alice.conn,
        &mut abroad,
        "1001",
        "alice-secret",
        None,
        "",
    )
    .await;
    assert_eq!(final_for(&mut alice.conn, Method::Invite).await.status, 403);

    let mut national = CallerDialog::new(alice.conn.local(), "1001", "912125550199");
    invite_with_auth(
        &mut alice.conn,
        &mut national,
        "1001",
        "alice-secret",
        None,
        "",
    )
    .await;
    let inv = request_of(&mut carrier, Method::Invite)
        .await
        .expect("the national number reaches the trunk");
    assert_eq!(
        inv.uri.to_string(),
        format!("sip:+12125550199@{}", local(&carrier))
    );
    carrier
        .send(&answer_for(&inv, 486, &token(), "sip:p@127.0.0.4", None))
        .await;
    assert_eq!(final_for(&mut alice.conn, Method::Invite).await.status, 486);
    server.shutdown().await;
}
