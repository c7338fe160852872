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
use sip::{Message, Request, Response, Via};
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
    inner: Mutex<Inner>,
    /// Poked when the layer gets a deadline earlier than the one the timer task sleeps
    /// until (not on every message: that would wake the timer task once per message).
    pub(crate) wake: Notify,
}

struct Inner {
    layer: TransactionLayer<Peer>,
    /// The deadline the timer task sleeps until (None: it waits for a poke).
    armed: Option<Instant>,
}

impl Default for Transactions {
    fn default() -> Self {
        Transactions {
            inner: Mutex::new(Inner {
                layer: TransactionLayer::new(TimerConfig::default()),
                armed: None,
            }),
            wake: Notify::new(),
        }
    }
}

impl Transactions {
    fn with<T>(&self, f: impl FnOnce(&mut TransactionLayer<Peer>) -> T) -> Option<(T, Drained)> {
        let mut inner = self.inner.lock().ok()?;
        let out = f(&mut inner.layer);
        let mut drained = Drained::default();
        while let Some(t) = inner.layer.poll_transmit() {
            drained.transmits.push(t);
        }
        while let Some(e) = inner.layer.poll_event() {
            drained.events.push(e);
        }
        let next = inner.layer.poll_timeout();
        let earlier = match (next, inner.armed) {
            (Some(n), Some(a)) => n < a,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if earlier {
            inner.armed = next;
        }
        drop(inner);
        if earlier {
            self.wake.notify_one();
        }
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

    /// A request from the network (with its top Via when already parsed); one that matches
    /// no transaction comes back with the reason.
    pub fn input_request(
        &self,
        now: Instant,
        request: Request,
        top_via: Option<&Via>,
        peer: Peer,
    ) -> Result<Drained, (TransactionError, Box<Request>)> {
        let reliable = peer.flow.transport.is_reliable();
        let result =
            self.with(move |l| l.handle_request_or_return(now, request, top_via, peer, reliable));
        match result {
            Some((Ok(()), d)) => Ok(d),
            Some((Err(e), _)) => Err(e),
            // A poisoned lock: nothing can be matched any more; drop the request.
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
    ) -> Result<(TransactionId, Drained), TransactionError> {
        let reliable = peer.flow.transport.is_reliable();
        match self.with(|l| l.send_request(now, request, peer, reliable)) {
            Some((Ok(id), d)) => Ok((id, d)),
            Some((Err(e), _)) => Err(e),
            None => Err(TransactionError::UnknownTransaction),
        }
    }

    /// Sends a message outside any transaction (the ACK for a 2xx).
    pub fn stateless(&self, message: Message, peer: Peer) -> Drained {
        self.with(|l| l.send_stateless(message, peer))
            .map(|(_, d)| d)
            .unwrap_or_default()
    }

    /// The INVITE server transaction a CANCEL's transaction cancels.
    pub fn cancel_target(&self, cancel: TransactionId) -> Option<TransactionId> {
        self.inner
            .lock()
            .ok()
            .and_then(|i| i.layer.cancel_target(cancel))
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

    /// The earliest deadline, which the timer task then sleeps until.
    pub fn arm_next_deadline(&self) -> Option<Instant> {
        let mut inner = self.inner.lock().ok()?;
        let next = inner.layer.poll_timeout();
        inner.armed = next;
        next
    }

    /// For a CANCEL's server transaction: whether an INVITE transaction it cancels exists.
    pub fn cancels_something(&self, cancel: TransactionId) -> bool {
        self.inner
            .lock()
            .ok()
            .and_then(|i| i.layer.cancel_target(cancel))
            .is_some()
    }

    /// Live transactions (for tests and status).
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.layer.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
