//! The media bridge between two SIP phones through the whole server: a PCMU phone calls a
//! phone that takes only G.729 (transcoded both ways), and an SRTP phone (SDES keys, RFC
//! 4568) calls a plain one (decrypted one way, encrypted the other).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::Phone;
use common::browser::{RtpPhone, decode_all, dominant, sdp_rtp_addr, tone_frames};
use common::calls::{
    CalleeDialog, CallerDialog, final_for, invite_with_auth, office, quiet_for,
    records_after_calls, request_of,
};
use media::codec::Codec;
use media::srtp::{CryptoAttribute, CryptoSuite, SrtpSession};
use sip::Method;

fn offer(rtp: SocketAddr, proto: &str, formats: &str, extra: &str) -> String {
    format!(
        "v=0\r\no=phone 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
m=audio {port} {proto} {formats}\r\n{extra}a=sendrecv\r\n",
        ip = rtp.ip(),
        port = rtp.port()
    )
}

struct Up {
    a: CallerDialog,
    b: CalleeDialog,
    /// What each phone was told to send to.
    to_server_a: SocketAddr,
    to_server_b: SocketAddr,
    answer_to_a: String,
}

async fn call(
    alice: &mut Phone,
    bob: &mut Phone,
    a_sdp: &str,
    b_sdp: impl FnOnce(&str) -> String,
) -> Up {
    let mut a = CallerDialog::new(alice.conn.local(), &alice.user, "1002");
    let (user, pw) = (alice.user.clone(), alice.password.clone());
    invite_with_auth(&mut alice.conn, &mut a, &user, &pw, Some(a_sdp), "").await;
    let inv = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("INVITE reaches bob");
    let offer_to_b = String::from_utf8(inv.body.clone()).unwrap();
    let b = CalleeDialog::new(bob, &inv);
    bob.conn
        .send(&b.respond(&inv, 200, Some(b_sdp(&offer_to_b))))
        .await;
    request_of(&mut bob.conn, Method::Ack).await.expect("ACK");
    let ok = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    a.on_2xx(&ok);
    alice.conn.send(&a.ack(None)).await;
    let answer_to_a = String::from_utf8(ok.body.clone()).unwrap();
    Up {
        a,
        b,
        to_server_a: sdp_rtp_addr(&answer_to_a),
        to_server_b: sdp_rtp_addr(&offer_to_b),
        answer_to_a,
    }
}

async fn hang_up(alice: &mut Phone, bob: &mut Phone, up: &mut Up) {
    alice.conn.send(&up.a.request("BYE", None)).await;
    assert_eq!(final_for(&mut alice.conn, Method::Bye).await.status, 200);
    let bye = request_of(&mut bob.conn, Method::Bye)
        .await
        .expect("BYE reaches bob");
    bob.conn.send(&up.b.respond(&bye, 200, None)).await;
}

