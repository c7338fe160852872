//! Call features and admission through the whole server over UDP: do-not-disturb, the
//! per-extension call limit, forward-always, caller authentication (wrong password, a From
//! that names someone else) and RFC 4028 session timers on the caller's leg.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::calls::{
    CalleeDialog, CallerDialog, establish, establish_with, final_for, hang_up_from_caller,
    invite_with_auth, office, quiet_for, records_after_calls, request_of, rtp_socket, sdp,
    set_features,
};
use pbx::Disposition;
use sip::{HeaderName, Message, Method};
use store::FeaturesUpdate;

/// Asserts nothing but (possibly) non-INVITE chatter reaches `conn` for a moment.
async fn no_invite(conn: &mut common::Conn, who: &str) {
    if let Some(Message::Request(r)) = quiet_for(conn, 300).await {
        assert_ne!(r.method, Method::Invite, "{who} was rung");
    }
}

/// Calls `to` from `phone` with credentials and returns the final response (ACKed when it
/// is not a 2xx).
async fn call_final(phone: &mut common::Phone, to: &str, extra: &str) -> sip::Response {
    let rtp = rtp_socket().await;
    let mut a = CallerDialog::new(phone.conn.local(), &phone.user, to);
    let offer = sdp("caller", rtp.local_addr().unwrap(), "sendrecv");
    let (user, pw) = (phone.user.clone(), phone.password.clone());
    invite_with_auth(&mut phone.conn, &mut a, &user, &pw, Some(&offer), extra).await;
    let r = final_for(&mut phone.conn, Method::Invite).await;
    if r.status >= 300 {
        phone.conn.send(&a.ack_failure(&r)).await;
    }
    r
}

#[tokio::test]
async fn dnd_makes_the_callee_busy() {
    let (server, _dir, [mut alice, mut bob]) = office::<2>((43500, 43599)).await;
    set_features(
        &server,
        "1002",
        FeaturesUpdate {
            dnd: Some(true),
            ..FeaturesUpdate::default()
        },
    )
    .await;

    let r = call_final(&mut alice, "1002", "").await;
    assert_eq!(r.status, 486, "{r:?}");
    no_invite(&mut bob.conn, "a DND callee").await;

    let records = records_after_calls(&server).await;
    assert_eq!(records.len(), 1, "{records:?}");
    let rec = &records[0];
    assert_eq!(rec.disposition, Disposition::Busy, "{rec:?}");
    assert_eq!(rec.sip_cause, Some(486));
    assert_eq!((rec.caller.as_str(), rec.callee.as_str()), ("1001", "1002"));
    assert!(rec.answer_ms.is_none() && rec.end_ms.is_some());
    server.shutdown().await;
}

#[tokio::test]
async fn max_calls_one_makes_a_second_caller_busy() {
    let (server, _dir, [mut alice, mut bob, mut carol]) = office::<3>((43600, 43699)).await;
    set_features(
        &server,
        "1002",
        FeaturesUpdate {
            max_calls: Some(Some(1)),
            ..FeaturesUpdate::default()
        },
    )
    .await;

    let mut first = establish(&mut alice, &mut bob, "1002").await;
    assert_eq!(server.active_calls().len(), 1);

    let r = call_final(&mut carol, "1002", "").await;
    assert_eq!(r.status, 486, "second call to a full extension: {r:?}");
    no_invite(&mut bob.conn, "a callee at its limit").await;

    hang_up_from_caller(&mut alice, &mut bob, &mut first).await;
    let records = records_after_calls(&server).await;
    assert_eq!(records.len(), 2, "{records:?}");
    let busy = records
        .iter()
        .find(|r| r.caller == "1003")
        .expect("carol's record");
    assert_eq!(busy.disposition, Disposition::Busy, "{busy:?}");
    assert_eq!(busy.sip_cause, Some(486));
    let answered = records
        .iter()
        .find(|r| r.caller == "1001")
        .expect("alice's record");
    assert_eq!(answered.disposition, Disposition::Answered);
    server.shutdown().await;
}

