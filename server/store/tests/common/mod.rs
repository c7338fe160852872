//! Running a store test suite on PostgreSQL in a scratch schema (127.0.0.1:5432, database
//! `test`, or $SWITCHBOARD_TEST_POSTGRES_URL), dropped afterwards even when the suite fails,
//! or on a SQLite file of its own; waiting for what another process changed to reach a
//! store's in-memory copy; a trunk to hang numbers and routes on.

use std::future::Future;
use std::time::Duration;

use pbx::trunk::{SrtpPolicy, Trunk, TrunkTransport};
use sqlx::Connection;

fn pg_base_url() -> String {
    std::env::var("SWITCHBOARD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Runs `suite` with a URL whose search_path is a new schema; prints a SKIP line (and
/// passes) when no PostgreSQL answers.
pub async fn on_scratch_postgres<F, Fut>(test: &str, suite: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let base = pg_base_url();
    let connect = tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(&base));
    let mut admin = match connect.await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            println!("SKIP {test}: no PostgreSQL at {base}: {e}");
            return;
        }
        Err(_) => {
            println!("SKIP {test}: no PostgreSQL at {base}: connect timed out");
            return;
        }
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let schema = format!("sb_{test}_{}_{nanos}", std::process::id());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .expect("create scratch schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    // Run in a task so a failed assertion still lets us drop the schema.
    let outcome = tokio::spawn(suite(url)).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut admin)
        .await
        .expect("drop scratch schema");
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Runs `suite` with the URL of a new SQLite database in a temporary directory.
// Not every test file runs on SQLite through this.
#[allow(dead_code)]
pub async fn on_scratch_sqlite<F, Fut>(suite: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("tempdir");
    suite(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("sb.db").display()
    ))
    .await;
}

/// Waits (bounded, 5 s) until `check` holds: another process's change reaches the server's
/// copy within about a second.
// Not every test file waits for another process.
#[allow(dead_code)]
pub async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..50 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// An IP-authenticated UDP trunk to a documentation address, with OPTIONS checks.
// Not every test file needs a trunk.
#[allow(dead_code)]
pub fn trunk(name: &str) -> Trunk {
    Trunk {
        id: 0,
        name: name.into(),
        host: "192.0.2.10".into(),
        port: None,
        transport: TrunkTransport::Udp,
        registration: None,
        allow: vec![],
        codecs: vec!["PCMU".into()],
        srtp: SrtpPolicy::Off,
        channels: None,
        options_interval: 30,
        caller_id: None,
        ca_file: None,
    }
}
