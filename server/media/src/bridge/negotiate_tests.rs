use std::net::{IpAddr, Ipv4Addr};

use super::*;

const BROWSER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
a=fingerprint:sha-256 AB:CD\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 9 0 8 126\r\nc=IN IP4 0.0.0.0\r\n\
a=ice-ufrag:x\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\n";

const PHONE: &str = "v=0\r\no=- 1 2 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 18 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n";

const SDES: &str = "v=0\r\no=- 1 2 IN IP4 10.0.0.6\r\ns=-\r\nc=IN IP4 10.0.0.6\r\nt=0 0\r\n\
m=audio 5000 RTP/SAVP 0\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n";

#[test]
fn profiles_are_told_apart() {
    assert_eq!(read(BROWSER).map(|a| a.profile), Some(Profile::WebRtc));
    assert_eq!(read(PHONE).map(|a| a.profile), Some(Profile::Plain));
    let sdes = read(SDES);
    assert_eq!(sdes.as_ref().map(|a| a.profile), Some(Profile::Sdes));
    assert_eq!(sdes.map(|a| a.cryptos.len()), Some(1));
}

#[test]
fn codecs_events_and_addresses_are_read_in_the_peer_order() {
    let Some(phone) = read(PHONE) else {
        panic!("phone SDP unreadable")
    };
    let expected_first = if available(Codec::G729) {
        Codec::G729
    } else {
        Codec::Pcmu
    };
    assert_eq!(phone.codecs.first().map(|c| c.0), Some(expected_first));
    assert_eq!(phone.events, vec![(101, 8000)]);
    assert_eq!(phone.rtp.to_string(), "10.0.0.5:4000");
    assert_eq!(phone.rtcp.to_string(), "10.0.0.5:4001");
    assert_eq!(phone.direction, Direction::SendOnly);
    let chosen = phone.choose(&[Codec::Opus, Codec::Pcmu]);
    assert_eq!(
        chosen,
        Some(Chosen {
            codec: Codec::Pcmu,
            pt: 0,
            telephone_event: Some(101)
        })
    );
    let Some(browser) = read(BROWSER) else {
        panic!("browser SDP unreadable")
    };
    assert_eq!(browser.rtp, browser.rtcp, "rtcp-mux");
    // telephone-event/8000 does not go with Opus at 48 kHz.
    assert_eq!(
        browser.choose(&[Codec::Opus]).map(|c| c.telephone_event),
        Some(None)
    );
}

#[test]
fn our_description_round_trips_through_the_reader() {
    let codecs = offer_codecs(&[Codec::Opus]);
    assert_eq!(codecs.first(), Some(&Codec::Opus));
    let (formats, events) = offer_formats(&codecs);
    let sdp = describe(&LocalAudio {
        session_id: 7,
        version: 1,
        ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        port: 20000,
        codecs: &formats,
        events: &events,
        crypto: None,
        keys_in_avp: false,
        direction: Direction::SendRecv,
    });
    assert!(sdp.contains("m=audio 20000 RTP/AVP 111 0 8 9"), "{sdp}");
    assert!(sdp.contains("a=rtpmap:111 opus/48000/2\r\n"), "{sdp}");
    let Some(back) = read(&sdp) else {
        panic!("our SDP unreadable: {sdp}")
    };
    assert_eq!(back.profile, Profile::Plain);
    assert_eq!(back.codecs.len(), codecs.len());
    assert_eq!(back.events, vec![(EVENT_PT, 8000), (EVENT_48K_PT, 48000)]);
    assert_eq!(back.rtcp.port(), 20001);
    assert_eq!(
        back.answered().and_then(|c| c.telephone_event),
        Some(EVENT_48K_PT)
    );
}

#[test]
fn a_keyed_description_is_savp() {
    let Some(offer) = read(SDES) else {
        panic!("SDES SDP unreadable")
    };
    let Some(key) = offer.cryptos.first() else {
        panic!("no key")
    };
    let sdp = describe(&LocalAudio {
        session_id: 7,
        version: 1,
        ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 20002,
        codecs: &[(Codec::Pcmu, 0)],
        events: &[],
        crypto: Some(key),
        keys_in_avp: false,
        direction: Direction::RecvOnly,
    });
    assert!(sdp.contains("m=audio 20002 RTP/SAVP 0\r\n"), "{sdp}");
    assert!(
        sdp.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"),
        "{sdp}"
    );
    assert!(sdp.contains("a=recvonly\r\n"), "{sdp}");
}

#[test]
fn keys_in_an_avp_offer_are_best_effort_srtp_and_answered_in_kind() {
    let avp = SDES.replace("RTP/SAVP", "RTP/AVP");
    let Some(offer) = read(&avp) else {
        panic!("unreadable")
    };
    assert_eq!(offer.profile, Profile::Sdes);
    assert_eq!(offer.proto, "RTP/AVP");
    let Some(key) = offer.cryptos.first() else {
        panic!("no key")
    };
    let sdp = describe(&LocalAudio {
        session_id: 1,
        version: 1,
        ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 20004,
        codecs: &[(Codec::Pcmu, 0)],
        events: &[],
        crypto: Some(key),
        keys_in_avp: true,
        direction: Direction::SendRecv,
    });
    assert!(sdp.contains("m=audio 20004 RTP/AVP 0\r\n"), "{sdp}");
    assert!(sdp.contains("a=crypto:1 "), "{sdp}");
}
