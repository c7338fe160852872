//! The media bridge through the whole server: a browser (str0m as a WebRTC client: ICE,
//! DTLS-SRTP, Opus) calls a plain RTP phone that speaks only PCMU, G.722 or G.729, and the
//! reverse; each side hears the other's tone (Goertzel on what it decoded); DTMF crosses in
//! both directions; 10% loss does not break the stream; two browsers relay Opus.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::browser::{
    Browser, RtpPhone, decode_all, digits_of, dominant, sdp_rtp_addr, tone_frames,
};
use common::calls::{
    CalleeDialog, CallerDialog, final_for, invite_with_auth, office, records_after_calls,
    request_of,
};
use common::{Conn, Phone};
use media::codec::Codec;
use sip::{Method, Response};

const BROWSER_TONE: f64 = 1000.0;
const PHONE_TONE: f64 = 600.0;

/// The SDP of a phone that speaks only `codec` (payload type `pt`) and telephone-event.
fn phone_answer(rtp: std::net::SocketAddr, codec: &str, pt: u8) -> String {
    format!(
        "v=0\r\no=phone 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
m=audio {port} RTP/AVP {pt} 101\r\na=rtpmap:{pt} {codec}/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n",
        ip = rtp.ip(),
        port = rtp.port()
    )
}

struct BrowserToPhone {
    browser: Browser,
    phone_rtp: RtpPhone,
    /// Where the phone sends its RTP (the server's B side).
    server_b: std::net::SocketAddr,
    a: CallerDialog,
    b: CalleeDialog,
    /// The offer the phone got.
    phone_offer: String,
}

/// alice (a browser, over UDP signalling) calls bob (a phone answering with `codec`).
async fn browser_calls_phone(
    alice: &mut Phone,
    bob: &mut Phone,
    codec: &str,
    pt: u8,
) -> BrowserToPhone {
    let (mut browser, offer) = Browser::offering().await;
    let mut a = CallerDialog::new(alice.conn.local(), &alice.user, "1002");
    let (user, pw) = (alice.user.clone(), alice.password.clone());
    invite_with_auth(&mut alice.conn, &mut a, &user, &pw, Some(&offer), "").await;
    let inv = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("INVITE reaches bob");
    let phone_offer = String::from_utf8(inv.body.clone()).unwrap();
    let b = CalleeDialog::new(bob, &inv);
    let phone_rtp = RtpPhone::new().await;
    let answer = phone_answer(phone_rtp.addr(), codec, pt);
    bob.conn.send(&b.respond(&inv, 200, Some(answer))).await;
    request_of(&mut bob.conn, Method::Ack)
        .await
        .expect("ACK for bob's 200");
    let ok = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    a.on_2xx(&ok);
    alice.conn.send(&a.ack(None)).await;
    let answer = String::from_utf8(ok.body.clone()).unwrap();
    assert!(
        answer.contains("UDP/TLS/RTP/SAVPF"),
        "the browser gets WebRTC:\n{answer}"
    );
    assert!(answer.contains("a=ice-lite"), "{answer}");
    browser
        .peer
        .accept_answer(std::time::Instant::now(), &answer)
        .unwrap();
    browser.connect().await;
    let server_b = sdp_rtp_addr(&phone_offer);
    BrowserToPhone {
        browser,
        phone_rtp,
        server_b,
        a,
        b,
        phone_offer,
    }
}

/// One second of tones both ways: the browser sends Opus (`lost` frames left out), the
/// phone sends `codec` at payload type `pt`.
async fn tones(call: &mut BrowserToPhone, codec: Codec, pt: u8, lost: &[usize]) {
    let opus = tone_frames(Codec::Opus, BROWSER_TONE, 50);
    let phone = tone_frames(codec, PHONE_TONE, 50);
    for (i, (o, p)) in opus.iter().zip(&phone).enumerate() {
        if lost.contains(&i) {
            call.browser.skip_frame();
        } else {
            call.browser.send_frame(o);
        }
        call.phone_rtp
            .send(call.server_b, pt, i == 0, p, codec.rtp_ticks_per_frame())
            .await;
        call.browser.run_for(Duration::from_millis(20)).await;
    }
    call.browser.run_for(Duration::from_millis(200)).await;
}

async fn hang_up(alice: &mut Phone, bob: &mut Phone, call: &mut BrowserToPhone) {
    alice.conn.send(&call.a.request("BYE", None)).await;
    assert_eq!(final_for(&mut alice.conn, Method::Bye).await.status, 200);
    let bye = request_of(&mut bob.conn, Method::Bye)
        .await
        .expect("BYE reaches bob");
    bob.conn.send(&call.b.respond(&bye, 200, None)).await;
}

