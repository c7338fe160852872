//! A registration binding (RFC 3261 §10): an address of record mapped to one contact.

use crate::flow::Flow;

/// One contact registered for an address of record. The AoR is the extension number (the
/// user part of the To URI), whatever host the phone put there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The extension number.
    pub aor: String,
    /// The contact URI as text (printed without header parameters such as `expires`).
    pub contact: String,
    /// `+sip.instance` without its quotes, e.g. `<urn:uuid:...>`.
    pub instance: Option<String>,
    /// RFC 5626 `reg-id`.
    pub reg_id: Option<u32>,
    /// The `q` parameter as sent (a qvalue such as `0.5`).
    pub q: Option<String>,
    pub call_id: String,
    pub cseq: u32,
    /// When the binding lapses, in unix seconds.
    pub expires_at: u64,
    /// The flow the REGISTER arrived on; requests for this contact go back over it.
    pub flow: Flow,
    pub user_agent: Option<String>,
}

impl Binding {
    /// Seconds left before the binding lapses (0 once expired).
    pub fn remaining(&self, now_unix: u64) -> u64 {
        self.expires_at.saturating_sub(now_unix)
    }

    pub fn is_expired(&self, now_unix: u64) -> bool {
        self.expires_at <= now_unix
    }
}
