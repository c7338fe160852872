//! The gathering loop both writers behind share (bindings, call records): wait for the first
//! message, let more arrive for `WINDOW` (or until a flush wakes us, or the batch is full),
//! then hand the batch over for one transaction.

use std::time::Duration;

use tokio::sync::{Notify, mpsc};

/// How long changes gather before they are written in one transaction.
pub(crate) const WINDOW: Duration = Duration::from_millis(250);

/// A batch a writer fills from its queue.
pub(crate) trait Batch: Default {
    type Msg;
    fn add(&mut self, msg: Self::Msg);
    /// No room for more, or a flush is waiting: write now.
    fn full(&self) -> bool;
}

/// The next batch; `None` once every sender is gone.
pub(crate) async fn next_batch<B: Batch>(
    rx: &mut mpsc::UnboundedReceiver<B::Msg>,
    wake: &Notify,
) -> Option<B> {
    let first = rx.recv().await?;
    let mut batch = B::default();
    batch.add(first);
    if !batch.full() {
        // Let changes gather without a transaction for each one.
        tokio::select! {
            () = tokio::time::sleep(WINDOW) => {}
            () = wake.notified() => {}
        }
    }
    while !batch.full() {
        match rx.try_recv() {
            Ok(msg) => batch.add(msg),
            Err(_) => break,
        }
    }
    Some(batch)
}
