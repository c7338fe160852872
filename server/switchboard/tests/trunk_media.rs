//! Media through a trunk, proven by what each side decodes: a browser (str0m: ICE,
//! DTLS-SRTP, Opus) calls out through a trunk to an in-test provider that answers PCMU, and
//! each hears the other's tone (Goertzel); a trunk that requires SRTP gets `RTP/SAVP` with
//! `a=crypto`, and the provider's SRTP decrypts to the caller's tone (and the reverse); a
//! provider that answers a required-SRTP offer plainly is hung up and the caller gets 488;
//! a trunk that only offers SRTP gets the key in `RTP/AVP`, and a plain answer carries
//! plain audio while a keyed answer carries SRTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/trunk.rs"]
mod trunk_helpers;

use std::net::SocketAddr;
use std::time::Duration;

use common::browser::{Browser, RtpPhone, decode_all, dominant, sdp_rtp_addr, tone_frames};
use common::calls::{CallerDialog, final_for, invite_with_auth, office, request_of, sdp};
use common::{Conn, Phone};
use media::codec::Codec;
use media::srtp::{CryptoAttribute, SrtpSession, answer_crypto};
use pbx::trunk::SrtpPolicy;
use sip::Method;
use switchboard::RunningServer;
use tokio::net::UdpSocket;
use trunk_helpers::{
    audio_proto, crypto_lines, drain_datagrams, let_trunks_settle, payloads_of, pcmu_sdp, provider,
    provider_dialog, rtp_packet, trunk,
};

const CALLER_TONE: f64 = 1000.0;
const PROVIDER_TONE: f64 = 600.0;
const DIALED: &str = "12125550199";

/// A server with alice (1001) registered, a provider on 127.0.0.3 and a trunk "acme" to it
/// (PCMU only, `srtp` policy) that the route for North American numbers uses.
async fn office_with_trunk(
    ports: (u16, u16),
    srtp: SrtpPolicy,
) -> (RunningServer, tempfile::TempDir, Phone, Conn) {
    let (server, dir, [alice]) = office::<1>(ports).await;
    let prov = provider("127.0.0.3", server.sip_udp.unwrap()).await;
    let mut acme = trunk("acme", prov.local());
    acme.codecs = vec!["PCMU".into()];
    acme.srtp = srtp;
    server.store.add_trunk(&acme).await.unwrap();
    server
        .store
        .add_route("_1NXXNXXXXXX", &["acme".to_owned()], 0, "+", None)
        .await
        .unwrap();
    let_trunks_settle().await;
    (server, dir, alice, prov)
}

/// The provider's BYE handling after the caller hung up.
async fn caller_hangs_up(alice: &mut Phone, a: &mut CallerDialog, prov: &mut Conn) {
    alice.conn.send(&a.request("BYE", None)).await;
    assert_eq!(final_for(&mut alice.conn, Method::Bye).await.status, 200);
    let bye = request_of(prov, Method::Bye)
        .await
        .expect("BYE reaches the provider");
    let ok = common::calls::answer_for(&bye, 200, "x", "sip:provider@127.0.0.3", None);
    prov.send(&ok).await;
}

