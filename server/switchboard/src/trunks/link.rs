//! How responses and timeouts of the trunk driver's requests (REGISTER, OPTIONS to
//! providers) find their way back: the endpoint's transaction layer reports them by
//! transaction id, and ids the driver owns are forwarded to it over a channel instead of
//! going to a call task or the keepalive tracker. An id is owned from before its first
//! transmission, so even an immediate answer is routed.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use sip::Response;
use sip::transaction::TransactionId;
use tokio::sync::mpsc;

/// What the transaction layer reports about one of the driver's requests.
#[derive(Debug)]
pub enum LinkEvent {
    Response {
        id: TransactionId,
        response: Response,
    },
    /// Timer F fired or the request could not be sent.
    Failed { id: TransactionId },
}

#[derive(Default)]
pub struct TrunkLink {
    owned: Mutex<HashSet<TransactionId>>,
    tx: OnceLock<mpsc::UnboundedSender<LinkEvent>>,
}

impl TrunkLink {
    /// The driver's end; None when a driver is attached already.
    pub fn attach(&self) -> Option<mpsc::UnboundedReceiver<LinkEvent>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.tx.set(tx).ok().map(|()| rx)
    }

    pub(crate) fn own(&self, id: TransactionId) {
        if let Ok(mut owned) = self.owned.lock() {
            owned.insert(id);
        }
    }

    fn owns(&self, id: TransactionId, release: bool) -> bool {
        self.owned.lock().is_ok_and(|mut owned| {
            if release {
                owned.remove(&id)
            } else {
                owned.contains(&id)
            }
        })
    }

    fn forward(&self, event: LinkEvent) {
        if let Some(tx) = self.tx.get() {
            // A closed channel: the driver stopped (shutdown); nothing waits for the answer.
            tx.send(event).ok();
        }
    }

    /// A response of a client transaction: true when it was the driver's (then forwarded).
    pub fn response(&self, id: TransactionId, response: &Response) -> bool {
        if !self.owns(id, response.status >= 200) {
            return false;
        }
        self.forward(LinkEvent::Response {
            id,
            response: response.clone(),
        });
        true
    }

    /// A client transaction timed out or hit a transport error: true when it was the
    /// driver's (then forwarded).
    pub fn failed(&self, id: TransactionId) -> bool {
        if !self.owns(id, true) {
            return false;
        }
        self.forward(LinkEvent::Failed { id });
        true
    }

    /// The transaction is gone (after its final response and Timer K).
    pub fn forget(&self, id: TransactionId) {
        self.owns(id, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_ids_are_forwarded_once_final() {
        let link = TrunkLink::default();
        let mut rx = link.attach().unwrap_or_else(|| panic!("first attach"));
        assert!(link.attach().is_none(), "one driver");
        let id = TransactionId(7);
        let mut resp = Response::new(100, "Trying");
        assert!(!link.response(id, &resp), "not owned yet");
        link.own(id);
        assert!(link.response(id, &resp));
        resp.status = 200;
        assert!(link.response(id, &resp));
        assert!(!link.response(id, &resp), "released by the final response");
        assert!(!link.failed(id));
        link.own(TransactionId(8));
        assert!(link.failed(TransactionId(8)));
        let mut got = Vec::new();
        while let Ok(e) = rx.try_recv() {
            got.push(e);
        }
        assert_eq!(got.len(), 3);
        assert!(matches!(got.last(), Some(LinkEvent::Failed { id }) if id.0 == 8));
    }
}
