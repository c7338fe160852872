//! The relay's rules on a virtual clock: forwarding both ways, latching, bleed, payload
//! types, hold, counters.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::*;
use crate::rtcp::tests::receiver_report;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn rtp(pt: u8, seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0xd5; 160]);
    p
}

const A_SDP: &str = "192.168.1.10:4000";
const A_SDP_RTCP: &str = "192.168.1.10:4001";
const B_SDP: &str = "10.0.0.20:6000";
const B_SDP_RTCP: &str = "10.0.0.20:6001";

/// A call with both SDPs known: A offered 0, 8, 101; B answered 0, 101.
fn call() -> Relay {
    let mut r = Relay::new();
    r.set_remote(Side::A, addr(A_SDP), addr(A_SDP_RTCP), &[0, 8, 101], 8000);
    r.set_remote(Side::B, addr(B_SDP), addr(B_SDP_RTCP), &[0, 101], 8000);
    r
}

fn fwd(to: &str) -> Verdict {
    Verdict::Forward { to: addr(to) }
}

#[test]
fn relays_both_ways_to_sdp_then_latched_addresses() {
    let now = Instant::now();
    let mut r = call();
    // A is behind NAT: its packets come from a public address, not the SDP one.
    let a_nat = addr("198.51.100.7:31000");
    assert_eq!(
        r.on_packet(now, Side::A, Kind::Rtp, a_nat, &rtp(0, 1, 11)),
        fwd(B_SDP)
    );
    assert_eq!(r.latched(Side::A), (Some(a_nat), None));
    // B answers media: goes to where A really is.
    let b_src = addr(B_SDP);
    assert_eq!(
        r.on_packet(now, Side::B, Kind::Rtp, b_src, &rtp(0, 7, 22)),
        fwd("198.51.100.7:31000")
    );
    assert_eq!(
        r.on_packet(now, Side::A, Kind::Rtp, a_nat, &rtp(0, 2, 11)),
        fwd(B_SDP)
    );

    let a = r.stats(Side::A);
    assert_eq!((a.packets_in, a.bytes_in, a.packets_out), (2, 320, 1));
    let b = r.stats(Side::B);
    assert_eq!((b.packets_in, b.bytes_in, b.packets_out), (1, 160, 2));
}

#[test]
fn rtcp_is_relayed_and_latched_separately() {
    let now = Instant::now();
    let mut r = call();
    let a_rtp = addr("198.51.100.7:31000");
    let a_rtcp = addr("198.51.100.7:31001");
    r.on_packet(now, Side::A, Kind::Rtp, a_rtp, &rtp(0, 1, 11));
    let rr = receiver_report(11, 22, 3, 160);
    assert_eq!(
        r.on_packet(now, Side::A, Kind::Rtcp, a_rtcp, &rr),
        fwd(B_SDP_RTCP)
    );
    assert_eq!(r.latched(Side::A), (Some(a_rtp), Some(a_rtcp)));
    // B's RTCP reaches A's latched RTCP address.
    let rr_b = receiver_report(22, 11, 0, 8);
    assert_eq!(
        r.on_packet(now, Side::B, Kind::Rtcp, addr(B_SDP_RTCP), &rr_b),
        fwd("198.51.100.7:31001")
    );
    // RTCP from another port of the same IP after latching: bleed.
    let other = addr("198.51.100.7:40000");
    assert_eq!(
        r.on_packet(now, Side::A, Kind::Rtcp, other, &rr),
        Verdict::Drop(DropReason::Bleed)
    );
    // RTP on the RTCP socket is not RTCP.
    assert_eq!(
        r.on_packet(now, Side::A, Kind::Rtcp, a_rtcp, &rtp(0, 2, 11)),
        Verdict::Drop(DropReason::Malformed)
    );

    let a = r.stats(Side::A);
    assert_eq!(a.rtcp_packets_in, 1);
    assert_eq!(a.rtcp_lost, Some(3));
    assert_eq!(a.rtcp_jitter_ms, Some(20.0));
    assert_eq!(a.packets_out, 0, "RTCP is not counted as RTP out");
}

