//! Offer/answer for the legs whose media Switchboard terminates (RFC 3264): what a peer's
//! SDP says about its audio, which codec each leg gets, and the RTP/AVP or RTP/SAVP
//! description we send a phone or trunk. WebRTC descriptions come from `webrtc` (str0m).

use std::net::{IpAddr, SocketAddr};

use crate::codec::Codec;
use crate::sdp::{Connection, Direction, MediaDescription, Origin, SessionDescription};
use crate::srtp::CryptoAttribute;

/// The media profile a peer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// ICE + DTLS-SRTP (`UDP/TLS/RTP/SAVPF`, or any offer with a DTLS fingerprint).
    WebRtc,
    /// `RTP/SAVP` with `a=crypto` keys (RFC 4568).
    Sdes,
    /// `RTP/AVP`.
    Plain,
}

/// Payload type we give Opus on the legs we describe ourselves.
pub const OPUS_PT: u8 = 111;
/// Payload type of telephone-event at 8000 Hz on those legs (the common choice).
pub const EVENT_PT: u8 = 101;
/// ... and at 48000 Hz (Opus).
pub const EVENT_48K_PT: u8 = 110;

/// What a codec and its payload type are on one leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    pub codec: Codec,
    pub pt: u8,
    /// telephone-event's payload type at this codec's RTP clock, when the peer has it.
    pub telephone_event: Option<u8>,
}

/// The audio of a peer's offer or answer.
#[derive(Debug, Clone)]
pub struct RemoteAudio {
    pub profile: Profile,
    /// The m-line's transport protocol as written (`RTP/AVP`, `RTP/SAVP`, ...).
    pub proto: String,
    /// Codecs we support, in the peer's order.
    pub codecs: Vec<(Codec, u8)>,
    /// telephone-event payload types with their clock.
    pub events: Vec<(u8, u32)>,
    pub rtp: SocketAddr,
    pub rtcp: SocketAddr,
    pub cryptos: Vec<CryptoAttribute>,
    pub direction: Direction,
}

/// Reads the first audio stream of `sdp`; None if it has none we could use.
pub fn read(sdp: &str) -> Option<RemoteAudio> {
    read_parsed(&SessionDescription::parse(sdp).ok()?)
}

/// [`read`] for a body already parsed (a call reads one body several ways).
pub fn read_parsed(parsed: &SessionDescription) -> Option<RemoteAudio> {
    let index = parsed
        .media
        .iter()
        .position(|m| m.kind.eq_ignore_ascii_case("audio") && m.port != 0)?;
    let m = parsed.media.get(index)?;
    let proto = m.proto.to_ascii_uppercase();
    let fingerprint = m.attribute("fingerprint").is_some()
        || parsed.attributes.iter().any(|(n, _)| n == "fingerprint");
    let cryptos: Vec<CryptoAttribute> = m
        .attributes
        .iter()
        .filter(|(n, _)| n == "crypto")
        .filter_map(|(_, v)| CryptoAttribute::parse(v.as_deref()?).ok())
        .collect();
    let profile = if proto.contains("TLS") || proto.ends_with("SAVPF") || fingerprint {
        Profile::WebRtc
    } else if proto == "RTP/SAVP" || !cryptos.is_empty() {
        // Keys in an RTP/AVP offer are "best-effort SRTP" (baresip's `mediaenc=srtp`,
        // some desk phones): answered in kind, with our own key.
        Profile::Sdes
    } else {
        Profile::Plain
    };
    let mut codecs = Vec::new();
    let mut events = Vec::new();
    for pt in m.payload_types() {
        let Some((name, clock)) = m.rtpmap(pt) else {
            continue;
        };
        if name.eq_ignore_ascii_case("telephone-event") {
            events.push((pt, clock));
        } else if let Some(codec) = Codec::from_rtpmap(name, clock)
            && available(codec)
            && !codecs.iter().any(|(c, _)| *c == codec)
        {
            codecs.push((codec, pt));
        }
    }
    let rtp = parsed.remote_rtp(index)?;
    let rtcp = if m.attributes.iter().any(|(n, _)| n == "rtcp-mux") {
        rtp
    } else {
        parsed.remote_rtcp(index).unwrap_or(rtp)
    };
    let mut direction = parsed.direction(index);
    if parsed.is_old_hold(index) {
        direction = direction.without_recv();
    }
    Some(RemoteAudio {
        profile,
        proto: m.proto.clone(),
        codecs,
        events,
        rtp,
        rtcp,
        cryptos,
        direction,
    })
}

