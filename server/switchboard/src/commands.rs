//! What each subcommand does. Errors come back as `Failure` with the exit status to use:
//! 2 for input that can never work (a bad number, class or pattern), 1 for what failed
//! while running (including "no such extension/rule", as `extension remove` has it).

mod calls;
pub mod trunks;
mod users;

use std::io::Write;

use store::{Store, StoreError};

pub use self::calls::{cdr, dialplan};
pub use self::users::user;
use crate::app;
use crate::cli::{ExtensionCommand, check_number};
use crate::config::Config;

/// A failed command: the message for stderr and the exit status.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    fn runtime(e: impl std::fmt::Display) -> Failure {
        Failure {
            message: format!("error: {e}"),
            code: 1,
        }
    }

    fn usage(message: impl std::fmt::Display) -> Failure {
        Failure {
            message: format!("error: {message}"),
            code: 2,
        }
    }
}

/// `serve`: start, print where we listen, run until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> Result<(), Failure> {
    let database = config.database_url.clone();
    let server = app::start(config)
        .await
        .map_err(|e| Failure::runtime(format!("{e:#}")))?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "Switchboard {} for SIP domain {}",
        env!("CARGO_PKG_VERSION"),
        server.domain
    );
    for l in server.status_listeners() {
        let _ = writeln!(out, "  listening  {:<36} {}", l.name, l.address);
    }
    if let Some(url) = server.portal_url() {
        let _ = writeln!(out, "  portal     {url}");
    }
    let _ = writeln!(
        out,
        "  database   {} ({})",
        server.store.kind(),
        database_path(&database)
    );
    if let Some(cert) = &server.cert_path {
        let how = if server.cert_generated {
            "self-signed, generated now"
        } else {
            "in use"
        };
        let _ = writeln!(out, "  TLS cert   {} ({how})", cert.display());
    }
    drop(out);
    users::first_admin(&server.store).await;
    wait_for_stop().await;
    println!("stopping");
    server.shutdown().await;
    Ok(())
}

fn database_path(url: &str) -> &str {
    if url.starts_with("sqlite") {
        url.trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:")
            .split('?')
            .next()
            .unwrap_or(url)
    } else {
        // Never print credentials.
        url.split('@').next_back().unwrap_or("postgres")
    }
}

async fn wait_for_stop() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

pub async fn extension(config: Config, cmd: ExtensionCommand) -> Result<(), Failure> {
    let store = open_store(&config).await?;
    let result = run_extension(&store, cmd).await;
    store.close().await;
    result
}

/// The database of `config`, its data directory created first (a fresh install works).
async fn open_store(config: &Config) -> Result<Store, Failure> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        Failure::runtime(format!(
            "data_dir: cannot create {}: {e}",
            config.data_dir.display()
        ))
    })?;
    Store::connect(&config.database_url)
        .await
        .map_err(Failure::runtime)
}

async fn run_extension(store: &Store, cmd: ExtensionCommand) -> Result<(), Failure> {
    match cmd {
        ExtensionCommand::Add {
            number,
            password,
            name,
        } => {
            check_number(&number).map_err(|m| Failure {
                message: format!("error: {m}"),
                code: 2,
            })?;
            let generated = password.is_none();
            let secret = password.unwrap_or_else(crate::random::secret);
            if secret.is_empty() {
                return Err(Failure {
                    message: "error: --password must not be empty".into(),
                    code: 2,
                });
            }
            let name = name.unwrap_or_default();
            match store.add_extension(&number, &name, &secret).await {
                Ok(()) => {}
                Err(StoreError::Duplicate(n)) => {
                    return Err(Failure {
                        message: format!("error: extension {n} already exists"),
                        code: 1,
                    });
                }
                Err(e) => return Err(Failure::runtime(e)),
            }
            println!("added extension {number}");
            if generated {
                println!("password: {secret}");
            }
            Ok(())
        }
        ExtensionCommand::List => {
            let list = store.list_extensions().await.map_err(Failure::runtime)?;
            let mut out = std::io::stdout().lock();
            for e in list {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    e.number,
                    e.name,
                    e.features.class,
                    calls::describe_features(&e.features)
                );
            }
            Ok(())
        }
        ExtensionCommand::Remove { number } => match store.remove_extension(&number).await {
            Ok(true) => {
                println!("removed extension {number}");
                Ok(())
            }
            Ok(false) => Err(Failure {
                message: format!("error: no extension {number}"),
                code: 1,
            }),
            Err(e) => Err(Failure::runtime(e)),
        },
        ExtensionCommand::Set {
            number,
            forward_always,
            forward_busy,
            forward_noanswer,
            ring_timeout,
            dnd,
            max_calls,
            class,
        } => {
            let update = store::FeaturesUpdate {
                class,
                forward_always: forward_always.map(|c| c.0),
                forward_busy: forward_busy.map(|c| c.0),
                forward_noanswer: forward_noanswer.map(|c| c.0),
                ring_timeout,
                dnd,
                max_calls: max_calls.map(|c| c.0),
            };
            calls::set_features(store, &number, &update).await
        }
    }
}
