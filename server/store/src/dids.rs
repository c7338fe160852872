//! The company numbers (DIDs) in SQL. `targets` holds the extensions rung together as
//! comma-separated text; they must exist when the DID is added (the one place a typo can be
//! caught), and the trunk must exist for as long as the DID does (a foreign key).

use pbx::trunk::Did;

use crate::backend::{Backend, with_pool};
use crate::error::StoreError;
use crate::extensions::unix_now;
use crate::trunk_checks::check_did;
use crate::trunks::list;

type Row = (String, String, String, Option<String>);

impl Backend {
    /// `InvalidDid` for malformed fields, `NoSuchExtension` for a target that does not
    /// exist, `NoSuchTrunk`, `DuplicateDid` when the number is taken.
    pub async fn add_did(&self, did: &Did) -> Result<(), StoreError> {
        check_did(did)?;
        for number in &did.to {
            if self.get_extension(number).await?.is_none() {
                return Err(StoreError::NoSuchExtension(number.clone()));
            }
        }
        let result = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO dids (number, trunk, targets, failover, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&did.number)
            .bind(&did.trunk)
            .bind(did.to.join(","))
            .bind(did.failover.as_deref())
            .bind(unix_now())
            .execute(pool)
            .await
            .map(|_| ())
        });
        match result {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::DuplicateDid(did.number.clone()))
            }
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                Err(StoreError::NoSuchTrunk(did.trunk.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every DID, by number.
    pub async fn list_dids(&self) -> Result<Vec<Did>, StoreError> {
        let rows: Vec<Row> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT number, trunk, targets, failover FROM dids ORDER BY number",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(did).collect())
    }

    /// Removes a DID. False when there was none with that number.
    pub async fn remove_did(&self, number: &str) -> Result<bool, StoreError> {
        let done = with_pool!(self, pool => {
            sqlx::query("DELETE FROM dids WHERE number = $1")
                .bind(number)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }
}

fn did((number, trunk, targets, failover): Row) -> Did {
    Did {
        to: list(&targets).map(str::to_owned).collect(),
        number,
        trunk,
        failover,
    }
}
