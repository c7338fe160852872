//! INVITE server transaction: RFC 3261 §17.2.1 with the RFC 6026 Accepted state.
//!
//! Proceeding --2xx--> Accepted --L--> Terminated          (ACKs for 2xx go to the TU)
//!     '--300-699--> Completed --ACK--> Confirmed --I--> Terminated
//!                       '--H (no ACK)--> Terminated

use super::timers::{TimerConfig, TimerKind, TimerTable};
use super::{Action, State, TransactionError};
use crate::{Message, Request, Response};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct InviteServer {
    pub(crate) state: State,
    pub(crate) timers: TimerTable,
    reliable: bool,
    config: TimerConfig,
    /// The response replayed when the INVITE is retransmitted (latest provisional or final).
    last_response: Option<Arc<Message>>,
    interval_g: Duration,
    /// To tag of our final response: an RFC 2543 ACK is matched by it.
    pub(crate) final_to_tag: Option<String>,
}

impl InviteServer {
    /// The request itself is not kept (the TU has it): retransmissions are answered with
    /// the last response, and an ACK is matched by the layer's key.
    pub(crate) fn start(
        request: &Request,
        reliable: bool,
        config: TimerConfig,
        out: &mut Vec<Action>,
    ) -> Self {
        let mut me = InviteServer {
            state: State::Proceeding,
            timers: TimerTable::default(),
            reliable,
            config,
            last_response: None,
            interval_g: config.t1,
            final_to_tag: None,
        };
        if config.send_trying {
            // §8.2.6.1: 100 carries no To tag; for_request copies the To as received.
            let trying = Arc::new(Message::Response(Response::for_request(
                request, 100, "Trying",
            )));
            out.push(Action::Send(trying.clone()));
            me.last_response = Some(trying);
        }
        me
    }

    pub(crate) fn on_request_retransmit(&mut self, out: &mut Vec<Action>) {
        if let (State::Proceeding | State::Completed, Some(resp)) =
            (self.state, &self.last_response)
        {
            out.push(Action::Send(resp.clone()));
        }
        // Accepted (RFC 6026) and Confirmed absorb the retransmission silently.
    }

    pub(crate) fn on_ack(&mut self, now: Instant, ack: Request, out: &mut Vec<Action>) {
        match self.state {
            State::Completed => {
                self.timers.cancel_all();
                if self.reliable {
                    self.terminate(out);
                } else {
                    self.state = State::Confirmed;
                    self.timers.set(TimerKind::I, now + self.config.t4);
                }
            }
            // RFC 6026 §7.1: an ACK that matches in Accepted is for the 2xx: the TU's.
            State::Accepted => out.push(Action::AckToTu(ack)),
            // Confirmed: retransmitted ACKs are absorbed; before any final, an ACK is bogus.
            _ => {}
        }
    }

    pub(crate) fn send_response(
        &mut self,
        now: Instant,
        resp: Response,
        out: &mut Vec<Action>,
    ) -> Result<(), TransactionError> {
        let status = resp.status;
        match (self.state, status) {
            (State::Proceeding, 100..=199) => {
                let resp = Arc::new(Message::Response(resp));
                out.push(Action::Send(resp.clone()));
                self.last_response = Some(resp);
            }
            (State::Proceeding, 200..=299) => {
                self.final_to_tag = to_tag(&resp);
                out.push(Action::Send(Arc::new(Message::Response(resp))));
                self.state = State::Accepted;
                self.timers.cancel_all();
                self.timers.set(TimerKind::L, now + self.config.t1x64());
                self.last_response = None;
            }
            // The TU retransmits its 2xx itself (§13.3.1.4) through the transaction.
            (State::Accepted, 200..=299) => {
                out.push(Action::Send(Arc::new(Message::Response(resp))))
            }
            (State::Proceeding, 300..=699) => {
                self.final_to_tag = to_tag(&resp);
                let resp = Arc::new(Message::Response(resp));
                out.push(Action::Send(resp.clone()));
                self.last_response = Some(resp);
                self.state = State::Completed;
                self.timers.cancel_all();
                if !self.reliable {
                    self.timers.set(TimerKind::G, now + self.config.t1);
                }
                self.timers.set(TimerKind::H, now + self.config.t1x64());
            }
            (_, 100..=699) => return Err(TransactionError::InvalidState(self.state)),
            _ => return Err(TransactionError::BadStatus(status)),
        }
        Ok(())
    }

    pub(crate) fn on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Vec<Action>) {
        match (self.state, kind) {
            (State::Completed, TimerKind::G) => {
                if let Some(resp) = &self.last_response {
                    out.push(Action::Send(resp.clone()));
                }
                self.interval_g = self.config.backoff_capped(self.interval_g);
                self.timers.set(TimerKind::G, now + self.interval_g);
            }
            (State::Completed, TimerKind::H) => {
                out.push(Action::Timeout(TimerKind::H));
                self.terminate(out);
            }
            (State::Confirmed, TimerKind::I) | (State::Accepted, TimerKind::L) => {
                self.terminate(out)
            }
            _ => {}
        }
    }

    pub(crate) fn on_transport_error(&mut self, out: &mut Vec<Action>) {
        out.push(Action::TransportError);
        self.terminate(out);
    }

    fn terminate(&mut self, out: &mut Vec<Action>) {
        self.timers.cancel_all();
        self.state = State::Terminated;
        out.push(Action::Terminated);
    }
}

fn to_tag(resp: &Response) -> Option<String> {
    resp.headers.to_tag().map(str::to_owned)
}
