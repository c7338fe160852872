//! What the two ends of every call speak, per scenario; the server in between has to make
//! them understand each other (transcode, or re-encrypt).

use media::codec::Codec;
use media::srtp::CryptoAttribute;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Browser-like caller (SIP over WebSocket, ICE, DTLS-SRTP, Opus 48 kHz only) to a
    /// phone answering PCMU: Opus <-> G.711 transcoding.
    OpusPcmu,
    /// Phone offering PCMU only to a phone answering G.729 only: G.711 <-> G.729.
    PcmuG729,
    /// Phone offering RTP/SAVP PCMU with an SDES key to a phone answering plain RTP/AVP
    /// PCMU: the same codec relayed, decrypted on one side and encrypted on the other.
    SrtpRelay,
}

/// One plain SIP phone's media: what it offers or answers, on RTP/AVP or RTP/SAVP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhoneMedia {
    pub codec: Codec,
    /// SDES-keyed SRTP (RTP/SAVP, AES_CM_128_HMAC_SHA1_80).
    pub srtp: bool,
}

/// The tone each direction carries, so a decoded frame tells which end it came from.
pub const CALLER_TONE_HZ: f64 = 1000.0;
pub const CALLEE_TONE_HZ: f64 = 400.0;

impl PhoneMedia {
    pub fn payload_type(self) -> u8 {
        self.codec.static_payload_type().unwrap_or(0)
    }

    pub fn proto(self) -> &'static str {
        if self.srtp { "RTP/SAVP" } else { "RTP/AVP" }
    }

    /// The `a=` lines describing the codec (rtpmap; fmtp where RFC 3555 defaults would
    /// make the far end expect something else).
    pub fn codec_lines(self) -> String {
        let pt = self.payload_type();
        let mut out = format!(
            "a=rtpmap:{pt} {}/{}\r\n",
            self.codec.name(),
            self.codec.rtp_clock()
        );
        if self.codec == Codec::G729 {
            // without it Annex B (silence suppression) is assumed on
            out.push_str(&format!("a=fmtp:{pt} annexb=no\r\n"));
        }
        out
    }

    /// This phone's SDP (offer or answer) for RTP on 127.0.0.1:`port`, keyed when `key`.
    pub fn sdp(self, port: u16, key: Option<&CryptoAttribute>) -> String {
        let mut sdp = format!(
            "v=0\r\no=- {id} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {port} {proto} {pt}\r\n{lines}a=ptime:20\r\na=sendrecv\r\n",
            id = rand::random::<u32>(),
            proto = self.proto(),
            pt = self.payload_type(),
            lines = self.codec_lines(),
        );
        if let Some(key) = key {
            sdp.push_str(&format!("a=crypto:{}\r\n", key.to_value()));
        }
        sdp
    }
}

impl Scenario {
    /// The caller as a plain phone; None: the browser-like WebRTC caller.
    pub fn caller_phone(self) -> Option<PhoneMedia> {
        match self {
            Scenario::OpusPcmu => None,
            Scenario::PcmuG729 => Some(PhoneMedia {
                codec: Codec::Pcmu,
                srtp: false,
            }),
            Scenario::SrtpRelay => Some(PhoneMedia {
                codec: Codec::Pcmu,
                srtp: true,
            }),
        }
    }

    pub fn callee(self) -> PhoneMedia {
        PhoneMedia {
            codec: if self == Scenario::PcmuG729 {
                Codec::G729
            } else {
                Codec::Pcmu
            },
            srtp: false,
        }
    }

    /// The codec frames arrive in at the caller.
    pub fn caller_codec(self) -> Codec {
        self.caller_phone().map_or(Codec::Opus, |p| p.codec)
    }

    pub fn name(self) -> &'static str {
        match self {
            Scenario::OpusPcmu => "opus-pcmu",
            Scenario::PcmuG729 => "pcmu-g729",
            Scenario::SrtpRelay => "srtp-relay",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Scenario::OpusPcmu => {
                "browser (Opus 48 kHz, DTLS-SRTP, SIP/WS) <-> phone (PCMU, RTP/AVP, SIP/UDP), transcoded"
            }
            Scenario::PcmuG729 => {
                "phone (PCMU, RTP/AVP, SIP/UDP) <-> phone (G.729 annexb=no, RTP/AVP, SIP/UDP), transcoded"
            }
            Scenario::SrtpRelay => {
                "phone (PCMU, RTP/SAVP SDES AES_CM_128_HMAC_SHA1_80, SIP/UDP) <-> phone (PCMU, RTP/AVP, SIP/UDP), relayed"
            }
        }
    }

    /// Default concurrent-call steps: 20 (light load) and 85 (the Opus target) in every
    /// scenario, so the summary compares the same loads; beyond, up to past each target.
    pub fn default_steps(self) -> &'static [usize] {
        match self {
            Scenario::OpusPcmu => &[10, 20, 40, 85, 120, 160, 200, 240, 280, 320],
            Scenario::PcmuG729 => &[20, 85, 160, 240, 320, 400, 480, 560, 640, 800],
            Scenario::SrtpRelay => &[20, 85, 200, 400, 600, 800, 1000, 1200, 1600, 2000],
        }
    }
}