/// Whether this build can encode and decode `codec` (G.729 is a cargo feature).
pub fn available(codec: Codec) -> bool {
    codec != Codec::G729 || cfg!(feature = "g729")
}

impl RemoteAudio {
    /// The first of `preference` this peer lists; else the peer's own first.
    pub fn choose(&self, preference: &[Codec]) -> Option<Chosen> {
        let found = preference
            .iter()
            .find_map(|want| self.codecs.iter().find(|(c, _)| c == want))
            .or(self.codecs.first());
        found.map(|&(codec, pt)| self.chosen(codec, pt))
    }

    /// The codec an answer settled on: the first it lists.
    pub fn answered(&self) -> Option<Chosen> {
        self.codecs
            .first()
            .map(|&(codec, pt)| self.chosen(codec, pt))
    }

    pub fn has(&self, codec: Codec) -> bool {
        self.codecs.iter().any(|(c, _)| *c == codec)
    }

    fn chosen(&self, codec: Codec, pt: u8) -> Chosen {
        let telephone_event = self
            .events
            .iter()
            .find(|(_, clock)| *clock == codec.rtp_clock())
            .map(|(pt, _)| *pt);
        Chosen {
            codec,
            pt,
            telephone_event,
        }
    }
}

/// Our payload type for `codec` on a leg we describe.
pub fn our_pt(codec: Codec) -> u8 {
    codec.static_payload_type().unwrap_or(OPUS_PT)
}

