//! Early media on bridged calls, proven by what each side decodes. A browser (str0m: ICE,
//! DTLS-SRTP, Opus) calls out through a PCMU trunk whose provider answers 183 with SDP and
//! plays a 425 Hz tone: the browser gets our WebRTC answer in a 183, connects while it
//! rings and hears the tone before any 200. A 404 after it ends the call and frees the
//! call's media ports (a range that holds one call's takes the next call). A 200 with the
//! same SDP renegotiates nothing: the caller's 200 repeats the 183's answer, the tone goes
//! on across the answer and the browser's tone reaches the provider. The same with a PCMU
//! phone as the callee; and with two phones ringing, the first 183 alone is heard, and
//! the other phone's 200 (another SDP) moves the callee's side of the bridge to it. A call
//! between plain phones still relays the 183, anchored, as before.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/trunk.rs"]
mod trunk_helpers;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::browser::{Browser, RtpPhone, decode_all, goertzel, sdp_rtp_addr, tone_frames};
use common::calls::{
    CalleeDialog, CallerDialog, final_for, invite_with_auth, next_response, office, quiet_for,
    records_after_calls, recv_rtp, registered, request_of, rtp_socket, sdp,
};
use common::{Conn, Phone};
use media::codec::Codec;
use sip::{Method, Request, Response};
use trunk_helpers::{office_with_pcmu_trunk, pcmu_sdp, provider_dialog};

const RINGBACK: f64 = 425.0;
const OTHER_PHONE: f64 = 600.0;
const BROWSER_TONE: f64 = 1000.0;
const DIALED: &str = "12125550199";
/// 20 ms frames: one second.
const SECOND: usize = 50;

/// The strongest frequency of `x` in 25 Hz steps from 200 to 3000 Hz (425 Hz is between
/// the 100 Hz steps of `common::browser::dominant`).
fn dominant_fine(x: &[i16], rate: u32) -> u32 {
    (8..=120)
        .map(|k| k * 25)
        .max_by(|a, b| {
            goertzel(x, f64::from(*a), rate).total_cmp(&goertzel(x, f64::from(*b), rate))
        })
        .unwrap_or(0)
}

/// What the browser decoded from its `from`th received packet on.
fn browser_heard_since(browser: &Browser, from: usize) -> Vec<i16> {
    let (codec, pt) = browser.peer.audio().expect("no codec");
    decode_all(
        codec,
        48000,
        browser
            .media
            .iter()
            .skip(from)
            .filter(|p| p.0 == pt)
            .map(|p| p.3.as_slice()),
    )
}

/// Asserts the browser heard `tone` (about `frames` 20 ms frames of it) since packet `from`.
fn assert_browser_heard(browser: &Browser, from: usize, tone: f64, frames: usize, what: &str) {
    let pcm = browser_heard_since(browser, from);
    assert!(
        pcm.len() >= 960 * frames * 8 / 10,
        "{what}: the browser decoded {} samples",
        pcm.len()
    );
    assert_eq!(
        f64::from(dominant_fine(&pcm[pcm.len() / 4..], 48000)),
        tone,
        "{what}"
    );
}

/// What a callee's RTP socket got: the dominant frequency of its PCMU and the frame count.
fn callee_heard(rtp: &RtpPhone) -> (u32, usize) {
    let packets = rtp.drain();
    let audio: Vec<&[u8]> = packets
        .iter()
        .filter(|p| p.0 == 0)
        .map(|p| p.3.as_slice())
        .collect();
    let frames = audio.len();
    let pcm = decode_all(Codec::Pcmu, 8000, audio.into_iter());
    if pcm.is_empty() {
        return (0, 0);
    }
    (dominant_fine(&pcm[pcm.len() / 4..], 8000), frames)
}

/// The next provisional of the caller's INVITE with SDP (a final first is a failure).
async fn early_answer(conn: &mut Conn) -> Response {
    loop {
        let r = next_response(conn).await;
        assert!(r.status < 200, "a final before early media: {r:?}");
        if r.status == 183 && !r.body.is_empty() {
            return r;
        }
    }
}

