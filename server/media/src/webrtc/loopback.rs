//! A WebRTC call in memory: the leg and the test peer exchange datagrams on a virtual clock
//! (no sockets), so ICE, DTLS-SRTP, consent and the refusals run as they would on the wire.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{TestPeer, WebRtcLeg, WebRtcOutput};
use crate::codec::Codec;

const STEP: Duration = Duration::from_millis(5);

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn leg_addr() -> SocketAddr {
    addr("192.0.2.1:40000")
}

fn peer_addr() -> SocketAddr {
    addr("198.51.100.7:50000")
}

/// Everything but datagrams that one side produced, in order.
#[derive(Default)]
struct Seen {
    events: Vec<WebRtcOutput>,
}

impl Seen {
    fn media(&self) -> Vec<(u8, u16, u32, bool, Vec<u8>)> {
        self.events
            .iter()
            .filter_map(|o| match o {
                WebRtcOutput::Media {
                    pt,
                    seq,
                    timestamp,
                    marker,
                    payload,
                } => Some((*pt, *seq, *timestamp, *marker, payload.clone())),
                _ => None,
            })
            .collect()
    }

    fn failed(&self) -> Option<&str> {
        self.events.iter().find_map(|o| match o {
            WebRtcOutput::Failed(reason) => Some(reason.as_str()),
            _ => None,
        })
    }

    fn connected(&self) -> usize {
        self.events
            .iter()
            .filter(|o| **o == WebRtcOutput::Connected)
            .count()
    }
}

struct Call {
    now: Instant,
    leg: WebRtcLeg,
    peer: TestPeer,
    at_leg: Seen,
    at_peer: Seen,
    /// The peer is gone (tab closed, network cut): nothing it sends reaches the leg and it
    /// no longer runs.
    peer_silent: bool,
    /// Datagrams the leg refused.
    refused_at_leg: usize,
}

impl Call {
    /// The browser offers, the leg answers.
    fn browser_calls(codecs: &[Codec]) -> (Call, String, String) {
        Call::browser_calls_with(codecs, |offer| offer.to_string())
    }

    fn browser_calls_with(
        codecs: &[Codec],
        edit_offer: impl Fn(&str) -> String,
    ) -> (Call, String, String) {
        let now = Instant::now();
        let (mut peer, offer) = TestPeer::offer(now, peer_addr()).unwrap_or_else(|e| panic!("{e}"));
        let (leg, answer) = WebRtcLeg::answer(now, &edit_offer(&offer), leg_addr(), codecs)
            .unwrap_or_else(|e| panic!("{e}"));
        peer.accept_answer(now, &answer)
            .unwrap_or_else(|e| panic!("{e}"));
        (Call::new(now, leg, peer), offer, answer)
    }

    /// The leg offers toward the browser, the browser answers.
    fn server_calls(edit_answer: impl Fn(&str) -> String) -> (Call, String, String) {
        let now = Instant::now();
        let (mut leg, offer) = WebRtcLeg::offer(now, leg_addr(), &[Codec::Opus, Codec::Pcmu])
            .unwrap_or_else(|e| panic!("{e}"));
        let (peer, answer) =
            TestPeer::answer(now, &offer, peer_addr()).unwrap_or_else(|e| panic!("{e}"));
        leg.accept_answer(now, &edit_answer(&answer))
            .unwrap_or_else(|e| panic!("{e}"));
        (Call::new(now, leg, peer), offer, answer)
    }

    fn new(now: Instant, leg: WebRtcLeg, peer: TestPeer) -> Call {
        let mut call = Call {
            now,
            leg,
            peer,
            at_leg: Seen::default(),
            at_peer: Seen::default(),
            peer_silent: false,
            refused_at_leg: 0,
        };
        call.pump();
        call
    }

