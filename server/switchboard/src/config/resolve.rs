//! From the operator's text to typed settings, with defaults. Each check names its key.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use super::file::FileConfig;
use super::{
    Config, ConfigError, HttpListeners, Listen, Media, Portal, Registrar, SipListeners, TlsFiles,
    TrunkLimits,
};

pub fn resolve(raw: FileConfig) -> Result<Config, ConfigError> {
    let data_dir = PathBuf::from(non_empty("data_dir", raw.data_dir, "./data")?);
    let database_url = match raw.database_url {
        Some(url) => database_url(url)?,
        None => Config::sqlite_url_for(&data_dir),
    };
    let domain = match raw.domain {
        Some(d) => domain(d)?,
        None => default_domain(),
    };
    let sip = SipListeners {
        udp: listen("sip.udp", raw.sip.udp, "0.0.0.0:5060")?,
        tcp: listen("sip.tcp", raw.sip.tcp, "0.0.0.0:5060")?,
        tls: listen("sip.tls", raw.sip.tls, "0.0.0.0:5061")?,
        dscp: dscp("sip.dscp", raw.sip.dscp, 24)?,
    };
    let http = HttpListeners {
        listen: listen("http.listen", raw.http.listen, "0.0.0.0:8080")?,
        tls: listen("http.tls", raw.http.tls, "0.0.0.0:8443")?,
    };
    let media = Media {
        rtp_ports: port_range(
            "media.rtp_ports",
            raw.media.rtp_ports.as_deref().unwrap_or("10000-20000"),
        )?,
        public_ip: match raw.media.public_ip {
            None => None,
            Some(text) => Some(
                text.trim()
                    .parse::<IpAddr>()
                    .map_err(|_| ConfigError::Value {
                        key: "media.public_ip",
                        message: format!("{text:?} is not an IP address"),
                    })?,
            ),
        },
        dscp: dscp("media.dscp", raw.media.dscp, 46)?,
    };
    let tls = match (raw.tls.cert, raw.tls.key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: PathBuf::from(non_empty("tls.cert", Some(cert), "")?),
            key: PathBuf::from(non_empty("tls.key", Some(key), "")?),
        }),
        (Some(_), None) => return Err(missing_pair("tls.key", "tls.cert")),
        (None, Some(_)) => return Err(missing_pair("tls.cert", "tls.key")),
    };
    let registrar = registrar(&raw.registrar)?;
    let portal = portal(&raw.portal)?;
    let trunks = trunk_limits(&raw.trunks)?;
    Ok(Config {
        data_dir,
        database_url,
        domain,
        sip,
        http,
        media,
        tls,
        registrar,
        portal,
        trunks,
    })
}

/// A DiffServ code point: six bits (RFC 2474).
fn dscp(key: &'static str, value: Option<i64>, default: u8) -> Result<u8, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => u8::try_from(v)
            .ok()
            .filter(|v| *v <= 63)
            .ok_or_else(|| ConfigError::Value {
                key,
                message: format!("{v} is not a DSCP value (0 to 63; 46 = EF, 24 = CS3)"),
            }),
    }
}

fn trunk_limits(raw: &super::file::TrunksSection) -> Result<TrunkLimits, ConfigError> {
    // Below a few hundred bytes no INVITE fits; above 64 KiB no UDP datagram does.
    let bytes = match raw.max_message_bytes {
        None => 16_384,
        Some(v) => usize::try_from(v)
            .ok()
            .filter(|v| (512..=65_535).contains(v))
            .ok_or_else(|| ConfigError::Value {
                key: "trunks.max_message_bytes",
                message: format!("{v} is outside 512..65535"),
            })?,
    };
    let rate = match raw.max_requests_per_second {
        None => 50,
        Some(v) => u32::try_from(v)
            .ok()
            .filter(|v| (1..=100_000).contains(v))
            .ok_or_else(|| ConfigError::Value {
                key: "trunks.max_requests_per_second",
                message: format!("{v} is outside 1..100000"),
            })?,
    };
    Ok(TrunkLimits {
        max_message_bytes: bytes,
        max_requests_per_second: rate,
    })
}

fn portal(raw: &super::file::PortalSection) -> Result<Portal, ConfigError> {
    let positive = |key: &'static str, value: Option<i64>, default: u32, max: u32| match value {
        None => Ok(default),
        Some(v) => u32::try_from(v)
            .ok()
            .filter(|v| (1..=max).contains(v))
            .ok_or_else(|| ConfigError::Value {
                key,
                message: format!("{v} is outside 1..{max}"),
            }),
    };
    Ok(Portal {
        session_idle_minutes: positive(
            "portal.session_idle_minutes",
            raw.session_idle_minutes,
            480,
            7 * 24 * 60,
        )?,
        session_max_hours: positive(
            "portal.session_max_hours",
            raw.session_max_hours,
            24,
            24 * 90,
        )?,
    })
}