#[tokio::test]
async fn a_browser_calls_out_through_a_trunk_and_both_hear_each_other() {
    let (server, _dir, mut alice, mut prov) =
        office_with_trunk((47100, 47199), SrtpPolicy::Off).await;
    let (mut browser, offer) = Browser::offering().await;
    let mut a = CallerDialog::new(alice.conn.local(), "1001", DIALED);
    invite_with_auth(
        &mut alice.conn,
        &mut a,
        "1001",
        "alice-secret",
        Some(&offer),
        "",
    )
    .await;
    let inv = request_of(&mut prov, Method::Invite)
        .await
        .expect("INVITE reaches the provider");
    assert_eq!(
        inv.uri.to_string(),
        format!("sip:+{DIALED}@{}", prov.local())
    );
    let trunk_offer = String::from_utf8(inv.body.clone()).unwrap();
    assert_eq!(audio_proto(&trunk_offer), "RTP/AVP", "{trunk_offer}");
    assert!(trunk_offer.contains("PCMU/8000"), "{trunk_offer}");
    for webrtc in ["opus", "ice-ufrag", "fingerprint", "a=crypto"] {
        assert!(
            !trunk_offer.to_ascii_lowercase().contains(webrtc),
            "the trunk gets plain G.711, no {webrtc}:\n{trunk_offer}"
        );
    }

    let p = provider_dialog(prov.local(), &inv);
    let mut phone = RtpPhone::new().await;
    prov.send(&p.respond(&inv, 180, None)).await;
    let answer = pcmu_sdp(phone.addr(), "RTP/AVP", None);
    prov.send(&p.respond(&inv, 200, Some(answer))).await;
    request_of(&mut prov, Method::Ack)
        .await
        .expect("ACK to the provider");
    let ok = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    a.on_2xx(&ok);
    alice.conn.send(&a.ack(None)).await;
    let browser_answer = String::from_utf8(ok.body.clone()).unwrap();
    assert!(
        browser_answer.contains("UDP/TLS/RTP/SAVPF"),
        "{browser_answer}"
    );
    browser
        .peer
        .accept_answer(std::time::Instant::now(), &browser_answer)
        .unwrap();
    browser.connect().await;

    // One second of tone each way: Opus from the browser, PCMU from the provider.
    let server_b = sdp_rtp_addr(&trunk_offer);
    let opus = tone_frames(Codec::Opus, CALLER_TONE, 50);
    let pcmu = tone_frames(Codec::Pcmu, PROVIDER_TONE, 50);
    for (i, (o, u)) in opus.iter().zip(&pcmu).enumerate() {
        browser.send_frame(o);
        phone.send(server_b, 0, i == 0, u, 160).await;
        browser.run_for(Duration::from_millis(20)).await;
    }
    browser.run_for(Duration::from_millis(200)).await;

    let at_provider = phone.drain();
    let audio: Vec<&[u8]> = at_provider
        .iter()
        .filter(|p| p.0 == 0)
        .map(|p| p.3.as_slice())
        .collect();
    assert!(
        audio.len() >= 40,
        "the provider got {} PCMU frames",
        audio.len()
    );
    let pcm = decode_all(Codec::Pcmu, 8000, audio.into_iter());
    assert_eq!(
        dominant(&pcm[pcm.len() / 3..], 8000),
        1000,
        "the provider hears the browser's tone"
    );
    let heard = browser.heard(48000);
    assert!(
        heard.len() >= 48000 * 8 / 10,
        "browser decoded {}",
        heard.len()
    );
    assert_eq!(
        dominant(&heard[heard.len() / 3..], 48000),
        600,
        "the browser hears the provider's tone"
    );
    assert_eq!(server.trunks().live("acme").map(|l| l.calls), Some(1));

    caller_hangs_up(&mut alice, &mut a, &mut prov).await;
    let records = common::calls::records_after_calls(&server).await;
    let r = records.last().unwrap();
    assert_eq!(r.codec_a.as_deref(), Some("opus/48000"));
    assert_eq!(r.codec_b.as_deref(), Some("PCMU/8000"));
    assert!(
        common::eventually(|| async { server.trunks().live("acme").map(|l| l.calls) == Some(0) })
            .await,
        "the trunk's channel is released"
    );
}

/// How the in-test provider answers the server's offer.
enum ProviderAnswer {
    /// `RTP/SAVP` with a key of its own.
    Savp,
    /// `RTP/AVP` with a key of its own (best-effort SRTP).
    AvpWithKey,
    /// `RTP/AVP`, no key.
    Plain,
}

