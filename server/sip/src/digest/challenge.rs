use super::params::{find, parse_digest, push_quoted};
use super::{Algorithm, DigestError};
use std::fmt;

/// A digest challenge: the value of a `WWW-Authenticate` or `Proxy-Authenticate` header.
/// A registrar offering SHA-256 and MD5 sends two headers, SHA-256 first (RFC 8760 §2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    /// `Some("auth")` in every challenge we send; `None` only for RFC 2069 peers.
    pub qop: Option<String>,
    pub stale: bool,
}

impl Challenge {
    /// A `qop="auth"` challenge without opaque, not stale.
    pub fn new(realm: impl Into<String>, nonce: impl Into<String>, algorithm: Algorithm) -> Self {
        Challenge {
            realm: realm.into(),
            nonce: nonce.into(),
            opaque: None,
            algorithm,
            qop: Some("auth".to_owned()),
            stale: false,
        }
    }

    /// Parses a `WWW-Authenticate` value (client side). When several qop values are offered
    /// (`"auth,auth-int"`) `auth` is chosen; a challenge offering only others is an error.
    pub fn parse(value: &str) -> Result<Challenge, DigestError> {
        let params = parse_digest(value)?;
        let get = |name| find(&params, name);
        let algorithm = match get("algorithm") {
            Some(a) => Algorithm::parse(a)?.0,
            None => Algorithm::Md5,
        };
        let qop = match get("qop") {
            None => None,
            Some(list) => {
                if list
                    .split(',')
                    .any(|q| q.trim().eq_ignore_ascii_case("auth"))
                {
                    Some("auth".to_owned())
                } else {
                    return Err(DigestError::UnsupportedQop(list.to_owned()));
                }
            }
        };
        Ok(Challenge {
            realm: get("realm")
                .ok_or(DigestError::Missing("realm"))?
                .to_owned(),
            nonce: get("nonce")
                .ok_or(DigestError::Missing("nonce"))?
                .to_owned(),
            opaque: get("opaque").map(str::to_owned),
            algorithm,
            qop,
            stale: get("stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }
}

impl fmt::Display for Challenge {
    /// `Digest realm="..", nonce="..", opaque="..", algorithm=SHA-256, qop="auth", stale=TRUE`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(128);
        s.push_str("Digest realm=");
        push_quoted(&mut s, &self.realm);
        s.push_str(", nonce=");
        push_quoted(&mut s, &self.nonce);
        if let Some(opaque) = &self.opaque {
            s.push_str(", opaque=");
            push_quoted(&mut s, opaque);
        }
        s.push_str(", algorithm=");
        s.push_str(self.algorithm.as_str());
        if let Some(qop) = &self.qop {
            s.push_str(", qop=");
            push_quoted(&mut s, qop);
        }
        if self.stale {
            s.push_str(", stale=TRUE");
        }
        f.write_str(&s)
    }
}
