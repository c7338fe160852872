//! The command line (the contract operators' scripts rely on):
//! `switchboard [--config FILE] serve`,
//! `switchboard [--config FILE] extension add|list|remove|set`,
//! `switchboard [--config FILE] dialplan add|list|remove`,
//! `switchboard [--config FILE] cdr list`,
//! `switchboard [--config FILE] user add|list|remove|password`,
//! `switchboard [--config FILE] trunk add|list|remove`, `did|route add|list|remove|set` (in
//! `trunks`).
//! `--config` is accepted before or after the subcommand. Values clap refuses (a bad class,
//! `--dnd maybe`) exit 2 with clap's one-line reason, as usage errors do.

pub mod trunks;
pub mod when;

use std::path::PathBuf;

use clap::{ArgGroup, Parser, Subcommand};
use pbx::CallClass;

use self::trunks::{DidCommand, RouteCommand, TrunkCommand};

#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Switchboard: SIP server and PBX"
)]
pub struct Cli {
    /// TOML configuration file (every key optional; SWITCHBOARD_<SECTION>_<KEY> variables
    /// override it).
    #[arg(long, global = true, value_name = "FILE", env = "SWITCHBOARD_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Manage extensions (who may register) and their call features.
    #[command(subcommand)]
    Extension(ExtensionCommand),
    /// Manage the dial plan: ordered rules for numbers that are not extensions.
    #[command(subcommand)]
    Dialplan(DialplanCommand),
    /// Call detail records.
    #[command(subcommand)]
    Cdr(CdrCommand),
    /// Manage web portal users (people who log in; each may own an extension).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage SIP trunks to providers.
    #[command(subcommand)]
    Trunk(TrunkCommand),
    /// Manage company numbers (DIDs) that come in on trunks.
    #[command(subcommand)]
    Did(DidCommand),
    /// Manage outbound routes: which dialed numbers leave through which trunks.
    #[command(subcommand)]
    Route(RouteCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a portal user; prints a generated password when none is given.
    Add {
        /// Log-in name: letters, digits, '.', '_', '-' or '@' (case-insensitive).
        name: String,
        /// The extension this user's softphone registers as.
        #[arg(long, value_name = "NUMBER")]
        extension: Option<String>,
        /// May manage the system from the admin pages.
        #[arg(long)]
        admin: bool,
        /// The password, at least 10 characters (default: a random one, printed).
        #[arg(long)]
        password: Option<String>,
    },
    /// List users: name, role, extension.
    List,
    /// Remove a user (and end their logins).
    Remove { name: String },
    /// Set a new password (and end the user's logins); prints a generated one when none is
    /// given.
    Password {
        name: String,
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExtensionCommand {
    /// Add an extension; prints a generated SIP password when none is given.
    Add {
        /// The extension number (2 to 15 digits): the SIP user name phones register with.
        number: String,
        /// The SIP password (default: a random one, printed).
        #[arg(long)]
        password: Option<String>,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
    },
    /// List extensions: number, name, class of service, features.
    List,
    /// Remove an extension and its registrations.
    Remove { number: String },
    /// Change an extension's class of service and call features (only the options given).
    Set {
        /// The extension number.
        number: String,
        /// Forward every call to NUMBER, or `off`.
        #[arg(long, value_name = "NUMBER|off", value_parser = number_or_off)]
        forward_always: Option<Clearable<String>>,
        /// Forward calls when busy (or on do-not-disturb) to NUMBER, or `off`.
        #[arg(long, value_name = "NUMBER|off", value_parser = number_or_off)]
        forward_busy: Option<Clearable<String>>,
        /// Forward calls not answered within the ring timeout to NUMBER, or `off`.
        #[arg(long, value_name = "NUMBER|off", value_parser = number_or_off)]
        forward_noanswer: Option<Clearable<String>>,
        /// Seconds to ring before giving up or forwarding on no answer.
        #[arg(long, value_name = "SECONDS")]
        ring_timeout: Option<u32>,
        /// Do not disturb: refuse calls as busy.
        #[arg(long, value_name = "on|off", value_parser = on_off)]
        dnd: Option<bool>,
        /// Most calls at once (in and out), or `off` for no limit.
        #[arg(long, value_name = "N|off", value_parser = count_or_off)]
        max_calls: Option<Clearable<u32>>,
        /// Class of service: the highest kind of number it may dial (emergency numbers are
        /// always allowed).
        #[arg(long, value_name = "internal|local|national|international", value_parser = class_of_service)]
        class: Option<CallClass>,
    },
}

/// A setting that can also be turned `off` (cleared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clearable<T>(pub Option<T>);

#[derive(Debug, Subcommand)]
pub enum DialplanCommand {
    /// Add a rule; prints its id. Rules are tried in position order; the first match wins.
    #[command(group(ArgGroup::new("action").required(true).multiple(false)))]
    Add {
        /// An exact number (900) or a pattern starting with '_' (_1NXXNXXXXXX; X Z N [1-5] . !).
        #[arg(allow_hyphen_values = true)]
        pattern: String,
        /// Ring this extension.
        #[arg(long, value_name = "NUMBER", group = "action")]
        extension: Option<String>,
        /// Send the call to this outbound route.
        #[arg(long, value_name = "NAME", group = "action")]
        route: Option<String>,
        /// Refuse with this SIP status (400-699).
        #[arg(long, value_name = "CODE", group = "action")]
        reject: Option<u16>,
        /// Refuse as busy (486).
        #[arg(long, group = "action")]
        busy: bool,
        /// The class of the numbers it matches (default: worked out from the number).
        #[arg(long, value_name = "CLASS", value_parser = number_class)]
        class: Option<CallClass>,
        /// Where it goes in the order (default: after the last rule, +10).
        #[arg(long, value_name = "P", allow_negative_numbers = true)]
        position: Option<i64>,
    },
    /// List the rules in the order they are tried: id, position, pattern, action, class.
    List,
    /// Remove a rule by id.
    Remove { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum CdrCommand {
    /// List call records, newest first.
    List {
        /// Only calls that started at or after WHEN: 2026-11-29T10:00:00Z, 2026-11-29, or a
        /// time ago like 90s, 30m, 2h, 7d.
        #[arg(long, value_name = "WHEN", value_parser = when::since_now)]
        since: Option<i64>,
        /// At most N records.
        #[arg(long, value_name = "N")]
        limit: Option<u32>,
        /// One JSON array of objects with every field.
        #[arg(long)]
        json: bool,
    },
}

fn number_or_off(s: &str) -> Result<Clearable<String>, String> {
    if s.eq_ignore_ascii_case("off") {
        Ok(Clearable(None))
    } else if s.is_empty() {
        Err("give a number to forward to, or off".into())
    } else {
        // The store checks the characters (one rule for every caller).
        Ok(Clearable(Some(s.to_owned())))
    }
}

fn count_or_off(s: &str) -> Result<Clearable<u32>, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(Clearable(None));
    }
    match s.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(Clearable(Some(n))),
        _ => Err("use a number of calls (1 or more) or off".into()),
    }
}

fn on_off(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err("use on or off".into()),
    }
}

/// An extension's class: emergency is not one (emergency numbers are allowed to everybody).
fn class_of_service(s: &str) -> Result<CallClass, String> {
    match s.parse::<CallClass>() {
        Ok(CallClass::Emergency) | Err(_) => Err(format!(
            "unknown class {s:?}: use internal, local, national or international"
        )),
        Ok(class) => Ok(class),
    }
}

/// A rule's class: any kind of number, emergency included.
fn number_class(s: &str) -> Result<CallClass, String> {
    s.parse::<CallClass>().map_err(|e| e.to_string())
}

/// Extension numbers are what people dial: digits only, 2 to 15 of them (E.164's limit).
pub fn check_number(number: &str) -> Result<(), String> {
    let digits = number.bytes().all(|b| b.is_ascii_digit());
    if digits && (2..=15).contains(&number.len()) {
        Ok(())
    } else {
        Err(format!(
            "extension number {number:?} is not valid: use 2 to 15 digits"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("switchboard").chain(args.iter().copied()))
    }

    #[test]
    fn config_goes_before_or_after_the_subcommand() {
        let a = parse(&["--config", "a.toml", "serve"]).map(|c| c.config);
        assert_eq!(a.ok().flatten(), Some(PathBuf::from("a.toml")));
        let b = parse(&["serve", "--config", "b.toml"]).map(|c| c.config);
        assert_eq!(b.ok().flatten(), Some(PathBuf::from("b.toml")));
        let c = parse(&["--config", "c.toml", "extension", "list"]).map(|c| c.config);
        assert_eq!(c.ok().flatten(), Some(PathBuf::from("c.toml")));
    }

    #[test]
    fn extension_add_takes_options() {
        let cli = parse(&[
            "extension",
            "add",
            "100",
            "--password",
            "pw",
            "--name",
            "Alice",
        ]);
        match cli.map(|c| c.command) {
            Ok(Command::Extension(ExtensionCommand::Add {
                number,
                password,
                name,
            })) => {
                assert_eq!(number, "100");
                assert_eq!(password.as_deref(), Some("pw"));
                assert_eq!(name.as_deref(), Some("Alice"));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&["extension", "remove"]).is_err());
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn extension_set_values() {
        let cli = parse(&[
            "extension",
            "set",
            "100",
            "--forward-busy",
            "off",
            "--forward-always",
            "101",
            "--dnd",
            "ON",
            "--max-calls",
            "off",
            "--class",
            "Local",
        ]);
        match cli.map(|c| c.command) {
            Ok(Command::Extension(ExtensionCommand::Set {
                forward_always,
                forward_busy,
                forward_noanswer,
                dnd,
                max_calls,
                class,
                ring_timeout,
                ..
            })) => {
                assert_eq!(forward_always, Some(Clearable(Some("101".into()))));
                assert_eq!(forward_busy, Some(Clearable(None)));
                assert_eq!(forward_noanswer, None);
                assert_eq!(dnd, Some(true));
                assert_eq!(max_calls, Some(Clearable(None)));
                assert_eq!(class, Some(CallClass::Local));
                assert_eq!(ring_timeout, None);
            }
            other => panic!("{other:?}"),
        }
        for bad in [
            &["--class", "emergency"][..],
            &["--dnd", "yes"],
            &["--max-calls", "0"],
            &["--ring-timeout", "-1"],
        ] {
            let args: Vec<&str> = ["extension", "set", "100"]
                .iter()
                .chain(bad)
                .copied()
                .collect();
            assert!(parse(&args).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dialplan_add_takes_exactly_one_action() {
        let cli = parse(&[
            "dialplan",
            "add",
            "_9.",
            "--reject",
            "403",
            "--position",
            "-5",
        ]);
        match cli.map(|c| c.command) {
            Ok(Command::Dialplan(DialplanCommand::Add {
                pattern,
                reject,
                position,
                busy,
                ..
            })) => {
                assert_eq!(pattern, "_9.");
                assert_eq!(reject, Some(403));
                assert_eq!(position, Some(-5));
                assert!(!busy);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&["dialplan", "add", "_9."]).is_err());
        assert!(parse(&["dialplan", "add", "_9.", "--busy", "--route", "x"]).is_err());
        assert!(parse(&["dialplan", "add", "_9.", "--busy", "--class", "emergency"]).is_ok());
        assert!(parse(&["cdr", "list", "--since", "2h", "--limit", "5", "--json"]).is_ok());
        assert!(parse(&["cdr", "list", "--since", "soon"]).is_err());
    }

    #[test]
    fn numbers_are_checked() {
        assert!(check_number("100").is_ok());
        assert!(check_number("123456789012345").is_ok());
        assert!(check_number("1").is_err());
        assert!(check_number("1234567890123456").is_err());
        assert!(check_number("10a").is_err());
        assert!(check_number("").is_err());
    }
}