/// One callee's end of the call: its dialog, its INVITE, its RTP and the SDP it sends.
struct CalleeEnd {
    inv: Request,
    dialog: CalleeDialog,
    rtp: RtpPhone,
    sdp: String,
    /// The server's RTP address for this callee (from our offer).
    server: SocketAddr,
    tone: Vec<Vec<u8>>,
    sent: usize,
}

impl CalleeEnd {
    /// The INVITE that reaches `conn` (a provider or `user`'s phone), and the callee's end
    /// for it, which will play `tone`.
    async fn invited(conn: &mut Conn, user: &str, tone: f64) -> CalleeEnd {
        let inv = request_of(conn, Method::Invite)
            .await
            .expect("INVITE reaches the callee");
        let mut dialog = provider_dialog(conn.local(), &inv);
        dialog.user = user.to_owned();
        let rtp = RtpPhone::new().await;
        let sdp = pcmu_sdp(rtp.addr(), "RTP/AVP", None);
        let server = sdp_rtp_addr(&String::from_utf8_lossy(&inv.body));
        CalleeEnd {
            inv,
            dialog,
            sdp,
            rtp,
            server,
            tone: tone_frames(Codec::Pcmu, tone, 6 * SECOND),
            sent: 0,
        }
    }

    /// The 183 (or 200) with this callee's SDP.
    fn answer(&self, status: u16) -> Vec<u8> {
        self.dialog
            .respond(&self.inv, status, Some(self.sdp.clone()))
    }

    /// The next 20 ms of its tone, in one continuous stream.
    async fn send_frame(&mut self) {
        let frame = &self.tone[self.sent % self.tone.len()];
        self.rtp
            .send(self.server, 0, self.sent == 0, frame, 160)
            .await;
        self.sent += 1;
    }
}

/// The browser's side of a call: its str0m peer, its dialog and its tone.
struct Caller {
    browser: Browser,
    a: CallerDialog,
    tone: Vec<Vec<u8>>,
    sent: usize,
}

impl Caller {
    /// alice's browser dials `dialed`; the INVITE is authenticated and on its way.
    async fn dial(alice: &mut Phone, dialed: &str) -> Caller {
        let (browser, offer) = Browser::offering().await;
        let mut a = CallerDialog::new(alice.conn.local(), "1001", dialed);
        invite_with_auth(
            &mut alice.conn,
            &mut a,
            "1001",
            "alice-secret",
            Some(&offer),
            "",
        )
        .await;
        Caller {
            browser,
            a,
            tone: tone_frames(Codec::Opus, BROWSER_TONE, 6 * SECOND),
            sent: 0,
        }
    }

    /// Takes the caller's 183: a WebRTC answer, applied; ICE and DTLS come up while it rings.
    async fn early_media(&mut self, alice: &mut Phone) -> String {
        let early = early_answer(&mut alice.conn).await;
        let answer = String::from_utf8(early.body.clone()).unwrap();
        assert!(answer.contains("UDP/TLS/RTP/SAVPF"), "{answer}");
        assert!(answer.contains("a=ice-lite"), "{answer}");
        self.browser
            .peer
            .accept_answer(Instant::now(), &answer)
            .unwrap();
        self.browser.connect().await;
        answer
    }

    /// `frames` of real time: each callee in `callees` sends a frame of its tone, the
    /// browser too when `talking`; then 200 ms for the last packets.
    async fn play(&mut self, callees: &mut [&mut CalleeEnd], frames: usize, talking: bool) {
        for _ in 0..frames {
            if talking {
                let frame = self.tone[self.sent % self.tone.len()].clone();
                self.browser.send_frame(&frame);
                self.sent += 1;
            }
            for c in callees.iter_mut() {
                c.send_frame().await;
            }
            self.browser.run_for(Duration::from_millis(20)).await;
        }
        self.browser.run_for(Duration::from_millis(200)).await;
    }

    /// The caller's 200: the 183's answer again. ACKed.
    async fn answered(&mut self, alice: &mut Phone, early: &str) {
        let ok = final_for(&mut alice.conn, Method::Invite).await;
        assert_eq!(ok.status, 200, "{ok:?}");
        assert_eq!(
            String::from_utf8_lossy(&ok.body),
            early,
            "the 200 repeats the 183's answer"
        );
        self.a.on_2xx(&ok);
        alice.conn.send(&self.a.ack(None)).await;
    }
}

