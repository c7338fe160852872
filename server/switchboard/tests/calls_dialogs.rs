//! Call dialogs through the whole server over UDP, played by hand on both sides: a parallel
//! fork to two contacts of one extension, a late offer (INVITE without SDP), hold by
//! re-INVITE from the callee and glare (491), and legs that answer 481.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::bindings;
use common::calls::{
    CalleeDialog, CallerDialog, assert_anchored, boot_with, establish, final_for,
    hang_up_from_caller, invite_with_auth, is_sdp, quiet_for, records_after_calls, recv_rtp,
    registered, request_of, rtp, rtp_socket, sdp, sdp_direction, sdp_port,
};
use pbx::Disposition;
use sip::{Message, Method};

const SERVER_IP: &str = "127.0.0.1";

#[tokio::test]
async fn parallel_fork_first_2xx_wins_and_the_other_contact_is_cancelled() {
    let ports = (43000, 43099);
    let (server, udp, _dir) =
        boot_with(ports, &[("1001", "alice-secret"), ("1002", "bob-secret")]).await;
    let mut alice = registered(udp, "1001", "alice-secret").await;
    let mut bob1 = registered(udp, "1002", "bob-secret").await;
    let mut bob2 = registered(udp, "1002", "bob-secret").await;
    assert_eq!(bindings(&server, "1002").await.len(), 2, "two contacts");
    let a_rtp = rtp_socket().await;
    let b1_rtp = rtp_socket().await;
    let b2_rtp = rtp_socket().await;
    let a_port = a_rtp.local_addr().unwrap().port();

    let mut a = CallerDialog::new(alice.conn.local(), "1001", "1002");
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

    // Both contacts ring, with one B-leg Call-ID and anchored SDP.
    let inv1 = request_of(&mut bob1.conn, Method::Invite)
        .await
        .expect("INVITE reaches the first contact");
    let inv2 = request_of(&mut bob2.conn, Method::Invite)
        .await
        .expect("INVITE reaches the second contact");
    assert_eq!(inv1.call_id().unwrap(), inv2.call_id().unwrap());
    assert_ne!(inv1.call_id().unwrap(), a.call_id);
    assert_ne!(
        inv1.top_via().unwrap().branch().map(str::to_owned),
        inv2.top_via().unwrap().branch().map(str::to_owned),
        "each fork is its own transaction"
    );
    assert_anchored(&inv1.body, SERVER_IP, ports, &[a_port]);
    assert_anchored(&inv2.body, SERVER_IP, ports, &[a_port]);
    let d1 = CalleeDialog::new(&bob1, &inv1);
    let d2 = CalleeDialog::new(&bob2, &inv2);
    bob1.conn.send(&d1.respond(&inv1, 180, None)).await;
    bob2.conn.send(&d2.respond(&inv2, 180, None)).await;

    // The second contact answers first.
    let answer = sdp("bob2", b2_rtp.local_addr().unwrap(), "sendrecv");
    bob2.conn.send(&d2.respond(&inv2, 200, Some(answer))).await;
    let ack2 = request_of(&mut bob2.conn, Method::Ack)
        .await
        .expect("the winner's 200 is ACKed");
    assert_eq!(
        ack2.to_header().unwrap().tag(),
        Some(d2.tag.as_str()),
        "ACK in the winner's dialog"
    );

    // The first contact is cancelled: CANCEL 200, INVITE 487, and its 487 is ACKed.
    let cancel = request_of(&mut bob1.conn, Method::Cancel)
        .await
        .expect("the losing contact gets a CANCEL");
    assert_eq!(cancel.cseq().unwrap().seq, inv1.cseq().unwrap().seq);
    assert_eq!(
        cancel.top_via().unwrap().branch(),
        inv1.top_via().unwrap().branch(),
        "CANCEL matches the INVITE's transaction"
    );
    bob1.conn.send(&d1.respond(&cancel, 200, None)).await;
    bob1.conn.send(&d1.respond(&inv1, 487, None)).await;
    let ack1 = request_of(&mut bob1.conn, Method::Ack)
        .await
        .expect("the 487 is ACKed");
    assert_eq!(
        ack1.top_via().unwrap().branch(),
        inv1.top_via().unwrap().branch()
    );

    // The caller hears 180, then 200 with SDP anchored at the server.
    let mut saw_ringing = false;
    let ok = loop {
        let r = common::calls::next_response(&mut alice.conn).await;
        if r.status == 180 {
            saw_ringing = true;
        }
        if r.status >= 200 && r.cseq().unwrap().method == Method::Invite {
            break r;
        }
    };
    assert!(saw_ringing, "180 relayed to the caller");
    assert_eq!(ok.status, 200);
    let b2_port = b2_rtp.local_addr().unwrap().port();
    let b1_port = b1_rtp.local_addr().unwrap().port();
    assert_anchored(&ok.body, SERVER_IP, ports, &[b1_port, b2_port]);
    a.on_2xx(&ok);
    alice.conn.send(&a.ack(None)).await;

    // Media goes to the contact that answered.
    let relay_a = sdp_port(&ok.body);
    for seq in 0..5u16 {
        a_rtp
            .send_to(&rtp(seq, 0xa11ce), (udp.ip(), relay_a))
            .await
            .unwrap();
    }
    let got = recv_rtp(&b2_rtp).await.expect("RTP reaches the winner");
    assert_eq!(&got[8..12], &0xa11ceu32.to_be_bytes());

    // Hang up: only the winner gets a BYE.
    let bye = a.request("BYE", None);
    alice.conn.send(&bye).await;
    assert_eq!(final_for(&mut alice.conn, Method::Bye).await.status, 200);
    let b_bye = request_of(&mut bob2.conn, Method::Bye)
        .await
        .expect("BYE to the winner");
    bob2.conn.send(&d2.respond(&b_bye, 200, None)).await;
    if let Some(Message::Request(r)) = quiet_for(&mut bob1.conn, 300).await {
        assert_ne!(r.method, Method::Bye, "the cancelled contact got a BYE");
    }

    let records = records_after_calls(&server).await;
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(r.disposition, Disposition::Answered, "{r:?}");
    assert_eq!((r.caller.as_str(), r.callee.as_str()), ("1001", "1002"));
    assert!(r.answer_ms.is_some() && r.end_ms.is_some());
    server.shutdown().await;
}

