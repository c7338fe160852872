//! Opening the database named by `database_url` and running the migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::StoreError;
use crate::migrations;

/// The connection pool; cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same expression against whichever pool the backend has. The SQL is written once:
/// `$1` placeholders and `ON CONFLICT` mean the same in SQLite and PostgreSQL.
macro_rules! with_pool {
    ($backend:expr, $pool:ident => $body:expr) => {
        match $backend {
            $crate::backend::Backend::Sqlite($pool) => $body,
            $crate::backend::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

// Every query here reads its rows to the end, and takes the first with these. sqlx resets a
// statement whose rows were not all read (`fetch_one`, `fetch_optional`) only later, on its
// worker thread (launchbadge/sqlx#2543). Until then that pooled SQLite connection stays in a
// read transaction on its old snapshot, so the next query on it reads the past (this once
// made a directory reload drop registrations), and an `INSERT … RETURNING` stays
// uncommitted.

/// The first row, if any.
pub(crate) fn first<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}

/// The first row; a query that must return one and did not is `RowNotFound`.
pub(crate) fn only<T>(rows: Vec<T>) -> Result<T, sqlx::Error> {
    rows.into_iter().next().ok_or(sqlx::Error::RowNotFound)
}

impl Backend {
    /// Opens `sqlite://PATH?mode=rwc` (WAL, 5 s busy timeout, foreign keys on) or
    /// `postgres://user@host/db` (a `?options=-c%20search_path%3DNAME` query selects a
    /// schema) and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(StoreError::Connect)?
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL is durable across application crashes in WAL mode; a power cut may
                // lose the last registrations, which phones redo anyway.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
            create_parent_dir(options.get_filename()).await?;
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await
                .map_err(StoreError::Connect)?;
            migrations::sqlite().run(&pool).await?;
            Ok(Backend::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url).map_err(StoreError::Connect)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(StoreError::Connect)?;
            migrations::postgres().run(&pool).await?;
            Ok(Backend::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    /// "sqlite" or "postgres", for startup logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Waits for in-flight queries and closes every connection (SQLite then checkpoints the
    /// WAL into the main file).
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

/// A first start with a fresh data directory should just work.
async fn create_parent_dir(file: &std::path::Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && file != std::path::Path::new(":memory:") => {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| StoreError::Connect(sqlx::Error::Io(e)))
        }
        _ => Ok(()),
    }
}
