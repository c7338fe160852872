//! `switchboard`: see `cli.rs` for the commands. Exit status 2 for bad configuration or
//! usage, 1 for anything that fails while running.

use std::process::ExitCode;

use clap::Parser;
use switchboard::cli::{Cli, Command};
use switchboard::commands;
use switchboard::config::Config;

/// mimalloc instead of glibc malloc: a SIP message is a burst of small allocations that live
/// for microseconds or for a transaction's 32 s; with glibc's per-thread arenas the server paid
/// ~20% of its CPU in malloc/free and another ~12% in page faults and mprotect growing the
/// heap (perf, `make bench`). The measured effect is in the commit that added it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    // Variables that are not valid Unicode cannot be configuration; skip them.
    let vars = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let config = match Config::load(cli.config.as_deref(), vars) {
        Ok((config, unknown)) => {
            for name in unknown {
                eprintln!("warning: {name} is not a configuration variable; ignored");
            }
            config
        }
        Err(e) => {
            eprintln!("config error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve => commands::serve(config).await,
            Command::Extension(cmd) => commands::extension(config, cmd).await,
            Command::Dialplan(cmd) => commands::dialplan(config, cmd).await,
            Command::Cdr(cmd) => commands::cdr(config, cmd).await,
            Command::User(cmd) => commands::user(config, cmd).await,
            Command::Trunk(cmd) => commands::trunks::trunk(config, cmd).await,
            Command::Did(cmd) => commands::trunks::did(config, cmd).await,
            Command::Route(cmd) => commands::trunks::route(config, cmd).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// Logs go to stderr; `SWITCHBOARD_LOG` (or `RUST_LOG`) sets the filter, default `info`.
fn init_logging() {
    let filter = std::env::var("SWITCHBOARD_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}