#[tokio::test]
async fn forward_always_rings_the_target_instead() {
    let (server, _dir, [mut alice, mut bob, mut carol]) = office::<3>((43700, 43799)).await;
    set_features(
        &server,
        "1002",
        FeaturesUpdate {
            forward_always: Some(Some("1003".into())),
            ..FeaturesUpdate::default()
        },
    )
    .await;

    // Dialing 1002 rings 1003; 1002 hears nothing.
    let mut call = establish(&mut alice, &mut carol, "1002").await;
    let to = call.b.invite.to_header().unwrap();
    assert!(
        to.uri.to_string().contains("1003@"),
        "forwarded INVITE To: {to:?}"
    );
    no_invite(&mut bob.conn, "the forwarding extension").await;

    hang_up_from_caller(&mut alice, &mut carol, &mut call).await;
    let records = records_after_calls(&server).await;
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(
        (r.caller.as_str(), r.callee.as_str(), r.dialed.as_str()),
        ("1001", "1003", "1002"),
        "{r:?}"
    );
    assert_eq!(r.disposition, Disposition::Answered);
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_password_is_403_without_a_record() {
    let (server, _dir, [mut alice, mut bob]) = office::<2>((43800, 43899)).await;
    let rtp = rtp_socket().await;
    let mut a = CallerDialog::new(alice.conn.local(), "1001", "1002");
    let offer = sdp("alice", rtp.local_addr().unwrap(), "sendrecv");
    invite_with_auth(
        &mut alice.conn,
        &mut a,
        "1001",
        "not-the-secret",
        Some(&offer),
        "",
    )
    .await;
    let r = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(r.status, 403, "{r:?}");
    alice.conn.send(&a.ack_failure(&r)).await;
    no_invite(&mut bob.conn, "the callee of an unauthenticated call").await;

    let records = records_after_calls(&server).await;
    assert!(
        records.is_empty(),
        "a refused caller left a record: {records:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_authenticated_extension_is_the_caller_whatever_from_says() {
    let (server, _dir, [mut alice, mut bob]) = office::<2>((43900, 43999)).await;
    let rtp = rtp_socket().await;
    // From says 1003; the credentials are 1001's.
    let mut a = CallerDialog::new(alice.conn.local(), "1003", "1002");
    let offer = sdp("alice", rtp.local_addr().unwrap(), "sendrecv");
    invite_with_auth(
        &mut alice.conn,
        &mut a,
        "1001",
        "alice-secret",
        Some(&offer),
        "",
    )
    .await;
    let inv = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("INVITE reaches the callee");
    let from = inv.from_header().unwrap().uri.to_string();
    assert!(from.contains("1001@"), "callee sees {from}");
    assert!(
        !String::from_utf8_lossy(&inv.to_bytes()).contains("1003"),
        "the claimed identity crossed:\n{}",
        String::from_utf8_lossy(&inv.to_bytes())
    );
    let b = CalleeDialog::new(&bob, &inv);
    bob.conn.send(&b.respond(&inv, 486, None)).await;
    request_of(&mut bob.conn, Method::Ack)
        .await
        .expect("486 is ACKed");
    let r = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(r.status, 486);
    alice.conn.send(&a.ack_failure(&r)).await;

    let records = records_after_calls(&server).await;
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].caller, "1001", "{:?}", records[0]);
    server.shutdown().await;
}

#[tokio::test]
async fn session_timer_is_agreed_with_the_caller() {
    let (server, _dir, [mut alice, mut bob]) = office::<2>((44000, 44099)).await;

    let mut call = establish_with(
        &mut alice,
        &mut bob,
        "1002",
        "Session-Expires: 1800\r\nSupported: timer\r\n",
    )
    .await;
    assert_eq!(
        call.ok.headers.get(&HeaderName::SessionExpires),
        Some("1800;refresher=uac"),
        "{:?}",
        call.ok
    );
    let require: Vec<&str> = call.ok.headers.get_all(&HeaderName::Require).collect();
    assert!(
        require
            .iter()
            .flat_map(|v| v.split(','))
            .any(|t| t.trim() == "timer"),
        "Require: {require:?}"
    );
    hang_up_from_caller(&mut alice, &mut bob, &mut call).await;

    // Without Supported: timer the interval is still agreed, but nothing is required.
    let mut call = establish_with(&mut alice, &mut bob, "1002", "Session-Expires: 1800\r\n").await;
    assert_eq!(
        call.ok.headers.get(&HeaderName::SessionExpires),
        Some("1800;refresher=uac")
    );
    assert!(
        !call
            .ok
            .headers
            .get_all(&HeaderName::Require)
            .any(|v| v.contains("timer")),
        "{:?}",
        call.ok
    );
    hang_up_from_caller(&mut alice, &mut bob, &mut call).await;

    // Too small: 422 with Min-SE, and the callee never rings.
    let r = call_final(
        &mut alice,
        "1002",
        "Session-Expires: 30\r\nSupported: timer\r\n",
    )
    .await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(r.headers.get(&HeaderName::MinSe), Some("90"), "{r:?}");
    no_invite(&mut bob.conn, "the callee of a 422'd call").await;

    let records = records_after_calls(&server).await;
    assert_eq!(records.len(), 3, "{records:?}");
    let failed: Vec<_> = records
        .iter()
        .filter(|r| r.sip_cause == Some(422))
        .collect();
    assert_eq!(failed.len(), 1, "{records:?}");
    assert_eq!(failed[0].disposition, Disposition::Failed);
    server.shutdown().await;
}

