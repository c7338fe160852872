//! Bindings made over a connection that has closed cannot be reached any more: we open no
//! connection to a contact, and a browser's `.invalid` contact names no host anyway. They are
//! removed when the connection closes instead of lingering until they expire (a browser that
//! reloads registers again from a new connection every time).

use std::collections::BTreeMap;

use pbx::{BindingChanges, Flow};

use super::{Endpoint, now_unix};

impl Endpoint {
    /// Removes the bindings registered over `flow` (a connection the peer closed).
    pub async fn forget_bindings_of(&self, flow: &Flow) {
        let all = match self.store().all_bindings(now_unix()).await {
            Ok(all) => all,
            Err(e) => {
                tracing::warn!("bindings of a closed connection not removed: {e}");
                return;
            }
        };
        let mut by_aor: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for b in all.into_iter().filter(|b| b.flow == *flow) {
            by_aor.entry(b.aor).or_default().push(b.contact);
        }
        for (aor, remove) in by_aor {
            let changes = BindingChanges {
                aor,
                remove,
                upsert: Vec::new(),
            };
            match self.store().apply_bindings(&changes).await {
                Ok(()) => {
                    tracing::debug!(aor = %changes.aor, "bindings of a closed connection removed")
                }
                Err(e) => {
                    tracing::warn!(aor = %changes.aor, "bindings of a closed connection kept: {e}")
                }
            }
        }
    }
}