#[test]
fn rtcp_must_come_from_the_latched_rtp_ip() {
    let now = Instant::now();
    let mut r = call();
    r.on_packet(
        now,
        Side::A,
        Kind::Rtp,
        addr("198.51.100.7:31000"),
        &rtp(0, 1, 11),
    );
    let rr = receiver_report(11, 22, 0, 0);
    assert_eq!(
        r.on_packet(now, Side::A, Kind::Rtcp, addr("203.0.113.66:31001"), &rr),
        Verdict::Drop(DropReason::Bleed)
    );
    assert_eq!(r.latched(Side::A).1, None);
}

#[test]
fn bleed_from_another_source_is_dropped() {
    let now = Instant::now();
    let mut r = call();
    let a = addr("198.51.100.7:31000");
    r.on_packet(now, Side::A, Kind::Rtp, a, &rtp(0, 1, 11));
    // Even the address A's SDP named is not accepted once A latched elsewhere.
    for intruder in [
        addr("203.0.113.66:5000"),
        addr(A_SDP),
        addr("198.51.100.7:31002"),
    ] {
        assert_eq!(
            r.on_packet(now, Side::A, Kind::Rtp, intruder, &rtp(0, 2, 99)),
            Verdict::Drop(DropReason::Bleed)
        );
    }
    let s = r.stats(Side::A);
    assert_eq!((s.packets_in, s.drops.bleed), (1, 3));
    assert_eq!(r.stats(Side::B).packets_out, 1);
}

#[test]
fn set_remote_unlatches_for_the_next_source() {
    let now = Instant::now();
    let mut r = call();
    r.on_packet(
        now,
        Side::A,
        Kind::Rtp,
        addr("198.51.100.7:31000"),
        &rtp(0, 1, 11),
    );
    // Re-INVITE: A moved (new network, or a transfer put another phone there).
    r.set_remote(
        Side::A,
        addr("192.168.1.11:4100"),
        addr("192.168.1.11:4101"),
        &[8],
        8000,
    );
    assert_eq!(r.latched(Side::A), (None, None));
    let moved = addr("198.51.100.9:32000");
    assert_eq!(
        r.on_packet(now, Side::A, Kind::Rtp, moved, &rtp(8, 2, 11)),
        fwd(B_SDP)
    );
    assert_eq!(
        r.on_packet(
            now,
            Side::A,
            Kind::Rtp,
            addr("198.51.100.7:31000"),
            &rtp(8, 3, 11)
        ),
        Verdict::Drop(DropReason::Bleed)
    );
    // B now sends to the new A (unlatched: its SDP address until it latches).
    assert_eq!(
        r.on_packet(now, Side::B, Kind::Rtp, addr(B_SDP), &rtp(0, 1, 22)),
        fwd("198.51.100.9:32000")
    );
    // Counters survive the re-INVITE.
    assert_eq!(r.stats(Side::A).packets_in, 2);
}

#[test]
fn payload_types_not_negotiated_are_dropped_and_do_not_latch() {
    let now = Instant::now();
    let mut r = call();
    let b = addr(B_SDP);
    // B answered 0 and 101 only: PCMA (8) and a random 96 are refused.
    for pt in [8, 96, 127] {
        assert_eq!(
            r.on_packet(now, Side::B, Kind::Rtp, b, &rtp(pt, 1, 22)),
            Verdict::Drop(DropReason::PayloadType(pt))
        );
    }
    assert_eq!(r.latched(Side::B), (None, None));
    assert_eq!(
        r.on_packet(now, Side::B, Kind::Rtp, b, &rtp(101, 1, 22)),
        fwd(A_SDP)
    );
    let s = r.stats(Side::B);
    assert_eq!((s.packets_in, s.drops.payload_type), (1, 3));
}

