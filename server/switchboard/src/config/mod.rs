//! Configuration: a TOML file (every key optional), overridden by `SWITCHBOARD_*` environment
//! variables, resolved into typed settings. Every error names the key it is about, so `main`
//! can print one line and exit with status 2.

mod env;
mod file;
mod resolve;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

pub use env::variable_for;
pub use file::FileConfig;

/// Where a listener binds, or `off` (not opened).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    Off,
    On(SocketAddr),
}

impl Listen {
    pub fn addr(self) -> Option<SocketAddr> {
        match self {
            Listen::Off => None,
            Listen::On(a) => Some(a),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipListeners {
    pub udp: Listen,
    pub tcp: Listen,
    pub tls: Listen,
    /// DSCP marked on SIP packets of every transport (default 24, CS3: signalling, RFC 4594);
    /// the IP TOS / IPv6 traffic class byte is `dscp << 2`.
    pub dscp: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpListeners {
    /// Plain HTTP: the portal and SIP over `ws://…/sip`.
    pub listen: Listen,
    /// HTTPS: the same routes, SIP over `wss://…/sip`.
    pub tls: Listen,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// Inclusive range of UDP ports for RTP.
    pub rtp_ports: (u16, u16),
    /// The address written into SDP when the server sits behind NAT.
    pub public_ip: Option<IpAddr>,
    /// DSCP marked on RTP and RTCP packets (default 46, EF: voice, RFC 3246 / RFC 4594).
    pub dscp: u8,
}

/// What a trunk's provider may send us: larger requests are answered 513, more requests a
/// second than this (all of a trunk's addresses together; a burst of one second's worth is
/// allowed) 503 with Retry-After.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrunkLimits {
    /// Default 16384: an INVITE with a rich SDP is 2-4 KB; far larger is damage or an attack.
    pub max_message_bytes: usize,
    /// Default 50: a busy trunk's call rate with its in-dialog requests fits well within it.
    pub max_requests_per_second: u32,
}

/// PEM files for the TLS listeners. `None`: a self-signed certificate is made on first start
/// under `<data_dir>/tls/` and reused afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registrar {
    pub min_expires: u32,
    pub max_expires: u32,
    pub default_expires: u32,
    /// Seconds between keepalive OPTIONS sent to every binding; 0 turns qualifying off.
    pub qualify_interval: u32,
    /// Whether the SHA-256 WWW-Authenticate goes before the MD5 one (RFC 8760: most preferred
    /// first; default true). Added by H5 (interop): clients that read only the first challenge
    /// and know only MD5 (sipp 3.6: "authentication must use MD5") need `false`.
    pub digest_sha256_first: bool,
    /// Whether SHA-256 is offered at all (default true). false: MD5 only, for phones that
    /// refuse the whole challenge when one of them names an algorithm they lack (baresip
    /// 1.0 / libre: "Function not implemented").
    pub digest_sha256: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub domain: String,
    pub sip: SipListeners,
    pub http: HttpListeners,
    pub media: Media,
    pub tls: Option<TlsFiles>,
    pub registrar: Registrar,
    pub portal: Portal,
    pub trunks: TrunkLimits,
}

/// Web portal logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Portal {
    /// Minutes without a request after which a login ends (default 480: a working day's
    /// breaks keep the softphone page logged in, a forgotten browser does not stay so).
    pub session_idle_minutes: u32,
    /// Hours after which a login ends whatever happens (default 24).
    pub session_max_hours: u32,
}

/// A configuration problem. `Display` is the one line printed after `config error: `.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    #[error("{key}: {message}")]
    Value { key: &'static str, message: String },
}

impl Config {
    /// All defaults, as if an empty file and no variables were given.
    pub fn defaults() -> Result<Config, ConfigError> {
        resolve::resolve(FileConfig::default())
    }

    /// Parses TOML text (no environment).
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        resolve::resolve(parse_toml(text, origin)?)
    }

    /// The full pipeline used by the binary: optional file, then `vars` overrides, then
    /// validation. Returns the names of unknown `SWITCHBOARD_*` variables for a warning.
    pub fn load(
        path: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Config, Vec<String>), ConfigError> {
        let mut raw = match path {
            Some(p) => {
                let origin = p.display().to_string();
                let text = std::fs::read_to_string(p).map_err(|e| ConfigError::Read {
                    path: origin.clone(),
                    message: e.to_string(),
                })?;
                parse_toml(&text, &origin)?
            }
            None => FileConfig::default(),
        };
        let unknown = env::apply(&mut raw, vars)?;
        Ok((resolve::resolve(raw)?, unknown))
    }

    /// The config directory's SQLite URL for a data dir (the default `database_url`).
    pub fn sqlite_url_for(data_dir: &Path) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("switchboard.db").display()
        )
    }
}

fn parse_toml(text: &str, origin: &str) -> Result<FileConfig, ConfigError> {
    toml::from_str(text).map_err(|e| {
        // toml's Display spans several lines (a source excerpt); keep it to one: the line
        // number and the message, which names the offending key for unknown fields.
        let line = e
            .span()
            .map(|s| text.get(..s.start).unwrap_or("").matches('\n').count() + 1);
        let message = e.message().replace('\n', " ");
        ConfigError::Syntax {
            path: match line {
                Some(l) => format!("{origin} line {l}"),
                None => origin.to_owned(),
            },
            message,
        }
    })
}

#[cfg(test)]
mod tests;
