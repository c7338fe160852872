//! The tokio side of `sip::transaction::TransactionLayer` (sans-IO): one layer per endpoint
//! behind a mutex that is never held across an await, and a timer task that sleeps until the
//! layer's next deadline. Everything the layer asks for comes back as `Drained` for the
//! endpoint to send and act on.
//!
//! Server transactions absorb UDP retransmissions (a retransmitted REGISTER gets the same
//! answer again, never a second run of the registrar) and retransmit final INVITE responses
//! until the ACK (Timer G); client transactions retransmit our keepalive OPTIONS over UDP
//! (Timer E).

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

use pbx::Flow;
use sip::transaction::{
    Event, TimerConfig, TransactionError, TransactionId, TransactionLayer, Transmit,
};
use sip::{Message, Request, Response};
use tokio::sync::Notify;

/// Where a transaction's messages go: its flow, and for UDP the address responses are sent
/// to (received/rport of the request's Via) or the contact's address for our requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub flow: Flow,
    pub dest: SocketAddr,
}

/// What one call into the layer produced.
#[derive(Debug, Default)]
pub struct Drained {
    pub transmits: Vec<Transmit<Peer>>,
    pub events: Vec<Event<Peer>>,
}

pub struct Transactions {
    layer: Mutex<TransactionLayer<Peer>>,
    /// Poked whenever the layer may have a new earliest deadline.
    pub(crate) wake: Notify,
}

impl Default for Transactions {
    fn default() -> Self {
        Transactions {
            layer: Mutex::new(TransactionLayer::new(TimerConfig::default())),
            wake: Notify::new(),
        }
    }
}

impl Transactions {
    fn with<T>(&self, f: impl FnOnce(&mut TransactionLayer<Peer>) -> T) -> Option<(T, Drained)> {
        let mut layer = self.layer.lock().ok()?;
        let out = f(&mut layer);
        let mut drained = Drained::default();
        while let Some(t) = layer.poll_transmit() {
            drained.transmits.push(t);
        }
        while let Some(e) = layer.poll_event() {
            drained.events.push(e);
        }
        drop(layer);
        self.wake.notify_one();
        Some((out, drained))
    }

    /// A message from the network.
    pub fn input(
        &self,
        now: Instant,
        message: Message,
        peer: Peer,
    ) -> Result<Drained, TransactionError> {
        let reliable = peer.flow.transport.is_reliable();
        match self.with(|l| l.handle_input(now, message, peer, reliable)) {
            Some((Ok(()), d)) => Ok(d),
            Some((Err(e), _)) => Err(e),
            None => Ok(Drained::default()),
        }
    }

    /// The answer to server transaction `id`.
    pub fn respond(
        &self,
        now: Instant,
        id: TransactionId,
        response: Response,
    ) -> Result<Drained, TransactionError> {
        match self.with(|l| l.send_response(now, id, response)) {
            Some((Ok(()), d)) => Ok(d),
            Some((Err(e), _)) => Err(e),
            None => Ok(Drained::default()),
        }
    }

    /// Starts a client transaction for a request we originate.
    pub fn request(
        &self,
        now: Instant,
        request: Request,
        peer: Peer,
    ) -> Result<Drained, TransactionError> {
        let reliable = peer.flow.transport.is_reliable();
        match self.with(|l| l.send_request(now, request, peer, reliable)) {
            Some((Ok(_), d)) => Ok(d),
            Some((Err(e), _)) => Err(e),
            None => Ok(Drained::default()),
        }
    }

    pub fn transport_error(&self, now: Instant, id: TransactionId) -> Drained {
        self.with(|l| l.handle_transport_error(now, id))
            .map(|(_, d)| d)
            .unwrap_or_default()
    }

    pub fn timeout(&self, now: Instant) -> Drained {
        self.with(|l| l.handle_timeout(now))
            .map(|(_, d)| d)
            .unwrap_or_default()
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.layer.lock().ok().and_then(|mut l| l.poll_timeout())
    }

    /// For a CANCEL's server transaction: whether an INVITE transaction it cancels exists.
    pub fn cancels_something(&self, cancel: TransactionId) -> bool {
        self.layer
            .lock()
            .ok()
            .and_then(|l| l.cancel_target(cancel))
            .is_some()
    }

    /// Live transactions (for tests and status).
    pub fn len(&self) -> usize {
        self.layer.lock().map(|l| l.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
