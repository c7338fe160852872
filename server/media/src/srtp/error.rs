use thiserror::Error;

/// Why an `a=crypto` attribute was refused or a packet could not be (un)protected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SrtpError {
    /// Well-formed, but asks for something we do not implement (another suite, MKI, several
    /// keys, a session parameter that changes the transform). Negotiation skips such a line
    /// and looks at the next one.
    #[error("unsupported crypto attribute: {0}")]
    Unsupported(String),
    /// Not an RFC 4568 crypto attribute we can read (bad tag, bad base64, wrong key length).
    #[error("malformed crypto attribute: {0}")]
    Invalid(String),
    /// The authentication tag did not verify: forged, damaged or keyed differently. Drop it.
    #[error("SRTP authentication failed")]
    Auth,
    /// Already received, or too old for the replay window. Drop it.
    #[error("replayed SRTP/SRTCP packet")]
    Replay,
    /// Not an RTP/RTCP packet, or too short to carry the suite's tag.
    #[error("malformed packet: {0}")]
    Packet(String),
}
