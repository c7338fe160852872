//! The bridge between two RTP legs, on a virtual clock: relay, transcode (the tone's
//! frequency survives), DTMF across clocks, SDES-SRTP on one leg, latching.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::codec::test_tone::{dominant_frequency, sine};
use crate::codec::{Codec, decoder, encoder};
use crate::dtmf::{DtmfEvent, parse_event, write_event};
use crate::srtp::{CryptoAttribute, CryptoSuite};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

const A_PEER: &str = "127.0.0.1:40000";
const B_PEER: &str = "127.0.0.1:41000";
const A_LOCAL: &str = "127.0.0.1:20000";
const B_LOCAL: &str = "127.0.0.1:20002";

fn rtp_leg(peer: &str, codec: Codec, pt: u8, event: Option<u8>) -> LegSetup {
    let rtp = addr(peer);
    LegSetup::Rtp {
        rtp,
        rtcp: SocketAddr::new(rtp.ip(), rtp.port() + 1),
        chosen: Chosen {
            codec,
            pt,
            telephone_event: event,
        },
        srtp: None,
    }
}

fn packet(pt: u8, seq: u16, ts: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, if marker { 0x80 } else { 0 } | pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn bridge(a: LegSetup, b: LegSetup, now: Instant) -> Bridge {
    let mut bridge = Bridge::new(EncoderOptions::default());
    bridge
        .set_leg(now, Side::A, a)
        .unwrap_or_else(|e| panic!("leg A: {e}"));
    bridge
        .set_leg(now, Side::B, b)
        .unwrap_or_else(|e| panic!("leg B: {e}"));
    bridge
}

fn transmits(bridge: &mut Bridge) -> Vec<Transmit> {
    std::iter::from_fn(|| bridge.poll_transmit()).collect()
}

/// Sends `frames` 20 ms frames of a tone, encoded with `codec`, from A's peer.
fn send_tone(
    bridge: &mut Bridge,
    start: Instant,
    codec: Codec,
    pt: u8,
    freq: f64,
    frames: u16,
) -> Vec<Transmit> {
    let rate = codec.pcm_rate();
    let mut enc =
        encoder(codec, rate, &EncoderOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let pcm = sine(freq, rate, (rate / 50) as usize * frames as usize, 8000.0);
    let mut out = Vec::new();
    for (i, chunk) in pcm.chunks((rate / 50) as usize).enumerate() {
        let mut payload = Vec::new();
        enc.encode(chunk, &mut payload)
            .unwrap_or_else(|e| panic!("{e}"));
        let i = i as u16;
        let ts = u32::from(i) * codec.rtp_ticks_per_frame();
        let now = start + Duration::from_millis(20 * u64::from(i));
        bridge.handle_packet(
            now,
            Side::A,
            Kind::Rtp,
            addr(A_PEER),
            addr(A_LOCAL),
            &packet(pt, i, ts, i == 0, &payload),
        );
        bridge.handle_timeout(now);
        out.extend(transmits(bridge));
    }
    out
}

fn payloads_to(sent: &[Transmit], to: &str, pt: u8) -> Vec<Vec<u8>> {
    sent.iter()
        .filter(|t| t.to == addr(to) && t.kind == Kind::Rtp)
        .filter_map(|t| {
            let h = crate::rtp::parse(&t.bytes).ok()?;
            (h.payload_type == pt).then(|| {
                t.bytes
                    .get(h.payload_offset..h.payload_offset + h.payload_len)
                    .map(<[u8]>::to_vec)
            })?
        })
        .collect()
}

#[test]
fn the_same_codec_is_relayed_with_our_own_stream_identity() {
    let now = Instant::now();
    let mut b = bridge(
        rtp_leg(A_PEER, Codec::Pcmu, 0, None),
        rtp_leg(B_PEER, Codec::Pcmu, 0, None),
        now,
    );
    assert_eq!(b.path_kind(Side::A), Some(PathKind::Relay));
    b.handle_packet(
        now,
        Side::A,
        Kind::Rtp,
        addr(A_PEER),
        addr(A_LOCAL),
        &packet(0, 7, 1000, true, &[0xAB; 160]),
    );
    let sent = transmits(&mut b);
    assert_eq!(sent.len(), 1);
    let t = &sent[0];
    assert_eq!((t.side, t.kind, t.to), (Side::B, Kind::Rtp, addr(B_PEER)));
    let h = crate::rtp::parse(&t.bytes).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(h.payload_type, 0);
    assert!(h.marker);
    assert_ne!(
        h.ssrc, 0x1234_5678,
        "the far leg sees our SSRC, not the caller's"
    );
    assert_eq!(&t.bytes[12..], &[0xAB; 160][..]);
    assert_eq!(b.stats(Side::A).packets_in, 1);
    assert_eq!(b.stats(Side::B).packets_out, 1);
}

#[test]
fn pcmu_to_g722_is_transcoded_and_keeps_the_tone() {
    let now = Instant::now();
    let mut b = bridge(
        rtp_leg(A_PEER, Codec::Pcmu, 0, None),
        rtp_leg(B_PEER, Codec::G722, 9, None),
        now,
    );
    assert_eq!(b.path_kind(Side::A), Some(PathKind::Transcode));
    let sent = send_tone(&mut b, now, Codec::Pcmu, 0, 1000.0, 50);
    let frames = payloads_to(&sent, B_PEER, 9);
    assert!(frames.len() >= 45, "{} G.722 frames", frames.len());
    let mut dec = decoder(Codec::G722, 16000).unwrap_or_else(|e| panic!("{e}"));
    let mut pcm = Vec::new();
    for f in &frames {
        dec.decode(f, &mut pcm).unwrap_or_else(|e| panic!("{e}"));
    }
    let tail = &pcm[pcm.len() / 2..];
    assert_eq!(dominant_frequency(tail, 16000, 300, 3000, 50), 1000);
}

#[test]
fn dtmf_moves_from_8000_to_48000_and_is_reported_once() {
    let now = Instant::now();
    let mut b = bridge(
        rtp_leg(A_PEER, Codec::Pcmu, 0, Some(101)),
        rtp_leg(B_PEER, Codec::Opus, 111, Some(110)),
        now,
    );
    let mut sent = Vec::new();
    for (i, (duration, end)) in [
        (160u16, false),
        (320, false),
        (480, true),
        (480, true),
        (480, true),
    ]
    .into_iter()
    .enumerate()
    {
        let mut payload = Vec::new();
        write_event(
            &DtmfEvent {
                digit: '5',
                end,
                volume: 10,
                duration,
            },
            &mut payload,
        );
        let at = now + Duration::from_millis(20 * i as u64);
        b.handle_packet(
            at,
            Side::A,
            Kind::Rtp,
            addr(A_PEER),
            addr(A_LOCAL),
            &packet(101, i as u16, 8000, i == 0, &payload),
        );
        sent.extend(transmits(&mut b));
    }
    let events: Vec<DtmfEvent> = payloads_to(&sent, B_PEER, 110)
        .iter()
        .filter_map(|p| parse_event(p))
        .collect();
    assert!(events.len() >= 3, "{events:?}");
    assert!(events.iter().all(|e| e.digit == '5'));
    assert_eq!(
        events.last().map(|e| (e.end, e.duration)),
        Some((true, 480 * 6))
    );
    let digits: Vec<BridgeEvent> = std::iter::from_fn(|| b.poll_event()).collect();
    assert_eq!(
        digits,
        vec![BridgeEvent::Digit {
            side: Side::A,
            digit: '5'
        }]
    );
}

#[test]
fn a_digit_from_sip_info_goes_out_as_rfc4733_events() {
    let now = Instant::now();
    let mut b = bridge(
        rtp_leg(A_PEER, Codec::Pcmu, 0, Some(101)),
        rtp_leg(B_PEER, Codec::Pcmu, 0, Some(101)),
        now,
    );
    b.send_digit(now, Side::B, '#', 100);
    let mut sent = transmits(&mut b);
    let mut at = now;
    while let Some(next) = b.poll_timeout() {
        at = next.max(at);
        b.handle_timeout(at);
        sent.extend(transmits(&mut b));
        if at > now + Duration::from_secs(1) {
            break;
        }
    }
    let events: Vec<DtmfEvent> = payloads_to(&sent, B_PEER, 101)
        .iter()
        .filter_map(|p| parse_event(p))
        .collect();
    assert!(events.len() >= 4, "{events:?}");
    assert!(events.iter().all(|e| e.digit == '#'));
    assert!(events.last().is_some_and(|e| e.end));
    let markers: Vec<bool> = sent
        .iter()
        .filter_map(|t| crate::rtp::parse(&t.bytes).ok())
        .filter(|h| h.payload_type == 101)
        .map(|h| h.marker)
        .collect();
    assert_eq!(markers.iter().filter(|m| **m).count(), 1, "{markers:?}");
    assert_eq!(
        markers.first(),
        Some(&true),
        "the event's first packet is marked"
    );
}

#[test]
fn an_sdes_leg_is_decrypted_and_the_plain_leg_gets_clear_rtp() {
    let now = Instant::now();
    let theirs = CryptoAttribute::generate(
        1,
        CryptoSuite::AesCm128HmacSha1_80,
        &mut |b: &mut [u8]| rand::fill(b),
    );
    let ours = CryptoAttribute::generate(
        1,
        CryptoSuite::AesCm128HmacSha1_80,
        &mut |b: &mut [u8]| rand::fill(b),
    );
    let bridge_side = SrtpSession::new(&ours, &theirs).unwrap_or_else(|e| panic!("{e}"));
    let mut phone = SrtpSession::new(&theirs, &ours).unwrap_or_else(|e| panic!("{e}"));
    let a = LegSetup::Rtp {
        rtp: addr(A_PEER),
        rtcp: addr("127.0.0.1:40001"),
        chosen: Chosen {
            codec: Codec::Pcmu,
            pt: 0,
            telephone_event: None,
        },
        srtp: Some(bridge_side),
    };
    let mut b = bridge(a, rtp_leg(B_PEER, Codec::Pcmu, 0, None), now);
    let clear = packet(0, 1, 160, false, &[0x55; 160]);
    let secret = phone.protect_rtp(&clear).unwrap_or_else(|e| panic!("{e}"));
    b.handle_packet(
        now,
        Side::A,
        Kind::Rtp,
        addr(A_PEER),
        addr(A_LOCAL),
        &secret,
    );
    let to_b = payloads_to(&transmits(&mut b), B_PEER, 0);
    assert_eq!(to_b, vec![vec![0x55; 160]]);
    // ... and what B's peer sends reaches A's peer encrypted with our key.
    b.handle_packet(
        now,
        Side::B,
        Kind::Rtp,
        addr(B_PEER),
        addr(B_LOCAL),
        &packet(0, 9, 320, false, &[0x66; 160]),
    );
    let to_a: Vec<Transmit> = transmits(&mut b)
        .into_iter()
        .filter(|t| t.to == addr(A_PEER))
        .collect();
    assert_eq!(to_a.len(), 1);
    assert_ne!(
        &to_a[0].bytes[12..172],
        &[0x66; 160][..],
        "sent in the clear"
    );
    let opened = phone
        .unprotect_rtp(&to_a[0].bytes)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&opened[12..], &[0x66; 160][..]);
    // A forged packet (not under the key) is dropped.
    b.handle_packet(
        now,
        Side::A,
        Kind::Rtp,
        addr(A_PEER),
        addr(A_LOCAL),
        &packet(0, 2, 320, false, &[0x55; 170]),
    );
    assert!(transmits(&mut b).is_empty());
}

#[test]
fn a_leg_latches_and_drops_other_sources() {
    let now = Instant::now();
    let mut b = bridge(
        rtp_leg(A_PEER, Codec::Pcmu, 0, None),
        rtp_leg(B_PEER, Codec::Pcmu, 0, None),
        now,
    );
    let nat = addr("127.0.0.9:5555");
    b.handle_packet(
        now,
        Side::A,
        Kind::Rtp,
        nat,
        addr(A_LOCAL),
        &packet(0, 1, 160, false, &[1; 160]),
    );
    assert_eq!(transmits(&mut b).len(), 1);
    assert_eq!(b.latched(Side::A).0, Some(nat));
    b.handle_packet(
        now,
        Side::A,
        Kind::Rtp,
        addr("127.0.0.66:1"),
        addr(A_LOCAL),
        &packet(0, 2, 320, false, &[2; 160]),
    );
    assert!(transmits(&mut b).is_empty(), "RTP bleed");
    // Not negotiated: payload type 8.
    b.handle_packet(
        now,
        Side::A,
        Kind::Rtp,
        nat,
        addr(A_LOCAL),
        &packet(8, 3, 480, false, &[3; 160]),
    );
    assert!(transmits(&mut b).is_empty());
    assert_eq!(b.stats(Side::A).drops.bleed, 1);
}

#[test]
fn a_cleared_leg_gets_nothing_until_another_is_set() {
    let now = Instant::now();
    let mut b = bridge(
        rtp_leg(A_PEER, Codec::Pcmu, 0, None),
        rtp_leg(B_PEER, Codec::Pcmu, 0, None),
        now,
    );
    b.clear_leg(Side::B);
    assert_eq!(b.path_kind(Side::A), None);
    let from_a = packet(0, 1, 160, false, &[1; 160]);
    b.handle_packet(
        now,
        Side::A,
        Kind::Rtp,
        addr(A_PEER),
        addr(A_LOCAL),
        &from_a,
    );
    assert!(
        transmits(&mut b).is_empty(),
        "nothing goes to a cleared leg"
    );
    b.handle_packet(
        now,
        Side::B,
        Kind::Rtp,
        addr(B_PEER),
        addr(B_LOCAL),
        &packet(0, 1, 160, false, &[2; 160]),
    );
    assert!(transmits(&mut b).is_empty(), "nothing comes from it");

    // Another callee's leg: audio flows again, to it only.
    let other = "127.0.0.1:42000";
    b.set_leg(now, Side::B, rtp_leg(other, Codec::G722, 9, None))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.path_kind(Side::A), Some(PathKind::Transcode));
    let sent = send_tone(&mut b, now, Codec::Pcmu, 0, 1000.0, 20);
    let frames = payloads_to(&sent, other, 9).len();
    assert!(frames >= 10, "{frames} G.722 frames reached the new leg");
    assert!(payloads_to(&sent, B_PEER, 0).is_empty());
}
