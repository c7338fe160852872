use std::net::SocketAddr;
use std::path::PathBuf;

use super::*;

fn err_line(text: &str) -> String {
    match Config::from_toml(text, "test.toml") {
        Ok(c) => panic!("accepted: {c:?}"),
        Err(e) => e.to_string(),
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap_or_else(|_| panic!("bad test address {s}"))
}

#[test]
fn empty_file_gives_the_documented_defaults() {
    let c = Config::from_toml("", "x").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.data_dir, PathBuf::from("./data"));
    assert_eq!(c.database_url, "sqlite://./data/switchboard.db?mode=rwc");
    assert!(!c.domain.is_empty());
    assert_eq!(c.sip.udp, Listen::On(addr("0.0.0.0:5060")));
    assert_eq!(c.sip.tcp, Listen::On(addr("0.0.0.0:5060")));
    assert_eq!(c.sip.tls, Listen::On(addr("0.0.0.0:5061")));
    assert_eq!(c.http.listen, Listen::On(addr("0.0.0.0:8080")));
    assert_eq!(c.http.tls, Listen::On(addr("0.0.0.0:8443")));
    assert_eq!(c.media.rtp_ports, (10000, 20000));
    assert_eq!(c.media.public_ip, None);
    assert_eq!(c.tls, None);
    assert_eq!(
        c.registrar,
        Registrar {
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            qualify_interval: 60,
            digest_sha256_first: true,
            digest_sha256: true,
        }
    );
    assert_eq!(c.sip.dscp, 24);
    assert_eq!(c.media.dscp, 46);
    assert_eq!(
        c.trunks,
        TrunkLimits {
            max_message_bytes: 16384,
            max_requests_per_second: 50,
        }
    );
    assert_eq!(Config::defaults(), Ok(c));
}

#[test]
fn full_file_is_read() {
    let c = Config::from_toml(
        r#"
data_dir = "/var/lib/sb"
domain = "pbx.example.com"
[sip]
udp = "127.0.0.1:5070"
tcp = "off"
tls = "[::1]:5071"
[http]
listen = "OFF"
tls = "127.0.0.1:0"
[media]
rtp_ports = "20000-20100"
public_ip = "192.0.2.7"
[tls]
cert = "/etc/sb/cert.pem"
key = "/etc/sb/key.pem"
[registrar]
min_expires = 30
max_expires = 7200
default_expires = 600
qualify_interval = 0
digest_sha256_first = false
digest_sha256 = false
"#,
        "x",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.database_url,
        "sqlite:///var/lib/sb/switchboard.db?mode=rwc"
    );
    assert_eq!(c.domain, "pbx.example.com");
    assert_eq!(c.sip.udp, Listen::On(addr("127.0.0.1:5070")));
    assert_eq!(c.sip.tcp, Listen::Off);
    assert_eq!(c.sip.tls, Listen::On(addr("[::1]:5071")));
    assert_eq!(c.http.listen, Listen::Off);
    assert_eq!(c.media.rtp_ports, (20000, 20100));
    assert_eq!(
        c.media.public_ip.map(|i| i.to_string()),
        Some("192.0.2.7".into())
    );
    assert_eq!(
        c.tls,
        Some(TlsFiles {
            cert: "/etc/sb/cert.pem".into(),
            key: "/etc/sb/key.pem".into()
        })
    );
    assert_eq!(c.registrar.qualify_interval, 0);
    assert!(!c.registrar.digest_sha256_first);
    assert!(!c.registrar.digest_sha256);
}

#[test]
fn bad_listener_names_the_key() {
    assert_eq!(
        err_line("[sip]\nudp = \"abc\"\n"),
        r#"sip.udp: "abc" is not an address:port or "off""#
    );
    assert!(err_line("[http]\nlisten = \"localhost:80\"\n").starts_with("http.listen:"));
}

#[test]
fn unknown_keys_are_refused_on_one_line() {
    let e = err_line("[sip]\nudpp = \"off\"\n");
    assert!(e.contains("udpp") && e.contains("line 2"), "{e}");
    assert!(!e.contains('\n'), "{e}");
    let e = err_line("colour = \"blue\"\n");
    assert!(e.contains("colour"), "{e}");
    let e = err_line("[nosuch]\n");
    assert!(e.contains("nosuch"), "{e}");
}

#[test]
fn wrong_types_are_refused() {
    let e = err_line("[sip]\nudp = 5060\n");
    assert!(e.starts_with("test.toml line 2:"), "{e}");
    let e = err_line("[registrar]\nmin_expires = \"60\"\n");
    assert!(e.starts_with("test.toml line 2:"), "{e}");
}

#[test]
fn registrar_bounds_are_checked() {
    assert!(err_line("[registrar]\nmin_expires = -1\n").starts_with("registrar.min_expires:"));
    assert!(err_line("[registrar]\nmin_expires = 0\n").starts_with("registrar.min_expires:"));
    assert!(
        err_line("[registrar]\nmin_expires = 100\nmax_expires = 50\ndefault_expires = 60\n")
            .starts_with("registrar.max_expires:")
    );
    assert!(
        err_line("[registrar]\ndefault_expires = 10\n").starts_with("registrar.default_expires:")
    );
}

