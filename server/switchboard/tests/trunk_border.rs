//! Session-border functions toward trunks, on loopback with in-test UDP providers: the
//! configured public address in every message of a trunk's dialog — the Via (with rport)
//! and Contact of the INVITE, its ACK, a hold re-INVITE, the BYE, a CANCEL and the ACK of
//! the 487 on a call out; the Contact and SDP of our 180 and 200, our re-INVITE and ACK on a
//! call in, whose provider's BYE (to that public Contact) is answered rightly — only the
//! headers a trunk needs in the INVITE, and the size and rate limits on what a trunk sends
//! us (513 for a request too large, 503 with Retry-After over the rate, strangers
//! unaffected).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/trunk.rs"]
mod trunk_helpers;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::calls::{
    CalleeDialog, CallerDialog, answer_for, final_for, invite_with_auth, next_response, registered,
    request_of, rtp_socket, sdp, sdp_connections,
};
use common::{Conn, add_extension, boot, test_config, token};
use pbx::trunk::{Cidr, Did};
use sip::{HeaderName, Message, Method, Response, Via};
use switchboard::RunningServer;
use switchboard::config::TrunkLimits;
use trunk_helpers::{let_trunks_settle, pcmu_sdp, provider, provider_dialog, trunk};

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

/// The public address of the NAT-ed server in the tests below: a TEST-NET address, only
/// ever written into messages (nothing is sent to it).
const PUBLIC: &str = "198.51.100.7";

