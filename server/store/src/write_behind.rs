//! Writing the location service behind the serving copy in memory: binding changes go into a
//! queue; one task drains it every `WINDOW` (at once when asked to flush) and applies what
//! it found in one transaction, keeping only the last change to each (aor, contact).
//!
//! What a crash can lose is the last `WINDOW` of changes — registrations phones redo. A
//! graceful shutdown flushes (`Store::close`). A batch the database refuses (an extension
//! removed meanwhile breaks the foreign key of its bindings) is retried change by change so
//! one bad row does not take the others with it.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use pbx::{Binding, BindingChanges};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::batching::next_batch;

use crate::backend::Backend;

/// At most this many rows in one transaction.
const MAX_BATCH: usize = 4096;

/// One row's final state in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Write {
    Upsert(Box<Binding>),
    Remove { aor: String, contact: String },
}

#[derive(Debug)]
pub(crate) enum Msg {
    Changes(BindingChanges),
    Purge(u64),
    Flush(oneshot::Sender<()>),
}

/// The sending side; the task ends when every clone is dropped.
#[derive(Debug, Clone)]
pub(crate) struct WriteBehind {
    tx: mpsc::UnboundedSender<Msg>,
    wake: Arc<Notify>,
}

impl WriteBehind {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(db: Backend) -> WriteBehind {
        let (tx, rx) = mpsc::unbounded_channel();
        let wake = Arc::new(Notify::new());
        tokio::spawn(run(db, rx, wake.clone()));
        WriteBehind { tx, wake }
    }

    /// Queues one REGISTER's changes. Never waits.
    pub fn changes(&self, changes: &BindingChanges) {
        if self.tx.send(Msg::Changes(changes.clone())).is_err() {
            tracing::warn!(aor = %changes.aor, "binding writer has stopped: change not saved");
        }
    }

    /// Queues a purge of rows expired at or before `now_unix`.
    pub fn purge(&self, now_unix: u64) {
        let _ = self.tx.send(Msg::Purge(now_unix));
    }

    /// Returns once everything queued before the call is committed (or was refused).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).is_ok() {
            self.wake.notify_one();
            let _ = wait.await;
        }
    }
}

/// What one round of the writer applies, in the order the changes were made: a purge queued
/// before any write goes first; one queued after writes goes after them and ends the batch.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    writes: Vec<Write>,
    /// (aor, contact) -> index in `writes`.
    index: HashMap<(String, String), usize>,
    purge_first: Option<u64>,
    purge_last: Option<u64>,
    flushes: Vec<oneshot::Sender<()>>,
}

impl crate::batching::Batch for Batch {
    type Msg = Msg;

    fn add(&mut self, msg: Msg) {
        match msg {
            Msg::Changes(changes) => {
                for contact in changes.remove {
                    let write = Write::Remove {
                        aor: changes.aor.clone(),
                        contact: contact.clone(),
                    };
                    self.set(changes.aor.clone(), contact, write);
                }
                for b in changes.upsert {
                    self.set(b.aor.clone(), b.contact.clone(), Write::Upsert(Box::new(b)));
                }
            }
            Msg::Purge(now) if self.writes.is_empty() => {
                self.purge_first = Some(self.purge_first.map_or(now, |p| p.max(now)));
            }
            Msg::Purge(now) => self.purge_last = Some(now),
            Msg::Flush(done) => self.flushes.push(done),
        }
    }

    fn full(&self) -> bool {
        self.writes.len() >= MAX_BATCH || self.purge_last.is_some() || !self.flushes.is_empty()
    }
}