fn missing_pair(missing: &'static str, given: &str) -> ConfigError {
    ConfigError::Value {
        key: missing,
        message: format!("must be set together with {given}"),
    }
}

fn non_empty(
    key: &'static str,
    value: Option<String>,
    default: &str,
) -> Result<String, ConfigError> {
    match value {
        None => Ok(default.to_owned()),
        Some(v) if v.trim().is_empty() => Err(ConfigError::Value {
            key,
            message: "must not be empty".into(),
        }),
        Some(v) => Ok(v),
    }
}

fn listen(key: &'static str, value: Option<String>, default: &str) -> Result<Listen, ConfigError> {
    let text = value.unwrap_or_else(|| default.to_owned());
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("off") {
        return Ok(Listen::Off);
    }
    trimmed
        .parse::<SocketAddr>()
        .map(Listen::On)
        .map_err(|_| ConfigError::Value {
            key,
            message: format!("{text:?} is not an address:port or \"off\""),
        })
}

fn port_range(key: &'static str, text: &str) -> Result<(u16, u16), ConfigError> {
    let bad = || ConfigError::Value {
        key,
        message: format!("{text:?} is not a port range like \"10000-20000\""),
    };
    let (lo, hi) = text.trim().split_once('-').ok_or_else(bad)?;
    let lo: u16 = lo.trim().parse().map_err(|_| bad())?;
    let hi: u16 = hi.trim().parse().map_err(|_| bad())?;
    if lo == 0 || lo > hi {
        return Err(bad());
    }
    // RTP wants an even port per stream (RTCP on the odd one above, RFC 3550 §11).
    if hi - lo < 1 {
        return Err(ConfigError::Value {
            key,
            message: format!("{text:?} holds fewer than two ports"),
        });
    }
    Ok((lo, hi))
}

fn database_url(url: String) -> Result<String, ConfigError> {
    let ok = ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| url.starts_with(p));
    if ok {
        Ok(url)
    } else {
        Err(ConfigError::Value {
            key: "database_url",
            message: format!("{url:?} is neither a sqlite: nor a postgres:// URL"),
        })
    }
}

fn domain(d: String) -> Result<String, ConfigError> {
    let valid = !d.is_empty()
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if valid {
        Ok(d)
    } else {
        Err(ConfigError::Value {
            key: "domain",
            message: format!("{d:?} is not a host name or IP address"),
        })
    }
}

/// The machine's host name, or `localhost` when it has none we can use as a SIP domain.
fn default_domain() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_owned())
        .and_then(|h| domain(h).ok())
        .unwrap_or_else(|| "localhost".to_owned())
}

fn seconds(key: &'static str, value: Option<i64>, default: u32) -> Result<u32, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => u32::try_from(v).map_err(|_| ConfigError::Value {
            key,
            message: format!("{v} is not a number of seconds (0 to {})", u32::MAX),
        }),
    }
}

fn registrar(raw: &super::file::RegistrarSection) -> Result<Registrar, ConfigError> {
    let r = Registrar {
        min_expires: seconds("registrar.min_expires", raw.min_expires, 60)?,
        max_expires: seconds("registrar.max_expires", raw.max_expires, 3600)?,
        default_expires: seconds("registrar.default_expires", raw.default_expires, 3600)?,
        qualify_interval: seconds("registrar.qualify_interval", raw.qualify_interval, 60)?,
        digest_sha256_first: raw.digest_sha256_first.unwrap_or(true),
        digest_sha256: raw.digest_sha256.unwrap_or(true),
    };
    if r.min_expires == 0 {
        return Err(ConfigError::Value {
            key: "registrar.min_expires",
            message: "must be at least 1".into(),
        });
    }
    if r.max_expires < r.min_expires {
        return Err(ConfigError::Value {
            key: "registrar.max_expires",
            message: format!(
                "{} is below registrar.min_expires ({})",
                r.max_expires, r.min_expires
            ),
        });
    }
    if r.default_expires < r.min_expires || r.default_expires > r.max_expires {
        return Err(ConfigError::Value {
            key: "registrar.default_expires",
            message: format!(
                "{} is outside registrar.min_expires..registrar.max_expires ({}..{})",
                r.default_expires, r.min_expires, r.max_expires
            ),
        });
    }
    Ok(r)
}