#[tokio::test]
async fn late_offer_invite_without_sdp_gets_the_offer_in_200_and_the_answer_in_ack() {
    let ports = (43100, 43199);
    let (server, udp, _dir) =
        boot_with(ports, &[("1001", "alice-secret"), ("1002", "bob-secret")]).await;
    let mut alice = registered(udp, "1001", "alice-secret").await;
    let mut bob = registered(udp, "1002", "bob-secret").await;
    let a_rtp = rtp_socket().await;
    let b_rtp = rtp_socket().await;
    let a_port = a_rtp.local_addr().unwrap().port();
    let b_port = b_rtp.local_addr().unwrap().port();

    let mut a = CallerDialog::new(alice.conn.local(), "1001", "1002");
    invite_with_auth(&mut alice.conn, &mut a, "1001", "alice-secret", None, "").await;
    let inv = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("INVITE reaches the callee");
    assert!(
        inv.body.is_empty(),
        "offerless INVITE must stay offerless: {:?}",
        String::from_utf8_lossy(&inv.body)
    );
    let b = CalleeDialog::new(&bob, &inv);
    let offer = sdp("bob", b_rtp.local_addr().unwrap(), "sendrecv");
    bob.conn.send(&b.respond(&inv, 200, Some(offer))).await;

    // The caller's 200 carries the callee's offer, anchored.
    let ok = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(ok.status, 200);
    assert!(is_sdp(ok.content_type()), "200 without SDP: {ok:?}");
    assert_anchored(&ok.body, SERVER_IP, ports, &[b_port, a_port]);
    let relay_a = sdp_port(&ok.body);
    a.on_2xx(&ok);

    // The callee's ACK must wait for the caller's answer.
    if let Some(Message::Request(r)) = quiet_for(&mut bob.conn, 300).await {
        assert_ne!(
            r.method,
            Method::Ack,
            "callee ACKed before the caller answered: {}",
            String::from_utf8_lossy(&r.to_bytes())
        );
    }
    let answer = sdp("alice", a_rtp.local_addr().unwrap(), "sendrecv");
    alice.conn.send(&a.ack(Some(&answer))).await;
    let ack = request_of(&mut bob.conn, Method::Ack)
        .await
        .expect("ACK reaches the callee");
    assert_eq!(ack.cseq().unwrap().seq, inv.cseq().unwrap().seq);
    assert!(
        is_sdp(ack.content_type()),
        "callee's ACK without SDP: {}",
        String::from_utf8_lossy(&ack.to_bytes())
    );
    assert_anchored(&ack.body, SERVER_IP, ports, &[a_port, b_port]);
    let relay_b = sdp_port(&ack.body);
    assert_ne!(relay_a, relay_b);

    // Media both ways: the relay learned both ends.
    for seq in 0..5u16 {
        a_rtp
            .send_to(&rtp(seq, 0xa11ce), (udp.ip(), relay_a))
            .await
            .unwrap();
    }
    let got = recv_rtp(&b_rtp)
        .await
        .expect("caller's RTP reaches the callee");
    assert_eq!(&got[8..12], &0xa11ceu32.to_be_bytes());
    for seq in 0..5u16 {
        b_rtp
            .send_to(&rtp(seq, 0xb0b), (udp.ip(), relay_b))
            .await
            .unwrap();
    }
    let got = recv_rtp(&a_rtp)
        .await
        .expect("callee's RTP reaches the caller");
    assert_eq!(&got[8..12], &0xb0bu32.to_be_bytes());

    let bye = a.request("BYE", None);
    alice.conn.send(&bye).await;
    assert_eq!(final_for(&mut alice.conn, Method::Bye).await.status, 200);
    let b_bye = request_of(&mut bob.conn, Method::Bye).await.expect("BYE");
    bob.conn.send(&b.respond(&b_bye, 200, None)).await;
    let records = records_after_calls(&server).await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].disposition, Disposition::Answered);
    server.shutdown().await;
}