impl Batch {
    fn set(&mut self, aor: String, contact: String, write: Write) {
        match self.index.entry((aor, contact)) {
            Entry::Occupied(e) => {
                if let Some(slot) = self.writes.get_mut(*e.get()) {
                    *slot = write;
                }
            }
            Entry::Vacant(e) => {
                e.insert(self.writes.len());
                self.writes.push(write);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.purge_first.is_none() && self.purge_last.is_none()
    }
}

async fn run(db: Backend, mut rx: mpsc::UnboundedReceiver<Msg>, wake: Arc<Notify>) {
    while let Some(batch) = next_batch::<Batch>(&mut rx, &wake).await {
        if !batch.is_empty() {
            commit(&db, &batch).await;
        }
        for done in batch.flushes {
            let _ = done.send(());
        }
    }
}

async fn commit(db: &Backend, batch: &Batch) {
    let Err(e) = db
        .write_bindings(batch.purge_first, &batch.writes, batch.purge_last)
        .await
    else {
        return;
    };
    tracing::warn!(
        rows = batch.writes.len(),
        "saving bindings failed ({e}); retrying row by row"
    );
    let purge = |now: Option<u64>| async move {
        if let Some(now) = now
            && let Err(e) = db.write_bindings(Some(now), &[], None).await
        {
            tracing::warn!("purging expired bindings failed: {e}");
        }
    };
    purge(batch.purge_first).await;
    for write in &batch.writes {
        if let Err(e) = db
            .write_bindings(None, std::slice::from_ref(write), None)
            .await
        {
            let (aor, contact) = match write {
                Write::Upsert(b) => (&b.aor, &b.contact),
                Write::Remove { aor, contact } => (aor, contact),
            };
            tracing::warn!(%aor, %contact, "binding not saved: {e}");
        }
    }
    purge(batch.purge_last).await;
}

#[cfg(test)]
mod tests {
    use crate::batching::Batch as _;
    use std::net::SocketAddr;

    use pbx::{Flow, Transport};

    use super::*;

    fn b(aor: &str, contact: &str, cseq: u32) -> Binding {
        Binding {
            aor: aor.into(),
            contact: contact.into(),
            instance: None,
            reg_id: None,
            q: None,
            call_id: "c".into(),
            cseq,
            expires_at: 100,
            flow: Flow {
                transport: Transport::Udp,
                remote: SocketAddr::from(([192, 0, 2, 1], 5060)),
                local: SocketAddr::from(([127, 0, 0, 1], 5060)),
                connection: None,
            },
            user_agent: None,
        }
    }

    #[test]
    fn the_last_change_to_a_row_wins_and_order_of_first_appearance_is_kept() {
        let mut batch = Batch::default();
        batch.add(Msg::Changes(BindingChanges {
            aor: "1".into(),
            remove: vec![],
            upsert: vec![b("1", "sip:a", 1), b("1", "sip:b", 1)],
        }));
        batch.add(Msg::Changes(BindingChanges {
            aor: "1".into(),
            remove: vec!["sip:b".into()],
            upsert: vec![b("1", "sip:a", 2)],
        }));
        batch.add(Msg::Purge(50));
        assert_eq!(
            batch.writes,
            [
                Write::Upsert(Box::new(b("1", "sip:a", 2))),
                Write::Remove {
                    aor: "1".into(),
                    contact: "sip:b".into()
                }
            ]
        );
        assert_eq!((batch.purge_first, batch.purge_last), (None, Some(50)));
        assert!(batch.full(), "a purge after writes ends the batch");
    }

    #[test]
    fn purges_before_writes_go_first_and_a_flush_ends_the_batch() {
        let mut batch = Batch::default();
        batch.add(Msg::Purge(50));
        batch.add(Msg::Purge(40));
        batch.add(Msg::Changes(BindingChanges {
            aor: "1".into(),
            remove: vec![],
            upsert: vec![b("1", "sip:a", 1)],
        }));
        assert_eq!((batch.purge_first, batch.purge_last), (Some(50), None));
        assert!(!batch.full());
        let (done, _wait) = oneshot::channel();
        batch.add(Msg::Flush(done));
        assert!(batch.full(), "a flush ends the batch");
    }
}
