//! What the endpoint hands a call task.

use media::bridge::BridgeEvent;
use sip::transaction::TransactionId;
use sip::{Request, Response};

use crate::endpoint::transactions::Peer;

#[derive(Debug)]
pub enum CallEvent {
    /// A response to a request the call sent.
    Response {
        id: TransactionId,
        response: Response,
    },
    /// A 2xx that matched no transaction: a retransmission after our ACK went missing, or a
    /// late fork's answer.
    Stray2xx { response: Response },
    /// A request inside one of the call's dialogs (BYE, re-INVITE, REFER, INFO...).
    Request {
        id: TransactionId,
        request: Request,
        peer: Peer,
    },
    /// An ACK for a 2xx we sent.
    Ack { request: Request },
    /// The caller cancelled the INVITE (the CANCEL was answered 200 already).
    Cancel,
    /// A request the call sent got no answer (Timer B/F) or could not be sent.
    Failed { id: TransactionId },
    /// The server is stopping: hang up.
    Shutdown,
    /// News from the call's media bridge (a DTMF digit, a failed WebRTC leg).
    Media(BridgeEvent),
}
