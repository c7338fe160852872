//! Writing call records behind the calls: `call_started` and `call_ended` only queue; one
//! task drains the queue every `WINDOW` (at once when asked to flush) and writes what it
//! found in one transaction, in the order the calls reported it. Several writes of the same
//! call in one batch become one (the last: it carries everything; a start after the end of
//! the same call is ignored, as the database would ignore it).
//!
//! A crash loses at most the last `WINDOW` of records; the open ones that did reach the
//! database are closed on the next start (`Store::close_open_records`). A batch the database
//! refuses is retried record by record so one bad record does not take the others with it.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};

use crate::backend::Backend;
use crate::batching::next_batch;
use crate::cdrs::CdrWrite;

/// At most this many records in one transaction.
const MAX_BATCH: usize = 1024;

#[derive(Debug)]
enum Msg {
    Write(CdrWrite),
    Flush(oneshot::Sender<()>),
}

/// The sending side; the task ends when every clone is dropped.
#[derive(Debug, Clone)]
pub(crate) struct CdrWriter {
    tx: mpsc::UnboundedSender<Msg>,
    wake: Arc<Notify>,
}

impl CdrWriter {
    /// Starts the writer task on `runtime`.
    pub fn start(db: Backend, runtime: &tokio::runtime::Handle) -> CdrWriter {
        let (tx, rx) = mpsc::unbounded_channel();
        let wake = Arc::new(Notify::new());
        runtime.spawn(run(db, rx, wake.clone()));
        CdrWriter { tx, wake }
    }

    /// Queues a record. Never waits.
    pub fn write(&self, write: CdrWrite) {
        let id = write.record().id.clone();
        if self.tx.send(Msg::Write(write)).is_err() {
            tracing::warn!(call = %id, "call record writer has stopped: record not saved");
        }
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

/// One round of the writer: the writes in order, a start folded into its end.
#[derive(Debug, Default)]
struct Batch {
    writes: Vec<CdrWrite>,
    /// Record id -> index in `writes`.
    index: HashMap<String, usize>,
    flushes: Vec<oneshot::Sender<()>>,
}

impl crate::batching::Batch for Batch {
    type Msg = Msg;

    fn add(&mut self, msg: Msg) {
        match msg {
            Msg::Write(write) => {
                let id = write.record().id.clone();
                match self.index.get(&id).and_then(|&i| self.writes.get_mut(i)) {
                    // The later write replaces the earlier at its place, except that a start
                    // never reopens an ended record.
                    Some(slot) => {
                        if !(matches!(slot, CdrWrite::Ended(_))
                            && matches!(write, CdrWrite::Started(_)))
                        {
                            *slot = write;
                        }
                    }
                    None => {
                        self.index.insert(id, self.writes.len());
                        self.writes.push(write);
                    }
                }
            }
            Msg::Flush(done) => self.flushes.push(done),
        }
    }

    fn full(&self) -> bool {
        self.writes.len() >= MAX_BATCH || !self.flushes.is_empty()
    }
}

async fn run(db: Backend, mut rx: mpsc::UnboundedReceiver<Msg>, wake: Arc<Notify>) {
    while let Some(batch) = next_batch::<Batch>(&mut rx, &wake).await {
        if !batch.writes.is_empty() {
            commit(&db, &batch.writes).await;
        }
        for done in batch.flushes {
            let _ = done.send(());
        }
    }
}

async fn commit(db: &Backend, writes: &[CdrWrite]) {
    let Err(e) = db.write_records(writes).await else {
        return;
    };
    tracing::warn!(
        records = writes.len(),
        "saving call records failed ({e}); retrying one by one"
    );
    for write in writes {
        if let Err(e) = db.write_records(std::slice::from_ref(write)).await {
            tracing::warn!(call = %write.record().id, "call record not saved: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::batching::Batch as _;
    use pbx::{CallRecord, Disposition, LegStats};

    use super::*;

    fn rec(id: &str, disposition: Disposition) -> Box<CallRecord> {
        Box::new(CallRecord {
            id: id.into(),
            call_id: "c".into(),
            caller: "1001".into(),
            callee: "1002".into(),
            dialed: "1002".into(),
            start_ms: 1,
            answer_ms: None,
            end_ms: None,
            disposition,
            sip_cause: None,
            codec_a: None,
            codec_b: None,
            leg_a: LegStats::default(),
            leg_b: LegStats::default(),
        })
    }

    #[test]
    fn the_last_write_of_a_call_takes_the_place_of_the_first() {
        let mut batch = Batch::default();
        let mut answered = rec("b", Disposition::InProgress);
        answered.answer_ms = Some(2);
        batch.add(Msg::Write(CdrWrite::Started(rec(
            "a",
            Disposition::InProgress,
        ))));
        batch.add(Msg::Write(CdrWrite::Started(rec(
            "b",
            Disposition::InProgress,
        ))));
        batch.add(Msg::Write(CdrWrite::Ended(rec("a", Disposition::Busy))));
        batch.add(Msg::Write(CdrWrite::Started(rec(
            "a",
            Disposition::InProgress,
        ))));
        batch.add(Msg::Write(CdrWrite::Started(answered.clone())));
        batch.add(Msg::Write(CdrWrite::Ended(rec("c", Disposition::Failed))));
        assert_eq!(
            batch.writes,
            [
                CdrWrite::Ended(rec("a", Disposition::Busy)),
                CdrWrite::Started(answered),
                CdrWrite::Ended(rec("c", Disposition::Failed)),
            ]
        );
        assert!(!batch.full());
        let (done, _wait) = oneshot::channel();
        batch.add(Msg::Flush(done));
        assert!(batch.full(), "a flush ends the batch");
    }
}