/// A plain-RTP phone call from alice out through "acme": the provider answers as told and
/// both sides exchange one second of PCMU tone; the provider protects and unprotects with
/// SRTP when keys were exchanged. Returns the trunk's offer.
async fn call_and_exchange_tones(
    alice: &mut Phone,
    prov: &mut Conn,
    how: ProviderAnswer,
) -> String {
    let a_rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let p_rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut a = CallerDialog::new(alice.conn.local(), "1001", DIALED);
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
    let inv = request_of(prov, Method::Invite)
        .await
        .expect("INVITE reaches the provider");
    let trunk_offer = String::from_utf8(inv.body.clone()).unwrap();
    let offered: Vec<CryptoAttribute> = crypto_lines(&trunk_offer)
        .iter()
        .filter_map(|c| CryptoAttribute::parse(c).ok())
        .collect();
    let mut srtp = None;
    let answer = match how {
        ProviderAnswer::Plain => pcmu_sdp(p_rtp.local_addr().unwrap(), "RTP/AVP", None),
        ProviderAnswer::Savp | ProviderAnswer::AvpWithKey => {
            let (theirs, ours) = answer_crypto(&offered, &mut |b: &mut [u8]| rand::fill(b))
                .expect("a usable a=crypto in the offer");
            srtp = Some(SrtpSession::new(&ours, &theirs).unwrap());
            let proto = if matches!(how, ProviderAnswer::Savp) {
                "RTP/SAVP"
            } else {
                "RTP/AVP"
            };
            pcmu_sdp(p_rtp.local_addr().unwrap(), proto, Some(&ours.to_value()))
        }
    };
    let p = provider_dialog(prov.local(), &inv);
    prov.send(&p.respond(&inv, 200, Some(answer))).await;
    request_of(prov, Method::Ack)
        .await
        .expect("ACK to the provider");
    let ok = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    a.on_2xx(&ok);
    alice.conn.send(&a.ack(None)).await;

    let server_a: SocketAddr = sdp_rtp_addr(&String::from_utf8_lossy(&ok.body));
    let server_b = sdp_rtp_addr(&trunk_offer);
    let from_alice = tone_frames(Codec::Pcmu, CALLER_TONE, 50);
    let from_provider = tone_frames(Codec::Pcmu, PROVIDER_TONE, 50);
    for (i, (x, y)) in from_alice.iter().zip(&from_provider).enumerate() {
        let seq = i as u16;
        let ts = u32::from(seq) * 160;
        let pa = rtp_packet(0, seq, ts, 0xa11ce, x);
        a_rtp.send_to(&pa, server_a).await.unwrap();
        let mut pp = rtp_packet(0, seq, ts, 0x9a9a, y);
        if let Some(s) = srtp.as_mut() {
            pp = s.protect_rtp(&pp).unwrap();
        }
        p_rtp.send_to(&pp, server_b).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut at_provider = drain_datagrams(&p_rtp);
    if let Some(s) = srtp.as_mut() {
        let n = at_provider.len();
        at_provider = at_provider
            .iter()
            .filter(|d| d.get(1).is_some_and(|b| !(200..=204).contains(b)))
            .filter_map(|d| s.unprotect_rtp(d).ok())
            .collect();
        assert!(
            at_provider.len() + 5 >= n,
            "{} of {n} packets failed SRTP authentication at the provider",
            n - at_provider.len()
        );
    }
    let audio = payloads_of(&at_provider, 0);
    assert!(audio.len() >= 40, "the provider got {} frames", audio.len());
    let pcm = decode_all(Codec::Pcmu, 8000, audio.iter().map(Vec::as_slice));
    assert_eq!(
        dominant(&pcm[pcm.len() / 3..], 8000),
        1000,
        "the provider hears alice"
    );
    let at_alice = payloads_of(&drain_datagrams(&a_rtp), 0);
    assert!(at_alice.len() >= 40, "alice got {} frames", at_alice.len());
    let pcm = decode_all(Codec::Pcmu, 8000, at_alice.iter().map(Vec::as_slice));
    assert_eq!(
        dominant(&pcm[pcm.len() / 3..], 8000),
        600,
        "alice hears the provider"
    );

    caller_hangs_up(alice, &mut a, prov).await;
    trunk_offer
}

#[tokio::test]
async fn a_trunk_that_requires_srtp_gets_savp_and_encrypted_audio() {
    let (server, _dir, mut alice, mut prov) =
        office_with_trunk((47200, 47299), SrtpPolicy::Require).await;
    let offer = call_and_exchange_tones(&mut alice, &mut prov, ProviderAnswer::Savp).await;
    assert_eq!(audio_proto(&offer), "RTP/SAVP", "{offer}");
    assert!(
        !crypto_lines(&offer).is_empty(),
        "a=crypto offered:\n{offer}"
    );

    // A provider that answers plainly: the trunk leg is hung up, the caller gets 488.
    let a_rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let p_rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut a = CallerDialog::new(alice.conn.local(), "1001", DIALED);
    let body = sdp("alice", a_rtp.local_addr().unwrap(), "sendrecv");
    invite_with_auth(
        &mut alice.conn,
        &mut a,
        "1001",
        "alice-secret",
        Some(&body),
        "",
    )
    .await;
    let inv = request_of(&mut prov, Method::Invite)
        .await
        .expect("INVITE reaches the provider");
    let p = provider_dialog(prov.local(), &inv);
    let plain = pcmu_sdp(p_rtp.local_addr().unwrap(), "RTP/AVP", None);
    prov.send(&p.respond(&inv, 200, Some(plain))).await;
    let refused = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(refused.status, 488, "{refused:?}");
    alice.conn.send(&a.ack_failure(&refused)).await;
    let bye = request_of(&mut prov, Method::Bye)
        .await
        .expect("the unencrypted trunk leg is hung up");
    prov.send(&p.respond(&bye, 200, None)).await;
    assert!(
        common::eventually(|| async { server.trunks().live("acme").map(|l| l.calls) == Some(0) })
            .await,
        "the trunk's channel is released"
    );
}

#[tokio::test]
async fn a_trunk_that_offers_srtp_takes_keys_or_plain_rtp() {
    let (_server, _dir, mut alice, mut prov) =
        office_with_trunk((47300, 47399), SrtpPolicy::Offer).await;
    let offer = call_and_exchange_tones(&mut alice, &mut prov, ProviderAnswer::Plain).await;
    assert_eq!(audio_proto(&offer), "RTP/AVP", "best effort: {offer}");
    assert!(
        !crypto_lines(&offer).is_empty(),
        "a=crypto offered:\n{offer}"
    );
    let offer = call_and_exchange_tones(&mut alice, &mut prov, ProviderAnswer::AvpWithKey).await;
    assert_eq!(audio_proto(&offer), "RTP/AVP", "{offer}");
}
