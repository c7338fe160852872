//! The TOML file as written by an operator. Every key is optional and unknown keys are refused
//! (a typo such as `udpp = "..."` must not silently leave a listener on its default).
//! Values stay close to their text form here; `resolve` turns them into typed settings and
//! names the key in every error.

use serde::Deserialize;

#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<String>,
    pub database_url: Option<String>,
    pub domain: Option<String>,
    #[serde(default)]
    pub sip: SipSection,
    #[serde(default)]
    pub http: HttpSection,
    #[serde(default)]
    pub media: MediaSection,
    #[serde(default)]
    pub tls: TlsSection,
    #[serde(default)]
    pub registrar: RegistrarSection,
    #[serde(default)]
    pub portal: PortalSection,
    #[serde(default)]
    pub trunks: TrunksSection,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SipSection {
    pub udp: Option<String>,
    pub tcp: Option<String>,
    pub tls: Option<String>,
    /// DSCP of SIP packets (0..63), written into the IP TOS / traffic class byte.
    pub dscp: Option<i64>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HttpSection {
    pub listen: Option<String>,
    pub tls: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MediaSection {
    pub rtp_ports: Option<String>,
    pub public_ip: Option<String>,
    /// DSCP of RTP/RTCP packets (0..63).
    pub dscp: Option<i64>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    pub cert: Option<String>,
    pub key: Option<String>,
}

/// Numbers are kept as TOML integers (i64) so that a negative or huge value reaches `resolve`,
/// which can then say which key is out of range instead of a generic serde message.
#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RegistrarSection {
    pub min_expires: Option<i64>,
    pub max_expires: Option<i64>,
    pub default_expires: Option<i64>,
    pub qualify_interval: Option<i64>,
    /// Added by H5 (interop): order of the two digest challenges; see config::Registrar.
    pub digest_sha256_first: Option<bool>,
    pub digest_sha256: Option<bool>,
}

/// Web portal sessions: minutes without a request before a login ends, and hours after which
/// it ends anyway.
#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PortalSection {
    pub session_idle_minutes: Option<i64>,
    pub session_max_hours: Option<i64>,
}

/// Limits on what a trunk's provider may send us (session-border protection).
#[derive(Debug, Default, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TrunksSection {
    pub max_message_bytes: Option<i64>,
    pub max_requests_per_second: Option<i64>,
}