/// The caller hangs up; `callee` (on `conn`) answers the BYE.
async fn hang_up(alice: &mut Phone, caller: &mut Caller, conn: &mut Conn, callee: &CalleeEnd) {
    alice.conn.send(&caller.a.request("BYE", None)).await;
    assert_eq!(final_for(&mut alice.conn, Method::Bye).await.status, 200);
    let bye = request_of(conn, Method::Bye)
        .await
        .expect("BYE reaches the callee");
    conn.send(&callee.dialog.respond(&bye, 200, None)).await;
}

#[tokio::test]
async fn a_trunks_announcement_reaches_the_browser_before_its_404() {
    // One call's worth of media ports: the next call gets them only if this one gave
    // them back.
    let (server, _dir, mut alice, mut prov) = office_with_pcmu_trunk((49200, 49203)).await;
    let mut caller = Caller::dial(&mut alice, DIALED).await;
    let mut provider = CalleeEnd::invited(&mut prov, "provider", RINGBACK).await;
    prov.send(&provider.answer(183)).await;
    caller.early_media(&mut alice).await;
    caller.play(&mut [&mut provider], SECOND, true).await;
    assert_browser_heard(
        &caller.browser,
        0,
        RINGBACK,
        SECOND,
        "the browser hears the announcement while it rings",
    );
    let (tone, frames) = callee_heard(&provider.rtp);
    assert!(
        frames >= SECOND * 8 / 10,
        "the provider got {frames} frames"
    );
    assert_eq!(
        f64::from(tone),
        BROWSER_TONE,
        "the provider hears the browser too"
    );

    prov.send(&provider.dialog.respond(&provider.inv, 404, None))
        .await;
    let refused = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(refused.status, 404, "{refused:?}");
    alice.conn.send(&caller.a.ack_failure(&refused)).await;
    let records = records_after_calls(&server).await;
    assert_eq!(records.last().unwrap().sip_cause, Some(404));

    // The next call's media comes from the same two port pairs.
    let rtp = RtpPhone::new().await;
    let mut a = CallerDialog::new(alice.conn.local(), "1001", DIALED);
    let offer = sdp("alice", rtp.addr(), "sendrecv");
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
        .expect("the next call reaches the provider: the media ports were given back");
    let port = sdp_rtp_addr(&String::from_utf8_lossy(&inv.body)).port();
    assert!((49200..=49203).contains(&port), "{port}");
    let p = provider_dialog(prov.local(), &inv);
    prov.send(&p.respond(&inv, 486, None)).await;
    assert_eq!(final_for(&mut alice.conn, Method::Invite).await.status, 486);
}

/// alice's browser calls `dialed`; the callee on `conn` (`user`) answers 183 with SDP and
/// plays ringback, then 200 with the same SDP and plays on; the browser talks after the
/// answer. Each hears what it should; the call is hung up.
async fn ringback_across_the_answer(alice: &mut Phone, conn: &mut Conn, user: &str, dialed: &str) {
    let mut caller = Caller::dial(alice, dialed).await;
    let mut callee = CalleeEnd::invited(conn, user, RINGBACK).await;
    conn.send(&callee.answer(183)).await;
    let early = caller.early_media(alice).await;
    caller.play(&mut [&mut callee], SECOND, false).await;
    assert_browser_heard(
        &caller.browser,
        0,
        RINGBACK,
        SECOND,
        "ringback before the 200",
    );

    conn.send(&callee.answer(200)).await;
    request_of(conn, Method::Ack)
        .await
        .expect("ACK for the callee's 200");
    caller.answered(alice, &early).await;
    let since = caller.browser.media.len();
    caller.play(&mut [&mut callee], SECOND, true).await;
    assert_browser_heard(
        &caller.browser,
        since,
        RINGBACK,
        SECOND,
        "the same stream goes on after the 200",
    );
    assert!(caller.browser.connected && caller.browser.failed.is_none());
    let (tone, frames) = callee_heard(&callee.rtp);
    assert!(frames >= SECOND * 8 / 10, "the callee got {frames} frames");
    assert_eq!(
        f64::from(tone),
        BROWSER_TONE,
        "the callee hears the browser after the 200"
    );
    assert!(
        quiet_for(conn, 300).await.is_none(),
        "nothing is renegotiated with the callee"
    );
    hang_up(alice, &mut caller, conn, &callee).await;
}

