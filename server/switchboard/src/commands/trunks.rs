//! The trunk commands: `trunk add|list|remove`, `did add|list|remove|set`,
//! `route add|list|remove|set`. Changes land in the database; a running server picks them up
//! within about a second (the store's change counter), no restart needed.
//!
//! Exit status as for the other commands: 2 for input that can never work (a bad host,
//! codec, number or pattern), 1 for refusals of the moment (a name taken, an unknown trunk
//! or extension, a trunk still in use, nothing to remove).

use std::io::{BufRead, Write};

use pbx::trunk::{Did, OutboundRoute, Trunk, TrunkRegistration};
use store::{DidUpdate, RouteUpdate, Store, StoreError};

use super::{Failure, open_store};
use crate::cli::trunks::{DidCommand, RouteCommand, TrunkAdd, TrunkCommand};
use crate::config::Config;

pub async fn trunk(config: Config, cmd: TrunkCommand) -> Result<(), Failure> {
    // Read before connecting: a password piped in should not wait on the database.
    let cmd = match cmd {
        TrunkCommand::Add(add) => TrunkCommand::Add(Box::new(password_from_stdin(*add)?)),
        other => other,
    };
    let store = open_store(&config).await?;
    let result = run_trunk(&store, cmd).await;
    store.close().await;
    result
}

pub async fn did(config: Config, cmd: DidCommand) -> Result<(), Failure> {
    let store = open_store(&config).await?;
    let result = run_did(&store, cmd).await;
    store.close().await;
    result
}

pub async fn route(config: Config, cmd: RouteCommand) -> Result<(), Failure> {
    let store = open_store(&config).await?;
    let result = run_route(&store, cmd).await;
    store.close().await;
    result
}

/// Malformed values exit 2; everything else the store refuses (taken, unknown, in use)
/// exits 1.
fn refused(e: StoreError) -> Failure {
    match e {
        StoreError::InvalidTrunk(_) | StoreError::InvalidDid(_) | StoreError::InvalidRoute(_) => {
            Failure::usage(e)
        }
        other => Failure::runtime(other),
    }
}