/// What we offer a phone or trunk: `first` (the other leg's codecs, relayed if the phone
/// takes one), then every other codec we can transcode to.
pub fn offer_codecs(first: &[Codec]) -> Vec<Codec> {
    let mut out: Vec<Codec> = first.iter().copied().filter(|c| available(*c)).collect();
    for c in [Codec::Pcmu, Codec::Pcma, Codec::G722, Codec::G729] {
        if available(c) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Adds to the first audio stream of `sdp` (an offer we forward) the codecs of `extra` it
/// lacks, after its own: the callee may then answer with one we transcode to. Payload type
/// numbers the offer already uses are not reused.
pub fn append_codecs(sdp: &mut SessionDescription, extra: &[Codec]) {
    let Some(m) = sdp
        .media
        .iter_mut()
        .find(|m| m.kind.eq_ignore_ascii_case("audio") && m.port != 0)
    else {
        return;
    };
    let mut used: Vec<u8> = m.payload_types();
    let present: Vec<Codec> = used
        .iter()
        .filter_map(|pt| m.rtpmap(*pt))
        .filter_map(|(name, clock)| Codec::from_rtpmap(name, clock))
        .collect();
    for codec in extra {
        if present.contains(codec) || !available(*codec) {
            continue;
        }
        let pt = match codec.static_payload_type() {
            Some(pt) if !used.contains(&pt) => pt,
            Some(_) => continue,
            None => match (96..128).rev().find(|pt| !used.contains(pt)) {
                Some(pt) => pt,
                None => continue,
            },
        };
        used.push(pt);
        m.formats.push(pt.to_string());
        let channels = if codec.channels() > 1 {
            format!("/{}", codec.channels())
        } else {
            String::new()
        };
        m.attributes.push((
            "rtpmap".to_owned(),
            Some(format!(
                "{pt} {}/{}{channels}",
                codec.name(),
                codec.rtp_clock()
            )),
        ));
    }
}

/// Our side of a phone or trunk leg.
#[derive(Debug, Clone)]
pub struct LocalAudio<'a> {
    pub session_id: u64,
    pub version: u64,
    /// The address and port the peer sends RTP to (RTCP: port + 1).
    pub ip: IpAddr,
    pub port: u16,
    /// Codecs with their payload types: ours in an offer, the offer's in an answer.
    pub codecs: &'a [(Codec, u8)],
    /// telephone-event payload types and clocks.
    pub events: &'a [(u8, u32)],
    pub crypto: Option<&'a CryptoAttribute>,
    /// Keys in an `RTP/AVP` line (best-effort SRTP, when the offer was so) rather than
    /// `RTP/SAVP`.
    pub keys_in_avp: bool,
    pub direction: Direction,
}

/// A telephone-event payload type and its clock.
pub type Event = (u8, u32);

/// The payload types we use for `codecs` in an offer, with telephone-event at 8000 Hz
/// (and at 48000 Hz when Opus is listed).
pub fn offer_formats(codecs: &[Codec]) -> (Vec<(Codec, u8)>, Vec<Event>) {
    let formats = codecs.iter().map(|c| (*c, our_pt(*c))).collect();
    let mut events = vec![(EVENT_PT, 8000)];
    if codecs.contains(&Codec::Opus) {
        events.push((EVENT_48K_PT, 48000));
    }
    (formats, events)
}

/// An `RTP/AVP` (or, with a key, `RTP/SAVP`) description of our audio.
pub fn describe(local: &LocalAudio<'_>) -> String {
    let connection = Connection::for_ip(local.ip);
    let mut formats = Vec::new();
    let mut attributes = Vec::new();
    for &(codec, pt) in local.codecs {
        formats.push(pt.to_string());
        let channels = if codec.channels() > 1 {
            format!("/{}", codec.channels())
        } else {
            String::new()
        };
        attributes.push((
            "rtpmap".to_owned(),
            Some(format!(
                "{pt} {}/{}{channels}",
                codec.name(),
                codec.rtp_clock()
            )),
        ));
        if codec == Codec::Opus {
            attributes.push((
                "fmtp".to_owned(),
                Some(format!("{pt} useinbandfec=1;minptime=10")),
            ));
        }
    }
    for &(pt, clock) in local.events {
        formats.push(pt.to_string());
        attributes.push((
            "rtpmap".to_owned(),
            Some(format!("{pt} telephone-event/{clock}")),
        ));
        attributes.push(("fmtp".to_owned(), Some(format!("{pt} 0-16"))));
    }
    if let Some(crypto) = local.crypto {
        attributes.push(("crypto".to_owned(), Some(crypto.to_value())));
    }
    attributes.push(("ptime".to_owned(), Some("20".to_owned())));
    attributes.push((local.direction.as_str().to_owned(), None));
    let media = MediaDescription {
        kind: "audio".to_owned(),
        port: local.port,
        port_count: None,
        proto: if local.crypto.is_some() && !local.keys_in_avp {
            "RTP/SAVP"
        } else {
            "RTP/AVP"
        }
        .to_owned(),
        formats,
        connection: None,
        lines: Vec::new(),
        attributes,
    };
    SessionDescription {
        origin: Origin {
            username: "switchboard".to_owned(),
            session_id: local.session_id.to_string(),
            version: local.version.to_string(),
            net_type: connection.net_type.clone(),
            addr_type: connection.addr_type.clone(),
            address: connection.address.clone(),
        },
        session_name: "-".to_owned(),
        connection: Some(connection),
        lines: vec![crate::sdp::Line {
            kind: 't',
            value: "0 0".to_owned(),
        }],
        attributes: Vec::new(),
        media: vec![media],
    }
    .to_string()
}

#[cfg(test)]
#[path = "negotiate_tests.rs"]
mod tests;
