//! The trunk driver's reports (see `crate::trunk_status`), straight to the database: they
//! change rarely (a registration, a verdict of the health checks) and only the CLI reads them.

use super::Store;
use crate::error::StoreError;
use crate::trunk_status::TrunkStatus;

impl Store {
    /// Writes what the server found about one trunk. False when no such trunk exists (it
    /// was removed meanwhile): nothing is written.
    pub async fn set_trunk_status(&self, status: &TrunkStatus) -> Result<bool, StoreError> {
        self.db.set_trunk_status(status).await
    }

    /// Every trunk's last reported status, by name.
    pub async fn trunk_statuses(&self) -> Result<Vec<TrunkStatus>, StoreError> {
        self.db.trunk_statuses().await
    }

    /// Forgets every report: a starting server clears what its last run found.
    pub async fn clear_trunk_statuses(&self) -> Result<(), StoreError> {
        self.db.clear_trunk_statuses().await
    }
}
