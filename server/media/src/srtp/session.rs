//! An SRTP/SRTCP session of one RTP leg keyed by SDES: one `rtc-srtp` context per direction.

use std::fmt;

use rtc_srtp::context::Context;
use rtc_srtp::crypto::providers::RingCrypto;
use rtc_srtp::option::{srtcp_replay_protection, srtp_replay_protection};

use super::{CryptoAttribute, CryptoSuite, SrtpError};

/// Packets accepted up to this far behind the newest one (libsrtp's default; RFC 3711 asks
/// for at least 64). Wider costs nothing and keeps late packets the jitter buffer still wants.
const REPLAY_WINDOW: usize = 128;

const RTCP_HEADER_AND_SSRC: usize = 8;
const SRTCP_INDEX_LEN: usize = 4;

/// Protects what we send with our key and unprotects what we receive with theirs.
pub struct SrtpSession {
    outbound: Context,
    inbound: Context,
    inbound_suite: CryptoSuite,
    outbound_suite: CryptoSuite,
}

impl SrtpSession {
    /// `ours` protects what we send, `theirs` unprotects what we receive.
    pub fn new(ours: &CryptoAttribute, theirs: &CryptoAttribute) -> Result<SrtpSession, SrtpError> {
        // A sender never sees its own packets again, so replay checks only guard inbound.
        let outbound = context(ours, None, None)?;
        let inbound = context(
            theirs,
            Some(srtp_replay_protection(REPLAY_WINDOW)),
            Some(srtcp_replay_protection(REPLAY_WINDOW)),
        )?;
        Ok(SrtpSession {
            outbound,
            inbound,
            inbound_suite: theirs.suite,
            outbound_suite: ours.suite,
        })
    }

    /// RTP in, SRTP out (payload encrypted, auth tag appended). The rollover counter is kept
    /// per SSRC, so sequence numbers may wrap.
    pub fn protect_rtp(&mut self, rtp: &[u8]) -> Result<Vec<u8>, SrtpError> {
        self.outbound
            .encrypt_rtp(rtp)
            .map(Into::into)
            .map_err(|e| classify(&e))
    }

    /// SRTP in, RTP out. `Err(Auth)` and `Err(Replay)` mean: drop the packet.
    pub fn unprotect_rtp(&mut self, srtp: &[u8]) -> Result<Vec<u8>, SrtpError> {
        self.inbound
            .decrypt_rtp(srtp)
            .map(Into::into)
            .map_err(|e| classify(&e))
    }

    /// RTCP in (a compound packet), SRTCP out: encrypted, E flag and index, auth tag.
    pub fn protect_rtcp(&mut self, rtcp: &[u8]) -> Result<Vec<u8>, SrtpError> {
        self.outbound
            .encrypt_rtcp(rtcp)
            .map(Into::into)
            .map_err(|e| classify(&e))
    }

    /// SRTCP in, RTCP out.
    pub fn unprotect_rtcp(&mut self, srtcp: &[u8]) -> Result<Vec<u8>, SrtpError> {
        if self.inbound_suite.is_hmac() {
            // rtc-srtp hands back a packet whose E flag is clear without checking its tag, so
            // anyone could inject RTCP (a BYE). We never negotiate UNENCRYPTED_SRTCP, so a clear
            // E flag is a forgery or damage either way.
            let tag_len = self.inbound_suite.profile().rtcp_auth_tag_len();
            let flag_at = srtcp
                .len()
                .checked_sub(tag_len + SRTCP_INDEX_LEN)
                .filter(|&at| at >= RTCP_HEADER_AND_SSRC)
                .ok_or_else(|| SrtpError::Packet("SRTCP packet too short".into()))?;
            if srtcp.get(flag_at).is_none_or(|b| b & 0x80 == 0) {
                return Err(SrtpError::Auth);
            }
        }
        self.inbound
            .decrypt_rtcp(srtcp)
            .map(Into::into)
            .map_err(|e| classify(&e))
    }

    /// Bytes `protect_rtp` adds to each packet.
    pub fn rtp_overhead(&self) -> usize {
        self.outbound_suite.rtp_overhead()
    }
}

impl fmt::Debug for SrtpSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrtpSession")
            .field("outbound", &self.outbound_suite)
            .field("inbound", &self.inbound_suite)
            .finish_non_exhaustive()
    }
}

fn context(
    attr: &CryptoAttribute,
    srtp_replay: Option<rtc_srtp::option::ContextOption>,
    srtcp_replay: Option<rtc_srtp::option::ContextOption>,
) -> Result<Context, SrtpError> {
    if attr.key_salt.len() != attr.suite.key_salt_len() {
        return Err(SrtpError::Invalid(format!(
            "{} needs {} key and salt bytes, got {}",
            attr.suite,
            attr.suite.key_salt_len(),
            attr.key_salt.len()
        )));
    }
    Context::new(
        attr.master_key(),
        attr.master_salt(),
        attr.suite.profile(),
        srtp_replay,
        srtcp_replay,
        &RingCrypto,
    )
    .map_err(|e| SrtpError::Invalid(e.to_string()))
}

/// rtc-srtp's error enum lives in `rtc-shared`, which it does not re-export; its messages are
/// the only handle we have. The tests pin every message we rely on.
fn classify(e: &dyn fmt::Display) -> SrtpError {
    let message = e.to_string();
    if message.ends_with("duplicated") {
        SrtpError::Replay
    } else if message.contains("auth tag") {
        SrtpError::Auth
    } else {
        SrtpError::Packet(message)
    }
}
