//! HTTP Digest authentication as SIP uses it: RFC 7616 with the SHA-256 algorithm that RFC 8760
//! brings to SIP, MD5 for the phones that know nothing else, `qop=auth`.
//!
//! The server side is [`Challenge`] (printed into `WWW-Authenticate` / `Proxy-Authenticate`),
//! [`Credentials::parse`] (from `Authorization` / `Proxy-Authorization`), [`ha1`] and [`verify`].
//! [`NonceMint`] makes self-validating nonces so a registrar keeps no state per challenge.
//! [`Credentials::answer`] is the client side, used by tests and, later, trunk registration.

mod challenge;
mod credentials;
mod nonce;
mod params;

pub use challenge::Challenge;
pub use credentials::Credentials;
pub use nonce::{NonceMint, NonceStatus};

use md5::Md5;
use sha2::{Digest as _, Sha256};
use std::fmt;
use thiserror::Error;

/// Why an `Authorization` (or `WWW-Authenticate`) value is not usable digest input.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DigestError {
    #[error("authentication scheme {0:?} is not Digest")]
    UnknownScheme(String),
    #[error("malformed digest parameters: {0}")]
    Syntax(&'static str),
    #[error("digest parameter {0} is missing")]
    Missing(&'static str),
    #[error("digest algorithm {0:?} is not supported")]
    UnsupportedAlgorithm(String),
    #[error("digest qop {0:?} is not supported")]
    UnsupportedQop(String),
    #[error("digest nonce-count is not 8 hex digits")]
    BadNonceCount,
}

/// The hash function of a challenge or an answer. `MD5-sess` / `SHA-256-sess` parse to the
/// same algorithm with [`Credentials::session`] set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    /// The token as written in `algorithm=` (RFC 7616 §6.1 registry spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// Parses an `algorithm` token case-insensitively; the flag is true for the `-sess` forms.
    pub fn parse(token: &str) -> Result<(Algorithm, bool), DigestError> {
        let (base, sess) = match token.len().checked_sub(5) {
            Some(cut)
                if token
                    .get(cut..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case("-sess")) =>
            {
                (token.get(..cut).unwrap_or_default(), true)
            }
            _ => (token, false),
        };
        if base.eq_ignore_ascii_case("MD5") {
            Ok((Algorithm::Md5, sess))
        } else if base.eq_ignore_ascii_case("SHA-256") {
            Ok((Algorithm::Sha256, sess))
        } else {
            Err(DigestError::UnsupportedAlgorithm(token.to_owned()))
        }
    }

    /// Lower-case hex of the hash of `parts` joined by `:`, fed in pieces (no joined copy).
    fn hash_joined(self, parts: &[&str]) -> String {
        match self {
            Algorithm::Md5 => crate::hexfmt::encode(&feed(Md5::new(), parts).finalize()),
            Algorithm::Sha256 => crate::hexfmt::encode(&feed(Sha256::new(), parts).finalize()),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn feed<D: sha2::Digest>(mut d: D, parts: &[&str]) -> D {
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            d.update(b":");
        }
        d.update(p.as_bytes());
    }
    d
}

/// `H(username:realm:password)` in lower-case hex: what a registrar may store instead of the
/// plaintext secret (one per algorithm).
pub fn ha1(alg: Algorithm, user: &str, realm: &str, password: &str) -> String {
    alg.hash_joined(&[user, realm, password])
}

/// The `response` value the client must have computed, given the (non-session) HA1.
/// `None` when the credentials ask for something we do not compute (`qop=auth-int`).
fn expected_response(c: &Credentials, method: &str, ha1: &str) -> Option<String> {
    let alg = c.algorithm;
    let session_ha1;
    let ha1 = if c.session {
        session_ha1 = alg.hash_joined(&[ha1, &c.nonce, c.cnonce.as_deref().unwrap_or_default()]);
        session_ha1.as_str()
    } else {
        ha1
    };
    let ha2 = alg.hash_joined(&[method, &c.uri]);
    match c.qop.as_deref() {
        None => Some(alg.hash_joined(&[ha1, &c.nonce, &ha2])),
        Some(q) if q.eq_ignore_ascii_case("auth") => {
            let nc = format!("{:08x}", c.nc?);
            let cnonce = c.cnonce.as_deref()?;
            Some(alg.hash_joined(&[ha1, &c.nonce, &nc, cnonce, "auth", &ha2]))
        }
        Some(_) => None,
    }
}

/// Checks the client's `response` against the expected one for `method` and the HA1 of the
/// credentials' algorithm, in constant time. Nonce freshness, nonce-count replay and the
/// `uri` matching the Request-URI are the caller's checks.
pub fn verify(credentials: &Credentials, method: &str, ha1: &str) -> bool {
    match expected_response(credentials, method, ha1) {
        Some(expected) => ct_eq_hex(expected.as_bytes(), credentials.response.as_bytes()),
        None => false,
    }
}

/// Constant-time equality of two hex strings, ignoring ASCII case. Only the length (public:
/// it follows from the algorithm) leaks through timing.
fn ct_eq_hex(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| {
        acc | (x.to_ascii_lowercase() ^ y.to_ascii_lowercase())
    });
    diff == 0
}

#[cfg(test)]
mod tests;