#[test]
fn malformed_and_unknown_side_are_dropped() {
    let now = Instant::now();
    let mut r = Relay::new();
    let from = addr("192.0.2.1:5000");
    assert_eq!(
        r.on_packet(now, Side::A, Kind::Rtp, from, &rtp(0, 1, 1)),
        Verdict::Drop(DropReason::NoRemote)
    );
    r.set_remote(Side::A, addr(A_SDP), addr(A_SDP_RTCP), &[0], 8000);
    for junk in [
        &b"hello"[..],
        &[0x40; 20],
        &[],
        &receiver_report(1, 2, 0, 0),
    ] {
        assert_eq!(
            r.on_packet(now, Side::A, Kind::Rtp, from, junk),
            Verdict::Drop(DropReason::Malformed)
        );
    }
    assert_eq!(r.latched(Side::A), (None, None), "junk does not latch");
    // Valid, but B has no SDP yet: counted, latched, not forwarded.
    assert_eq!(
        r.on_packet(now, Side::A, Kind::Rtp, from, &rtp(0, 1, 1)),
        Verdict::Drop(DropReason::NoDestination)
    );
    let s = r.stats(Side::A);
    assert_eq!(
        (
            s.packets_in,
            s.drops.no_remote,
            s.drops.malformed,
            s.drops.no_destination
        ),
        (1, 1, 4, 1)
    );
}

#[test]
fn old_style_hold_and_rejected_stream_get_nothing() {
    let now = Instant::now();
    let mut r = call();
    let b = addr(B_SDP);
    r.on_packet(now, Side::A, Kind::Rtp, addr(A_SDP), &rtp(0, 1, 11));
    // A puts B on hold the RFC 2543 way: "send me nothing".
    r.set_remote(
        Side::A,
        addr("0.0.0.0:4000"),
        addr("0.0.0.0:4001"),
        &[0],
        8000,
    );
    assert_eq!(
        r.on_packet(now, Side::B, Kind::Rtp, b, &rtp(0, 1, 22)),
        Verdict::Drop(DropReason::NoDestination)
    );
    // A still sends (music on hold): B gets it.
    assert_eq!(
        r.on_packet(now, Side::A, Kind::Rtp, addr(A_SDP), &rtp(0, 2, 11)),
        fwd(B_SDP)
    );
    r.set_remote(
        Side::A,
        addr("192.168.1.10:0"),
        addr("192.168.1.10:1"),
        &[0],
        8000,
    );
    assert_eq!(
        r.on_packet(now, Side::B, Kind::Rtp, b, &rtp(0, 2, 22)),
        Verdict::Drop(DropReason::NoDestination)
    );
}

#[test]
fn loss_and_jitter_are_counted_per_side() {
    let start = Instant::now();
    let mut r = call();
    let a = addr(A_SDP);
    for (i, seq) in [1u16, 2, 4, 5, 6].iter().enumerate() {
        // Every other packet 5 ms late.
        let late = if i % 2 == 1 { 5 } else { 0 };
        let at = start + Duration::from_millis(20 * u64::from(*seq) + late);
        r.on_packet(at, Side::A, Kind::Rtp, a, &rtp(0, *seq, 11));
    }
    let s = r.stats(Side::A);
    assert_eq!((s.packets_in, s.lost), (5, 1));
    assert!(s.jitter_ms > 0.0 && s.jitter_ms < 5.0, "{}", s.jitter_ms);
    assert_eq!(r.stats(Side::B).lost, 0);
    // A new SSRC (e.g. after a transfer) starts a new sequence without inventing loss.
    r.on_packet(start, Side::A, Kind::Rtp, a, &rtp(0, 40000, 12));
    r.on_packet(start, Side::A, Kind::Rtp, a, &rtp(0, 40001, 12));
    assert_eq!(r.stats(Side::A).lost, 1);
}

#[test]
fn send_failed_corrects_packets_out() {
    let now = Instant::now();
    let mut r = call();
    r.on_packet(now, Side::A, Kind::Rtp, addr(A_SDP), &rtp(0, 1, 11));
    r.send_failed(Side::B, Kind::Rtp);
    r.send_failed(Side::B, Kind::Rtp);
    assert_eq!(r.stats(Side::B).packets_out, 0);
}

#[test]
fn side_helpers() {
    assert_eq!(Side::A.other(), Side::B);
    assert_eq!(Side::B.other(), Side::A);
    assert_eq!(pt_set(&[0, 127, 200]), 1 | 1 << 127);
    assert!(!pt_allowed(u128::MAX, 128));
}