async fn browser_to_phone_tones(codec: Codec, name: &str, pt: u8, ports: (u16, u16)) {
    let (server, _dir, [mut alice, mut bob]) = office::<2>(ports).await;
    let mut call = browser_calls_phone(&mut alice, &mut bob, name, pt).await;
    assert!(
        call.phone_offer.contains("RTP/AVP") && !call.phone_offer.contains("SAVPF"),
        "the phone gets plain RTP:\n{}",
        call.phone_offer
    );
    assert!(
        !call.phone_offer.contains("ice-ufrag"),
        "{}",
        call.phone_offer
    );
    tones(&mut call, codec, pt, &[]).await;

    let at_phone = call.phone_rtp.drain();
    let audio: Vec<&[u8]> = at_phone
        .iter()
        .filter(|p| p.0 == pt)
        .map(|p| p.3.as_slice())
        .collect();
    assert!(
        audio.len() >= 40,
        "{name}: the phone got {} frames",
        audio.len()
    );
    let pcm = decode_all(codec, codec.pcm_rate(), audio.into_iter());
    let tail = &pcm[pcm.len() / 3..];
    assert_eq!(
        dominant(tail, codec.pcm_rate()),
        1000,
        "{name}: the phone hears the browser"
    );

    let heard = call.browser.heard(48000);
    assert!(
        heard.len() >= 48000 * 8 / 10,
        "browser decoded {} samples",
        heard.len()
    );
    assert_eq!(
        dominant(&heard[heard.len() / 3..], 48000),
        600,
        "{name}: the browser hears the phone"
    );

    hang_up(&mut alice, &mut bob, &mut call).await;
    let records = records_after_calls(&server).await;
    let r = records.last().unwrap();
    assert_eq!(r.codec_a.as_deref(), Some("opus/48000"));
    assert_eq!(r.codec_b.as_deref(), Some(format!("{name}/8000").as_str()));
    assert!(r.leg_a.packets_in >= 45, "{:?}", r.leg_a);
    assert!(r.leg_b.packets_in >= 45, "{:?}", r.leg_b);
}

#[tokio::test]
async fn a_browser_and_a_pcmu_phone_hear_each_other() {
    browser_to_phone_tones(Codec::Pcmu, "PCMU", 0, (44400, 44499)).await;
}

#[tokio::test]
async fn a_browser_and_a_g722_phone_hear_each_other() {
    browser_to_phone_tones(Codec::G722, "G722", 9, (44500, 44599)).await;
}

#[tokio::test]
async fn a_browser_and_a_g729_phone_hear_each_other() {
    browser_to_phone_tones(Codec::G729, "G729", 18, (44600, 44699)).await;
}

#[tokio::test]
async fn dtmf_crosses_between_48000_and_8000_both_ways() {
    let (server, _dir, [mut alice, mut bob]) = office::<2>((44700, 44799)).await;
    let mut call = browser_calls_phone(&mut alice, &mut bob, "PCMU", 0).await;
    tones(&mut call, Codec::Pcmu, 0, &[]).await;
    call.browser.press('7').await;
    call.browser.run_for(Duration::from_millis(100)).await;
    let at_phone = call.phone_rtp.drain();
    let events = at_phone
        .iter()
        .filter(|p| p.0 == 101)
        .map(|p| p.3.as_slice());
    assert_eq!(
        digits_of(events),
        "7",
        "the phone gets the browser's digit at 8000 Hz"
    );

    // The phone presses 3: events at 8000 Hz reach the browser at 48000 Hz.
    for (i, end) in [false, false, false, true, true, true]
        .into_iter()
        .enumerate()
    {
        let duration = (160 * (i as u32 + 1).min(4)) as u16;
        let mut payload = Vec::new();
        media::dtmf::write_event(
            &media::dtmf::DtmfEvent {
                digit: '3',
                end,
                volume: 10,
                duration,
            },
            &mut payload,
        );
        call.phone_rtp
            .send(call.server_b, 101, i == 0, &payload, 0)
            .await;
        call.browser.run_for(Duration::from_millis(20)).await;
    }
    call.browser.run_for(Duration::from_millis(100)).await;
    assert_eq!(call.browser.digits(), "3");
    let seen = common::eventually(|| async {
        server.active_calls().first().map(|c| c.digits.clone()) == Some("73".to_owned())
    })
    .await;
    assert!(
        seen,
        "the call hears both key presses: {:?}",
        server.active_calls()
    );
    hang_up(&mut alice, &mut bob, &mut call).await;
}

