//! Logged-in browsers in SQL. The portal decides the timeouts; this keeps the rows (keyed by
//! the SHA-256 hex of the cookie's token) and drops the expired ones when asked.

use pbx::accounts::WebSession;

use crate::backend::{Backend, first, with_pool};
use crate::error::StoreError;

type Row = (String, i64, String, i64, i64);

impl Backend {
    pub async fn add_session(&self, session: &WebSession) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO web_sessions (token_hash, user_id, csrf, created_at, last_seen) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&session.token_hash)
            .bind(session.user_id)
            .bind(&session.csrf)
            .bind(session.created_at)
            .bind(session.last_seen)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn get_session(&self, token_hash: &str) -> Result<Option<WebSession>, StoreError> {
        let row: Option<Row> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT token_hash, user_id, csrf, created_at, last_seen FROM web_sessions \
                 WHERE token_hash = $1",
            )
            .bind(token_hash)
            .fetch_all(pool)
            .await.map(first)?
        });
        Ok(row.map(
            |(token_hash, user_id, csrf, created_at, last_seen)| WebSession {
                token_hash,
                user_id,
                csrf,
                created_at,
                last_seen,
            },
        ))
    }

    /// Moves `last_seen` forward to `now`, never back: requests of one browser that finish
    /// out of order cannot shorten its idle time.
    pub async fn touch_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE web_sessions SET last_seen = $2 WHERE token_hash = $1 AND last_seen < $2",
            )
            .bind(token_hash)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Logs one browser out. False when there was no such session.
    pub async fn remove_session(&self, token_hash: &str) -> Result<bool, StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    /// Logs the user out everywhere; returns how many sessions went.
    pub async fn remove_user_sessions(&self, user_id: i64) -> Result<u64, StoreError> {
        Ok(with_pool!(self, pool => {
            sqlx::query("DELETE FROM web_sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Drops sessions idle since before `idle_before` or created before `created_before`
    /// (the idle and absolute timeouts); returns how many.
    pub async fn purge_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> Result<u64, StoreError> {
        Ok(with_pool!(self, pool => {
            sqlx::query("DELETE FROM web_sessions WHERE last_seen < $1 OR created_at < $2")
                .bind(idle_before)
                .bind(created_before)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