    /// Delivers datagrams both ways until neither side has output left.
    fn pump(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            while let Some(out) = self.leg.poll() {
                moved = true;
                match out {
                    WebRtcOutput::Transmit { from, to, bytes } => {
                        assert_eq!(from, leg_addr());
                        if to == peer_addr() && !self.peer_silent {
                            self.peer.handle_receive(self.now, from, to, &bytes);
                        }
                    }
                    other => self.at_leg.events.push(other),
                }
            }
            while !self.peer_silent
                && let Some(out) = self.peer.poll()
            {
                moved = true;
                match out {
                    WebRtcOutput::Transmit { from, to, bytes } => {
                        assert_eq!(from, peer_addr());
                        if to == leg_addr() && !self.leg.handle_receive(self.now, from, to, &bytes)
                        {
                            self.refused_at_leg += 1;
                        }
                    }
                    other => self.at_peer.events.push(other),
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the two sides never went quiet");
    }

    fn advance(&mut self, by: Duration) {
        let until = self.now + by;
        while self.now < until {
            self.now += STEP;
            if self.leg.poll_timeout().is_some_and(|t| t <= self.now) {
                self.leg.handle_timeout(self.now);
            }
            if !self.peer_silent && self.peer.poll_timeout().is_some_and(|t| t <= self.now) {
                self.peer.handle_timeout(self.now);
            }
            self.pump();
        }
    }

    fn connect(&mut self) {
        for _ in 0..2_000 {
            if self.leg.is_connected() && self.peer.is_connected() {
                return;
            }
            self.advance(STEP);
        }
        panic!(
            "no connection in 10 s: leg {:?}, peer {:?}",
            self.at_leg.events, self.at_peer.events
        );
    }
}

/// 50 payloads of Opus frame sizes (60..=160 bytes), each different.
fn opus_like_frames() -> Vec<Vec<u8>> {
    (0..50u32)
        .map(|i| {
            let len = 60 + (i * 37 % 101) as usize;
            (0..len).map(|j| (i as usize * 31 + j * 7) as u8).collect()
        })
        .collect()
}

fn assert_received(got: &[(u8, u16, u32, bool, Vec<u8>)], pt: u8, sent: &[Vec<u8>], ts0: u32) {
    assert_eq!(
        got.len(),
        sent.len(),
        "received {} of {}",
        got.len(),
        sent.len()
    );
    let first_seq = got.first().map_or(0, |g| g.1);
    for (i, ((gpt, seq, ts, marker, payload), want)) in got.iter().zip(sent).enumerate() {
        assert_eq!(*gpt, pt, "packet {i}");
        assert_eq!(
            *seq,
            first_seq.wrapping_add(i as u16),
            "packet {i}: sequence"
        );
        assert_eq!(
            *ts,
            ts0.wrapping_add(960 * i as u32),
            "packet {i}: timestamp"
        );
        assert_eq!(*marker, i == 0, "packet {i}: marker");
        assert_eq!(payload, want, "packet {i}: payload");
    }
}

#[test]
fn browser_offer_connects_and_opus_flows_both_ways() {
    let (mut call, _, answer) = Call::browser_calls(&[Codec::Opus, Codec::Pcmu, Codec::G729]);
    assert!(answer.contains("a=ice-lite"), "{answer}");
    assert!(answer.contains("a=setup:passive"), "{answer}");
    assert!(!answer.contains("G729"), "{answer}");
    assert_eq!(call.leg.audio(), Some((Codec::Opus, 111)));
    assert_eq!(call.leg.telephone_event_clock(), Some((110, 48_000)));
    assert!(
        call.leg
            .send_audio(call.now, 111, 0, true, &[1, 2, 3])
            .is_err(),
        "sending before DTLS is up must fail"
    );

    call.connect();
    assert_eq!(call.at_leg.connected(), 1);
    assert_eq!(call.at_peer.connected(), 1);

    let frames = opus_like_frames();
    for (i, frame) in frames.iter().enumerate() {
        let ts = 4_000 + 960 * i as u32;
        call.peer
            .send_audio(call.now, 111, ts, i == 0, frame)
            .unwrap_or_else(|e| panic!("{e}"));
        call.pump();
        call.advance(Duration::from_millis(20));
    }
    assert_received(&call.at_leg.media(), 111, &frames, 4_000);

    for (i, frame) in frames.iter().enumerate() {
        let ts = (u32::MAX - 960 * 10).wrapping_add(960 * i as u32); // wraps mid-way
        call.leg
            .send_audio(call.now, 111, ts, i == 0, frame)
            .unwrap_or_else(|e| panic!("{e}"));
        call.pump();
        call.advance(Duration::from_millis(20));
    }
    assert_received(&call.at_peer.media(), 111, &frames, u32::MAX - 960 * 10);
    assert!(call.at_leg.failed().is_none() && call.at_peer.failed().is_none());
}

#[test]
fn telephone_event_passes_both_ways() {
    let (mut call, _, _) = Call::browser_calls(&[Codec::Opus, Codec::Pcmu]);
    call.connect();
    let pt = call
        .leg
        .telephone_event()
        .unwrap_or_else(|| panic!("no telephone-event"));
    assert_eq!(call.peer.telephone_event(), Some(pt));
    // Digit 5, volume 10: start, an update, then the end packet three times (RFC 4733 §2.5).
    let events: [[u8; 4]; 5] = [
        [5, 0x0a, 0x03, 0xc0],
        [5, 0x0a, 0x07, 0x80],
        [5, 0x8a, 0x0b, 0x40],
        [5, 0x8a, 0x0b, 0x40],
        [5, 0x8a, 0x0b, 0x40],
    ];
    for reverse in [false, true] {
        for (i, event) in events.iter().enumerate() {
            let sent = if reverse {
                call.leg.send_audio(call.now, pt, 96_000, i == 0, event)
            } else {
                call.peer.send_audio(call.now, pt, 96_000, i == 0, event)
            };
            sent.unwrap_or_else(|e| panic!("{e}"));
            call.pump();
            call.advance(Duration::from_millis(20));
        }
        let seen = if reverse { &call.at_peer } else { &call.at_leg };
        let got: Vec<_> = seen
            .media()
            .into_iter()
            .map(|(p, _, ts, m, b)| (p, ts, m, b))
            .collect();
        let want: Vec<_> = events
            .iter()
            .enumerate()
            .map(|(i, e)| (pt, 96_000, i == 0, e.to_vec()))
            .collect();
        assert_eq!(got, want, "reverse={reverse}");
    }
    // A payload type nobody negotiated is refused before it reaches the wire.
    assert!(
        call.leg
            .send_audio(call.now, 18, 0, false, &[0; 10])
            .is_err()
    );
}

#[test]
fn leg_offer_browser_answer_connects() {
    let (mut call, offer, _) = Call::server_calls(|a| a.to_string());
    assert!(offer.contains("a=ice-lite"), "{offer}");
    assert!(offer.contains("a=setup:actpass"), "{offer}");
    call.connect();
    assert_eq!(call.leg.audio(), Some((Codec::Opus, 111)));
    call.leg
        .send_audio(call.now, 111, 960, true, &[7; 80])
        .unwrap_or_else(|e| panic!("{e}"));
    call.peer
        .send_audio(call.now, 111, 480, true, &[9; 90])
        .unwrap_or_else(|e| panic!("{e}"));
    call.pump();
    call.advance(Duration::from_millis(20));
    let at_peer = call.at_peer.media();
    let at_leg = call.at_leg.media();
    assert_eq!(at_peer.len(), 1);
    assert_eq!(
        (at_peer[0].0, at_peer[0].2, &at_peer[0].4),
        (111, 960, &vec![7; 80])
    );
    assert_eq!(at_leg.len(), 1);
    assert_eq!(
        (at_leg[0].0, at_leg[0].2, &at_leg[0].4),
        (111, 480, &vec![9; 90])
    );
}

/// Changes the last byte of the `a=fingerprint` value: a man in the middle's certificate.
fn tamper_fingerprint(sdp: &str) -> String {
    let mut out = String::new();
    for line in sdp.split_inclusive('\n') {
        if let Some(value) = line.strip_prefix("a=fingerprint:sha-256 ") {
            let value = value.trim_end();
            let (head, last) = value.split_at(value.len() - 2);
            let flipped = if last == "00" { "01" } else { "00" };
            out.push_str(&format!("a=fingerprint:sha-256 {head}{flipped}\r\n"));
        } else {
            out.push_str(line);
        }
    }
    assert_ne!(out, sdp, "no fingerprint line to tamper with");
    out
}

#[test]
fn tampered_offer_fingerprint_fails_the_answering_leg() {
    let (mut call, _, _) = Call::browser_calls_with(&[Codec::Opus], tamper_fingerprint);
    call.advance(Duration::from_secs(5));
    let reason = call
        .at_leg
        .failed()
        .unwrap_or_else(|| panic!("leg did not fail: {:?}", call.at_leg.events));
    assert!(reason.contains("fingerprint"), "{reason}");
    assert!(!call.leg.is_connected());
    assert!(call.at_leg.media().is_empty());
    assert_eq!(call.at_leg.connected(), 0);
    assert!(call.leg.send_audio(call.now, 111, 0, false, &[1]).is_err());
    // A dead leg wants no more timers and takes no more datagrams.
    assert_eq!(call.leg.poll_timeout(), None);
}

#[test]
fn tampered_answer_fingerprint_fails_the_offering_leg() {
    let (mut call, _, _) = Call::server_calls(tamper_fingerprint);
    call.advance(Duration::from_secs(5));
    let reason = call
        .at_leg
        .failed()
        .unwrap_or_else(|| panic!("leg did not fail: {:?}", call.at_leg.events));
    assert!(reason.contains("fingerprint"), "{reason}");
    assert!(!call.leg.is_connected());
    assert!(call.at_leg.media().is_empty());
    assert_eq!(call.at_leg.connected(), 0);
}

#[test]
fn datagrams_from_outside_the_validated_pair_are_refused() {
    let (mut call, _, _) = Call::browser_calls(&[Codec::Opus]);
    call.connect();
    assert_eq!(call.refused_at_leg, 0);
    // Capture one real SRTP packet of the peer and replay it from another address.
    call.peer
        .send_audio(call.now, 111, 0, true, &[42; 100])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut captured = None;
    while let Some(out) = call.peer.poll() {
        if let WebRtcOutput::Transmit { bytes, .. } = out
            && bytes.len() > 100
        {
            captured = Some(bytes);
        }
    }
    let srtp = captured.unwrap_or_else(|| panic!("the peer sent no media"));
    let attacker = addr("203.0.113.66:50000");
    assert!(
        !call
            .leg
            .handle_receive(call.now, attacker, leg_addr(), &srtp)
    );
    // Same port, other host; and a STUN binding request with a ufrag that is not ours.
    assert!(
        !call
            .leg
            .handle_receive(call.now, addr("198.51.100.8:50000"), leg_addr(), &srtp)
    );
    let mut stun = vec![0x00, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42];
    stun.extend_from_slice(&[7; 12]);
    stun.extend_from_slice(&[0x00, 0x06, 0x00, 0x08]);
    stun.extend_from_slice(b"nope:you");
    assert!(
        !call
            .leg
            .handle_receive(call.now, attacker, leg_addr(), &stun)
    );
    // Not STUN/DTLS/RTP at all.
    assert!(
        !call
            .leg
            .handle_receive(call.now, peer_addr(), leg_addr(), &[0xff; 3])
    );
    assert!(
        call.leg.poll().is_none(),
        "a refused datagram produced output"
    );
    // The same bytes from the validated address are accepted and decrypted.
    assert!(
        call.leg
            .handle_receive(call.now, peer_addr(), leg_addr(), &srtp)
    );
    call.pump();
    let media = call.at_leg.media();
    assert_eq!(media.len(), 1);
    assert_eq!(media[0].4, vec![42; 100]);
    assert!(call.leg.is_connected());
}

#[test]
fn silent_peer_loses_consent_and_the_leg_fails() {
    let (mut call, _, _) = Call::browser_calls(&[Codec::Opus]);
    call.connect();
    // An idle but living browser keeps consent alive: a minute without media is fine.
    call.advance(Duration::from_secs(60));
    assert!(call.at_leg.failed().is_none(), "{:?}", call.at_leg.failed());
    assert!(call.leg.is_connected());

    call.peer_silent = true;
    call.advance(Duration::from_secs(10));
    assert!(
        call.at_leg.failed().is_none(),
        "10 s of silence is not yet a lost peer"
    );
    call.advance(Duration::from_secs(31));
    let reason = call
        .at_leg
        .failed()
        .unwrap_or_else(|| panic!("leg still up after 41 s of silence"));
    assert!(reason.contains("consent"), "{reason}");
    assert!(!call.leg.is_connected());
    assert_eq!(call.leg.poll_timeout(), None);
}

#[test]
fn forged_records_from_the_peer_address_do_not_kill_the_leg() {
    // Someone spoofing the browser's address cannot hold the keys: DTLS records of every
    // content type and a forged SRTP packet are dropped, the call goes on.
    let (mut call, _, _) = Call::browser_calls(&[Codec::Opus]);
    call.connect();
    for content_type in [20u8, 21, 22, 23, 25] {
        let mut record = vec![content_type, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 20];
        record.extend_from_slice(&[0xab; 20]);
        call.leg
            .handle_receive(call.now, peer_addr(), leg_addr(), &record);
        call.pump();
    }
    let mut rtp = vec![0x80, 111, 0, 1, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78];
    rtp.extend_from_slice(&[0xcd; 60]);
    call.leg
        .handle_receive(call.now, peer_addr(), leg_addr(), &rtp);
    call.pump();
    assert!(call.at_leg.failed().is_none(), "{:?}", call.at_leg.failed());
    assert!(
        call.at_leg.media().is_empty(),
        "an unauthenticated packet came through"
    );
    call.peer
        .send_audio(call.now, 111, 0, true, &[5; 70])
        .unwrap_or_else(|e| panic!("{e}"));
    call.pump();
    assert_eq!(call.at_leg.media().len(), 1);
    assert!(call.leg.is_connected());
}

#[test]
fn a_browser_that_never_checks_fails_the_leg() {
    // With candidates in the offer, ICE-lite gives the pair 15 s to see a check.
    let (mut call, _, _) = Call::browser_calls(&[Codec::Opus]);
    call.peer_silent = true;
    call.advance(Duration::from_secs(10));
    assert!(call.at_leg.failed().is_none(), "{:?}", call.at_leg.failed());
    call.advance(Duration::from_secs(21));
    let reason = call
        .at_leg
        .failed()
        .unwrap_or_else(|| panic!("leg still waiting after 31 s"));
    assert!(reason.contains("ICE"), "{reason}");

    // Without candidates (trickle ICE whose candidates never came), the setup timer ends it.
    let strip = |offer: &str| -> String {
        offer
            .split_inclusive('\n')
            .filter(|l| !l.starts_with("a=candidate"))
            .collect()
    };
    let (mut call, _, _) = Call::browser_calls_with(&[Codec::Opus], strip);
    call.peer_silent = true;
    call.advance(Duration::from_secs(29));
    assert!(call.at_leg.failed().is_none(), "{:?}", call.at_leg.failed());
    call.advance(Duration::from_secs(2));
    let reason = call
        .at_leg
        .failed()
        .unwrap_or_else(|| panic!("leg still waiting after 31 s"));
    assert!(reason.contains("setup"), "{reason}");
}