#[tokio::test]
async fn ten_percent_loss_for_100_ms_does_not_break_the_stream() {
    let (_server, _dir, [mut alice, mut bob]) = office::<2>((44800, 44899)).await;
    let mut call = browser_calls_phone(&mut alice, &mut bob, "PCMU", 0).await;
    // 10% of the frames over the whole second, five of them in a row inside 100 ms.
    tones(&mut call, Codec::Pcmu, 0, &[20, 21, 22, 23, 24]).await;
    let at_phone = call.phone_rtp.drain();
    let audio: Vec<&[u8]> = at_phone
        .iter()
        .filter(|p| p.0 == 0)
        .map(|p| p.3.as_slice())
        .collect();
    assert!(
        audio.len() >= 45,
        "the gap is concealed: {} frames",
        audio.len()
    );
    let pcm = decode_all(Codec::Pcmu, 8000, audio.into_iter());
    assert_eq!(dominant(&pcm[pcm.len() / 2..], 8000), 1000);
    hang_up(&mut alice, &mut bob, &mut call).await;
}

#[tokio::test]
async fn two_browsers_talk_over_relayed_opus() {
    let (server, _dir, [mut alice]) = office::<1>((44900, 44999)).await;
    common::add_extension(&server, "1002", "bob-secret").await;
    let mut bob = Phone::new(Conn::ws(server.http.unwrap()).await, "1002", "bob-secret");
    assert_eq!(bob.register(600).await.status, 200);

    let (mut caller, offer) = Browser::offering().await;
    let mut a = CallerDialog::new(alice.conn.local(), &alice.user, "1002");
    let (user, pw) = (alice.user.clone(), alice.password.clone());
    invite_with_auth(&mut alice.conn, &mut a, &user, &pw, Some(&offer), "").await;
    let inv = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("INVITE reaches the browser");
    let server_offer = String::from_utf8(inv.body.clone()).unwrap();
    assert!(server_offer.contains("UDP/TLS/RTP/SAVPF"), "{server_offer}");
    let (mut callee, answer) = Browser::answering(&server_offer).await;
    let b = CalleeDialog::new(&bob, &inv);
    bob.conn.send(&b.respond(&inv, 200, Some(answer))).await;
    let ok: Response = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(ok.status, 200);
    a.on_2xx(&ok);
    alice.conn.send(&a.ack(None)).await;
    caller
        .peer
        .accept_answer(
            std::time::Instant::now(),
            std::str::from_utf8(&ok.body).unwrap(),
        )
        .unwrap();
    for _ in 0..100 {
        if caller.connected && callee.connected {
            break;
        }
        caller.run_for(Duration::from_millis(25)).await;
        callee.run_for(Duration::from_millis(25)).await;
    }
    assert!(
        caller.connected && callee.connected,
        "{:?} {:?}",
        caller.failed,
        callee.failed
    );

    let one = tone_frames(Codec::Opus, BROWSER_TONE, 50);
    let two = tone_frames(Codec::Opus, PHONE_TONE, 50);
    for (x, y) in one.iter().zip(&two) {
        caller.send_frame(x);
        callee.send_frame(y);
        caller.run_for(Duration::from_millis(10)).await;
        callee.run_for(Duration::from_millis(10)).await;
    }
    caller.run_for(Duration::from_millis(100)).await;
    callee.run_for(Duration::from_millis(100)).await;
    let at_callee = callee.heard(48000);
    let at_caller = caller.heard(48000);
    assert!(at_callee.len() > 48000 / 2 && at_caller.len() > 48000 / 2);
    assert_eq!(dominant(&at_callee[at_callee.len() / 3..], 48000), 1000);
    assert_eq!(dominant(&at_caller[at_caller.len() / 3..], 48000), 600);
    // Relayed: each side gets the other's Opus payloads byte for byte.
    let sent: Vec<&Vec<u8>> = one.iter().collect();
    let got = callee
        .media
        .iter()
        .filter(|p| Some(p.0) == callee.peer.audio().map(|a| a.1));
    let same = got.filter(|p| sent.contains(&&p.3)).count();
    assert!(
        same >= 45,
        "{same} of the caller's Opus frames arrived unchanged"
    );

    // Chrome sends its keys on telephone-event/8000 even with Opus; the other browser cannot
    // see RFC 4733 events, so it gets the digit as SIP INFO too.
    caller.press_like_chrome('5').await;
    callee.run_for(Duration::from_millis(100)).await;
    let info = request_of(&mut bob.conn, Method::Info)
        .await
        .expect("the digit reaches the other browser as INFO");
    assert_eq!(
        info.content_type().as_deref().map(str::trim),
        Some("application/dtmf-relay")
    );
    let body = String::from_utf8_lossy(&info.body).into_owned();
    assert!(body.contains("Signal=5"), "{body}");
    bob.conn.send(&b.respond(&info, 200, None)).await;
    let events = callee
        .media
        .iter()
        .filter(|p| Some(p.0) == callee.peer.telephone_event())
        .map(|p| p.3.as_slice());
    assert_eq!(digits_of(events), "5", "and as RFC 4733 events at 48 kHz");

    alice.conn.send(&a.request("BYE", None)).await;
    assert_eq!(final_for(&mut alice.conn, Method::Bye).await.status, 200);
    let records = records_after_calls(&server).await;
    let r = records.last().unwrap();
    assert_eq!(r.codec_a.as_deref(), Some("opus/48000"));
    assert_eq!(r.codec_b.as_deref(), Some("opus/48000"));
}