#[tokio::test]
async fn a_trunks_ringback_goes_on_across_its_200() {
    let (server, _dir, mut alice, mut prov) = office_with_pcmu_trunk((49300, 49399)).await;
    ringback_across_the_answer(&mut alice, &mut prov, "provider", DIALED).await;
    let records = records_after_calls(&server).await;
    let r = records.last().unwrap();
    assert_eq!(r.codec_a.as_deref(), Some("opus/48000"));
    assert_eq!(r.codec_b.as_deref(), Some("PCMU/8000"));
}

#[tokio::test]
async fn a_phones_early_media_reaches_a_calling_browser() {
    let (server, _dir, [mut alice, mut bob]) = office::<2>((49400, 49499)).await;
    ringback_across_the_answer(&mut alice, &mut bob.conn, "1002", "1002").await;
    let records = records_after_calls(&server).await;
    let r = records.last().unwrap();
    assert_eq!(r.codec_a.as_deref(), Some("opus/48000"));
    assert_eq!(r.codec_b.as_deref(), Some("PCMU/8000"));
}

#[tokio::test]
async fn of_two_phones_ringing_the_first_183_is_heard_and_the_answer_moves_the_bridge() {
    let (server, _dir, [mut alice, mut bob]) = office::<2>((49500, 49599)).await;
    let mut bob2 = registered(server.sip_udp.unwrap(), "1002", "bob-secret").await;
    let mut caller = Caller::dial(&mut alice, "1002").await;
    let mut first = CalleeEnd::invited(&mut bob.conn, "1002", RINGBACK).await;
    let mut second = CalleeEnd::invited(&mut bob2.conn, "1002", OTHER_PHONE).await;
    bob.conn.send(&first.answer(183)).await;
    let early = caller.early_media(&mut alice).await;
    caller.play(&mut [&mut first], 5, false).await;
    bob2.conn.send(&second.answer(183)).await;
    caller
        .play(&mut [&mut first, &mut second], SECOND, false)
        .await;
    assert_browser_heard(
        &caller.browser,
        0,
        RINGBACK,
        SECOND,
        "only the first 183's media",
    );
    let pcm = browser_heard_since(&caller.browser, 0);
    assert!(
        goertzel(&pcm, OTHER_PHONE, 48000) * 10.0 < goertzel(&pcm, RINGBACK, 48000),
        "nothing of the second phone's tone"
    );
    assert!(
        quiet_for(&mut alice.conn, 200).await.is_none(),
        "the second 183 gives the caller nothing new"
    );

    // The second phone answers, with its own SDP: the bridge's callee side is now its.
    bob2.conn.send(&second.answer(200)).await;
    request_of(&mut bob2.conn, Method::Ack)
        .await
        .expect("ACK for the 200");
    let cancel = request_of(&mut bob.conn, Method::Cancel)
        .await
        .expect("the first phone is cancelled");
    bob.conn
        .send(&first.dialog.respond(&cancel, 200, None))
        .await;
    bob.conn
        .send(&first.dialog.respond(&first.inv, 487, None))
        .await;
    caller.answered(&mut alice, &early).await;
    let since = caller.browser.media.len();
    caller.play(&mut [&mut second], SECOND, true).await;
    assert_browser_heard(
        &caller.browser,
        since,
        OTHER_PHONE,
        SECOND,
        "the phone that answered is heard after the 200",
    );
    let (tone, frames) = callee_heard(&second.rtp);
    assert!(
        frames >= SECOND * 8 / 10,
        "the answering phone got {frames} frames"
    );
    assert_eq!(f64::from(tone), BROWSER_TONE);
    assert_eq!(
        callee_heard(&first.rtp).1,
        0,
        "the phone that did not answer gets nothing of the caller"
    );
    hang_up(&mut alice, &mut caller, &mut bob2.conn, &second).await;
    let records = records_after_calls(&server).await;
    assert_eq!(
        records.last().unwrap().codec_b.as_deref(),
        Some("PCMU/8000")
    );
}