#[tokio::test]
async fn a_pcmu_phone_and_a_g729_only_phone_are_transcoded() {
    let (server, _dir, [mut alice, mut bob]) = office::<2>((45200, 45299)).await;
    let mut pa = RtpPhone::new().await;
    let mut pb = RtpPhone::new().await;
    let a_sdp = offer(pa.addr(), "RTP/AVP", "0", "a=rtpmap:0 PCMU/8000\r\n");
    let b_addr = pb.addr();
    let mut up = call(&mut alice, &mut bob, &a_sdp, |o| {
        assert!(
            o.contains("G729/8000"),
            "we offer what we transcode to:\n{o}"
        );
        offer(b_addr, "RTP/AVP", "18", "a=rtpmap:18 G729/8000\r\n")
    })
    .await;
    assert!(up.answer_to_a.contains("m=audio") && up.answer_to_a.contains("PCMU/8000"));
    let pcmu = tone_frames(Codec::Pcmu, 1000.0, 50);
    let g729 = tone_frames(Codec::G729, 600.0, 50);
    for (x, y) in pcmu.iter().zip(&g729) {
        pa.send(up.to_server_a, 0, false, x, 160).await;
        pb.send(up.to_server_b, 18, false, y, 160).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let at_b: Vec<Vec<u8>> = pb
        .drain()
        .into_iter()
        .filter(|p| p.0 == 18)
        .map(|p| p.3)
        .collect();
    let at_a: Vec<Vec<u8>> = pa
        .drain()
        .into_iter()
        .filter(|p| p.0 == 0)
        .map(|p| p.3)
        .collect();
    assert!(
        at_b.len() >= 45 && at_a.len() >= 45,
        "{} / {}",
        at_b.len(),
        at_a.len()
    );
    let heard_b = decode_all(Codec::G729, 8000, at_b.iter().map(Vec::as_slice));
    let heard_a = decode_all(Codec::Pcmu, 8000, at_a.iter().map(Vec::as_slice));
    assert_eq!(dominant(&heard_b[heard_b.len() / 3..], 8000), 1000);
    assert_eq!(dominant(&heard_a[heard_a.len() / 3..], 8000), 600);

    // bob holds: the bridge answers for his leg alone (recvonly), alice is not disturbed.
    let hold = offer(b_addr, "RTP/AVP", "18", "a=rtpmap:18 G729/8000\r\n")
        .replace("a=sendrecv", "a=sendonly");
    bob.conn.send(&up.b.request("INVITE", Some(&hold))).await;
    let ok = final_for(&mut bob.conn, Method::Invite).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    let held = String::from_utf8(ok.body.clone()).unwrap();
    assert!(
        held.contains("a=recvonly") && held.contains("G729/8000"),
        "{held}"
    );
    assert_eq!(sdp_rtp_addr(&held), up.to_server_b, "same media address");
    bob.conn.send(&up.b.ack(None)).await;
    if let Some(sip::Message::Request(r)) = quiet_for(&mut alice.conn, 300).await {
        assert_ne!(r.method, Method::Invite, "the re-INVITE stays on bob's leg");
    }
    hang_up(&mut alice, &mut bob, &mut up).await;
    let r = records_after_calls(&server).await.pop().unwrap();
    assert_eq!(r.codec_a.as_deref(), Some("PCMU/8000"));
    assert_eq!(r.codec_b.as_deref(), Some("G729/8000"));
}

#[tokio::test]
async fn an_srtp_phone_calls_a_plain_phone() {
    let (_server, _dir, [mut alice, mut bob]) = office::<2>((45300, 45399)).await;
    let pa = RtpPhone::new().await;
    let mut pb = RtpPhone::new().await;
    let key = CryptoAttribute::generate(
        1,
        CryptoSuite::AesCm128HmacSha1_80,
        &mut |b: &mut [u8]| rand::fill(b),
    );
    let a_sdp = offer(
        pa.addr(),
        "RTP/SAVP",
        "0",
        &format!("a=rtpmap:0 PCMU/8000\r\na=crypto:{}\r\n", key.to_value()),
    );
    let b_addr = pb.addr();
    let mut up = call(&mut alice, &mut bob, &a_sdp, |o| {
        assert!(
            o.contains("RTP/AVP") && !o.contains("a=crypto"),
            "a phone is offered plain RTP:\n{o}"
        );
        offer(b_addr, "RTP/AVP", "0", "a=rtpmap:0 PCMU/8000\r\n")
    })
    .await;
    let theirs = up
        .answer_to_a
        .lines()
        .find_map(|l| l.strip_prefix("a=crypto:"))
        .map(|v| CryptoAttribute::parse(v.trim()).unwrap())
        .expect("the answer to an SDES offer carries our key");
    assert!(up.answer_to_a.contains("RTP/SAVP"));
    assert_ne!(
        theirs.key_salt, key.key_salt,
        "the server keys its own stream"
    );
    let mut srtp = SrtpSession::new(&key, &theirs).unwrap();
    let frames_a = tone_frames(Codec::Pcmu, 1000.0, 50);
    let frames_b = tone_frames(Codec::Pcmu, 600.0, 50);
    for (i, (x, y)) in frames_a.iter().zip(&frames_b).enumerate() {
        let mut clear = vec![0x80, 0];
        clear.extend_from_slice(&(i as u16).to_be_bytes());
        clear.extend_from_slice(&(i as u32 * 160).to_be_bytes());
        clear.extend_from_slice(&0x0a0b_0c0du32.to_be_bytes());
        clear.extend_from_slice(x);
        pa.sock
            .send_to(&srtp.protect_rtp(&clear).unwrap(), up.to_server_a)
            .await
            .unwrap();
        pb.send(up.to_server_b, 0, false, y, 160).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let at_b: Vec<Vec<u8>> = pb
        .drain()
        .into_iter()
        .filter(|p| p.0 == 0)
        .map(|p| p.3)
        .collect();
    assert!(
        at_b.len() >= 45,
        "the plain phone got {} clear frames",
        at_b.len()
    );
    let heard_b = decode_all(Codec::Pcmu, 8000, at_b.iter().map(Vec::as_slice));
    assert_eq!(dominant(&heard_b[heard_b.len() / 3..], 8000), 1000);
    let mut buf = vec![0u8; 2048];
    let mut heard_a = Vec::new();
    while let Ok((n, _)) = pa.sock.try_recv_from(&mut buf) {
        let clear = srtp
            .unprotect_rtp(&buf[..n])
            .expect("SRTP under the server's key");
        heard_a.push(clear[12..].to_vec());
    }
    assert!(
        heard_a.len() >= 45,
        "the SRTP phone got {} frames",
        heard_a.len()
    );
    let pcm = decode_all(Codec::Pcmu, 8000, heard_a.iter().map(Vec::as_slice));
    assert_eq!(dominant(&pcm[pcm.len() / 3..], 8000), 600);
    hang_up(&mut alice, &mut bob, &mut up).await;
}

/// A phone that requires SRTP refuses our plain offer with 488; we offer RTP/SAVP with a key
/// and bridge a plain caller to it.
#[tokio::test]
async fn a_phone_that_requires_srtp_gets_it_on_the_second_offer() {
    let (_server, _dir, [mut alice, mut bob]) = office::<2>((45400, 45499)).await;
    let mut pa = RtpPhone::new().await;
    let pb = RtpPhone::new().await;
    let a_sdp = offer(pa.addr(), "RTP/AVP", "0", "a=rtpmap:0 PCMU/8000\r\n");
    let mut a = CallerDialog::new(alice.conn.local(), &alice.user, "1002");
    let (user, pw) = (alice.user.clone(), alice.password.clone());
    invite_with_auth(&mut alice.conn, &mut a, &user, &pw, Some(&a_sdp), "").await;
    let first = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("first INVITE");
    assert!(!String::from_utf8_lossy(&first.body).contains("a=crypto"));
    let b = CalleeDialog::new(&bob, &first);
    bob.conn.send(&b.respond(&first, 488, None)).await;
    let second = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("an SRTP offer follows");
    let offer_b = String::from_utf8(second.body.clone()).unwrap();
    assert!(offer_b.contains("RTP/SAVP"), "{offer_b}");
    let server_key = offer_b
        .lines()
        .find_map(|l| l.strip_prefix("a=crypto:"))
        .map(|v| CryptoAttribute::parse(v.trim()).unwrap())
        .expect("a key in the SRTP offer");
    let our_key =
        CryptoAttribute::generate(server_key.tag, server_key.suite, &mut |b: &mut [u8]| {
            rand::fill(b)
        });
    let b = CalleeDialog::new(&bob, &second);
    let answer = offer(
        pb.addr(),
        "RTP/SAVP",
        "0",
        &format!(
            "a=rtpmap:0 PCMU/8000\r\na=crypto:{}\r\n",
            our_key.to_value()
        ),
    );
    bob.conn.send(&b.respond(&second, 200, Some(answer))).await;
    request_of(&mut bob.conn, Method::Ack).await.expect("ACK");
    let ok = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(ok.status, 200);
    a.on_2xx(&ok);
    alice.conn.send(&a.ack(None)).await;
    let answer_a = String::from_utf8(ok.body.clone()).unwrap();
    assert!(
        answer_a.contains("RTP/AVP") && !answer_a.contains("a=crypto"),
        "{answer_a}"
    );
    // The plain caller's audio reaches the SRTP phone encrypted under the server's key.
    let mut srtp_b = SrtpSession::new(&our_key, &server_key).unwrap();
    for x in tone_frames(Codec::Pcmu, 1000.0, 20) {
        pa.send(sdp_rtp_addr(&answer_a), 0, false, &x, 160).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut buf = vec![0u8; 2048];
    let mut frames = Vec::new();
    while let Ok((n, _)) = pb.sock.try_recv_from(&mut buf) {
        frames.push(srtp_b.unprotect_rtp(&buf[..n]).expect("SRTP")[12..].to_vec());
    }
    assert!(frames.len() >= 18, "{} frames", frames.len());
    let pcm = decode_all(Codec::Pcmu, 8000, frames.iter().map(Vec::as_slice));
    assert_eq!(dominant(&pcm[pcm.len() / 3..], 8000), 1000);
}

/// Digits reach the PBX core in a relayed call too: the relay forwards the events untouched
/// and the call sees the key presses (the live call lists them).
#[tokio::test]
async fn digits_of_a_relayed_call_reach_the_call() {
    let (server, _dir, [mut alice, mut bob]) = office::<2>((45500, 45599)).await;
    let mut pa = RtpPhone::new().await;
    let pb = RtpPhone::new().await;
    let a_sdp = offer(
        pa.addr(),
        "RTP/AVP",
        "0 101",
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
    );
    let b_addr = pb.addr();
    let mut up = call(&mut alice, &mut bob, &a_sdp, |_| {
        offer(
            b_addr,
            "RTP/AVP",
            "0 101",
            "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
        )
    })
    .await;
    for digit in ['4', '2'] {
        for (i, end) in [false, false, true, true, true].into_iter().enumerate() {
            let mut payload = Vec::new();
            media::dtmf::write_event(
                &media::dtmf::DtmfEvent {
                    digit,
                    end,
                    volume: 10,
                    duration: 160 * (i as u16 + 1).min(3),
                },
                &mut payload,
            );
            let ticks = if i == 4 { 800 } else { 0 };
            pa.send(up.to_server_a, 101, i == 0, &payload, ticks).await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let relayed = common::eventually(|| async {
        server.active_calls().first().map(|c| c.digits.clone()) == Some("42".to_owned())
    })
    .await;
    assert!(relayed, "{:?}", server.active_calls());
    let at_b = pb.drain().into_iter().filter(|p| p.0 == 101).count();
    assert_eq!(at_b, 10, "the events themselves are relayed untouched");
    hang_up(&mut alice, &mut bob, &mut up).await;
}
