use super::params::{find, parse_digest, push_quoted};
use super::{Algorithm, Challenge, DigestError, expected_response};
use std::fmt;

/// The digest answer from an `Authorization` or `Proxy-Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// From `username`, or decoded from RFC 7616 `username*` (UTF-8 percent-encoded).
    pub username: String,
    pub realm: String,
    pub nonce: String,
    /// The `uri` parameter: the Request-URI as the client wrote it.
    pub uri: String,
    /// Hex digest; compared case-insensitively by [`super::verify`].
    pub response: String,
    pub algorithm: Algorithm,
    /// True for `MD5-sess` / `SHA-256-sess`.
    pub session: bool,
    pub cnonce: Option<String>,
    /// Nonce-count, sent as 8 hex digits.
    pub nc: Option<u32>,
    pub qop: Option<String>,
    pub opaque: Option<String>,
}

impl Credentials {
    /// Parses the header value. Anything but `Digest` is [`DigestError::UnknownScheme`]; the
    /// five mandatory parameters must be there, and with a `qop` also `cnonce` and `nc`.
    pub fn parse(value: &str) -> Result<Credentials, DigestError> {
        let params = parse_digest(value)?;
        let get = |name| find(&params, name);
        let need = |name: &'static str| get(name).ok_or(DigestError::Missing(name));
        let username = match (get("username"), get("username*")) {
            (Some(u), _) => u.to_owned(),
            (None, Some(ext)) => decode_ext_value(ext)?,
            (None, None) => return Err(DigestError::Missing("username")),
        };
        let (algorithm, session) = match get("algorithm") {
            Some(a) => Algorithm::parse(a)?,
            None => (Algorithm::Md5, false),
        };
        let qop = get("qop").map(str::to_owned);
        let nc = match get("nc") {
            Some(text) => Some(parse_nc(text)?),
            None => None,
        };
        let cnonce = get("cnonce").map(str::to_owned);
        if qop.is_some() {
            if cnonce.is_none() {
                return Err(DigestError::Missing("cnonce"));
            }
            if nc.is_none() {
                return Err(DigestError::Missing("nc"));
            }
        }
        Ok(Credentials {
            username,
            realm: need("realm")?.to_owned(),
            nonce: need("nonce")?.to_owned(),
            uri: need("uri")?.to_owned(),
            response: need("response")?.to_owned(),
            algorithm,
            session,
            cnonce,
            nc,
            qop,
            opaque: get("opaque").map(str::to_owned),
        })
    }

    /// The client side: answers `challenge` for `method` on `uri` with `qop=auth` (or without
    /// qop when the challenge has none).
    pub fn answer(
        challenge: &Challenge,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
        nc: u32,
    ) -> Credentials {
        let with_qop = challenge.qop.is_some();
        let mut c = Credentials {
            username: user.to_owned(),
            realm: challenge.realm.clone(),
            nonce: challenge.nonce.clone(),
            uri: uri.to_owned(),
            response: String::new(),
            algorithm: challenge.algorithm,
            session: false,
            cnonce: with_qop.then(|| cnonce.to_owned()),
            nc: with_qop.then_some(nc),
            qop: with_qop.then(|| "auth".to_owned()),
            opaque: challenge.opaque.clone(),
        };
        let ha1 = super::ha1(challenge.algorithm, user, &challenge.realm, password);
        c.response = expected_response(&c, method, &ha1).unwrap_or_default();
        c
    }
}

/// `nc` is exactly 8 hex digits (RFC 7616 §3.4); be liberal about their case only.
fn parse_nc(text: &str) -> Result<u32, DigestError> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DigestError::BadNonceCount);
    }
    u32::from_str_radix(text, 16).map_err(|_| DigestError::BadNonceCount)
}

/// RFC 8187 ext-value `UTF-8''J%C3%A4s%C3%B8n` (the charset is case-insensitive, the
/// language tag ignored).
fn decode_ext_value(ext: &str) -> Result<String, DigestError> {
    let bad = DigestError::Syntax("bad username* encoding");
    let mut parts = ext.splitn(3, '\'');
    let (Some(charset), Some(_lang), Some(encoded)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad);
    };
    if !charset.eq_ignore_ascii_case("UTF-8") {
        return Err(bad);
    }
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut it = encoded.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let (Some(h), Some(l)) = (it.next(), it.next()) else {
                return Err(bad);
            };
            let hex = [h, l];
            let s = std::str::from_utf8(&hex).map_err(|_| bad.clone())?;
            bytes.push(u8::from_str_radix(s, 16).map_err(|_| bad.clone())?);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).map_err(|_| bad)
}

impl fmt::Display for Credentials {
    /// `Digest username="..", realm="..", nonce="..", uri="..", response="..", algorithm=..,
    /// cnonce="..", opaque="..", qop=auth, nc=00000001`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(256);
        s.push_str("Digest username=");
        push_quoted(&mut s, &self.username);
        s.push_str(", realm=");
        push_quoted(&mut s, &self.realm);
        s.push_str(", nonce=");
        push_quoted(&mut s, &self.nonce);
        s.push_str(", uri=");
        push_quoted(&mut s, &self.uri);
        s.push_str(", response=");
        push_quoted(&mut s, &self.response);
        s.push_str(", algorithm=");
        s.push_str(self.algorithm.as_str());
        if self.session {
            s.push_str("-sess");
        }
        if let Some(cnonce) = &self.cnonce {
            s.push_str(", cnonce=");
            push_quoted(&mut s, cnonce);
        }
        if let Some(opaque) = &self.opaque {
            s.push_str(", opaque=");
            push_quoted(&mut s, opaque);
        }
        if let Some(qop) = &self.qop {
            s.push_str(", qop=");
            // qop is a token; anything else (only possible from parsed input) is quoted.
            if !qop.is_empty() && qop.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                s.push_str(qop);
            } else {
                push_quoted(&mut s, qop);
            }
        }
        if let Some(nc) = self.nc {
            s.push_str(&format!(", nc={nc:08x}"));
        }
        f.write_str(&s)
    }
}
