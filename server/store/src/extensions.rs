//! The extensions table: the CLI's CRUD and the `Directory` port.

use std::time::{SystemTime, UNIX_EPOCH};

use pbx::{Directory, Extension, PortError};

use crate::backend::{Store, with_pool};
use crate::error::StoreError;

type Row = (String, String, String);

impl Store {
    /// Adds an extension. `number` is what phones put in the user part of their AoR and
    /// their digest username.
    pub async fn add_extension(
        &self,
        number: &str,
        name: &str,
        secret: &str,
    ) -> Result<(), StoreError> {
        if !valid_number(number) {
            return Err(StoreError::InvalidNumber(number.to_owned()));
        }
        let created_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
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

    /// All extensions, ordered by number.
    pub async fn list_extensions(&self) -> Result<Vec<Extension>, StoreError> {
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as("SELECT number, name, sip_secret FROM extensions ORDER BY number")
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(extension).collect())
    }

    /// Removes an extension and (by cascade) its bindings. False when there was none.
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

    pub async fn get_extension(&self, number: &str) -> Result<Option<Extension>, StoreError> {
        let row: Option<Row> = with_pool!(self, pool => {
            sqlx::query_as("SELECT number, name, sip_secret FROM extensions WHERE number = $1")
                .bind(number)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(extension))
    }
}

fn extension((number, name, sip_secret): Row) -> Extension {
    Extension {
        number,
        name,
        sip_secret,
    }
}

/// Extension numbers end up in SIP URIs unescaped, so keep them to safe characters.
fn valid_number(number: &str) -> bool {
    (1..=32).contains(&number.len())
        && number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Directory for Store {
    async fn extension(&self, number: &str) -> Result<Option<Extension>, PortError> {
        Ok(self.get_extension(number).await?)
    }
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
