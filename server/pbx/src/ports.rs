//! The ports through which the PBX reaches storage. `store` implements them over SQL; the
//! in-memory versions in `testing` serve unit tests.

use std::future::Future;

use thiserror::Error;

use crate::binding::Binding;
use crate::cdr::CallRecord;
use crate::dialplan::Rule;
use crate::features::Features;

/// A storage failure. The registrar answers 500 to any of these; the details are for logs.
#[derive(Debug, Error)]
pub enum PortError {
    #[error("storage backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

/// An extension (a user who may register). `sip_secret` is the plaintext SIP password: both
/// MD5 and SHA-256 digests (and any realm) need it, so one stored HA1 would not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub number: String,
    pub name: String,
    pub sip_secret: String,
    pub features: Features,
}

/// Who may register.
pub trait Directory: Send + Sync {
    fn extension(
        &self,
        number: &str,
    ) -> impl Future<Output = Result<Option<Extension>, PortError>> + Send;
}

/// One REGISTER's worth of binding changes for a single AoR. `apply` commits all of them or
/// none (RFC 3261 §10.3 step 8): removals first, then upserts keyed by (aor, contact).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BindingChanges {
    pub aor: String,
    /// Contact texts (as stored in `Binding::contact`) to delete.
    pub remove: Vec<String>,
    /// Bindings to insert or replace; each one's `aor` equals `aor` above.
    pub upsert: Vec<Binding>,
}

impl BindingChanges {
    pub fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.upsert.is_empty()
    }
}

/// The location service: where registered contacts are.
pub trait Locations: Send + Sync {
    /// The AoR's bindings that have not expired at `now_unix`, ordered by contact.
    fn lookup(
        &self,
        aor: &str,
        now_unix: u64,
    ) -> impl Future<Output = Result<Vec<Binding>, PortError>> + Send;

    /// Applies the changes atomically.
    fn apply(&self, changes: &BindingChanges)
    -> impl Future<Output = Result<(), PortError>> + Send;

    /// Deletes bindings that expired at or before `now_unix`; returns how many.
    fn purge_expired(&self, now_unix: u64) -> impl Future<Output = Result<u64, PortError>> + Send;

    /// Every unexpired binding, ordered by AoR then contact.
    fn all(&self, now_unix: u64) -> impl Future<Output = Result<Vec<Binding>, PortError>> + Send;
}

/// The dial plan's rules, in order. Implementations serve a cached copy and notice changes
/// made by other processes (the CLI) within about a second.
pub trait DialPlanSource: Send + Sync {
    fn rules(&self) -> impl Future<Output = Result<std::sync::Arc<Vec<Rule>>, PortError>> + Send;
}

/// Where call records go. Both calls only queue the record (a call never waits for the
/// database); the implementation writes them behind, in order, and flushes at shutdown.
pub trait CallRecords: Send + Sync {
    /// The call started: an open record (`disposition` InProgress, no end).
    fn call_started(&self, record: &CallRecord);
    /// The call ended: the record closed (same `id`).
    fn call_ended(&self, record: &CallRecord);
}
