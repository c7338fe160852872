//! Media through a trunk, proven by what each side decodes. Out: a browser (str0m: ICE,
//! DTLS-SRTP, Opus) calls out through a trunk to an in-test provider that answers PCMU, and
//! each hears the other's tone (Goertzel); a trunk that requires SRTP gets `RTP/SAVP` with
//! `a=crypto`, and the provider's SRTP decrypts to the caller's tone (and the reverse); a
//! provider that answers a required-SRTP offer plainly is hung up and the caller gets 488;
//! a trunk that only offers SRTP gets the key in `RTP/AVP`, and a plain answer carries
//! plain audio while a keyed answer carries SRTP. In, on a DID, by the trunk's media
//! policy: a "G722,PCMU" trunk's offer of PCMU and G.722 is answered G.722 and transcoded
//! for a PCMU-only phone, tones heard both ways; `require` refuses a plain offer 488 and
//! answers `RTP/SAVP` with our key, the carrier's SRTP decrypting both ways; `off` refuses
//! `RTP/SAVP` 488 and answers keys in `RTP/AVP` plainly; `offer` takes a key in `RTP/AVP`;
//! and a browser extension answers a PCMU carrier through the bridge, tones both ways.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/trunk.rs"]
mod trunk_helpers;

use std::net::SocketAddr;
use std::time::Duration;

