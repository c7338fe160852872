//! The WebRTC leg: a browser's audio over ICE-lite, DTLS-SRTP, rtcp-mux and BUNDLE, driven
//! sans-IO over [`str0m`].
//!
//! str0m runs in RTP mode: it does ICE, DTLS, SRTP and RTCP, and hands us each RTP packet
//! as it came (payload type, sequence number, timestamp, marker, payload), so the bridge sees
//! the same shape as on an RTP leg and can relay or transcode without reframing. Outgoing
//! frames keep the caller's timestamps and marker; sequence numbers are ours.
//!
//! What str0m enforces for us (checked in its 0.24.1 source):
//! - the remote `a=fingerprint` is compared with the SHA-256 of the peer's DTLS certificate
//!   and a mismatch disconnects the `Rtc` (we report [`WebRtcOutput::Failed`]);
//!   (str0m hashes with SHA-256 only, which is what browsers send);
//! - an SDP without `a=fingerprint` is refused; m-lines whose protocol is not
//!   `UDP/TLS/RTP/SAVPF` are skipped by its parser, so a plain-RTP offer has nothing to answer;
//! - `Rtc::accepts` only lets through STUN carrying our ufrag and other datagrams from a
//!   remote address of a succeeded ICE pair. `Rtc::handle_input` itself does not look at
//!   the source of RTP, so [`WebRtcLeg::handle_receive`] asks `accepts` first and refuses
//!   the rest;
//! - as ICE-lite, a pair that has not sent a binding request for 15 s is pruned and the
//!   ICE state goes `Disconnected` (browsers send consent checks every ~5 s), which we report
//!   as `Failed`. A browser that never sends a check fails the same way; one whose
//!   candidates never arrive is failed by our own 30 s setup timer.

mod engine;
mod lean;
mod leg;
#[cfg(test)]
mod loopback;
mod negotiated;
#[cfg(any(test, feature = "test-peer"))]
pub mod test_peer;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;

pub use leg::WebRtcLeg;
#[cfg(any(test, feature = "test-peer"))]
pub use test_peer::TestPeer;

/// What a WebRTC leg (or the test peer) wants done, drained with `poll()` after every input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebRtcOutput {
    /// A datagram to send from our candidate address `from` to `to`.
    Transmit {
        from: SocketAddr,
        to: SocketAddr,
        bytes: Vec<u8>,
    },
    /// An RTP packet received from the peer, decrypted, of a negotiated payload type.
    Media {
        pt: u8,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: Vec<u8>,
    },
    /// ICE and DTLS are up: media can flow both ways.
    Connected,
    /// The leg is dead (DTLS or fingerprint failure, ICE consent lost, peer closed, setup
    /// timed out): tear it down. Nothing follows.
    Failed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum WebRtcError {
    #[error("SDP: {0}")]
    Sdp(String),
    #[error("negotiation: {0}")]
    Negotiation(String),
    #[error("no audio codec in common")]
    NoCommonCodec,
    #[error("no codec a browser leg can use (Opus, PCMU, PCMA, G722)")]
    NoCodec,
    #[error("bad local candidate {0}")]
    Candidate(SocketAddr),
    #[error("accept_answer called without a pending offer")]
    NoPendingOffer,
    #[error("payload type {0} was not negotiated")]
    PayloadType(u8),
    #[error("not connected yet")]
    NotConnected,
    #[error("the leg has failed or closed")]
    Closed,
    #[error("no outgoing RTP stream")]
    NoStream,
}