/// The browser's certificate does not match the fingerprint its offer gave: the server's
/// DTLS check fails, and the call is torn down on both legs.
#[tokio::test]
async fn a_fingerprint_mismatch_tears_the_call_down() {
    let (server, _dir, [mut alice, mut bob]) = office::<2>((45000, 45099)).await;
    let (mut browser, offer) = Browser::offering().await;
    let offer = tamper_fingerprint(&offer);
    let mut a = CallerDialog::new(alice.conn.local(), &alice.user, "1002");
    let (user, pw) = (alice.user.clone(), alice.password.clone());
    invite_with_auth(&mut alice.conn, &mut a, &user, &pw, Some(&offer), "").await;
    let inv = request_of(&mut bob.conn, Method::Invite)
        .await
        .expect("INVITE reaches bob");
    let b = CalleeDialog::new(&bob, &inv);
    let phone_rtp = RtpPhone::new().await;
    bob.conn
        .send(&b.respond(&inv, 200, Some(phone_answer(phone_rtp.addr(), "PCMU", 0))))
        .await;
    request_of(&mut bob.conn, Method::Ack)
        .await
        .expect("ACK for bob's 200");
    let ok = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(ok.status, 200);
    a.on_2xx(&ok);
    alice.conn.send(&a.ack(None)).await;
    browser
        .peer
        .accept_answer(
            std::time::Instant::now(),
            std::str::from_utf8(&ok.body).unwrap(),
        )
        .unwrap();
    browser.run_for(Duration::from_millis(1500)).await;
    let bye_a = request_of(&mut alice.conn, Method::Bye).await;
    assert!(bye_a.is_some(), "the browser's leg is hung up");
    let bye_b = request_of(&mut bob.conn, Method::Bye).await;
    assert!(bye_b.is_some(), "the phone's leg is hung up");
    let records = records_after_calls(&server).await;
    assert_eq!(
        records.last().unwrap().disposition,
        pbx::Disposition::Answered
    );
}

/// A phone that sends its digit by SIP INFO (application/dtmf-relay) reaches the browser
/// as RFC 4733 events.
#[tokio::test]
async fn a_sip_info_digit_reaches_the_browser_as_events() {
    let (_server, _dir, [mut alice, mut bob]) = office::<2>((45100, 45199)).await;
    let mut call = browser_calls_phone(&mut alice, &mut bob, "PCMU", 0).await;
    tones(&mut call, Codec::Pcmu, 0, &[]).await;
    let info = call.b.request_with(
        "INFO",
        "application/dtmf-relay",
        "Signal=9\r\nDuration=160\r\n",
    );
    bob.conn.send(&info).await;
    assert_eq!(final_for(&mut bob.conn, Method::Info).await.status, 200);
    call.browser.run_for(Duration::from_millis(400)).await;
    assert_eq!(call.browser.digits(), "9");
    hang_up(&mut alice, &mut bob, &mut call).await;
}

fn tamper_fingerprint(sdp: &str) -> String {
    sdp.lines()
        .map(|l| match l.strip_prefix("a=fingerprint:sha-256 ") {
            Some(fp) => {
                let flipped = if fp.starts_with('0') { "1" } else { "0" };
                format!("a=fingerprint:sha-256 {flipped}{}", &fp[1..])
            }
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n"
}
