//! Bearer tokens for the JSON API in SQL, looked up by the SHA-256 hex of the token (the
//! token itself is shown to its owner once and never stored).

use pbx::accounts::ApiToken;

use crate::backend::{Backend, first, only, with_pool};
use crate::error::StoreError;

macro_rules! columns {
    () => {
        "id, token_hash, user_id, label, created_at, last_used"
    };
}

type Row = (i64, String, i64, String, i64, Option<i64>);

impl Backend {
    pub async fn add_api_token(
        &self,
        user_id: i64,
        token_hash: &str,
        label: &str,
        created_at: i64,
    ) -> Result<ApiToken, StoreError> {
        let row: Row = with_pool!(self, pool => {
            sqlx::query_as(concat!(
                "INSERT INTO api_tokens (token_hash, user_id, label, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING ",
                columns!()
            ))
            .bind(token_hash)
            .bind(user_id)
            .bind(label)
            .bind(created_at)
            .fetch_all(pool)
            .await.and_then(only)?
        });
        Ok(token(row))
    }

    /// The token with this hash, its use at `used_at` recorded in the same statement. None
    /// when there is none (never issued, or revoked).
    pub async fn use_api_token(
        &self,
        token_hash: &str,
        used_at: i64,
    ) -> Result<Option<ApiToken>, StoreError> {
        let row: Option<Row> = with_pool!(self, pool => {
            sqlx::query_as(concat!(
                "UPDATE api_tokens SET last_used = $2 WHERE token_hash = $1 RETURNING ",
                columns!()
            ))
            .bind(token_hash)
            .bind(used_at)
            .fetch_all(pool)
            .await.map(first)?
        });
        Ok(row.map(token))
    }

    /// The user's tokens, oldest first.
    pub async fn list_api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                columns!(),
                " FROM api_tokens WHERE user_id = $1 ORDER BY id"
            ))
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(token).collect())
    }

    /// Revokes the user's token `id`. False when that user has no such token (one user cannot
    /// revoke another's by guessing ids).
    pub async fn remove_api_token(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }
}

fn token(row: Row) -> ApiToken {
    let (id, token_hash, user_id, label, created_at, last_used) = row;
    ApiToken {
        id,
        token_hash,
        user_id,
        label,
        created_at,
        last_used,
    }
}
