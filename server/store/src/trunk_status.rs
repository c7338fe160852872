//! The `trunk_status` table: what the running server last found about each trunk (registered
//! until when, reachable or not, the last error), written by its trunk driver and read by
//! `switchboard trunk list`, which runs in another process and cannot see the server's
//! memory. A row for a trunk removed meanwhile is simply not written (and the table's foreign
//! key drops rows with their trunk).

use crate::backend::{Backend, with_pool};
use crate::error::StoreError;

/// One trunk's reported state. Times are unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkStatus {
    pub name: String,
    /// When the provider's binding lapses; None: not registered (or it does not register).
    pub registered_until: Option<i64>,
    /// The OPTIONS verdict; None: unknown, or checks are off.
    pub reachable: Option<bool>,
    /// The most recent failure, as an admin should read it.
    pub last_error: Option<String>,
    pub updated_at: i64,
}

type Row = (String, Option<i64>, Option<i64>, Option<String>, i64);

/// An upsert that writes nothing when the trunk is gone (the WHERE also keeps SQLite's
/// parser from reading ON CONFLICT as a join constraint).
const UPSERT: &str = "INSERT INTO trunk_status (name, registered_until, reachable, last_error, \
     updated_at) SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM trunks WHERE name = $1) \
     ON CONFLICT (name) DO UPDATE SET registered_until = excluded.registered_until, \
     reachable = excluded.reachable, last_error = excluded.last_error, \
     updated_at = excluded.updated_at";

const ALL: &str = "SELECT name, registered_until, reachable, last_error, updated_at \
     FROM trunk_status ORDER BY name";

impl Backend {
    /// Writes one trunk's status. False when the trunk does not exist (nothing written).
    pub async fn set_trunk_status(&self, s: &TrunkStatus) -> Result<bool, StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query(UPSERT)
                .bind(&s.name)
                .bind(s.registered_until)
                .bind(s.reachable.map(i64::from))
                .bind(s.last_error.as_deref())
                .bind(s.updated_at)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    /// Every reported status, by trunk name.
    pub async fn trunk_statuses(&self) -> Result<Vec<TrunkStatus>, StoreError> {
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(ALL).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(name, registered_until, reachable, last_error, updated_at)| TrunkStatus {
                    name,
                    registered_until,
                    reachable: reachable.map(|r| r != 0),
                    last_error,
                    updated_at,
                },
            )
            .collect())
    }

    /// Forgets every reported status (a server starting: what the last run found is stale).
    pub async fn clear_trunk_statuses(&self) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM trunk_status")
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }
}
