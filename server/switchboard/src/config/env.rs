//! `SWITCHBOARD_<SECTION>_<KEY>` environment variables override the file, key by key
//! (`SWITCHBOARD_SIP_UDP`, `SWITCHBOARD_HTTP_LISTEN`, and `SWITCHBOARD_DATA_DIR` for top-level
//! keys). The variables are passed in rather than read here so tests need not touch the
//! process environment.

use super::ConfigError;
use super::file::FileConfig;

/// Variables with the prefix that are not configuration keys (read by clap / the logger).
const NOT_KEYS: &[&str] = &["SWITCHBOARD_CONFIG", "SWITCHBOARD_LOG"];

type Setter = fn(&mut FileConfig, String) -> Result<(), ConfigError>;

/// (variable, key as written in the file, how to store it)
const KEYS: &[(&str, &str, Setter)] = &[
    ("SWITCHBOARD_DATA_DIR", "data_dir", |c, v| {
        c.data_dir = Some(v);
        Ok(())
    }),
    ("SWITCHBOARD_DATABASE_URL", "database_url", |c, v| {
        c.database_url = Some(v);
        Ok(())
    }),
    ("SWITCHBOARD_DOMAIN", "domain", |c, v| {
        c.domain = Some(v);
        Ok(())
    }),
    ("SWITCHBOARD_SIP_UDP", "sip.udp", |c, v| {
        c.sip.udp = Some(v);
        Ok(())
    }),
    ("SWITCHBOARD_SIP_TCP", "sip.tcp", |c, v| {
        c.sip.tcp = Some(v);
        Ok(())
    }),
    ("SWITCHBOARD_SIP_TLS", "sip.tls", |c, v| {
        c.sip.tls = Some(v);
        Ok(())
    }),
    ("SWITCHBOARD_SIP_DSCP", "sip.dscp", |c, v| {
        c.sip.dscp = Some(int("sip.dscp", &v)?);
        Ok(())
    }),
    ("SWITCHBOARD_HTTP_LISTEN", "http.listen", |c, v| {
        c.http.listen = Some(v);
        Ok(())
    }),
    ("SWITCHBOARD_HTTP_TLS", "http.tls", |c, v| {
        c.http.tls = Some(v);
        Ok(())
    }),
    ("SWITCHBOARD_MEDIA_RTP_PORTS", "media.rtp_ports", |c, v| {
        c.media.rtp_ports = Some(v);
        Ok(())
    }),
    ("SWITCHBOARD_MEDIA_PUBLIC_IP", "media.public_ip", |c, v| {
        c.media.public_ip = Some(v);
        Ok(())
    }),
    ("SWITCHBOARD_MEDIA_DSCP", "media.dscp", |c, v| {
        c.media.dscp = Some(int("media.dscp", &v)?);
        Ok(())
    }),
    ("SWITCHBOARD_TLS_CERT", "tls.cert", |c, v| {
        c.tls.cert = Some(v);
        Ok(())
    }),
    ("SWITCHBOARD_TLS_KEY", "tls.key", |c, v| {
        c.tls.key = Some(v);
        Ok(())
    }),
    (
        "SWITCHBOARD_PORTAL_SESSION_IDLE_MINUTES",
        "portal.session_idle_minutes",
        |c, v| {
            c.portal.session_idle_minutes = Some(int("portal.session_idle_minutes", &v)?);
            Ok(())
        },
    ),
    (
        "SWITCHBOARD_PORTAL_SESSION_MAX_HOURS",
        "portal.session_max_hours",
        |c, v| {
            c.portal.session_max_hours = Some(int("portal.session_max_hours", &v)?);
            Ok(())
        },
    ),
    (
        "SWITCHBOARD_REGISTRAR_MIN_EXPIRES",
        "registrar.min_expires",
        |c, v| {
            c.registrar.min_expires = Some(int("registrar.min_expires", &v)?);
            Ok(())
        },
    ),
    (
        "SWITCHBOARD_REGISTRAR_MAX_EXPIRES",
        "registrar.max_expires",
        |c, v| {
            c.registrar.max_expires = Some(int("registrar.max_expires", &v)?);
            Ok(())
        },
    ),
    (
        "SWITCHBOARD_REGISTRAR_DEFAULT_EXPIRES",
        "registrar.default_expires",
        |c, v| {
            c.registrar.default_expires = Some(int("registrar.default_expires", &v)?);
            Ok(())
        },
    ),
    (
        "SWITCHBOARD_REGISTRAR_QUALIFY_INTERVAL",
        "registrar.qualify_interval",
        |c, v| {
            c.registrar.qualify_interval = Some(int("registrar.qualify_interval", &v)?);
            Ok(())
        },
    ),
    (
        "SWITCHBOARD_REGISTRAR_DIGEST_SHA256_FIRST",
        "registrar.digest_sha256_first",
        |c, v| {
            c.registrar.digest_sha256_first = Some(boolean("registrar.digest_sha256_first", &v)?);
            Ok(())
        },
    ),
    (
        "SWITCHBOARD_REGISTRAR_DIGEST_SHA256",
        "registrar.digest_sha256",
        |c, v| {
            c.registrar.digest_sha256 = Some(boolean("registrar.digest_sha256", &v)?);
            Ok(())
        },
    ),
    (
        "SWITCHBOARD_TRUNKS_MAX_MESSAGE_BYTES",
        "trunks.max_message_bytes",
        |c, v| {
            c.trunks.max_message_bytes = Some(int("trunks.max_message_bytes", &v)?);
            Ok(())
        },
    ),
    (
        "SWITCHBOARD_TRUNKS_MAX_REQUESTS_PER_SECOND",
        "trunks.max_requests_per_second",
        |c, v| {
            c.trunks.max_requests_per_second = Some(int("trunks.max_requests_per_second", &v)?);
            Ok(())
        },
    ),
];

