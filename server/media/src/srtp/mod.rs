//! SRTP for RTP legs keyed by SDES (RFC 4568) — trunks and SIP phones that do RTP/SAVP.
//! WebRTC legs key SRTP through DTLS inside str0m and never come here.
//!
//! - [`CryptoSuite`]: the suites `rtc-srtp` implements, named as on the `a=crypto` line.
//! - [`CryptoAttribute`]: parse/print one `a=crypto` value; [`answer_crypto`] picks the
//!   offered line we answer and makes our key.
//! - [`SrtpSession`]: protect/unprotect RTP and RTCP for one leg with both keys.

mod error;
mod sdes;
mod session;
mod suite;

#[cfg(test)]
mod tests_sdes;
#[cfg(test)]
mod tests_session;

pub use error::SrtpError;
pub use sdes::{CryptoAttribute, answer_crypto};
pub use session::SrtpSession;
pub use suite::CryptoSuite;
