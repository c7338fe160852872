//! The command line (the contract operators' scripts rely on):
//! `switchboard [--config FILE] serve`, `switchboard [--config FILE] extension add|list|remove`.
//! `--config` is accepted before or after the subcommand.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

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
    /// Manage extensions (who may register).
    #[command(subcommand)]
    Extension(ExtensionCommand),
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
    /// List extensions.
    List,
    /// Remove an extension and its registrations.
    Remove { number: String },
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
    fn numbers_are_checked() {
        assert!(check_number("100").is_ok());
        assert!(check_number("123456789012345").is_ok());
        assert!(check_number("1").is_err());
        assert!(check_number("1234567890123456").is_err());
        assert!(check_number("10a").is_err());
        assert!(check_number("").is_err());
    }
}