#[tokio::test]
async fn hold_from_the_callee_is_relayed_and_glare_gets_491() {
    let ports = (43200, 43299);
    let (server, udp, _dir) =
        boot_with(ports, &[("1001", "alice-secret"), ("1002", "bob-secret")]).await;
    let mut alice = registered(udp, "1001", "alice-secret").await;
    let mut bob = registered(udp, "1002", "bob-secret").await;
    let mut call = establish(&mut alice, &mut bob, "1002").await;
    let relay_a = sdp_port(&call.ok.body);
    let relay_b = sdp_port(&call.b.invite.body);
    let a_addr = call.a_rtp.local_addr().unwrap();
    let b_addr = call.b_rtp.local_addr().unwrap();
    // Let the caller's ACK land before the next offer.
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The callee puts the caller on hold.
    let hold = call
        .b
        .request("INVITE", Some(&sdp("bob", b_addr, "sendonly")));
    bob.conn.send(&hold).await;
    let a_reinv = request_of(&mut alice.conn, Method::Invite)
        .await
        .expect("re-INVITE reaches the caller");
    assert_eq!(
        a_reinv.call_id().unwrap(),
        call.a.call_id,
        "in the caller's dialog"
    );
    assert_eq!(
        a_reinv.to_header().unwrap().tag(),
        Some(call.a.tag.as_str()),
        "To tag is the caller's"
    );
    assert_eq!(sdp_direction(&a_reinv.body), "sendonly");
    assert_anchored(
        &a_reinv.body,
        SERVER_IP,
        ports,
        &[a_addr.port(), b_addr.port()],
    );
    assert_eq!(
        sdp_port(&a_reinv.body),
        relay_a,
        "the caller's relay port stays"
    );
    let a_answer = sdp("alice", a_addr, "recvonly");
    alice
        .conn
        .send(&common::calls::answer_for(
            &a_reinv,
            200,
            &call.a.tag,
            &call.a.contact(),
            Some(a_answer),
        ))
        .await;
    let a_ack = request_of(&mut alice.conn, Method::Ack)
        .await
        .expect("the caller's 200 is ACKed");
    assert_eq!(a_ack.cseq().unwrap().seq, a_reinv.cseq().unwrap().seq);

    let b_ok = final_for(&mut bob.conn, Method::Invite).await;
    assert_eq!(b_ok.status, 200);
    assert_eq!(sdp_direction(&b_ok.body), "recvonly");
    assert_anchored(
        &b_ok.body,
        SERVER_IP,
        ports,
        &[a_addr.port(), b_addr.port()],
    );
    assert_eq!(
        sdp_port(&b_ok.body),
        relay_b,
        "the callee's relay port stays"
    );
    bob.conn.send(&call.b.ack(None)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Glare: the caller's re-INVITE is at the callee, unanswered, when the callee sends one.
    let resume = call
        .a
        .request("INVITE", Some(&sdp("alice", a_addr, "sendrecv")));
    alice.conn.send(&resume).await;
    let b_reinv = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("the caller's re-INVITE reaches the callee");
    assert_eq!(sdp_direction(&b_reinv.body), "sendrecv");
    let glare = call
        .b
        .request("INVITE", Some(&sdp("bob", b_addr, "sendrecv")));
    bob.conn.send(&glare).await;
    let r491 = final_for(&mut bob.conn, Method::Invite).await;
    assert_eq!(r491.status, 491, "glare must be 491: {r491:?}");
    assert_eq!(r491.cseq().unwrap().seq, call.b.invite_cseq);
    bob.conn.send(&call.b.ack_failure(&r491)).await;
    if let Some(Message::Request(r)) = quiet_for(&mut alice.conn, 200).await {
        assert_ne!(r.method, Method::Invite, "the glaring re-INVITE crossed");
    }

    // The callee answers the caller's re-INVITE; the call goes on.
    bob.conn
        .send(
            &call
                .b
                .respond(&b_reinv, 200, Some(sdp("bob", b_addr, "sendrecv"))),
        )
        .await;
    request_of(&mut bob.conn, Method::Ack)
        .await
        .expect("callee's 200 is ACKed");
    let a_ok = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(a_ok.status, 200);
    assert_eq!(sdp_direction(&a_ok.body), "sendrecv");
    alice.conn.send(&call.a.ack(None)).await;

    hang_up_from_caller(&mut alice, &mut bob, &mut call).await;
    let records = records_after_calls(&server).await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].disposition, Disposition::Answered);
    server.shutdown().await;
}