#[test]
fn media_values_are_checked() {
    assert!(err_line("[media]\nrtp_ports = \"20000-10000\"\n").starts_with("media.rtp_ports:"));
    assert!(err_line("[media]\nrtp_ports = \"10000\"\n").starts_with("media.rtp_ports:"));
    assert!(err_line("[media]\npublic_ip = \"nowhere\"\n").starts_with("media.public_ip:"));
}

#[test]
fn tls_files_come_in_pairs() {
    assert_eq!(
        err_line("[tls]\ncert = \"c.pem\"\n"),
        "tls.key: must be set together with tls.cert"
    );
    assert_eq!(
        err_line("[tls]\nkey = \"k.pem\"\n"),
        "tls.cert: must be set together with tls.key"
    );
}

#[test]
fn database_url_and_domain_are_checked() {
    assert!(err_line("database_url = \"mysql://x\"\n").starts_with("database_url:"));
    let c = Config::from_toml(
        "database_url = \"postgres://postgres@127.0.0.1/test\"\n",
        "x",
    );
    assert!(c.is_ok());
    assert!(err_line("domain = \"has space\"\n").starts_with("domain:"));
    assert!(err_line("data_dir = \"\"\n").starts_with("data_dir:"));
}

#[test]
fn environment_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[sip]\nudp = \"127.0.0.1:5060\"\n").unwrap_or_else(|e| panic!("{e}"));
    let vars = vec![
        ("SWITCHBOARD_SIP_UDP".to_owned(), "off".to_owned()),
        ("SWITCHBOARD_DATA_DIR".to_owned(), "/srv/sb".to_owned()),
        ("SWITCHBOARD_BOGUS".to_owned(), "1".to_owned()),
    ];
    let (c, unknown) = Config::load(Some(&path), vars).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.sip.udp, Listen::Off);
    assert_eq!(c.data_dir, PathBuf::from("/srv/sb"));
    assert_eq!(c.database_url, "sqlite:///srv/sb/switchboard.db?mode=rwc");
    assert_eq!(unknown, vec!["SWITCHBOARD_BOGUS".to_owned()]);

    let bad = vec![("SWITCHBOARD_HTTP_LISTEN".to_owned(), "nope".to_owned())];
    let e = Config::load(Some(&path), bad)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(e, r#"http.listen: "nope" is not an address:port or "off""#);
}

#[test]
fn missing_file_is_one_line() {
    let e = Config::load(
        Some(std::path::Path::new("/nonexistent/sb.toml")),
        Vec::new(),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(e.starts_with("/nonexistent/sb.toml:"), "{e}");
}

#[test]
fn the_example_file_is_valid_and_shows_the_defaults() {
    let text = include_str!("../../switchboard.example.toml");
    let c = Config::from_toml(text, "switchboard.example.toml").unwrap_or_else(|e| panic!("{e}"));
    let mut d = Config::defaults().unwrap_or_else(|e| panic!("{e}"));
    d.domain = c.domain.clone();
    assert_eq!(c, d);
}

#[test]
fn dscp_and_trunk_limits_are_read_and_checked() {
    let c = Config::from_toml(
        "[sip]\ndscp = 26\n[media]\ndscp = 0\n[trunks]\nmax_message_bytes = 4096\nmax_requests_per_second = 5\n",
        "x",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((c.sip.dscp, c.media.dscp), (26, 0));
    assert_eq!(c.trunks.max_message_bytes, 4096);
    assert_eq!(c.trunks.max_requests_per_second, 5);
    assert!(err_line("[sip]\ndscp = 64\n").starts_with("sip.dscp:"));
    assert!(err_line("[media]\ndscp = -1\n").starts_with("media.dscp:"));
    assert!(
        err_line("[trunks]\nmax_message_bytes = 100\n").starts_with("trunks.max_message_bytes:")
    );
    assert!(
        err_line("[trunks]\nmax_requests_per_second = 0\n")
            .starts_with("trunks.max_requests_per_second:")
    );
    assert!(err_line("[trunks]\nmax_rate = 5\n").contains("max_rate"));
    let vars = vec![
        ("SWITCHBOARD_MEDIA_DSCP".to_owned(), "34".to_owned()),
        (
            "SWITCHBOARD_TRUNKS_MAX_REQUESTS_PER_SECOND".to_owned(),
            "9".to_owned(),
        ),
    ];
    let (c, unknown) = Config::load(None, vars).unwrap_or_else(|e| panic!("{e}"));
    assert!(unknown.is_empty(), "{unknown:?}");
    assert_eq!((c.media.dscp, c.trunks.max_requests_per_second), (34, 9));
    let bad = vec![("SWITCHBOARD_SIP_DSCP".to_owned(), "EF".to_owned())];
    let e = Config::load(None, bad)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.starts_with("sip.dscp:"), "{e}");
}
