//! The trunk commands (the contract operators' scripts rely on, issue 6):
//! `switchboard trunk add|list|remove`, `switchboard did add|list|remove|set`,
//! `switchboard route add|list|remove|set`. Values clap refuses exit 2 with its reason; the
//! store checks the rest (one rule for the CLI and the portal).

use std::net::Ipv6Addr;

use clap::{Args, Subcommand};
use pbx::trunk::{Cidr, SrtpPolicy, TrunkTransport};

#[derive(Debug, Subcommand)]
pub enum TrunkCommand {
    /// Add a SIP trunk to a provider.
    Add(Box<TrunkAdd>),
    /// List trunks and their settings (never their passwords).
    List,
    /// Remove a trunk (refused while DIDs or routes use it).
    Remove { name: String },
}

#[derive(Debug, Args)]
pub struct TrunkAdd {
    /// The trunk's name: 1-64 letters, digits, '.', '_' or '-' (what DIDs and routes use).
    pub name: String,
    /// The provider's host name or address, with an optional port ([v6]:port for IPv6).
    #[arg(long, value_name = "HOST[:PORT]", value_parser = host_port)]
    pub host: HostPort,
    /// How SIP reaches the provider.
    #[arg(long, value_name = "udp|tcp|tls", default_value = "udp", value_parser = transport)]
    pub transport: TrunkTransport,
    /// Register with the provider (needs --username and --password); without it the trunk
    /// is IP-authenticated (see --allow).
    #[arg(long, requires_all = ["username", "password"])]
    pub register: bool,
    /// The user name to register and authenticate with.
    #[arg(long, value_name = "U", requires = "register")]
    pub username: Option<String>,
    /// The password (never shown again; `-` reads it from the first line of stdin).
    #[arg(long, value_name = "P", requires = "register")]
    pub password: Option<String>,
    /// Seconds asked for in each registration.
    #[arg(long, value_name = "S", requires = "register", default_value_t = 3600)]
    pub expires: u32,
    /// An address or block the provider sends from (IP authentication); repeat or separate
    /// with commas.
    #[arg(long, value_name = "ADDR/CIDR", value_delimiter = ',', value_parser = cidr)]
    pub allow: Vec<Cidr>,
    /// Codecs in order of preference.
    #[arg(
        long,
        value_name = "PCMU,PCMA,G722,G729",
        value_delimiter = ',',
        default_value = "PCMU,PCMA"
    )]
    pub codecs: Vec<String>,
    /// SRTP with SDES keys: off, offer (plain RTP if declined) or require.
    #[arg(long, value_name = "off|offer|require", default_value = "off", value_parser = srtp)]
    pub srtp: SrtpPolicy,
    /// Most calls at once (default: no limit).
    #[arg(long, value_name = "N")]
    pub channels: Option<u32>,
    /// Seconds between OPTIONS health checks; 0 turns them off.
    #[arg(long, value_name = "S", default_value_t = 30)]
    pub options_interval: u32,
    /// The number sent as caller ID when an extension has none of its own (e.g. the main
    /// number, +15551230000).
    #[arg(long, value_name = "NUMBER")]
    pub caller_id: Option<String>,
    /// A PEM file of CA certificates to verify the provider with (TLS; default: the
    /// system's roots).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<String>,
}

/// `--host` split: a host name or address and the port when one was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: Option<u16>,
}