#[tokio::test]
async fn a_relayed_call_still_relays_the_183_anchored() {
    let (_server, _dir, [mut alice, mut bob]) = office::<2>((49600, 49699)).await;
    let a_rtp = rtp_socket().await;
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
    let mut bob_end = CalleeEnd::invited(&mut bob.conn, "1002", RINGBACK).await;
    bob.conn.send(&bob_end.answer(183)).await;
    let early = early_answer(&mut alice.conn).await;
    let body = String::from_utf8_lossy(&early.body).into_owned();
    assert!(
        body.contains("RTP/AVP 0 101"),
        "bob's codecs, relayed:\n{body}"
    );
    assert!(!body.contains("SAVPF"), "{body}");
    let server_a = sdp_rtp_addr(&body);
    assert!((49600..=49699).contains(&server_a.port()), "{body}");
    bob_end.send_frame().await;
    let got = recv_rtp(&a_rtp)
        .await
        .expect("bob's early RTP reaches alice");
    assert_eq!(got.get(12..), bob_end.tone.first().map(Vec::as_slice));
}

/// The first trunk plays its announcement, then fails (503): the next trunk takes the call.
/// The first provider's early media leaves the bridge with its 503, so the browser's audio
/// no longer goes there, and the browser hears the second provider once it answers.
#[tokio::test]
async fn early_media_of_a_trunk_that_fails_over_leaves_the_bridge() {
    let (server, _dir, mut alice, mut first) = office_with_pcmu_trunk((49260, 49299)).await;
    let mut second = trunk_helpers::provider("127.0.0.4", server.sip_udp.unwrap()).await;
    let mut backup = trunk_helpers::trunk("backup", second.local());
    backup.codecs = vec!["PCMU".into()];
    server.store.add_trunk(&backup).await.unwrap();
    let both = ["acme".to_owned(), "backup".to_owned()];
    server
        .store
        .add_route("12125550142", &both, 0, "+", Some(-1))
        .await
        .unwrap();
    trunk_helpers::let_trunks_settle().await;

    let mut caller = Caller::dial(&mut alice, "12125550142").await;
    let mut announcing = CalleeEnd::invited(&mut first, "provider", RINGBACK).await;
    first.send(&announcing.answer(183)).await;
    caller.early_media(&mut alice).await;
    caller.play(&mut [&mut announcing], SECOND, true).await;
    assert_browser_heard(
        &caller.browser,
        0,
        RINGBACK,
        SECOND,
        "the first trunk's announcement",
    );
    assert_eq!(
        f64::from(callee_heard(&announcing.rtp).0),
        BROWSER_TONE,
        "the first provider hears the browser while it rings"
    );

    first
        .send(&announcing.dialog.respond(&announcing.inv, 503, None))
        .await;
    let mut answering = CalleeEnd::invited(&mut second, "provider", OTHER_PHONE).await;
    caller.play(&mut [], SECOND / 2, true).await;
    let (_, frames) = callee_heard(&announcing.rtp);
    assert!(
        frames <= 3,
        "the failed provider still got {frames} frames of the browser"
    );

    second.send(&answering.answer(200)).await;
    request_of(&mut second, Method::Ack)
        .await
        .expect("ACK for the second provider's 200");
    let ok = final_for(&mut alice.conn, Method::Invite).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    caller.a.on_2xx(&ok);
    alice.conn.send(&caller.a.ack(None)).await;
    let since = caller.browser.media.len();
    caller.play(&mut [&mut answering], SECOND, true).await;
    assert_browser_heard(
        &caller.browser,
        since,
        OTHER_PHONE,
        SECOND,
        "the second trunk",
    );
    assert_eq!(
        f64::from(callee_heard(&answering.rtp).0),
        BROWSER_TONE,
        "the second provider hears the browser"
    );
    hang_up(&mut alice, &mut caller, &mut second, &answering).await;
}