use common::browser::{Browser, RtpPhone, decode_all, dominant, sdp_rtp_addr, tone_frames};
use common::calls::{
    CalleeDialog, CallerDialog, boot_with, final_for, invite_with_auth, office, quiet_for,
    registered, request_of, sdp,
};
use common::{Conn, Phone};
use media::codec::Codec;
use media::srtp::{CryptoAttribute, CryptoSuite, SrtpSession, answer_crypto};
use pbx::trunk::SrtpPolicy;
use sip::{Method, Response};
use switchboard::RunningServer;
use tokio::net::UdpSocket;
use trunk_helpers::{
    audio_formats, audio_proto, audio_sdp, crypto_lines, did, drain_datagrams, ip_trunk,
    let_trunks_settle, payloads_of, pcmu_sdp, provider, provider_dialog, rtp_packet, trunk,
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
    let mut alice_end = RtpEnd::new(a_rtp, server_a, Codec::Pcmu, 0, CALLER_TONE);
    let mut provider_end = RtpEnd::new(p_rtp, server_b, Codec::Pcmu, 0, PROVIDER_TONE);
    provider_end.srtp = srtp;
    let [at_alice, at_provider] = exchange_tones(&mut alice_end, &mut provider_end).await;
    at_provider.heard(CALLER_TONE, "the provider hears alice");
    at_alice.heard(PROVIDER_TONE, "alice hears the provider");

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

/// One end of an RTP exchange with the server: its socket, where it sends (the server's
/// port for it), the codec and payload type it speaks, its tone, and SRTP keys if any.
struct RtpEnd {
    sock: UdpSocket,
    to: SocketAddr,
    codec: Codec,
    pt: u8,
    tone: f64,
    srtp: Option<SrtpSession>,
}

impl RtpEnd {
    fn new(sock: UdpSocket, to: SocketAddr, codec: Codec, pt: u8, tone: f64) -> RtpEnd {
        RtpEnd {
            sock,
            to,
            codec,
            pt,
            tone,
            srtp: None,
        }
    }
}

/// What one end received: frames of its payload type and the dominant frequency decoded.
struct Heard {
    frames: usize,
    dominant: u32,
}

impl Heard {
    fn heard(&self, tone: f64, what: &str) {
        assert!(self.frames >= 40, "{what}: {} frames arrived", self.frames);
        assert_eq!(f64::from(self.dominant), tone, "{what}");
    }
}

/// One second of each end's tone to the other, in real time; what each end decoded
/// (SRTP unprotected where keys were exchanged, nearly every packet authentic).
async fn exchange_tones(x: &mut RtpEnd, y: &mut RtpEnd) -> [Heard; 2] {
    let frames = [
        tone_frames(x.codec, x.tone, 50),
        tone_frames(y.codec, y.tone, 50),
    ];
    for i in 0..50usize {
        for (end, tone) in [(&mut *x, &frames[0]), (&mut *y, &frames[1])] {
            let seq = i as u16;
            let ts = u32::from(seq) * end.codec.rtp_ticks_per_frame();
            let mut packet = rtp_packet(end.pt, seq, ts, 0x5eed ^ u32::from(end.pt), &tone[i]);
            if let Some(s) = end.srtp.as_mut() {
                packet = s.protect_rtp(&packet).unwrap();
            }
            end.sock.send_to(&packet, end.to).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    [received(x), received(y)]
}

fn received(end: &mut RtpEnd) -> Heard {
    let mut datagrams = drain_datagrams(&end.sock);
    if let Some(s) = end.srtp.as_mut() {
        let n = datagrams.len();
        datagrams = datagrams
            .iter()
            .filter(|d| d.get(1).is_some_and(|b| !(200..=204).contains(b)))
            .filter_map(|d| s.unprotect_rtp(d).ok())
            .collect();
        assert!(
            datagrams.len() + 5 >= n,
            "{} of {n} packets failed SRTP authentication",
            n - datagrams.len()
        );
    }
    let audio = payloads_of(&datagrams, end.pt);
    let rate = end.codec.pcm_rate();
    let pcm = decode_all(end.codec, rate, audio.iter().map(Vec::as_slice));
    Heard {
        frames: audio.len(),
        dominant: dominant(pcm.get(pcm.len() / 3..).unwrap_or_default(), rate),
    }
}

// --- calls in from a trunk ------------------------------------------------------------------

const DID: &str = "+12125550100";
const OUTSIDE_CALLER: &str = "+13125559999";

/// A server with bob (1002) known but not registered, a carrier on 127.0.0.5 whose trunk
/// (authenticated by its address) has `codecs` and the `srtp` policy, and the DID on it
/// ringing 1002.
async fn carrier_office(
    ports: (u16, u16),
    codecs: &[&str],
    srtp: SrtpPolicy,
) -> (RunningServer, tempfile::TempDir, Conn) {
    let (server, udp, dir) = boot_with(ports, &[("1002", "bob-secret")]).await;
    let carrier = provider("127.0.0.5", udp).await;
    let mut t = ip_trunk("carrier", carrier.local());
    t.codecs = codecs.iter().map(|c| (*c).to_owned()).collect();
    t.srtp = srtp;
    server.store.add_trunk(&t).await.unwrap();
    server
        .store
        .add_did(&did(DID, "carrier", &["1002"]))
        .await
        .unwrap();
    (server, dir, carrier)
}

/// The carrier calls the DID with `offer` (no credentials: its address is its name).
async fn carrier_calls(carrier: &mut Conn, offer: &str) -> CallerDialog {
    let mut call = CallerDialog::new(carrier.local(), OUTSIDE_CALLER, "2125550100");
    carrier.send(&call.invite(Some(offer), "", None)).await;
    call
}

/// The carrier's final answer to its INVITE, ACKed (a 2xx also makes the dialog).
async fn carrier_final(carrier: &mut Conn, call: &mut CallerDialog) -> Response {
    let r = final_for(carrier, Method::Invite).await;
    if r.status < 300 {
        call.on_2xx(&r);
        carrier.send(&call.ack(None)).await;
    } else {
        carrier.send(&call.ack_failure(&r)).await;
    }
    r
}

/// The carrier hangs up and the callee (`phone`, in dialog `b`) answers the BYE.
async fn carrier_hangs_up(
    carrier: &mut Conn,
    call: &mut CallerDialog,
    phone: &mut Phone,
    b: &CalleeDialog,
) {
    carrier.send(&call.request("BYE", None)).await;
    let bye = request_of(&mut phone.conn, Method::Bye)
        .await
        .expect("BYE reaches the extension");
    phone.conn.send(&b.respond(&bye, 200, None)).await;
    assert_eq!(final_for(carrier, Method::Bye).await.status, 200);
}

/// The rtpmap codec names of an SDP, in order.
fn codec_names(sdp: &str) -> Vec<String> {
    sdp.lines()
        .filter_map(|l| l.trim().strip_prefix("a=rtpmap:"))
        .filter_map(|v| v.split_whitespace().nth(1))
        .filter(|n| !n.starts_with("telephone-event"))
        .map(str::to_owned)
        .collect()
}

/// A PCMU-only phone answers the DID call: its INVITE, dialog and RTP socket, and the
/// carrier's 200.
async fn pcmu_phone_answers(
    bob: &mut Phone,
    carrier: &mut Conn,
    call: &mut CallerDialog,
) -> (sip::Request, CalleeDialog, UdpSocket, Response) {
    let inv = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("the DID rings 1002");
    let b = CalleeDialog::new(bob, &inv);
    let b_rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let answer = pcmu_sdp(b_rtp.local_addr().unwrap(), "RTP/AVP", None);
    bob.conn.send(&b.respond(&inv, 200, Some(answer))).await;
    request_of(&mut bob.conn, Method::Ack)
        .await
        .expect("ACK for 1002's answer");
    let ok = carrier_final(carrier, call).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    (inv, b, b_rtp, ok)
}

#[tokio::test]
async fn a_call_in_gets_the_trunks_codec_and_the_phone_is_transcoded() {
    let (server, _dir, mut carrier) =
        carrier_office((46300, 46399), &["G722", "PCMU"], SrtpPolicy::Off).await;
    let mut bob = registered(server.sip_udp.unwrap(), "1002", "bob-secret").await;
    let_trunks_settle().await;

    // PCMU first in the offer: the trunk's order, not the provider's, picks G.722.
    let c_rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let offer = audio_sdp(
        c_rtp.local_addr().unwrap(),
        "RTP/AVP",
        &[(0, "PCMU/8000"), (9, "G722/8000")],
        None,
    );
    let mut call = carrier_calls(&mut carrier, &offer).await;
    let (inv, b, b_rtp, ok) = pcmu_phone_answers(&mut bob, &mut carrier, &mut call).await;
    let phone_offer = String::from_utf8(inv.body.clone()).unwrap();
    assert_eq!(
        audio_formats(&phone_offer).first(),
        Some(&9),
        "the phone is offered the trunk's codec first:\n{phone_offer}"
    );
    let answer = String::from_utf8(ok.body.clone()).unwrap();
    assert_eq!(
        codec_names(&answer),
        vec!["G722/8000".to_owned()],
        "answered with the trunk's first codec:\n{answer}"
    );
    assert_eq!(audio_formats(&answer).first(), Some(&9), "{answer}");
    assert_eq!(audio_proto(&answer), "RTP/AVP", "{answer}");

    let mut carrier_end = RtpEnd::new(c_rtp, sdp_rtp_addr(&answer), Codec::G722, 9, PROVIDER_TONE);
    let mut phone_end = RtpEnd::new(
        b_rtp,
        sdp_rtp_addr(&phone_offer),
        Codec::Pcmu,
        0,
        CALLER_TONE,
    );
    let [at_carrier, at_phone] = exchange_tones(&mut carrier_end, &mut phone_end).await;
    at_carrier.heard(CALLER_TONE, "the carrier hears the phone in G.722");
    at_phone.heard(PROVIDER_TONE, "the phone hears the carrier in PCMU");

    carrier_hangs_up(&mut carrier, &mut call, &mut bob, &b).await;
    let records = common::calls::records_after_calls(&server).await;
    let r = records.last().unwrap();
    assert_eq!(r.codec_a.as_deref(), Some("G722/8000"), "{r:?}");
    assert_eq!(r.codec_b.as_deref(), Some("PCMU/8000"), "{r:?}");
}

/// A key of the carrier's own, as its `a=crypto:` value.
fn carrier_key() -> CryptoAttribute {
    CryptoAttribute::generate(
        1,
        CryptoSuite::AesCm128HmacSha1_80,
        &mut |b: &mut [u8]| rand::fill(b),
    )
}

/// The carrier's DID call answered by a PCMU phone, then one second of tone both ways:
/// SRTP on the carrier's side when our answer carried a key for its own. Returns our answer.
async fn keyed_call_in(
    carrier: &mut Conn,
    bob: &mut Phone,
    proto: &str,
    key: Option<&CryptoAttribute>,
) -> String {
    let c_rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let value = key.map(CryptoAttribute::to_value);
    let offer = pcmu_sdp(c_rtp.local_addr().unwrap(), proto, value.as_deref());
    let mut call = carrier_calls(carrier, &offer).await;
    let (inv, b, b_rtp, ok) = pcmu_phone_answers(bob, carrier, &mut call).await;
    let phone_offer = String::from_utf8(inv.body.clone()).unwrap();
    assert_eq!(audio_proto(&phone_offer), "RTP/AVP", "{phone_offer}");
    assert!(crypto_lines(&phone_offer).is_empty(), "{phone_offer}");
    let answer = String::from_utf8(ok.body.clone()).unwrap();
    let ours: Vec<CryptoAttribute> = crypto_lines(&answer)
        .iter()
        .filter_map(|c| CryptoAttribute::parse(c).ok())
        .collect();
    let mut carrier_end = RtpEnd::new(c_rtp, sdp_rtp_addr(&answer), Codec::Pcmu, 0, PROVIDER_TONE);
    if let (Some(mine), Some(theirs)) = (key, ours.first()) {
        assert_ne!(mine.key_salt, theirs.key_salt, "a key of our own");
        carrier_end.srtp = Some(SrtpSession::new(mine, theirs).unwrap());
    }
    let mut phone_end = RtpEnd::new(
        b_rtp,
        sdp_rtp_addr(&phone_offer),
        Codec::Pcmu,
        0,
        CALLER_TONE,
    );
    let [at_carrier, at_phone] = exchange_tones(&mut carrier_end, &mut phone_end).await;
    at_carrier.heard(CALLER_TONE, "the carrier hears the phone");
    at_phone.heard(PROVIDER_TONE, "the phone hears the carrier");
    carrier_hangs_up(carrier, &mut call, bob, &b).await;
    answer
}

/// The carrier's DID call is refused 488 before anything rings.
async fn refused_in(
    carrier: &mut Conn,
    bob: &mut Phone,
    proto: &str,
    key: Option<&CryptoAttribute>,
) {
    let c_rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let value = key.map(CryptoAttribute::to_value);
    let offer = pcmu_sdp(c_rtp.local_addr().unwrap(), proto, value.as_deref());
    let mut call = carrier_calls(carrier, &offer).await;
    let refused = carrier_final(carrier, &mut call).await;
    assert_eq!(
        refused.status,
        488,
        "{proto} key={}: {refused:?}",
        key.is_some()
    );
    assert!(
        quiet_for(&mut bob.conn, 300).await.is_none(),
        "nothing rings for a refused call"
    );
}

#[tokio::test]
async fn a_trunk_that_requires_srtp_refuses_plain_calls_in_and_encrypts_the_rest() {
    let (server, _dir, mut carrier) =
        carrier_office((46400, 46499), &["PCMU"], SrtpPolicy::Require).await;
    let mut bob = registered(server.sip_udp.unwrap(), "1002", "bob-secret").await;
    let_trunks_settle().await;

    refused_in(&mut carrier, &mut bob, "RTP/AVP", None).await;
    let key = carrier_key();
    let answer = keyed_call_in(&mut carrier, &mut bob, "RTP/SAVP", Some(&key)).await;
    assert_eq!(audio_proto(&answer), "RTP/SAVP", "{answer}");
    assert_eq!(crypto_lines(&answer).len(), 1, "our a=crypto:\n{answer}");
    assert!(
        common::eventually(|| async {
            server.trunks().live("carrier").map(|l| l.calls) == Some(0)
        })
        .await,
        "the trunk's channels are released"
    );
}

#[tokio::test]
async fn a_trunk_without_srtp_refuses_savp_and_ignores_keys() {
    let (server, _dir, mut carrier) =
        carrier_office((46500, 46599), &["PCMU"], SrtpPolicy::Off).await;
    let mut bob = registered(server.sip_udp.unwrap(), "1002", "bob-secret").await;
    let_trunks_settle().await;

    let key = carrier_key();
    refused_in(&mut carrier, &mut bob, "RTP/SAVP", Some(&key)).await;
    // Keys in RTP/AVP (best effort) are not taken: a plain answer, plain audio.
    let answer = keyed_call_in(&mut carrier, &mut bob, "RTP/AVP", Some(&key)).await;
    assert_eq!(audio_proto(&answer), "RTP/AVP", "{answer}");
    assert!(
        crypto_lines(&answer).is_empty(),
        "no key of ours:\n{answer}"
    );
}

#[tokio::test]
async fn a_trunk_that_offers_srtp_takes_a_key_in_avp_or_none() {
    let (server, _dir, mut carrier) =
        carrier_office((46600, 46699), &["PCMU"], SrtpPolicy::Offer).await;
    let mut bob = registered(server.sip_udp.unwrap(), "1002", "bob-secret").await;
    let_trunks_settle().await;

    let key = carrier_key();
    let answer = keyed_call_in(&mut carrier, &mut bob, "RTP/AVP", Some(&key)).await;
    assert_eq!(
        audio_proto(&answer),
        "RTP/AVP",
        "answered as offered:\n{answer}"
    );
    assert_eq!(crypto_lines(&answer).len(), 1, "with our key:\n{answer}");
    let answer = keyed_call_in(&mut carrier, &mut bob, "RTP/AVP", None).await;
    assert!(crypto_lines(&answer).is_empty(), "plain:\n{answer}");
}

#[tokio::test]
async fn a_call_in_to_a_browser_is_transcoded_both_ways() {
    let (server, _dir, mut carrier) =
        carrier_office((46700, 46799), &["PCMU", "PCMA"], SrtpPolicy::Off).await;
    let mut bob = Phone::new(Conn::ws(server.http.unwrap()).await, "1002", "bob-secret");
    assert_eq!(bob.register(600).await.status, 200);
    let_trunks_settle().await;

    let c_rtp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let offer = audio_sdp(
        c_rtp.local_addr().unwrap(),
        "RTP/AVP",
        &[(8, "PCMA/8000"), (0, "PCMU/8000")],
        None,
    );
    let mut call = carrier_calls(&mut carrier, &offer).await;
    let inv = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("the DID rings the browser");
    let server_offer = String::from_utf8(inv.body.clone()).unwrap();
    assert!(server_offer.contains("UDP/TLS/RTP/SAVPF"), "{server_offer}");
    let (mut browser, browser_answer) = Browser::answering(&server_offer).await;
    let b = CalleeDialog::new(&bob, &inv);
    bob.conn
        .send(&b.respond(&inv, 200, Some(browser_answer)))
        .await;
    let ok = carrier_final(&mut carrier, &mut call).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    let answer = String::from_utf8(ok.body.clone()).unwrap();
    assert_eq!(
        codec_names(&answer),
        vec!["PCMU/8000".to_owned()],
        "{answer}"
    );
    browser.connect().await;

    // One second of tone each way: PCMU from the carrier, Opus from the browser.
    let server_a = sdp_rtp_addr(&answer);
    let mut phone = RtpPhone::new().await;
    let c_sock = std::mem::replace(&mut phone.sock, c_rtp);
    drop(c_sock);
    let pcmu = tone_frames(Codec::Pcmu, PROVIDER_TONE, 50);
    let opus = tone_frames(Codec::Opus, CALLER_TONE, 50);
    for (i, (u, o)) in pcmu.iter().zip(&opus).enumerate() {
        phone.send(server_a, 0, i == 0, u, 160).await;
        browser.send_frame(o);
        browser.run_for(Duration::from_millis(20)).await;
    }
    browser.run_for(Duration::from_millis(200)).await;
    let at_carrier: Vec<Vec<u8>> = phone
        .drain()
        .into_iter()
        .filter(|p| p.0 == 0)
        .map(|p| p.3)
        .collect();
    assert!(
        at_carrier.len() >= 40,
        "the carrier got {} frames",
        at_carrier.len()
    );
    let pcm = decode_all(Codec::Pcmu, 8000, at_carrier.iter().map(Vec::as_slice));
    assert_eq!(
        dominant(&pcm[pcm.len() / 3..], 8000),
        1000,
        "the carrier hears the browser"
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
        "the browser hears the carrier"
    );

    carrier.send(&call.request("BYE", None)).await;
    let bye = request_of(&mut bob.conn, Method::Bye)
        .await
        .expect("BYE reaches the browser");
    bob.conn.send(&b.respond(&bye, 200, None)).await;
    assert_eq!(final_for(&mut carrier, Method::Bye).await.status, 200);
    let records = common::calls::records_after_calls(&server).await;
    let r = records.last().unwrap();
    assert_eq!(r.codec_a.as_deref(), Some("PCMU/8000"), "{r:?}");
    assert_eq!(r.codec_b.as_deref(), Some("opus/48000"), "{r:?}");
}
