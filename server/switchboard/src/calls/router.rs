//! Which call a message belongs to: client transactions by id, dialogs by (Call-ID, our
//! tag), the caller's INVITE transaction (for CANCEL) by id. Also counts each extension's
//! calls, for the per-extension limit.

use std::collections::HashMap;
use std::sync::Mutex;

use super::events::CallEvent;
pub use super::queue::CallSender;
use super::trunk_sources::TrunkSources;
use sip::transaction::TransactionId;

#[derive(Default)]
pub struct CallRouter {
    inner: Mutex<Inner>,
    /// Which sources are trunks (INVITEs from them are not challenged).
    trunk_sources: TrunkSources,
}

#[derive(Default)]
struct Inner {
    by_transaction: HashMap<TransactionId, CallSender>,
    by_dialog: HashMap<(String, String), CallSender>,
    calls: HashMap<u64, ActiveCall>,
    per_extension: HashMap<String, u32>,
    next_id: u64,
}

/// A call that is up or ringing, for status pages and shutdown.
#[derive(Debug, Clone)]
pub struct ActiveCall {
    pub id: String,
    pub caller: String,
    pub callee: String,
    pub answered: bool,
    /// DTMF digits pressed so far (either side, RFC 4733 or SIP INFO), in order.
    pub digits: String,
    /// When the call arrived (unix ms).
    pub started_ms: i64,
    sender: Option<CallSender>,
}

impl CallRouter {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> Option<T> {
        self.inner.lock().ok().map(|mut i| f(&mut i))
    }

    pub fn trunk_sources(&self) -> &TrunkSources {
        &self.trunk_sources
    }

    pub fn bind_transaction(&self, id: TransactionId, sender: &CallSender) {
        self.with(|i| i.by_transaction.insert(id, sender.clone()));
    }

    pub fn forget_transaction(&self, id: TransactionId) {
        self.with(|i| i.by_transaction.remove(&id));
    }

    pub fn transaction(&self, id: TransactionId) -> Option<CallSender> {
        self.with(|i| i.by_transaction.get(&id).cloned()).flatten()
    }

    pub fn bind_dialog(&self, call_id: &str, local_tag: &str, sender: &CallSender) {
        self.with(|i| {
            i.by_dialog
                .insert((call_id.to_owned(), local_tag.to_owned()), sender.clone())
        });
    }

    pub fn forget_dialog(&self, call_id: &str, local_tag: &str) {
        self.with(|i| {
            i.by_dialog
                .remove(&(call_id.to_owned(), local_tag.to_owned()))
        });
    }

    pub fn dialog(&self, call_id: &str, local_tag: &str) -> Option<CallSender> {
        self.with(|i| {
            i.by_dialog
                .get(&(call_id.to_owned(), local_tag.to_owned()))
                .cloned()
        })
        .flatten()
    }

    /// Registers a new call; the handle is for `update` and `end`.
    pub fn begin(&self, id: &str, caller: &str, sender: &CallSender) -> u64 {
        self.with(|i| {
            i.next_id += 1;
            i.calls.insert(
                i.next_id,
                ActiveCall {
                    id: id.to_owned(),
                    caller: caller.to_owned(),
                    callee: String::new(),
                    answered: false,
                    digits: String::new(),
                    started_ms: super::record::now_ms(),
                    sender: Some(sender.clone()),
                },
            );
            i.next_id
        })
        .unwrap_or(0)
    }

    pub fn update(&self, handle: u64, callee: &str, answered: bool) {
        self.with(|i| {
            if let Some(c) = i.calls.get_mut(&handle) {
                c.callee = callee.to_owned();
                c.answered = answered;
            }
        });
    }

    pub fn add_digit(&self, handle: u64, digit: char) {
        self.with(|i| {
            if let Some(c) = i.calls.get_mut(&handle) {
                c.digits.push(digit);
            }
        });
    }

    pub fn end(&self, handle: u64) {
        self.with(|i| i.calls.remove(&handle));
    }

    /// Counts a call for `extension` unless it already has `limit` calls up.
    pub fn try_take_slot(&self, extension: &str, limit: Option<u32>) -> bool {
        self.with(|i| {
            let n = i.per_extension.entry(extension.to_owned()).or_insert(0);
            if limit.is_some_and(|l| *n >= l) {
                false
            } else {
                *n += 1;
                true
            }
        })
        .unwrap_or(false)
    }

    pub fn release_slot(&self, extension: &str) {
        self.with(|i| {
            if let Some(n) = i.per_extension.get_mut(extension) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    i.per_extension.remove(extension);
                }
            }
        });
    }

    pub fn active(&self) -> Vec<ActiveCall> {
        self.with(|i| {
            i.calls
                .values()
                .map(|c| ActiveCall {
                    sender: None,
                    ..c.clone()
                })
                .collect()
        })
        .unwrap_or_default()
    }

    /// Tells the call `id` to hang up (an admin's request): both legs are ended as at
    /// shutdown. False when no such call is up.
    pub fn hang_up(&self, id: &str) -> bool {
        self.with(|i| {
            i.calls
                .values()
                .filter(|c| c.id == id)
                .filter_map(|c| c.sender.as_ref())
                .any(|s| s.send(CallEvent::Shutdown).is_ok())
        })
        .unwrap_or(false)
    }

    /// Tells every call to hang up; returns how many were told.
    pub fn shutdown_all(&self) -> usize {
        self.with(|i| {
            i.calls
                .values()
                .filter_map(|c| c.sender.as_ref())
                .filter(|s| s.send(CallEvent::Shutdown).is_ok())
                .count()
        })
        .unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.with(|i| i.calls.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
