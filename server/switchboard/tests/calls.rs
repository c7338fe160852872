//! A call between two extensions through the whole server on loopback: two phones register
//! over UDP, one calls the other with digest (407), the callee answers, RTP flows both ways
//! through the relay, the caller hangs up, and the call record is written. Also checks what
//! a B2BUA promises: the callee's INVITE carries nothing of the caller's leg.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::calls::{answer_for, invite, recv_rtp, rtp, sdp, sdp_port};
use common::{Conn, DOMAIN, Phone, add_extension, boot, eventually, test_config, token};
use sip::HeaderName;
use sip::digest::{Challenge, Credentials};
use tokio::net::UdpSocket;

#[tokio::test]
async fn extensions_call_each_other_with_media_and_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path(), None, 0);
    config.media.rtp_ports = (42000, 42099);
    let server = boot(config).await;
    let udp = server.sip_udp.unwrap();
    add_extension(&server, "1001", "alice-secret").await;
    add_extension(&server, "1002", "bob-secret").await;
    let mut alice = Phone::new(Conn::udp(udp).await, "1001", "alice-secret");
    let mut bob = Phone::new(Conn::udp(udp).await, "1002", "bob-secret");
    assert_eq!(alice.register(600).await.status, 200);
    assert_eq!(bob.register(600).await.status, 200);
    let alice_rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let bob_rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();

    // INVITE, 407, ACK, INVITE with credentials.
    let call_id = format!("{}@alice", token());
    let tag = token();
    let offer = sdp("alice", alice_rtp.local_addr().unwrap(), "sendrecv");
    // A header about the caller's network, which must not cross to the callee.
    let secret = "X-Secret-Topology: 10.99.99.99\r\n";
    let local = alice.conn.local();
    let first = invite(
        local,
        "1001",
        "1002",
        1,
        &call_id,
        &tag,
        Some(&offer),
        secret,
        None,
    );
    alice.conn.send(&first).await;
    let challenge = alice.conn.final_response().await;
    assert_eq!(challenge.status, 407);
    assert!(
        challenge.to_tag().is_some(),
        "a final response carries a To tag"
    );
    let header = challenge
        .headers
        .get(&HeaderName::ProxyAuthenticate)
        .unwrap()
        .to_owned();
    let creds = Credentials::answer(
        &Challenge::parse(&header).unwrap(),
        "1001",
        "alice-secret",
        "INVITE",
        &format!("sip:1002@{DOMAIN}"),
        &token(),
        1,
    );
    let to = challenge.headers.get(&HeaderName::To).unwrap().to_owned();
    let via = challenge.headers.get(&HeaderName::Via).unwrap().to_owned();
    let ack = format!(
        "ACK sip:1002@{DOMAIN} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n\
From: \"Caller\" <sip:1001@{DOMAIN}>;tag={tag}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
    );
    alice.conn.send(ack.as_bytes()).await;
    let creds = creds.to_string();
    let second = invite(
        local,
        "1001",
        "1002",
        2,
        &call_id,
        &tag,
        Some(&offer),
        secret,
        Some(&creds),
    );
    alice.conn.send(&second).await;

    // Bob's phone rings with an INVITE that is all Switchboard's.
    let b_invite = bob.conn.request().await.expect("INVITE reaches the callee");
    assert_eq!(b_invite.method, sip::Method::Invite);
    let b_text = String::from_utf8_lossy(&b_invite.to_bytes()).into_owned();
    assert_ne!(b_invite.call_id().unwrap(), call_id);
    assert!(
        !b_text.contains(&call_id) && !b_text.contains(&tag),
        "caller's ids leaked:\n{b_text}"
    );
    assert!(
        !b_text.contains(&alice.conn.local().to_string()),
        "caller's address leaked:\n{b_text}"
    );
    assert!(
        !b_text.contains("10.99.99.99"),
        "unknown header crossed:\n{b_text}"
    );
    assert!(
        b_invite
            .from_header()
            .unwrap()
            .uri
            .to_string()
            .contains("1001@"),
        "caller identity: {b_text}"
    );
    let relay_b = sdp_port(&b_invite.body);
    assert_ne!(relay_b, alice_rtp.local_addr().unwrap().port());
    assert!((42000..=42099).contains(&relay_b), "relay port {relay_b}");

    let b_tag = token();
    let b_contact = format!("sip:1002@{}", bob.conn.local());
    bob.conn
        .send(&answer_for(&b_invite, 180, &b_tag, &b_contact, None))
        .await;
    let ringing = alice.conn.response().await;
    let ringing = if ringing.status == 100 {
        alice.conn.response().await
    } else {
        ringing
    };
    assert_eq!(ringing.status, 180);
    let bob_sdp = format!(
        "v=0\r\no=bob 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=audio {} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
        bob_rtp.local_addr().unwrap().port()
    );
    bob.conn
        .send(&answer_for(
            &b_invite,
            200,
            &b_tag,
            &b_contact,
            Some(bob_sdp),
        ))
        .await;
    let b_ack = bob.conn.request().await.expect("ACK for the callee's 200");
    assert_eq!(b_ack.method, sip::Method::Ack);
    let ok = alice.conn.final_response().await;
    assert_eq!(ok.status, 200);
    let relay_a = sdp_port(&ok.body);
    assert_ne!(relay_a, bob_rtp.local_addr().unwrap().port());
    let ok_text = String::from_utf8_lossy(&ok.to_bytes()).into_owned();
    assert!(
        !ok_text.contains(&b_tag) && !ok_text.contains(&bob.conn.local().to_string()),
        "callee leaked:\n{ok_text}"
    );
    let a_tag = ok.to_tag().unwrap();
    let ok_contact = match ok.contacts().unwrap().into_iter().next() {
        Some(sip::Contact::Addr(a)) => a.uri.to_string(),
        _ => panic!("200 without Contact"),
    };
    let ack = format!(
        "ACK {ok_contact} SIP/2.0\r\nVia: SIP/2.0/UDP {};branch=z9hG4bK{};rport\r\nMax-Forwards: 70\r\n\
From: \"Caller\" <sip:1001@{DOMAIN}>;tag={tag}\r\nTo: <sip:1002@{DOMAIN}>;tag={a_tag}\r\nCall-ID: {call_id}\r\nCSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n",
        alice.conn.local(),
        token()
    );
    alice.conn.send(ack.as_bytes()).await;

    // Media both ways through the relay.
    let server_ip = udp.ip();
    for seq in 0..10u16 {
        alice_rtp
            .send_to(&rtp(seq, 0xa11ce), (server_ip, relay_a))
            .await
            .unwrap();
    }
    let got = recv_rtp(&bob_rtp)
        .await
        .expect("caller's RTP reaches the callee");
    assert_eq!(&got[8..12], &0xa11ceu32.to_be_bytes());
    for seq in 0..10u16 {
        bob_rtp
            .send_to(&rtp(seq, 0xb0b), (server_ip, relay_b))
            .await
            .unwrap();
    }
    let got = recv_rtp(&alice_rtp)
        .await
        .expect("callee's RTP reaches the caller");
    assert_eq!(&got[8..12], &0xb0bu32.to_be_bytes());
    assert_eq!(server.active_calls().len(), 1);

    // The caller hangs up; the callee gets the BYE in its own dialog.
    let bye = format!(
        "BYE {ok_contact} SIP/2.0\r\nVia: SIP/2.0/UDP {};branch=z9hG4bK{};rport\r\nMax-Forwards: 70\r\n\
From: \"Caller\" <sip:1001@{DOMAIN}>;tag={tag}\r\nTo: <sip:1002@{DOMAIN}>;tag={a_tag}\r\nCall-ID: {call_id}\r\nCSeq: 3 BYE\r\nContent-Length: 0\r\n\r\n",
        alice.conn.local(),
        token()
    );
    alice.conn.send(bye.as_bytes()).await;
    assert_eq!(alice.conn.final_response().await.status, 200);
    let b_bye = bob.conn.request().await.expect("BYE reaches the callee");
    assert_eq!(b_bye.method, sip::Method::Bye);
    assert_eq!(b_bye.call_id().unwrap(), b_invite.call_id().unwrap());
    bob.conn
        .send(&answer_for(&b_bye, 200, &b_tag, &b_contact, None))
        .await;

    assert!(eventually(|| async { server.active_calls().is_empty() }).await);
    server.store.flush().await;
    let records = server.store.list_records(None, None).await.unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(
        (r.caller.as_str(), r.callee.as_str(), r.dialed.as_str()),
        ("1001", "1002", "1002")
    );
    assert_eq!(r.disposition, pbx::Disposition::Answered);
    assert!(r.answer_ms.is_some() && r.end_ms.is_some());
    assert_eq!(r.leg_a.packets_in, 10, "{r:?}");
    assert_eq!(r.leg_b.packets_in, 10, "{r:?}");
    assert_eq!(r.codec_b.as_deref(), Some("PCMU/8000"));
    server.shutdown().await;
}