#[derive(Debug, Subcommand)]
pub enum DidCommand {
    /// Route a company number coming in on a trunk to extensions.
    Add {
        /// The number as the provider sends it (digits, optional leading +).
        number: String,
        /// The trunk it comes in on.
        #[arg(long, value_name = "NAME")]
        trunk: String,
        /// The extension to ring; repeat or separate with commas to ring several together.
        #[arg(long, value_name = "EXTENSION", value_delimiter = ',', required = true)]
        to: Vec<String>,
        /// Where calls go when nobody answers (unregistered, busy, no answer): an extension
        /// or an outside number.
        #[arg(long, value_name = "NUMBER_OR_EXTENSION")]
        failover: Option<String>,
    },
    /// List DIDs: number, trunk, extensions, failover.
    List,
    /// Remove a DID.
    Remove { number: String },
    /// Change a DID (only the options given); prints it as `did list` shows it.
    Set {
        /// The number, as `did list` shows it.
        number: String,
        /// The trunk it comes in on.
        #[arg(long, value_name = "NAME")]
        trunk: Option<String>,
        /// The extensions to ring instead (the whole list); repeat or separate with commas.
        #[arg(long, value_name = "EXTENSION", value_delimiter = ',')]
        to: Option<Vec<String>>,
        /// Where calls go when nobody answers: an extension or an outside number.
        #[arg(
            long,
            value_name = "NUMBER_OR_EXTENSION",
            conflicts_with = "no_failover"
        )]
        failover: Option<String>,
        /// No failover any more: calls nobody takes are refused.
        #[arg(long)]
        no_failover: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RouteCommand {
    /// Add an outbound route; prints its id. Routes are tried in position order; the first
    /// whose pattern matches the dialed number is used.
    Add {
        /// An exact number (911) or a pattern starting with '_' (_1NXXNXXXXXX; X Z N [1-5] . !).
        #[arg(allow_hyphen_values = true)]
        pattern: String,
        /// The trunks to try, in order.
        #[arg(
            long,
            value_name = "NAME[,NAME...]",
            value_delimiter = ',',
            required = true
        )]
        trunks: Vec<String>,
        /// Leading digits removed before sending (e.g. an outside-line 9).
        #[arg(long, value_name = "N", default_value_t = 0)]
        strip: u32,
        /// Digits put in front after stripping (e.g. +1).
        #[arg(long, value_name = "DIGITS", default_value = "")]
        prepend: String,
        /// Where it goes in the order (default: after the last route, +10).
        #[arg(long, value_name = "P", allow_negative_numbers = true)]
        position: Option<i64>,
    },
    /// List routes in the order they are tried: id, position, pattern, trunks, strip,
    /// prepend.
    List,
    /// Remove a route by id.
    Remove { id: i64 },
    /// Change a route (only the options given); prints it as `route list` shows it.
    Set {
        /// The route's id, as `route add` printed it and `route list` shows it.
        id: i64,
        /// An exact number or a pattern starting with '_'.
        #[arg(long, value_name = "PATTERN", allow_hyphen_values = true)]
        pattern: Option<String>,
        /// The trunks to try, in order (the whole list).
        #[arg(long, value_name = "NAME[,NAME...]", value_delimiter = ',')]
        trunks: Option<Vec<String>>,
        /// Leading digits removed before sending.
        #[arg(long, value_name = "N")]
        strip: Option<u32>,
        /// Digits put in front after stripping ('' for none).
        #[arg(long, value_name = "DIGITS")]
        prepend: Option<String>,
        /// Where it goes in the order (routes are tried by position).
        #[arg(long, value_name = "P", allow_negative_numbers = true)]
        position: Option<i64>,
    },
}

/// `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT` or a bare IPv6 address. The host itself is
/// checked by the store.
pub fn host_port(s: &str) -> Result<HostPort, String> {
    let s = s.trim();
    let bad_port = || format!("{s:?}: the port must be 1 to 65535");
    let port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(bad_port)
    };
    if let Some(rest) = s.strip_prefix('[') {
        let (addr, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{s:?}: '[' without ']'"))?;
        let port = match after {
            "" => None,
            _ => Some(port(after.strip_prefix(':').ok_or_else(bad_port)?)?),
        };
        return Ok(HostPort {
            host: addr.to_owned(),
            port,
        });
    }
    if s.parse::<Ipv6Addr>().is_ok() {
        return Ok(HostPort {
            host: s.to_owned(),
            port: None,
        });
    }
    match s.split_once(':') {
        Some((host, p)) => Ok(HostPort {
            host: host.to_owned(),
            port: Some(port(p)?),
        }),
        None if s.is_empty() => Err("give the provider's host name or address".into()),
        None => Ok(HostPort {
            host: s.to_owned(),
            port: None,
        }),
    }
}

fn transport(s: &str) -> Result<TrunkTransport, String> {
    s.parse()
}

fn srtp(s: &str) -> Result<SrtpPolicy, String> {
    s.parse()
}