fn wire(msg: &Message) -> String {
    let bytes = match msg {
        Message::Request(r) => r.to_bytes(),
        Message::Response(r) => r.to_bytes(),
    };
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Asserts that the server's answer to a phone on the office network (alice, on loopback)
/// gives it the server's own address, in Contact and SDP, never the public one: media
/// between the server and the phone must not loop through the router.
fn assert_local(resp: &sip::Response) {
    let text = String::from_utf8_lossy(&resp.to_bytes()).into_owned();
    assert!(
        !text.contains(PUBLIC),
        "the public address went to a phone on the LAN:\n{text}"
    );
    assert!(text.contains("c=IN IP4 127.0.0.1"), "{text}");
    let contact = resp.headers.get(&HeaderName::Contact).unwrap_or_default();
    assert!(contact.contains("@127.0.0.1:"), "{contact}");
}

/// Asserts that `msg`, sent by the server toward a trunk, shows the public address: the
/// Via sent-by of a request (with rport), every Contact, the SDP's c= and o= lines; and
/// the server's own address (127.0.0.1) nowhere.
fn assert_public(msg: &Message, what: &str) {
    let text = wire(msg);
    assert!(
        !text.contains("127.0.0.1"),
        "{what}: the local address leaked:\n{text}"
    );
    if let Message::Request(req) = msg {
        let via = req.top_via().unwrap();
        assert_eq!(via.host, PUBLIC, "{what}: Via sent-by:\n{text}");
        assert!(
            via.params.iter().any(|(name, _)| name == "rport"),
            "{what}: Via without rport:\n{text}"
        );
    }
    for contact in msg.headers().fields(&HeaderName::Contact) {
        assert!(
            contact.contains(&format!("@{PUBLIC}:")),
            "{what}: Contact {contact}"
        );
    }
    if !msg.body().is_empty() {
        let conns = sdp_connections(msg.body());
        assert!(
            !conns.is_empty() && conns.iter().all(|c| c == PUBLIC),
            "{what}: SDP c=:\n{text}"
        );
        let origin = text.lines().find(|l| l.starts_with("o=")).unwrap_or("");
        assert!(
            origin.trim_end().ends_with(&format!("IN IP4 {PUBLIC}")),
            "{what}: SDP o=:\n{text}"
        );
    }
}

fn request(r: &sip::Request) -> Message {
    Message::Request(r.clone())
}

/// A CANCEL for the INVITE a provisional `resp` answers (same Via branch, From, Call-ID
/// and CSeq number; the To without the callee's tag).
fn cancel_for_response(resp: &Response, uri: &str) -> Vec<u8> {
    let h = |name: HeaderName| resp.headers.get(&name).unwrap().to_owned();
    let mut to = resp.to_header().unwrap();
    to.remove_param("tag");
    format!(
        "CANCEL {uri} SIP/2.0\r\nVia: {}\r\nMax-Forwards: 70\r\nFrom: {}\r\nTo: {to}\r\n\
Call-ID: {}\r\nCSeq: {} CANCEL\r\nContent-Length: 0\r\n\r\n",
        h(HeaderName::Via),
        h(HeaderName::From),
        h(HeaderName::CallId),
        resp.cseq().unwrap().seq,
    )
    .into_bytes()
}

#[tokio::test]
async fn every_message_of_a_call_out_shows_the_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let (server, udp) = server(&dir, (46100, 46199), Some(PUBLIC.parse().unwrap()), None).await;
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
    let a_rtp = rtp_socket().await;
    let p_rtp = rtp_socket().await;

    // An answered call (bridged: our own offer) hung up from our side.
    let mut a = CallerDialog::new(alice.conn.local(), "1001", "12125550199");
    let offer = sdp("alice", a_rtp.local_addr().unwrap(), "sendrecv");
    invite_with_auth(
        &mut alice.conn,
        &mut a,
        "1001",
        "alice-secret",
        Some(&offer),
        "",
    )
    .await;
    let inv = request_of(&mut acme, Method::Invite).await.expect("INVITE");
    assert_public(&request(&inv), "INVITE");
    let mut p = provider_dialog(acme.local(), &inv);
    acme.send(&p.respond(&inv, 180, None)).await;
    let answer = pcmu_sdp(p_rtp.local_addr().unwrap(), "RTP/AVP", None);
    acme.send(&p.respond(&inv, 200, Some(answer.clone()))).await;
    let ack = request_of(&mut acme, Method::Ack).await.expect("ACK");
    assert_public(&request(&ack), "ACK of the 2xx");
    let ok = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(ok.status, 200);
    assert_local(&ok);
    a.on_2xx(&ok);
    alice.conn.send(&a.ack(None)).await;
    // The provider's own re-offer is answered by the bridge, from what the trunk's leg
    // settled on: the public address again, not the caller's local one.
    acme.send(&p.request("INVITE", Some(&answer))).await;
    let reoffer = final_for(&mut acme, Method::Invite).await;
    assert_eq!(reoffer.status, 200, "{reoffer:?}");
    assert_public(
        &Message::Response(reoffer),
        "200 to the provider's re-INVITE",
    );
    acme.send(&p.ack(None)).await;
    alice.conn.send(&a.request("BYE", None)).await;
    let bye = request_of(&mut acme, Method::Bye).await.expect("BYE");
    assert_public(&request(&bye), "BYE");
    acme.send(&p.respond(&bye, 200, None)).await;
    assert_eq!(final_for(&mut alice.conn, Method::Bye).await.status, 200);

    // A call without an offer (relayed: the provider offers, alice answers in her ACK),
    // held and hung up from our side: the ACK carries our SDP, the re-INVITE crosses.
    let mut a = CallerDialog::new(alice.conn.local(), "1001", "12125550199");
    invite_with_auth(&mut alice.conn, &mut a, "1001", "alice-secret", None, "").await;
    let inv = request_of(&mut acme, Method::Invite).await.expect("INVITE");
    assert!(inv.body.is_empty(), "no offer: {inv:?}");
    assert_public(&request(&inv), "offerless INVITE");
    let p = provider_dialog(acme.local(), &inv);
    let provider_offer = pcmu_sdp(p_rtp.local_addr().unwrap(), "RTP/AVP", None);
    acme.send(&p.respond(&inv, 200, Some(provider_offer))).await;
    let ok = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(ok.status, 200);
    a.on_2xx(&ok);
    let alice_answer = sdp("alice", a_rtp.local_addr().unwrap(), "sendrecv");
    alice.conn.send(&a.ack(Some(&alice_answer))).await;
    let ack = request_of(&mut acme, Method::Ack).await.expect("ACK");
    assert!(!ack.body.is_empty(), "the answer in the ACK: {ack:?}");
    assert_public(&request(&ack), "ACK with the answer");

    let hold = sdp("alice", a_rtp.local_addr().unwrap(), "sendonly");
    alice.conn.send(&a.request("INVITE", Some(&hold))).await;
    let reinv = request_of(&mut acme, Method::Invite)
        .await
        .expect("the hold reaches the provider");
    assert!(
        reinv.headers.get(&HeaderName::Contact).is_some() && !reinv.body.is_empty(),
        "a re-INVITE with Contact and SDP: {reinv:?}"
    );
    assert_public(&request(&reinv), "re-INVITE");
    let held =
        pcmu_sdp(p_rtp.local_addr().unwrap(), "RTP/AVP", None).replace("a=sendrecv", "a=recvonly");
    acme.send(&p.respond(&reinv, 200, Some(held))).await;
    let ack = request_of(&mut acme, Method::Ack)
        .await
        .expect("ACK of the re-INVITE");
    assert_public(&request(&ack), "ACK of the re-INVITE");
    assert_eq!(final_for(&mut alice.conn, Method::Invite).await.status, 200);
    alice.conn.send(&a.ack(None)).await;
    alice.conn.send(&a.request("BYE", None)).await;
    let bye = request_of(&mut acme, Method::Bye).await.expect("BYE");
    assert_public(&request(&bye), "BYE after the hold");
    acme.send(&p.respond(&bye, 200, None)).await;
    assert_eq!(final_for(&mut alice.conn, Method::Bye).await.status, 200);

    // Cancelled while it rings: the CANCEL and the ACK of the 487 too.
    let mut a = CallerDialog::new(alice.conn.local(), "1001", "12125550199");
    invite_with_auth(
        &mut alice.conn,
        &mut a,
        "1001",
        "alice-secret",
        Some(&offer),
        "",
    )
    .await;
    let inv = request_of(&mut acme, Method::Invite).await.expect("INVITE");
    let p = provider_dialog(acme.local(), &inv);
    acme.send(&p.respond(&inv, 180, None)).await;
    let ringing = loop {
        let r = next_response(&mut alice.conn).await;
        if r.status == 180 {
            break r;
        }
    };
    let uri = format!("sip:12125550199@{}", common::DOMAIN);
    alice.conn.send(&cancel_for_response(&ringing, &uri)).await;
    let cancel = request_of(&mut acme, Method::Cancel)
        .await
        .expect("CANCEL reaches the provider");
    assert_public(&request(&cancel), "CANCEL");
    acme.send(&p.respond(&cancel, 200, None)).await;
    acme.send(&p.respond(&inv, 487, None)).await;
    let ack = request_of(&mut acme, Method::Ack)
        .await
        .expect("ACK of the 487");
    assert_public(&request(&ack), "ACK of the 487");
    assert_eq!(final_for(&mut alice.conn, Method::Invite).await.status, 487);
}

