//! Running a store test suite on PostgreSQL in a scratch schema (127.0.0.1:5432, database
//! `test`, or $SWITCHBOARD_TEST_POSTGRES_URL), dropped afterwards even when the suite fails.

use std::future::Future;
use std::time::Duration;

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
