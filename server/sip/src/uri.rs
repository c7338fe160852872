//! URIs: types, accessors and the exact printer. Parsing lives in `uri_parse`, RFC 3261
//! §19.1.4 comparison in `uri_eq`.
//!
//! Text fields hold the URI text as received, %-escapes included, so printing a parsed URI
//! gives back the same bytes; use `unescape` (or `SipUri::user_unescaped`) to read values.

use std::borrow::Cow;
use std::fmt;

use crate::scan::{set_param, write_params};

/// A URI from a Request-URI or a header. sip/sips/tel are parsed into parts; any other scheme
/// is kept as opaque text (the application answers 416 for it where the RFC says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    Sip(SipUri),
    Tel(TelUri),
    Other { scheme: String, rest: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    pub secure: bool,
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: Host,
    pub port: Option<u16>,
    pub params: Vec<(String, Option<String>)>,
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Name(String),
    V4(std::net::Ipv4Addr),
    V6(std::net::Ipv6Addr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelUri {
    pub number: String,
    pub params: Vec<(String, Option<String>)>,
}

impl Uri {
    /// The scheme in lower case (`sip`, `sips`, `tel`, or the other scheme as received).
    pub fn scheme(&self) -> &str {
        match self {
            Uri::Sip(u) if u.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Tel(_) => "tel",
            Uri::Other { scheme, .. } => scheme,
        }
    }

    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    pub fn as_sip_mut(&mut self) -> Option<&mut SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// sip: or sips:
    pub fn is_sip(&self) -> bool {
        matches!(self, Uri::Sip(_))
    }
}

impl SipUri {
    /// `sip:host` with nothing else.
    pub fn new(host: Host) -> SipUri {
        SipUri {
            secure: false,
            user: None,
            password: None,
            host,
            port: None,
            params: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// A URI parameter by name (case-insensitive); valueless parameters (`lr`) give
    /// `Some("")`.
    pub fn param(&self, name: &str) -> Option<&str> {
        // Names may arrive escaped (RFC 4475 esc01 has `;%6C%72`, which is `lr`).
        self.params
            .iter()
            .find(|(k, _)| {
                k.eq_ignore_ascii_case(name)
                    || (k.contains('%') && unescape(k).eq_ignore_ascii_case(name))
            })
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }

    pub fn has_param(&self, name: &str) -> bool {
        self.param(name).is_some()
    }

    pub fn set_param(&mut self, name: &str, value: Option<&str>) {
        set_param(&mut self.params, name, value)
    }

    pub fn remove_param(&mut self, name: &str) {
        self.params.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// The user part with %-escapes decoded (RFC 4475 esc01: `%75se%72` is `user`).
    pub fn user_unescaped(&self) -> Option<Cow<'_, str>> {
        self.user.as_deref().map(unescape)
    }

    /// `transport` parameter, lower case; None when absent.
    pub fn transport(&self) -> Option<String> {
        self.param("transport")
            .map(|t| unescape(t).to_ascii_lowercase())
    }

    /// The port, or the default of the scheme (5060 for sip, 5061 for sips).
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(if self.secure { 5061 } else { 5060 })
    }
}

impl Host {
    /// Text of the host as it appears in a URI or Via (IPv6 with brackets).
    pub fn to_uri_string(&self) -> String {
        self.to_string()
    }
}

/// Decode %HH escapes. Invalid escapes are kept literally; bytes that do not form UTF-8
/// (`%00` is fine, `%FF` alone is not) are replaced, which only matters for comparison.
pub fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(a) => write!(f, "[{a}]"),
        }
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(pw) = &self.password {
                write!(f, ":{pw}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write_params(f, &self.params)?;
        for (i, (k, v)) in self.headers.iter().enumerate() {
            write!(f, "{}{k}={v}", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

impl fmt::Display for TelUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tel:{}", self.number)?;
        write_params(f, &self.params)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => u.fmt(f),
            Uri::Tel(t) => t.fmt(f),
            Uri::Other { scheme, rest } => write!(f, "{scheme}:{rest}"),
        }
    }
}