fn boolean(key: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Value {
            key,
            message: format!("{value:?} is not true or false"),
        }),
    }
}

fn int(key: &'static str, value: &str) -> Result<i64, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Value {
        key,
        message: format!("{value:?} is not a whole number"),
    })
}

/// Applies the overrides found in `vars`. Returns the names of `SWITCHBOARD_*` variables that
/// match no key, so the caller can warn about them (refusing them would make an unrelated
/// variable in an operator's environment fatal).
pub fn apply(
    config: &mut FileConfig,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<String>, ConfigError> {
    let mut unknown = Vec::new();
    for (name, value) in vars {
        if !name.starts_with("SWITCHBOARD_") || NOT_KEYS.contains(&name.as_str()) {
            continue;
        }
        match KEYS.iter().find(|(var, _, _)| *var == name) {
            Some((_, _, set)) => set(config, value)?,
            None => unknown.push(name),
        }
    }
    unknown.sort();
    Ok(unknown)
}

/// The environment variable that overrides a key (for documentation and messages).
pub fn variable_for(key: &str) -> Option<&'static str> {
    KEYS.iter()
        .find(|(_, k, _)| *k == key)
        .map(|(var, _, _)| *var)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn overrides_file_values() {
        let mut c = FileConfig::default();
        c.sip.udp = Some("0.0.0.0:5060".into());
        let unknown = apply(
            &mut c,
            vars(&[
                ("SWITCHBOARD_SIP_UDP", "off"),
                ("SWITCHBOARD_DATA_DIR", "/tmp/x"),
                ("SWITCHBOARD_HTTP_LISTEN", "127.0.0.1:0"),
                ("SWITCHBOARD_REGISTRAR_MIN_EXPIRES", "30"),
                ("SWITCHBOARD_REGISTRAR_DIGEST_SHA256_FIRST", "false"),
                ("PATH", "/bin"),
                ("SWITCHBOARD_CONFIG", "/etc/x.toml"),
            ]),
        )
        .unwrap_or_default();
        assert!(unknown.is_empty());
        assert_eq!(c.sip.udp.as_deref(), Some("off"));
        assert_eq!(c.data_dir.as_deref(), Some("/tmp/x"));
        assert_eq!(c.http.listen.as_deref(), Some("127.0.0.1:0"));
        assert_eq!(c.registrar.min_expires, Some(30));
        assert_eq!(c.registrar.digest_sha256_first, Some(false));
    }

    #[test]
    fn bad_number_names_the_key() {
        let mut c = FileConfig::default();
        let err = apply(
            &mut c,
            vars(&[("SWITCHBOARD_REGISTRAR_MAX_EXPIRES", "soon")]),
        );
        let text = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(text.starts_with("registrar.max_expires:"), "{text}");
    }

    #[test]
    fn unknown_variables_are_reported() {
        let mut c = FileConfig::default();
        let unknown = apply(&mut c, vars(&[("SWITCHBOARD_SIP_UDPP", "x")])).unwrap_or_default();
        assert_eq!(unknown, vec!["SWITCHBOARD_SIP_UDPP".to_owned()]);
    }

    #[test]
    fn every_key_has_a_variable() {
        for key in [
            "data_dir",
            "sip.udp",
            "http.tls",
            "media.public_ip",
            "registrar.qualify_interval",
            "sip.dscp",
            "media.dscp",
            "trunks.max_message_bytes",
            "trunks.max_requests_per_second",
        ] {
            assert!(variable_for(key).is_some(), "{key}");
        }
    }
}