fn cidr(s: &str) -> Result<Cidr, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("switchboard").chain(args.iter().copied()))
    }

    fn hp(host: &str, port: Option<u16>) -> Result<HostPort, String> {
        Ok(HostPort {
            host: host.into(),
            port,
        })
    }

    #[test]
    fn hosts_and_ports() {
        assert_eq!(host_port("sip.example.com"), hp("sip.example.com", None));
        assert_eq!(
            host_port("sip.example.com:5080"),
            hp("sip.example.com", Some(5080))
        );
        assert_eq!(host_port("192.0.2.1:5061"), hp("192.0.2.1", Some(5061)));
        assert_eq!(host_port("2001:db8::1"), hp("2001:db8::1", None));
        assert_eq!(host_port("[2001:db8::1]"), hp("2001:db8::1", None));
        assert_eq!(
            host_port("[2001:db8::1]:5062"),
            hp("2001:db8::1", Some(5062))
        );
        for bad in ["h:0", "h:65536", "h:x", "[::1", "[::1]5060", ""] {
            assert!(host_port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trunk_add_defaults_and_options() {
        let cli = parse(&["trunk", "add", "acme", "--host", "sip.acme.example"]);
        let Ok(Cli {
            command: Command::Trunk(TrunkCommand::Add(add)),
            ..
        }) = cli
        else {
            panic!("{cli:?}");
        };
        assert_eq!(
            add.host,
            HostPort {
                host: "sip.acme.example".into(),
                port: None
            }
        );
        assert_eq!(add.transport, TrunkTransport::Udp);
        assert!(!add.register && add.username.is_none() && add.allow.is_empty());
        assert_eq!(add.codecs, ["PCMU", "PCMA"]);
        assert_eq!(
            (add.srtp, add.channels, add.options_interval),
            (SrtpPolicy::Off, None, 30)
        );

        let cli = parse(&[
            "trunk",
            "add",
            "acme",
            "--host",
            "h:5070",
            "--transport",
            "TLS",
            "--allow",
            "192.0.2.0/24,198.51.100.7",
            "--allow",
            "2001:db8::/32",
            "--codecs",
            "G722,PCMU",
            "--srtp",
            "require",
            "--channels",
            "30",
            "--options-interval",
            "0",
        ]);
        let Ok(Cli {
            command: Command::Trunk(TrunkCommand::Add(add)),
            ..
        }) = cli
        else {
            panic!("{cli:?}");
        };
        assert_eq!(add.transport, TrunkTransport::Tls);
        assert_eq!(add.allow.len(), 3);
        assert_eq!(add.codecs, ["G722", "PCMU"]);
        assert_eq!((add.srtp, add.channels), (SrtpPolicy::Require, Some(30)));
    }

    #[test]
    fn registration_options_go_together() {
        let base = ["trunk", "add", "acme", "--host", "h"];
        let with = |extra: &[&str]| {
            let args: Vec<&str> = base.iter().chain(extra).copied().collect();
            parse(&args)
        };
        assert!(with(&["--register", "--username", "u", "--password", "p"]).is_ok());
        assert!(with(&["--register", "--username", "u"]).is_err());
        assert!(with(&["--username", "u", "--password", "p"]).is_err());
        assert!(with(&["--expires", "600"]).is_err());
        assert!(with(&["--transport", "sctp"]).is_err());
        assert!(with(&["--srtp", "maybe"]).is_err());
        assert!(with(&["--allow", "example.com"]).is_err());
    }

    #[test]
    fn did_and_route_lists() {
        let cli = parse(&[
            "did",
            "add",
            "+15551230000",
            "--trunk",
            "acme",
            "--to",
            "1001,1002",
            "--to",
            "1003",
        ]);
        let Ok(Cli {
            command: Command::Did(DidCommand::Add { to, failover, .. }),
            ..
        }) = cli
        else {
            panic!("{cli:?}");
        };
        assert_eq!((to.len(), failover), (3, None));
        assert!(parse(&["did", "add", "+15551230000", "--trunk", "acme"]).is_err());

        let cli = parse(&[
            "route",
            "add",
            "_1NXXNXXXXXX",
            "--trunks",
            "a,b",
            "--prepend",
            "+",
        ]);
        let Ok(Cli {
            command:
                Command::Route(RouteCommand::Add {
                    trunks,
                    strip,
                    prepend,
                    position,
                    ..
                }),
            ..
        }) = cli
        else {
            panic!("{cli:?}");
        };
        assert_eq!(trunks, ["a", "b"]);
        assert_eq!((strip, prepend.as_str(), position), (0, "+", None));
        assert!(parse(&["route", "add", "_X."]).is_err());
        assert!(parse(&["route", "remove", "x"]).is_err());
    }

    #[test]
    fn set_takes_only_what_changes() {
        let cli = parse(&["route", "set", "7", "--trunks", "b,a", "--prepend", ""]);
        let Ok(Cli {
            command:
                Command::Route(RouteCommand::Set {
                    id,
                    pattern,
                    trunks,
                    strip,
                    prepend,
                    position,
                }),
            ..
        }) = cli
        else {
            panic!("{cli:?}");
        };
        assert_eq!((id, pattern, strip, position), (7, None, None, None));
        assert_eq!(trunks, Some(vec!["b".to_owned(), "a".to_owned()]));
        assert_eq!(prepend.as_deref(), Some(""));
        assert!(parse(&["route", "set", "x", "--strip", "1"]).is_err());
        assert!(parse(&["route", "set", "7", "--strip", "-1"]).is_err());

        let cli = parse(&[
            "did",
            "set",
            "+15551230000",
            "--to",
            "1001,1002",
            "--no-failover",
        ]);
        let Ok(Cli {
            command:
                Command::Did(DidCommand::Set {
                    trunk,
                    to,
                    failover,
                    no_failover,
                    ..
                }),
            ..
        }) = cli
        else {
            panic!("{cli:?}");
        };
        assert_eq!((trunk, failover, no_failover), (None, None, true));
        assert_eq!(to.map(|t| t.len()), Some(2));
        let both = ["did", "set", "+1555", "--failover", "1003", "--no-failover"];
        assert!(parse(&both).is_err(), "a failover or none, not both");
    }
}