#[tokio::test]
async fn a_call_in_from_a_trunk_is_answered_with_the_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let (server, udp) = server(&dir, (46200, 46299), Some(PUBLIC.parse().unwrap()), None).await;
    let mut carrier = provider("127.0.0.7", udp).await;
    let mut t = trunk("carrier", carrier.local());
    t.allow = vec![Cidr {
        addr: carrier.local().ip(),
        prefix: 32,
    }];
    server.store.add_trunk(&t).await.unwrap();
    server
        .store
        .add_did(&Did {
            number: "+12125550100".into(),
            trunk: "carrier".into(),
            to: vec!["1001".into()],
            failover: None,
        })
        .await
        .unwrap();
    let mut alice = registered(udp, "1001", "alice-secret").await;
    let_trunks_settle().await;
    let c_rtp = rtp_socket().await;
    let a_rtp = rtp_socket().await;

    let mut call = CallerDialog::new(carrier.local(), "+13125559999", "2125550100");
    let offer = sdp("carrier", c_rtp.local_addr().unwrap(), "sendrecv");
    carrier.send(&call.invite(Some(&offer), "", None)).await;
    let inv = request_of(&mut alice.conn, Method::Invite)
        .await
        .expect("the DID rings 1001");
    let mut b = CalleeDialog::new(&alice, &inv);
    alice.conn.send(&b.respond(&inv, 180, None)).await;
    let answer = sdp("alice", a_rtp.local_addr().unwrap(), "sendrecv");
    alice.conn.send(&b.respond(&inv, 200, Some(answer))).await;
    request_of(&mut alice.conn, Method::Ack).await.expect("ACK");

    let mut statuses = Vec::new();
    let ok = loop {
        let r = next_response(&mut carrier).await;
        statuses.push(r.status);
        if r.status > 100 {
            assert!(
                r.headers.get(&HeaderName::Contact).is_some(),
                "{} with a Contact",
                r.status
            );
            assert_public(&Message::Response(r.clone()), &format!("our {}", r.status));
        }
        if r.status >= 200 {
            break r;
        }
    };
    assert_eq!(ok.status, 200, "{statuses:?}");
    assert!(statuses.contains(&180), "{statuses:?}");
    assert!(!ok.body.is_empty(), "the 200 answers the offer");
    call.on_2xx(&ok);
    assert!(
        call.remote_target
            .as_deref()
            .is_some_and(|t| t.contains(PUBLIC)),
        "{:?}",
        call.remote_target
    );
    carrier.send(&call.ack(None)).await;

    // 1001 holds: the re-INVITE toward the trunk and our ACK of its answer.
    let hold = sdp("alice", a_rtp.local_addr().unwrap(), "sendonly");
    alice.conn.send(&b.request("INVITE", Some(&hold))).await;
    let reinv = request_of(&mut carrier, Method::Invite)
        .await
        .expect("the hold reaches the carrier");
    assert_public(&request(&reinv), "re-INVITE toward the carrier");
    let held = sdp("carrier", c_rtp.local_addr().unwrap(), "recvonly");
    carrier
        .send(&answer_for(
            &reinv,
            200,
            &call.tag,
            &call.contact(),
            Some(held),
        ))
        .await;
    let ack = request_of(&mut carrier, Method::Ack)
        .await
        .expect("ACK of the re-INVITE");
    assert_public(&request(&ack), "ACK toward the carrier");
    assert_eq!(final_for(&mut alice.conn, Method::Invite).await.status, 200);
    alice.conn.send(&b.ack(None)).await;

    // The carrier hangs up: its BYE (sent to our public Contact) is answered as it should.
    let bye_bytes = call.request("BYE", None);
    let sent_bye = match sip::parse_message(&bye_bytes).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    };
    assert!(
        sent_bye.uri.to_string().contains(PUBLIC),
        "{}",
        sent_bye.uri
    );
    carrier.send(&bye_bytes).await;
    let to_alice = request_of(&mut alice.conn, Method::Bye)
        .await
        .expect("BYE reaches 1001");
    alice.conn.send(&b.respond(&to_alice, 200, None)).await;
    let done = final_for(&mut carrier, Method::Bye).await;
    assert_eq!(done.status, 200, "{done:?}");
    let (back, sent) = (done.top_via().unwrap(), sent_bye.top_via().unwrap());
    assert_eq!(
        (&back.host, back.port, back.param("branch")),
        (&sent.host, sent.port, sent.param("branch")),
        "the carrier's own Via comes back"
    );
    assert_eq!(done.call_id().unwrap(), call.call_id);
    assert_eq!(done.to_tag(), call.remote_tag, "our tag");
    assert_eq!(done.cseq().unwrap().seq, sent_bye.cseq().unwrap().seq);
    assert_public(&Message::Response(done), "200 for the BYE");
    drop(server);
}