/// A forwarding loop (back through another server or a trunk) must end: the callee's leg
/// carries the caller's Max-Forwards less one, and an INVITE arriving with 0 gets 483.
#[tokio::test]
async fn max_forwards_goes_down_by_one_and_zero_is_483() {
    let (server, _dir, [mut alice, mut bob]) = office::<2>((44100, 44199)).await;
    let rtp = rtp_socket().await;
    let offer = sdp("caller", rtp.local_addr().unwrap(), "sendrecv");

    let mut a = CallerDialog::new(alice.conn.local(), "1001", "1002");
    invite_with_auth(
        &mut alice.conn,
        &mut a,
        "1001",
        "alice-secret",
        Some(&offer),
        "",
    )
    .await;
    let b_invite = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("the callee is rung");
    assert_eq!(b_invite.headers.get(&HeaderName::MaxForwards), Some("69"));
    let busy = common::calls::answer_for(&b_invite, 486, "b1", "sip:1002@127.0.0.1", None);
    bob.conn.send(&busy).await;
    let r = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(r.status, 486);
    alice.conn.send(&a.ack_failure(&r)).await;

    // The same with no hops left: refused before anyone is rung.
    let mut a = CallerDialog::new(alice.conn.local(), "1001", "1002");
    let first = a.invite(Some(&offer), "", None);
    alice.conn.send(&first).await;
    let challenge = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(challenge.status, 407);
    alice.conn.send(&a.ack_failure(&challenge)).await;
    let header = challenge
        .headers
        .get(&HeaderName::ProxyAuthenticate)
        .unwrap()
        .to_owned();
    let creds = sip::digest::Credentials::answer(
        &sip::digest::Challenge::parse(&header).unwrap(),
        "1001",
        "alice-secret",
        "INVITE",
        &format!("sip:1002@{}", common::DOMAIN),
        "c0ffee",
        1,
    );
    let second = a.invite(Some(&offer), "", Some(&creds.to_string()));
    let second = String::from_utf8(second)
        .unwrap()
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    alice.conn.send(second.as_bytes()).await;
    let r = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(r.status, 483, "{r:?}");
    alice.conn.send(&a.ack_failure(&r)).await;
    no_invite(&mut bob.conn, "a callee behind an exhausted Max-Forwards").await;
    server.shutdown().await;
}

/// Reliable provisionals (PRACK) and Replaces are not implemented: a caller that requires
/// them is told so (420 with Unsupported) instead of getting a call that breaks later.
#[tokio::test]
async fn requiring_an_unimplemented_extension_gets_420() {
    let (server, _dir, [mut alice, _bob]) = office::<2>((44200, 44299)).await;
    for tag in ["100rel", "replaces"] {
        let mut a = CallerDialog::new(alice.conn.local(), "1001", "1002");
        let invite = a.invite(None, &format!("Require: {tag}\r\n"), None);
        alice.conn.send(&invite).await;
        let r = final_for(&mut alice.conn, Method::Invite).await;
        assert_eq!(r.status, 420, "{r:?}");
        assert_eq!(r.headers.get(&HeaderName::Unsupported), Some(tag));
        alice.conn.send(&a.ack_failure(&r)).await;
    }
    server.shutdown().await;
}