#[tokio::test]
async fn callee_answering_bye_with_481_still_ends_the_call() {
    let ports = (43300, 43399);
    let (server, udp, _dir) =
        boot_with(ports, &[("1001", "alice-secret"), ("1002", "bob-secret")]).await;
    let mut alice = registered(udp, "1001", "alice-secret").await;
    let mut bob = registered(udp, "1002", "bob-secret").await;
    let mut call = establish(&mut alice, &mut bob, "1002").await;
    assert_eq!(server.active_calls().len(), 1);

    let bye = call.a.request("BYE", None);
    alice.conn.send(&bye).await;
    assert_eq!(final_for(&mut alice.conn, Method::Bye).await.status, 200);
    let b_bye = request_of(&mut bob.conn, Method::Bye).await.expect("BYE");
    bob.conn.send(&call.b.respond(&b_bye, 481, None)).await;

    let records = records_after_calls(&server).await;
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(r.disposition, Disposition::Answered, "{r:?}");
    assert!(r.end_ms.is_some(), "record closed: {r:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_reinvite_answered_481_by_the_other_leg_ends_the_call() {
    let ports = (43400, 43499);
    let (server, udp, _dir) =
        boot_with(ports, &[("1001", "alice-secret"), ("1002", "bob-secret")]).await;
    let mut alice = registered(udp, "1001", "alice-secret").await;
    let mut bob = registered(udp, "1002", "bob-secret").await;
    let mut call = establish(&mut alice, &mut bob, "1002").await;
    let b_addr = call.b_rtp.local_addr().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The caller's phone forgot the dialog: it answers the forwarded re-INVITE 481.
    let reinv = call
        .b
        .request("INVITE", Some(&sdp("bob", b_addr, "sendonly")));
    bob.conn.send(&reinv).await;
    let a_reinv = request_of(&mut alice.conn, Method::Invite)
        .await
        .expect("re-INVITE reaches the caller");
    alice
        .conn
        .send(&common::calls::answer_for(
            &a_reinv,
            481,
            &call.a.tag,
            &call.a.contact(),
            None,
        ))
        .await;
    let b_final = final_for(&mut bob.conn, Method::Invite).await;
    assert_eq!(b_final.status, 481, "the callee hears 481: {b_final:?}");
    bob.conn.send(&call.b.ack_failure(&b_final)).await;

    // Both legs are hung up.
    let b_bye = request_of(&mut bob.conn, Method::Bye)
        .await
        .expect("BYE to the callee");
    bob.conn.send(&call.b.respond(&b_bye, 200, None)).await;
    let a_bye = request_of(&mut alice.conn, Method::Bye)
        .await
        .expect("BYE to the caller");
    alice
        .conn
        .send(&common::calls::answer_for(
            &a_bye,
            481,
            &call.a.tag,
            &call.a.contact(),
            None,
        ))
        .await;

    let records = records_after_calls(&server).await;
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(r.disposition, Disposition::Answered, "{r:?}");
    assert_eq!(r.sip_cause, Some(481), "{r:?}");
    assert!(r.end_ms.is_some());
    server.shutdown().await;
}
