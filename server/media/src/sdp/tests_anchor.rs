//! Anchor rewriting: addresses, versions, dropped attributes, hold.

use std::net::{IpAddr, Ipv4Addr};

use super::tests::{BARESIP, POLYCOM, SIPP, WEBRTC};
use super::*;

const OURS: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5));

fn parse(text: &str) -> SessionDescription {
    SessionDescription::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn names(m: &MediaDescription) -> Vec<&str> {
    m.attributes.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn sipp_offer_is_anchored() {
    let mut anchor = Anchor::new(777);
    let out = anchor.rewrite(&parse(SIPP), OURS, &[30000]);
    assert_eq!(
        out.to_string(),
        "v=0\r\no=switchboard 777 1 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\n\
         t=0 0\r\nm=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    );
    assert!(!out.to_string().contains("127.0.0.1"));
}

#[test]
fn version_grows_only_when_the_body_changes() {
    let mut anchor = Anchor::new(1);
    let offer = parse(POLYCOM);
    let first = anchor.rewrite(&offer, OURS, &[30000]).clone();
    assert_eq!(first.origin.version, "1");
    // Same body again (e.g. a session-timer refresh): same version.
    let again = anchor.rewrite(&offer, OURS, &[30000]);
    assert_eq!(again.origin.version, "1");
    assert_eq!(*again, first);
    // The peer's own version moving does not matter, only what we send.
    let mut bumped = offer.clone();
    bumped.origin.version = "1612345679".to_string();
    assert_eq!(anchor.rewrite(&bumped, OURS, &[30000]).origin.version, "1");
    // Hold: body differs -> version + 1; resume -> + 1 again.
    let mut hold = offer.clone();
    hold.media[0].set_direction(Direction::SendOnly);
    let held = anchor.rewrite(&hold, OURS, &[30000]);
    assert_eq!(held.origin.version, "2");
    assert_eq!(held.direction(0), Direction::SendOnly);
    assert_eq!(anchor.rewrite(&offer, OURS, &[30000]).origin.version, "3");
    assert_eq!(anchor.version(), 3);
    assert_eq!(anchor.session_id(), 1);
}

#[test]
fn transport_attributes_are_dropped_codecs_kept() {
    let mut anchor = Anchor::new(5);
    let out = anchor.rewrite(&parse(BARESIP), OURS, &[30002]);
    let m = &out.media[0];
    assert!(!names(m).contains(&"rtcp"));
    assert!(names(m).contains(&"rtcp-rsize"));
    assert_eq!(m.payload_types(), vec![96, 9, 0, 8, 101]);
    assert_eq!(m.attribute("fmtp"), Some("96 stereo=1;sprop-stereo=1"));
    assert_eq!(
        out.remote_rtp(0),
        Some(
            "203.0.113.5:30002"
                .parse()
                .unwrap_or_else(|_| unreachable!())
        )
    );
    assert_eq!(out.remote_rtcp(0).map(|a| a.port()), Some(30003));
    assert!(!out.to_string().contains("192.168.0.10"));
}

#[test]
fn ice_is_dropped_and_webrtc_zero_address_is_not_hold() {
    let mut anchor = Anchor::new(5);
    let out = anchor.rewrite(&parse(WEBRTC), OURS, &[30004]);
    let m = &out.media[0];
    for gone in [
        "candidate",
        "ice-ufrag",
        "ice-pwd",
        "ice-options",
        "rtcp",
        "rtcp-mux",
    ] {
        assert!(!names(m).contains(&gone), "{gone} kept");
    }
    assert_eq!(out.direction(0), Direction::SendRecv);
    assert_eq!(m.connection, Some(Connection::for_ip(OURS)));
    assert_eq!(out.connection, None, "every m-line has its own c=");
    assert!(!out.to_string().contains("0.0.0.0"));
    assert!(!out.to_string().contains("192.168.0.196"));
}

#[test]
fn rejected_and_unanchored_streams_get_port_zero() {
    let offer = parse(
        "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n\
         m=audio 4000 RTP/AVP 0\nm=video 0 RTP/AVP 96\nm=video 4002 RTP/AVP 97\n",
    );
    let out = Anchor::new(1)
        .rewrite(&offer, OURS, &[30000, 30002])
        .clone();
    let ports: Vec<u16> = out.media.iter().map(|m| m.port).collect();
    assert_eq!(ports, vec![30000, 0, 0]);
}

#[test]
fn modern_hold_directions_pass_through() {
    for d in [
        Direction::SendOnly,
        Direction::RecvOnly,
        Direction::Inactive,
    ] {
        let mut offer = parse(SIPP);
        offer.media[0].set_direction(d);
        let out = Anchor::new(1).rewrite(&offer, OURS, &[30000]).clone();
        assert_eq!(out.direction(0), d);
        assert_eq!(out.remote_rtp(0).map(|a| a.ip()), Some(OURS));
    }
}

#[test]
fn old_style_hold_becomes_a_direction_with_our_address() {
    let hold = |extra: &str| {
        parse(&format!(
            "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 4000 RTP/AVP 0\n{extra}"
        ))
    };
    let cases = [
        ("", Direction::SendOnly),
        ("a=sendrecv\n", Direction::SendOnly),
        ("a=sendonly\n", Direction::SendOnly),
        ("a=recvonly\n", Direction::Inactive),
        ("a=inactive\n", Direction::Inactive),
    ];
    for (extra, want) in cases {
        let offer = hold(extra);
        assert!(offer.is_old_hold(0));
        let out = Anchor::new(1).rewrite(&offer, OURS, &[30000]).clone();
        assert_eq!(out.direction(0), want, "{extra:?}");
        assert_eq!(out.connection, Some(Connection::for_ip(OURS)));
        assert!(!out.to_string().contains("0.0.0.0"));
    }
}

#[test]
fn session_level_hold_direction_is_kept() {
    let offer = parse(
        "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\na=sendonly\nm=audio 4000 RTP/AVP 0\n",
    );
    let out = Anchor::new(1).rewrite(&offer, OURS, &[30000]).clone();
    assert_eq!(out.direction(0), Direction::SendOnly);
}

#[test]
fn ipv6_anchor_and_missing_session_connection() {
    let ours: IpAddr = "2001:db8::5".parse().unwrap_or_else(|_| unreachable!());
    let offer = parse("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\n");
    let out = Anchor::new(9).rewrite(&offer, ours, &[30000]).clone();
    assert_eq!(out.origin.addr_type, "IP6");
    assert_eq!(
        out.to_string(),
        "v=0\r\no=switchboard 9 1 IN IP6 2001:db8::5\r\ns=-\r\nc=IN IP6 2001:db8::5\r\n\
         t=0 0\r\nm=audio 30000 RTP/AVP 0\r\n"
    );
}
