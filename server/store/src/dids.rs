//! The company numbers (DIDs) in SQL. `targets` holds the extensions rung together as
//! comma-separated text; they must exist when the DID is added (the one place a typo can be
//! caught), and the trunk must exist for as long as the DID does (a foreign key).

use pbx::trunk::Did;

use crate::backend::{Backend, first, with_pool};
use crate::error::StoreError;
use crate::extensions::unix_now;
use crate::trunk_checks::{check_did, check_did_fields};
use crate::trunks::list;

type Row = (String, String, String, Option<String>);

/// Only the fields given change, in one statement (no read-modify-write that a concurrent
/// edit could race); `$3` says whether the failover is given (`$4` NULL then clears it).
const UPDATE: &str = "UPDATE dids SET trunk = COALESCE($1, trunk), \
     targets = COALESCE($2, targets), \
     failover = CASE WHEN $3 THEN $4 ELSE failover END \
     WHERE number = $5 RETURNING number, trunk, targets, failover";

/// A change to some of a DID's settings (`did set`, the portal's edit page): `None` leaves a
/// field as it is. Each given field is checked as `add_did` checks it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DidUpdate {
    pub trunk: Option<String>,
    /// The whole list of extensions rung together.
    pub to: Option<Vec<String>>,
    /// `Some(None)` removes the failover.
    pub failover: Option<Option<String>>,
}

impl DidUpdate {
    /// True when it changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == DidUpdate::default()
    }
}

impl Backend {
    /// `InvalidDid` for malformed fields, `NoSuchExtension` for a target that does not
    /// exist, `NoSuchTrunk`, `DuplicateDid` when the number is taken.
    pub async fn add_did(&self, did: &Did) -> Result<(), StoreError> {
        check_did(did)?;
        self.check_extensions_exist(&did.to).await?;
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

    /// Changes the fields `change` gives of DID `number` and returns the DID as it is now;
    /// None (nothing changed) when there is no such number. Errors as `add_did`, with
    /// nothing changed.
    pub async fn update_did(
        &self,
        number: &str,
        change: &DidUpdate,
    ) -> Result<Option<Did>, StoreError> {
        let failover = change.failover.as_ref().map(Option::as_deref);
        check_did_fields(change.to.as_deref(), failover)?;
        if let Some(to) = &change.to {
            self.check_extensions_exist(to).await?;
        }
        let result: Result<Option<Row>, sqlx::Error> = with_pool!(self, pool => {
            sqlx::query_as(UPDATE)
                .bind(change.trunk.as_deref())
                .bind(change.to.as_ref().map(|to| to.join(",")))
                .bind(failover.is_some())
                .bind(failover.flatten())
                .bind(number)
                .fetch_all(pool)
                .await.map(first)
        });
        match result {
            Ok(row) => Ok(row.map(did)),
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => Err(
                StoreError::NoSuchTrunk(change.trunk.clone().unwrap_or_default()),
            ),
            Err(e) => Err(e.into()),
        }
    }

    /// `NoSuchExtension` for the first of `numbers` that is not an extension: the one place
    /// a typo in a DID's targets can be caught.
    async fn check_extensions_exist(&self, numbers: &[String]) -> Result<(), StoreError> {
        for number in numbers {
            if self.get_extension(number).await?.is_none() {
                return Err(StoreError::NoSuchExtension(number.clone()));
            }
        }
        Ok(())
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
