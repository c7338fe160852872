//! The RFC 3261 §17 transaction layer, sans-IO, with the RFC 6026 corrections.
//!
//! A [`TransactionLayer`] holds every client and server transaction of an endpoint. The driver
//! (the binary's transports) feeds it parsed messages with `handle_input(now, ..)`, the
//! transaction user (registrar, B2BUA) starts requests with `send_request` and answers with
//! `send_response`; both then drain [`Transmit`]s (`poll_transmit`) and [`Event`]s
//! (`poll_event`) and sleep until `poll_timeout()`, calling `handle_timeout(now)` when it
//! passes. Time is only ever the `now` passed in, so the 32 s of Timer B take microseconds in
//! a test.
//!
//! `P` is the driver's notion of where a message came from / goes to (a flow: transport,
//! addresses, connection id). The layer never looks inside it; it hands it back on every
//! [`Transmit`] of that transaction.

mod build;
mod invite_client;
mod invite_server;
mod key;
mod layer;
mod machine;
mod non_invite_client;
mod non_invite_server;
mod timers;

pub use build::{ack_for, cancel_for};
pub use key::{KeyId, LegacyKey, MAGIC_COOKIE, Side, TransactionKey};
pub use layer::TransactionLayer;
pub use timers::{TimerConfig, TimerKind, TimerTable};

use crate::{Message, ParseError, Request, Response};
use std::sync::Arc;
use thiserror::Error;

/// A transaction's handle, unique for the layer's lifetime (never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(pub u64);

/// The states of the four machines (each uses a subset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// INVITE client, before any response.
    Calling,
    /// Non-INVITE client and server, before any response.
    Trying,
    Proceeding,
    /// RFC 6026: a 2xx to an INVITE was received (client) or sent (server).
    Accepted,
    Completed,
    /// INVITE server: the ACK for a non-2xx final arrived.
    Confirmed,
    Terminated,
}

/// A message to send. `transaction` is `None` for [`TransactionLayer::send_stateless`].
/// The message is shared with the transaction that may send it again, so queueing it
/// copies nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Transmit<P> {
    pub transaction: Option<TransactionId>,
    pub peer: P,
    pub message: Arc<Message>,
}

/// What the transaction user learns.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<P> {
    /// A new request created a server transaction: answer it with `send_response(id, ..)`.
    /// A CANCEL is one too (answer 200 or 481); `cancel_target(id)` finds its INVITE.
    Request {
        id: TransactionId,
        request: Request,
        peer: P,
    },
    /// An ACK the TU must see: for a 2xx (it matches no transaction, `id` is `None`) or one
    /// that reached an INVITE server transaction in Accepted. ACKs for non-2xx responses are
    /// absorbed by their transaction and never show up here.
    Ack {
        id: Option<TransactionId>,
        request: Request,
        peer: P,
    },
    /// A response for a client transaction: provisionals, the final, and (Accepted, RFC 6026)
    /// every further 2xx, which the TU must ACK itself.
    Response {
        id: TransactionId,
        response: Response,
    },
    /// A response that matches no transaction (e.g. a 2xx retransmitted after Timer M), or a
    /// fork's 2xx reaching an INVITE transaction already Completed by another fork's
    /// rejection. A proxy forwards these statelessly; a UA core ACKs and BYEs a 2xx.
    StrayResponse { response: Response, peer: P },
    /// Timer B or F (no final response), H (no ACK for our non-2xx final), or C (a proxy's
    /// INVITE unanswered too long: CANCEL it if it is still proceeding).
    Timeout { id: TransactionId, timer: TimerKind },
    /// The driver reported that sending failed (`handle_transport_error`).
    TransportError { id: TransactionId },
    /// The transaction is gone; its id will never be seen again.
    Terminated { id: TransactionId },
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TransactionError {
    #[error("header needed for transaction matching is malformed: {0}")]
    Parse(#[from] ParseError),
    #[error("top Via has no branch parameter")]
    MissingBranch,
    #[error("branch of an outgoing request lacks the z9hG4bK magic cookie")]
    NoMagicCookie,
    #[error("an ACK is not a transaction; send the ACK for a 2xx with send_stateless")]
    AckNotATransaction,
    #[error("a transaction with this key already exists")]
    Duplicate,
    #[error("no such transaction")]
    UnknownTransaction,
    #[error("responses are sent on server transactions only")]
    NotAServerTransaction,
    #[error("status code {0} is not a response status")]
    BadStatus(u16),
    #[error("a response cannot be sent in state {0:?}")]
    InvalidState(State),
}

/// What a state machine asks the layer to do, in order.
#[derive(Debug)]
pub(crate) enum Action {
    Send(Arc<Message>),
    ToTu(Response),
    Stray(Response),
    AckToTu(Request),
    Timeout(TimerKind),
    TransportError,
    Terminated,
}
