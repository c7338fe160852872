//! What `Store` adds for calls: extension features, the dial plan (served from the same
//! in-memory copy as the extensions) and call records (written behind, listed by filter).

use std::sync::Arc;

use pbx::accounts::CdrFilter;
use pbx::dialplan::{Rule, RuleAction};
use pbx::{CallClass, CallRecord, CallRecords, DialPlanSource, PortError};

use super::Store;
use crate::cdr_writer::CdrWriter;
use crate::cdrs::CdrWrite;
use crate::error::StoreError;
use crate::features::FeaturesUpdate;

impl Store {
    // --- features ------------------------------------------------------------------------------

    /// Changes the fields `update` names (checked first: `InvalidFeature`);
    /// `NoSuchExtension` when the number is unknown. The server sees it within a second.
    pub async fn set_extension_features(
        &self,
        number: &str,
        update: &FeaturesUpdate,
    ) -> Result<(), StoreError> {
        let done = self.db.set_extension_features(number, update).await;
        self.shared.directory.invalidate();
        done
    }

    /// Renames the extension (when `name` is given) and changes the fields `update` names,
    /// all or nothing: `InvalidFeature` (checked first) changes nothing, and false means
    /// there is no such extension. The server sees it within a second.
    pub async fn update_extension(
        &self,
        number: &str,
        name: Option<&str>,
        update: &FeaturesUpdate,
    ) -> Result<bool, StoreError> {
        let done = self.db.update_extension(number, name, update).await;
        self.shared.directory.invalidate();
        done
    }

    // --- dial plan -----------------------------------------------------------------------------

    /// Adds a rule and returns its id. `position` None puts it last (highest + 10). The
    /// pattern is checked with the dial plan's parser and the action's target for shape
    /// (`InvalidRule`); an extension target need not exist yet (routing answers 404 then).
    pub async fn add_rule(
        &self,
        pattern: &str,
        action: &RuleAction,
        class: Option<CallClass>,
        position: Option<i64>,
    ) -> Result<i64, StoreError> {
        let added = self.db.add_rule(pattern, action, class, position).await;
        self.shared.directory.invalidate();
        added
    }

    /// Every rule in the order routing tries them, read from the database.
    pub async fn list_rules(&self) -> Result<Vec<Rule>, StoreError> {
        self.db.list_rules().await
    }

    /// Removes a rule. False when there was none with that id.
    pub async fn remove_rule(&self, id: i64) -> Result<bool, StoreError> {
        let removed = self.db.remove_rule(id).await;
        self.shared.directory.invalidate();
        removed
    }

    /// The rules from the in-memory copy, refreshed first when the change counter may have
    /// moved (at most once per `cache::directory::RECHECK`). Cheap: an `Arc` clone.
    pub async fn cached_rules(&self) -> Result<Arc<Vec<Rule>>, StoreError> {
        self.serve_from_copy(
            |directory, now| directory.rules(now),
            || async { Ok(Arc::new(self.db.list_rules().await?)) },
        )
        .await
    }

    // --- call records --------------------------------------------------------------------------

    /// The writer, started on first use. None outside a tokio runtime (nothing to run it on;
    /// the call core always has one).
    fn records(&self) -> Option<&CdrWriter> {
        if let Some(writer) = self.shared.records.get() {
            return Some(writer);
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        Some(
            self.shared
                .records
                .get_or_init(|| CdrWriter::start(self.db.clone(), &runtime)),
        )
    }

    fn queue_record(&self, write: CdrWrite) {
        match self.records() {
            Some(writer) => writer.write(write),
            None => tracing::warn!(
                call = %write.record().id,
                "no runtime for the call record writer: record not saved"
            ),
        }
    }

    /// Closes the records a stopped server left open (end_ms NULL): they end at `now_ms`,
    /// answered if they were answered, else failed; the SIP cause stays. Returns how many.
    /// Run at startup, before any call.
    pub async fn close_open_records(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.flush_records().await;
        self.db.close_open_records(now_ms).await
    }

    /// Records of calls that started at or after `since_ms` (all when None), newest first, at
    /// most `limit` of them. Records this handle has queued are written first.
    pub async fn list_records(
        &self,
        since_ms: Option<i64>,
        limit: Option<u32>,
    ) -> Result<Vec<CallRecord>, StoreError> {
        self.flush_records().await;
        self.db.list_records(since_ms, limit).await
    }

    /// Records matching every condition of `filter` (see `CdrFilter`), newest first, at most
    /// `MAX_FILTERED_RECORDS` (also what a `limit` of 0 gives). Records this handle has
    /// queued are written first.
    pub async fn list_records_filtered(
        &self,
        filter: &CdrFilter,
    ) -> Result<Vec<CallRecord>, StoreError> {
        self.flush_records().await;
        self.db.list_records_filtered(filter).await
    }

    async fn flush_records(&self) {
        if let Some(writer) = self.shared.records.get() {
            writer.flush().await;
        }
    }
}

impl DialPlanSource for Store {
    async fn rules(&self) -> Result<Arc<Vec<Rule>>, PortError> {
        Ok(self.cached_rules().await?)
    }
}

impl CallRecords for Store {
    fn call_started(&self, record: &CallRecord) {
        self.queue_record(CdrWrite::Started(Box::new(record.clone())));
    }

    fn call_ended(&self, record: &CallRecord) {
        self.queue_record(CdrWrite::Ended(Box::new(record.clone())));
    }
}
