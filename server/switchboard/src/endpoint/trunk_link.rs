//! The endpoint's side of the trunk driver: its requests go out in client transactions whose
//! responses and failures the driver receives (see `crate::trunks::link`).

use std::time::Instant;

use pbx::Flow;
use sip::Request;
use sip::transaction::TransactionId;

use super::transactions::Peer;
use super::{Endpoint, TransmitError};

impl Endpoint {
    /// Sends a trunk request (its top Via already set) to `flow.remote` in a new client
    /// transaction owned by the trunk driver.
    pub(crate) async fn trunk_request(
        &self,
        flow: &Flow,
        req: Request,
    ) -> Result<TransactionId, TransmitError> {
        if flow.transport.is_reliable() && flow.connection.is_none() {
            return Err(TransmitError::NoConnection(flow.transport));
        }
        let peer = Peer {
            flow: flow.clone(),
            dest: flow.remote,
        };
        let (id, drained) = self.transactions.request(Instant::now(), req, peer)?;
        // Owned before anything is sent: the answer may come back on another thread at once.
        self.trunk_link.own(id);
        for work in self.process(drained) {
            self.complete(work).await;
        }
        Ok(id)
    }
}
