//! Parse/print tests on SDP as real phones and tools send it.

use std::net::SocketAddr;

use super::*;

fn crlf(lines: &str) -> String {
    lines.lines().map(|l| format!("{l}\r\n")).collect()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn parse(text: &str) -> SessionDescription {
    SessionDescription::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

pub(super) const POLYCOM: &str = "v=0
o=- 1612345678 1612345678 IN IP4 192.168.1.50
s=Polycom IP Phone
c=IN IP4 192.168.1.50
t=0 0
a=sendrecv
m=audio 2222 RTP/AVP 9 102 0 8 18 127
a=rtpmap:9 G722/8000
a=rtpmap:102 G7221/16000
a=fmtp:102 bitrate=32000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:127 telephone-event/8000
";

pub(super) const YEALINK: &str = "v=0
o=- 20042 20042 IN IP4 10.0.0.23
s=SDP data
c=IN IP4 10.0.0.23
t=0 0
m=audio 11798 RTP/AVP 0 8 18 9 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:9 G722/8000
a=fmtp:101 0-15
a=rtpmap:101 telephone-event/8000
a=ptime:20
a=sendrecv
";

pub(super) const SIPP: &str = "v=0
o=user1 53655765 2353687637 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
";

/// baresip 1.x/2.x offer (LF-only here, as some stacks send it), with a=rtcp and b=.
pub(super) const BARESIP: &str = "v=0
o=- 1466326005 1744285958 IN IP4 192.168.0.10
s=-
c=IN IP4 192.168.0.10
t=0 0
m=audio 25456 RTP/AVP 96 9 0 8 101
b=AS:128
a=rtpmap:96 opus/48000/2
a=fmtp:96 stereo=1;sprop-stereo=1
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=rtcp:25457
a=sendrecv
a=label:1
a=ssrc:3148230539 cname:a0b1c2d3
a=rtcp-rsize
a=ptime:20
";

/// A Chrome offer (trimmed: one candidate, fewer extmaps).
pub(super) const WEBRTC: &str = "v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=extmap-allow-mixed
a=msid-semantic: WMS stream
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0
a=ice-ufrag:6HHH
a=ice-pwd:XYDGVpfvklQIEnZ6YnyLsAew
a=ice-options:trickle
a=fingerprint:sha-256 75:74:5A:A6:A4:E5:52:F4:A7:67:4C:01:C7:EE:91:3F:21:3D:A2:E3:53:7B:6F:30:86:F2:30:AA:65:FB:04:24
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=sendrecv
a=msid:stream track
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:1234 cname:abc
";

#[test]
fn real_world_offers_print_back_byte_for_byte() {
    for sample in [POLYCOM, YEALINK, SIPP, BARESIP, WEBRTC] {
        let text = crlf(sample);
        assert_eq!(parse(&text).to_string(), text);
    }
}

#[test]
fn lf_only_input_prints_with_crlf() {
    let sdp = parse(BARESIP);
    assert_eq!(sdp.to_string(), crlf(BARESIP));
}

#[test]
fn polycom_fields() {
    let sdp = parse(POLYCOM);
    assert_eq!(sdp.origin.session_id, "1612345678");
    assert_eq!(sdp.session_name, "Polycom IP Phone");
    assert_eq!(sdp.media.len(), 1);
    let m = &sdp.media[0];
    assert_eq!(m.kind, "audio");
    assert_eq!(m.proto, "RTP/AVP");
    assert_eq!(m.payload_types(), vec![9, 102, 0, 8, 18, 127]);
    assert_eq!(m.rtpmap(102), Some(("G7221", 16000)));
    assert_eq!(m.rtpmap(127), Some(("telephone-event", 8000)));
    // Session-level a=sendrecv applies to the m-line.
    assert_eq!(sdp.direction(0), Direction::SendRecv);
    assert_eq!(sdp.remote_rtp(0), Some(addr("192.168.1.50:2222")));
    assert_eq!(sdp.remote_rtcp(0), Some(addr("192.168.1.50:2223")));
}

#[test]
fn yealink_and_sipp_fields() {
    let y = parse(YEALINK);
    assert_eq!(y.media[0].attribute("ptime"), Some("20"));
    assert_eq!(y.media[0].rtpmap(18), Some(("G729", 8000)));
    let s = parse(SIPP);
    assert_eq!(s.origin.username, "user1");
    assert_eq!(s.origin.version, "2353687637");
    assert_eq!(s.media[0].payload_types(), vec![0]);
    assert_eq!(s.remote_rtp(0), Some(addr("127.0.0.1:6000")));
}

#[test]
fn baresip_rtcp_attribute_and_opus() {
    let sdp = parse(BARESIP);
    let m = &sdp.media[0];
    assert_eq!(m.rtpmap(96), Some(("opus", 48000)));
    assert_eq!(m.payload_types(), vec![96, 9, 0, 8, 101]);
    assert_eq!(
        m.lines,
        vec![Line {
            kind: 'b',
            value: "AS:128".to_string()
        }]
    );
    assert_eq!(sdp.remote_rtcp(0), Some(addr("192.168.0.10:25457")));
}

#[test]
fn webrtc_offer_has_ice_and_is_not_a_hold() {
    let sdp = parse(WEBRTC);
    let m = &sdp.media[0];
    assert!(m.uses_ice());
    assert!(!sdp.is_old_hold(0));
    assert_eq!(m.rtpmap(111), Some(("opus", 48000)));
    assert_eq!(sdp.remote_rtcp(0), Some(addr("0.0.0.0:9")));
    assert_eq!(sdp.connection, None);
    assert_eq!(
        sdp.connection_of(0).map(|c| c.address.as_str()),
        Some("0.0.0.0")
    );
}

#[test]
fn static_payload_types_without_rtpmap() {
    let sdp = parse(
        "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP 0 8 9 18 97\n",
    );
    let m = &sdp.media[0];
    assert_eq!(m.rtpmap(0), Some(("PCMU", 8000)));
    assert_eq!(m.rtpmap(8), Some(("PCMA", 8000)));
    assert_eq!(m.rtpmap(9), Some(("G722", 8000)));
    assert_eq!(m.rtpmap(97), None);
}

#[test]
fn rtcp_attribute_with_address() {
    let sdp = parse(
        "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n\
         m=audio 4000 RTP/AVP 0\na=rtcp:5001 IN IP4 198.51.100.7\n",
    );
    assert_eq!(sdp.remote_rtcp(0), Some(addr("198.51.100.7:5001")));
}

#[test]
fn media_connection_overrides_session_and_ipv6() {
    let sdp = parse(
        "v=0\no=- 1 1 IN IP6 2001:db8::1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n\
         m=audio 4000 RTP/AVP 0\nc=IN IP6 2001:db8::2\nm=video 0 RTP/AVP 96\n",
    );
    assert_eq!(sdp.remote_rtp(0), Some(addr("[2001:db8::2]:4000")));
    assert_eq!(sdp.remote_rtp(1), Some(addr("192.0.2.1:0")));
    assert_eq!(sdp.remote_rtp(2), None);
}

#[test]
fn unknown_lines_are_kept_in_order() {
    let text = crlf(
        "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\ni=info\nu=http://x\nc=IN IP4 192.0.2.1\n\
         b=CT:64\nt=0 0\ny=0123456789\nz=a b\na=tool:x\nm=audio 4000 RTP/AVP 0\n\
         i=voice\nc=IN IP4 192.0.2.2\nb=AS:64\ny=1\nk=prompt\na=ptime:20\n",
    );
    assert_eq!(parse(&text).to_string(), text);
}

#[test]
fn out_of_order_lines_print_in_rfc_order() {
    let sdp = parse("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\nc=IN IP4 192.0.2.1\r\ns=x\r\n");
    assert_eq!(
        sdp.to_string(),
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=x\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    );
}

#[test]
fn tolerated_damage() {
    // No s=, blank lines, trailing spaces, a port count.
    let sdp = parse("v=0\n\no=- 1 1 IN IP4 192.0.2.1  \nt=0 0\nm=audio 4000/2 RTP/AVP 0 \n\n");
    assert_eq!(sdp.session_name, "-");
    assert_eq!(sdp.media[0].port, 4000);
    assert_eq!(sdp.media[0].port_count, Some(2));
    assert_eq!(sdp.media[0].formats, vec!["0"]);
}

#[test]
fn errors() {
    assert_eq!(SessionDescription::parse(""), Err(SdpError::Empty));
    assert_eq!(SessionDescription::parse("\r\n\r\n"), Err(SdpError::Empty));
    assert_eq!(
        SessionDescription::parse("o=- 1 1 IN IP4 a\n"),
        Err(SdpError::MissingVersion)
    );
    assert_eq!(
        SessionDescription::parse("v=0\ns=-\n"),
        Err(SdpError::MissingOrigin)
    );
    assert_eq!(
        SessionDescription::parse("v=0\no=- 1 1 IN IP4 a\nnonsense\n"),
        Err(SdpError::MalformedLine { line: 3 })
    );
    assert_eq!(
        SessionDescription::parse("v=0\no=- 1 IN IP4 a\n"),
        Err(SdpError::BadField {
            line: 2,
            field: "o="
        })
    );
    assert_eq!(
        SessionDescription::parse("v=0\no=- 1 1 IN IP4 a\nm=audio 70000 RTP/AVP 0\n"),
        Err(SdpError::BadField {
            line: 3,
            field: "m= port"
        })
    );
    assert_eq!(
        SessionDescription::parse("v=0\no=- 1 1 IN IP4 a\nc=IN IP4\n"),
        Err(SdpError::BadField {
            line: 3,
            field: "c="
        })
    );
    assert!(SessionDescription::parse("v=0\no=- 1 1 IN IP4 a\nm=audio\n").is_err());
    assert!(SessionDescription::parse("v=0\no=- 1 1 IN IP4 a\n\u{e9}=x\n").is_err());
}

#[test]
fn set_direction_replaces_or_appends() {
    let mut sdp = parse(YEALINK);
    let m = &mut sdp.media[0];
    assert_eq!(m.direction(), Direction::SendRecv);
    m.set_direction(Direction::SendOnly);
    assert_eq!(m.direction(), Direction::SendOnly);
    assert_eq!(
        m.attributes.iter().filter(|(n, _)| n == "sendonly").count(),
        1
    );
    assert!(!m.attributes.iter().any(|(n, _)| n == "sendrecv"));
    // The attribute stays where the old one was (last line here).
    assert_eq!(
        m.attributes.last().map(|(n, _)| n.as_str()),
        Some("sendonly")
    );

    let mut sipp = parse(SIPP);
    sipp.media[0].set_direction(Direction::Inactive);
    assert!(
        sipp.to_string()
            .ends_with("a=rtpmap:0 PCMU/8000\r\na=inactive\r\n")
    );
}

#[test]
fn direction_helpers() {
    assert_eq!(Direction::SendRecv.without_recv(), Direction::SendOnly);
    assert_eq!(Direction::RecvOnly.without_recv(), Direction::Inactive);
    assert_eq!(Direction::SendOnly.reversed(), Direction::RecvOnly);
    assert_eq!(Direction::Inactive.reversed(), Direction::Inactive);
    let sdp = parse(
        "v=0\no=- 1 1 IN IP4 a\na=recvonly\nm=audio 1 RTP/AVP 0\nm=audio 2 RTP/AVP 0\na=inactive\n",
    );
    assert_eq!(sdp.direction(0), Direction::RecvOnly);
    assert_eq!(sdp.direction(1), Direction::Inactive);
}
