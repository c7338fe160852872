//! SDP-level behaviour of the leg: what it offers and answers, and what it refuses.

use std::net::SocketAddr;
use std::time::Instant;

use super::{TestPeer, WebRtcError, WebRtcLeg};
use crate::codec::Codec;

fn local() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 1], 40_000))
}

fn peer() -> SocketAddr {
    SocketAddr::from(([198, 51, 100, 7], 50_000))
}

fn m_audio(sdp: &str) -> &str {
    sdp.lines()
        .find(|l| l.starts_with("m=audio"))
        .unwrap_or_else(|| panic!("no m=audio in {sdp}"))
}

fn browser_offer() -> String {
    match TestPeer::offer(Instant::now(), peer()) {
        Ok((_, offer)) => offer,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn offer_is_ice_lite_dtls_srtp_bundled_without_g729() {
    let (leg, offer) = WebRtcLeg::offer(
        Instant::now(),
        local(),
        &[Codec::G729, Codec::Opus, Codec::Pcma, Codec::G722],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        m_audio(&offer),
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 8 9 110 126"
    );
    for line in [
        "a=ice-lite",
        "a=rtcp-mux",
        "a=setup:actpass",
        "a=rtpmap:111 opus/48000/2",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:9 G722/8000",
        "a=rtpmap:110 telephone-event/48000",
        "a=rtpmap:126 telephone-event/8000",
        "a=candidate:",
    ] {
        assert!(
            offer.lines().any(|l| l.starts_with(line)),
            "{line} missing:\n{offer}"
        );
    }
    assert!(offer.contains("192.0.2.1 40000 typ host"), "{offer}");
    assert!(
        offer.lines().any(|l| l.starts_with("a=group:BUNDLE ")),
        "{offer}"
    );
    assert!(
        offer
            .lines()
            .any(|l| l.starts_with("a=fingerprint:sha-256 ")),
        "{offer}"
    );
    assert!(!offer.contains("G729"), "{offer}");
    // Nothing is agreed before the answer.
    assert_eq!(leg.audio(), None);
    assert_eq!(leg.telephone_event(), None);
}

#[test]
fn answer_follows_our_preference_and_picks_the_matching_event_clock() {
    let offer = browser_offer();
    assert_eq!(m_audio(&offer), "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 110 126");
    let (leg, answer) =
        WebRtcLeg::answer(Instant::now(), &offer, local(), &[Codec::Pcmu, Codec::Opus])
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        m_audio(&answer).starts_with("m=audio 9 UDP/TLS/RTP/SAVPF 0 111"),
        "{answer}"
    );
    assert!(answer.contains("a=ice-lite"));
    assert!(answer.contains("a=rtcp-mux"));
    assert_eq!(leg.audio(), Some((Codec::Pcmu, 0)));
    // PCMU runs at 8 kHz, so its events do too (RFC 4733 §2.1).
    assert_eq!(leg.telephone_event_clock(), Some((126, 8_000)));
}

#[test]
fn no_codec_in_common_is_an_error() {
    let offer = browser_offer();
    let result = WebRtcLeg::answer(Instant::now(), &offer, local(), &[Codec::Pcma, Codec::G722]);
    assert!(
        matches!(result, Err(WebRtcError::NoCommonCodec)),
        "{:?}",
        result.err()
    );
}

#[test]
fn g729_alone_is_no_browser_codec() {
    let result = WebRtcLeg::offer(Instant::now(), local(), &[Codec::G729]);
    assert!(
        matches!(result, Err(WebRtcError::NoCodec)),
        "{:?}",
        result.err()
    );
    let result = WebRtcLeg::answer(Instant::now(), &browser_offer(), local(), &[]);
    assert!(
        matches!(result, Err(WebRtcError::NoCodec)),
        "{:?}",
        result.err()
    );
}

#[test]
fn plain_rtp_and_fingerprintless_offers_are_refused() {
    let offer = browser_offer();
    // str0m's parser skips m-lines that are not UDP/TLS/RTP/SAVPF, leaving none to answer.
    for proto in ["RTP/AVP", "RTP/SAVP", "RTP/AVPF"] {
        let plain = offer.replace("UDP/TLS/RTP/SAVPF", proto);
        let result = WebRtcLeg::answer(Instant::now(), &plain, local(), &[Codec::Opus]);
        assert!(
            matches!(
                result,
                Err(WebRtcError::Sdp(_) | WebRtcError::Negotiation(_))
            ),
            "{proto}: {:?}",
            result.err()
        );
    }

    let bare: String = offer
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("a=fingerprint"))
        .collect();
    let result = WebRtcLeg::answer(Instant::now(), &bare, local(), &[Codec::Opus]);
    assert!(
        matches!(result, Err(WebRtcError::Negotiation(_))),
        "{:?}",
        result.err()
    );

    let result = WebRtcLeg::answer(Instant::now(), "v=0\r\nnonsense", local(), &[Codec::Opus]);
    assert!(
        matches!(result, Err(WebRtcError::Sdp(_))),
        "{:?}",
        result.err()
    );
}

#[test]
fn accept_answer_needs_our_offer() {
    let (mut leg, _) = WebRtcLeg::answer(Instant::now(), &browser_offer(), local(), &[Codec::Opus])
        .unwrap_or_else(|e| panic!("{e}"));
    let result = leg.accept_answer(Instant::now(), &browser_offer());
    assert!(
        matches!(result, Err(WebRtcError::NoPendingOffer)),
        "{:?}",
        result.err()
    );
}

/// A browser offers the transport-wide sequence number (the test peer has str0m's standard
/// set, as Chrome does); our answer and our own offer leave it out, and absolute send time
/// too, so no leg keeps per-packet send records for congestion control (see `lean`). An
/// `a=rtcp-fb: transport-cc` line may stay: without the header extension there is nothing
/// to report on.
#[test]
fn the_leg_negotiates_no_congestion_control_extensions() {
    let offer = browser_offer();
    assert!(offer.contains("transport-wide-cc"), "{offer}");
    let (_, answer) = WebRtcLeg::answer(Instant::now(), &offer, local(), &[Codec::Opus])
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, our_offer) =
        WebRtcLeg::offer(Instant::now(), local(), &[Codec::Opus]).unwrap_or_else(|e| panic!("{e}"));
    for sdp in [&answer, &our_offer] {
        assert!(!sdp.contains("transport-wide-cc"), "{sdp}");
        assert!(!sdp.contains("abs-send-time"), "{sdp}");
        assert!(sdp.contains("urn:ietf:params:rtp-hdrext:sdes:mid"), "{sdp}");
    }
}