/// `--password -`: the first line of stdin, so the secret stays out of `ps` and shell
/// history.
fn password_from_stdin(mut add: TrunkAdd) -> Result<TrunkAdd, Failure> {
    if add.password.as_deref() != Some("-") {
        return Ok(add);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::runtime(format!("cannot read the password from stdin: {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(Failure::usage("--password -: no password on stdin"));
    }
    add.password = Some(password.to_owned());
    Ok(add)
}

async fn run_trunk(store: &Store, cmd: TrunkCommand) -> Result<(), Failure> {
    match cmd {
        TrunkCommand::Add(add) => {
            let trunk = trunk_from(*add);
            store.add_trunk(&trunk).await.map_err(refused)?;
            println!("added trunk {}", trunk.name);
            if let Some(path) = &trunk.ca_file
                && !std::path::Path::new(path).is_file()
            {
                eprintln!(
                    "warning: {path} is not a file here: TLS to this trunk fails until it is"
                );
            }
            Ok(())
        }
        TrunkCommand::List => {
            let trunks = store.list_trunks().await.map_err(Failure::runtime)?;
            let statuses = store.trunk_statuses().await.map_err(Failure::runtime)?;
            let now = i64::try_from(crate::endpoint::now_unix()).unwrap_or(i64::MAX);
            let mut out = std::io::stdout().lock();
            for t in &trunks {
                let status = statuses.iter().find(|s| s.name == t.name);
                let _ = writeln!(out, "{}\t{}", trunk_line(t), status_text(t, status, now));
            }
            Ok(())
        }
        TrunkCommand::Remove { name } => match store.remove_trunk(&name).await {
            Ok(true) => {
                println!("removed trunk {name}");
                Ok(())
            }
            Ok(false) => Err(Failure::runtime(format!("no trunk {name}"))),
            Err(e) => Err(refused(e)),
        },
    }
}

/// The trunk `trunk add` describes. A relative `--ca-file` is made absolute: the server
/// reads it from wherever it was started.
fn trunk_from(add: TrunkAdd) -> Trunk {
    let registration = add.register.then(|| TrunkRegistration {
        // clap requires both with --register; empty ones are refused by the store.
        username: add.username.unwrap_or_default(),
        password: add.password.unwrap_or_default(),
        expires: add.expires,
    });
    let ca_file = add.ca_file.map(|path| {
        std::path::absolute(&path)
            .map(|p| p.display().to_string())
            .unwrap_or(path)
    });
    Trunk {
        id: 0,
        name: add.name,
        host: add.host.host,
        port: add.host.port,
        transport: add.transport,
        registration,
        allow: add.allow,
        codecs: add.codecs,
        srtp: add.srtp,
        channels: add.channels,
        options_interval: add.options_interval,
        caller_id: add.caller_id,
        ca_file,
    }
}

/// `name  host:port  transport  settings` (tab-separated), the settings as the `trunk add`
/// options that give them, e.g. `register username=acme expires=3600 codecs=PCMU,PCMA
/// srtp=off options-interval=30`. The port shown is the one used (the transport's default
/// when none was given). Never the password.
fn trunk_line(t: &Trunk) -> String {
    let port = t.port.unwrap_or(t.transport.default_port());
    let host = if t.host.contains(':') {
        format!("[{}]:{port}", t.host)
    } else {
        format!("{}:{port}", t.host)
    };
    let mut settings = Vec::new();
    if let Some(reg) = &t.registration {
        settings.push(format!(
            "register username={} expires={}",
            reg.username, reg.expires
        ));
    }
    if !t.allow.is_empty() {
        let allow: Vec<String> = t.allow.iter().map(ToString::to_string).collect();
        settings.push(format!("allow={}", allow.join(",")));
    }
    settings.push(format!("codecs={}", t.codecs.join(",")));
    settings.push(format!("srtp={}", t.srtp.as_str()));
    if let Some(n) = t.channels {
        settings.push(format!("channels={n}"));
    }
    settings.push(format!("options-interval={}", t.options_interval));
    if let Some(number) = &t.caller_id {
        settings.push(format!("caller-id={number}"));
    }
    if let Some(path) = &t.ca_file {
        settings.push(format!("ca-file={path}"));
    }
    format!(
        "{}\t{host}\t{}\t{}",
        t.name,
        t.transport,
        settings.join(" ")
    )
}

/// The running server's last report on the trunk (the `trunk_status` table), e.g.
/// `registered=yes expires-in=572s reachable=yes updated=3s-ago`, with
/// `last-error="..."` when something failed; `status=unknown` when no server reported it
/// (none runs, or it has not got to this trunk yet).
fn status_text(t: &Trunk, status: Option<&store::TrunkStatus>, now: i64) -> String {
    let Some(s) = status else {
        return "status=unknown".to_owned();
    };
    let mut parts = Vec::new();
    if t.registration.is_some() {
        match s.registered_until {
            Some(until) if until > now => {
                parts.push(format!("registered=yes expires-in={}s", until - now));
            }
            _ => parts.push("registered=no".to_owned()),
        }
    }
    if t.options_interval > 0 {
        let reachable = match s.reachable {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unknown",
        };
        parts.push(format!("reachable={reachable}"));
    }
    if let Some(error) = &s.last_error {
        parts.push(format!("last-error={error:?}"));
    }
    parts.push(format!(
        "updated={}s-ago",
        now.saturating_sub(s.updated_at).max(0)
    ));
    parts.join(" ")
}

async fn run_did(store: &Store, cmd: DidCommand) -> Result<(), Failure> {
    match cmd {
        DidCommand::Add {
            number,
            trunk,
            to,
            failover,
        } => {
            let did = Did {
                number,
                trunk,
                to: trimmed(to),
                failover,
            };
            store.add_did(&did).await.map_err(refused)?;
            println!("added DID {}", did.number);
            Ok(())
        }
        DidCommand::List => {
            let dids = store.list_dids().await.map_err(Failure::runtime)?;
            let mut out = std::io::stdout().lock();
            for d in &dids {
                let _ = writeln!(out, "{}", did_line(d));
            }
            Ok(())
        }
        DidCommand::Remove { number } => match store.remove_did(&number).await {
            Ok(true) => {
                println!("removed DID {number}");
                Ok(())
            }
            Ok(false) => Err(Failure::runtime(format!("no DID {number}"))),
            Err(e) => Err(Failure::runtime(e)),
        },
        DidCommand::Set {
            number,
            trunk,
            to,
            failover,
            no_failover,
        } => {
            let change = DidUpdate {
                trunk,
                to: to.map(trimmed),
                failover: if no_failover {
                    Some(None)
                } else {
                    failover.map(Some)
                },
            };
            if change.is_empty() {
                return Err(Failure::usage(
                    "nothing to change: give --trunk, --to, --failover or --no-failover",
                ));
            }
            match store.update_did(&number, &change).await {
                Ok(Some(did)) => {
                    println!("{}", did_line(&did));
                    Ok(())
                }
                Ok(None) => Err(Failure::runtime(format!("no DID {number}"))),
                Err(e) => Err(refused(e)),
            }
        }
    }
}

/// Names as typed in a comma-separated option, without the spaces around them.
fn trimmed(names: Vec<String>) -> Vec<String> {
    names.into_iter().map(|t| t.trim().to_owned()).collect()
}

/// `number  trunk  extensions  failover` (tab-separated; `-` for no failover).
fn did_line(d: &Did) -> String {
    format!(
        "{}\t{}\t{}\t{}",
        d.number,
        d.trunk,
        d.to.join(","),
        d.failover.as_deref().unwrap_or("-")
    )
}

async fn run_route(store: &Store, cmd: RouteCommand) -> Result<(), Failure> {
    match cmd {
        RouteCommand::Add {
            pattern,
            trunks,
            strip,
            prepend,
            position,
        } => {
            let trunks = trimmed(trunks);
            let id = store
                .add_route(&pattern, &trunks, strip, &prepend, position)
                .await
                .map_err(refused)?;
            println!("{id}");
            Ok(())
        }
        RouteCommand::List => {
            let routes = store.list_routes().await.map_err(Failure::runtime)?;
            let mut out = std::io::stdout().lock();
            for r in &routes {
                let _ = writeln!(out, "{}", route_line(r));
            }
            Ok(())
        }
        RouteCommand::Remove { id } => match store.remove_route(id).await {
            Ok(true) => {
                println!("removed route {id}");
                Ok(())
            }
            Ok(false) => Err(Failure::runtime(format!("no route {id}"))),
            Err(e) => Err(Failure::runtime(e)),
        },
        RouteCommand::Set {
            id,
            pattern,
            trunks,
            strip,
            prepend,
            position,
        } => {
            let change = RouteUpdate {
                pattern,
                trunks: trunks.map(trimmed),
                strip,
                prepend,
                position,
            };
            if change.is_empty() {
                return Err(Failure::usage(
                    "nothing to change: give --pattern, --trunks, --strip, --prepend or --position",
                ));
            }
            match store.update_route(id, &change).await {
                Ok(Some(route)) => {
                    println!("{}", route_line(&route));
                    Ok(())
                }
                Ok(None) => Err(Failure::runtime(format!("no route {id}"))),
                Err(e) => Err(refused(e)),
            }
        }
    }
}

/// `id  position  pattern  trunks  strip  prepend` (tab-separated; `-` for no prepend).
fn route_line(r: &OutboundRoute) -> String {
    let prepend = if r.prepend.is_empty() {
        "-"
    } else {
        &r.prepend
    };
    format!(
        "{}\t{}\t{}\t{}\t{}\t{prepend}",
        r.id,
        r.position,
        r.pattern,
        r.trunks.join(","),
        r.strip
    )
}
