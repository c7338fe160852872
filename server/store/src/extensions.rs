//! The extensions table in SQL: the CLI's CRUD, and what the directory cache loads (with
//! each extension's class of service and features, see `features.rs` for changing them).

use std::time::{SystemTime, UNIX_EPOCH};

use pbx::{CallClass, Extension, Features};

use crate::backend::{Backend, first, only, with_pool};
use crate::error::StoreError;

/// A macro rather than a const so `concat!` can build whole `&'static str` queries from it.
macro_rules! select {
    () => {
        "SELECT number, name, sip_secret, class, forward_always, forward_busy, \
         forward_noanswer, ring_timeout, dnd, max_calls FROM extensions"
    };
}

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    bool,
    Option<i64>,
);

impl Backend {
    pub async fn add_extension(
        &self,
        number: &str,
        name: &str,
        secret: &str,
    ) -> Result<(), StoreError> {
        if !valid_number(number) {
            return Err(StoreError::InvalidNumber(number.to_owned()));
        }
        let created_at = unix_now();
        let result = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO extensions (number, name, sip_secret, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(number)
            .bind(name)
            .bind(secret)
            .bind(created_at)
            .execute(pool)
            .await
            .map(|_| ())
        });
        match result {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Duplicate(number.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_extensions(&self) -> Result<Vec<Extension>, StoreError> {
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(concat!(select!(), " ORDER BY number"))
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(extension).collect())
    }

    pub async fn remove_extension(&self, number: &str) -> Result<bool, StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query("DELETE FROM extensions WHERE number = $1")
                .bind(number)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    /// Changes the display name. False when there is no such extension.
    pub async fn rename_extension(&self, number: &str, name: &str) -> Result<bool, StoreError> {
        self.set_column(
            "UPDATE extensions SET name = $2 WHERE number = $1",
            number,
            name,
        )
        .await
    }

    /// Replaces the SIP secret (the old one stops working at the next challenge). False when
    /// there is no such extension.
    pub async fn set_extension_secret(
        &self,
        number: &str,
        secret: &str,
    ) -> Result<bool, StoreError> {
        self.set_column(
            "UPDATE extensions SET sip_secret = $2 WHERE number = $1",
            number,
            secret,
        )
        .await
    }

    /// Runs one of the single-column updates above; true when a row matched.
    async fn set_column(
        &self,
        sql: &'static str,
        number: &str,
        value: &str,
    ) -> Result<bool, StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query(sql)
                .bind(number)
                .bind(value)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }

    pub async fn get_extension(&self, number: &str) -> Result<Option<Extension>, StoreError> {
        let row: Option<Row> = with_pool!(self, pool => {
            sqlx::query_as(concat!(select!(), " WHERE number = $1"))
                .bind(number)
                .fetch_all(pool)
                .await
                .map(first)?
        });
        Ok(row.map(extension))
    }

    /// The change counter of the extensions table and the dial plan (bumped by triggers,
    /// migrations 0002 and 0003).
    pub async fn directory_version(&self) -> Result<i64, StoreError> {
        // Read to the end (see `backend::first`): the reload that follows may run on the
        // same connection and must not see an older snapshot than this counter.
        let (version,): (i64,) = with_pool!(self, pool => {
            sqlx::query_as("SELECT version FROM directory_version WHERE id = 1")
                .fetch_all(pool)
                .await
                .and_then(only)?
        });
        Ok(version)
    }
}

fn extension(row: Row) -> Extension {
    let (
        number,
        name,
        sip_secret,
        class,
        forward_always,
        forward_busy,
        forward_noanswer,
        ring_timeout,
        dnd,
        max_calls,
    ) = row;
    let class = class.parse().unwrap_or_else(|e| {
        // Someone wrote the table by hand. Least privilege rather than a refused load: the
        // extension keeps working for internal calls until an admin fixes it.
        tracing::warn!(%number, "extension class: {e}; using internal");
        CallClass::Internal
    });
    Extension {
        features: Features {
            class,
            forward_always,
            forward_busy,
            forward_noanswer,
            ring_timeout: u32::try_from(ring_timeout.max(0)).unwrap_or(u32::MAX),
            dnd,
            max_calls: max_calls.map(|m| u32::try_from(m.max(0)).unwrap_or(u32::MAX)),
        },
        number,
        name,
        sip_secret,
    }
}

/// Now in unix seconds, for `created_at` columns (0 if the clock is before 1970).
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Extension numbers end up in SIP URIs unescaped, so keep them to safe characters.
pub(crate) fn valid_number(number: &str) -> bool {
    (1..=32).contains(&number.len())
        && number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::valid_number;

    #[test]
    fn numbers_are_uri_safe() {
        assert!(valid_number("1001"));
        assert!(valid_number("alice.smith"));
        assert!(!valid_number(""));
        assert!(!valid_number("a@b"));
        assert!(!valid_number("10 01"));
        assert!(!valid_number(&"1".repeat(33)));
    }
}
