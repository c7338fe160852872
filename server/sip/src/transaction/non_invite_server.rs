//! Non-INVITE server transaction: RFC 3261 §17.2.2.
//!
//! Trying --1xx--> Proceeding --200-699--> Completed --J--> Terminated

use super::timers::{TimerConfig, TimerKind, TimerTable};
use super::{Action, State, TransactionError};
use crate::{Message, Response};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug)]
pub(crate) struct NonInviteServer {
    pub(crate) state: State,
    pub(crate) timers: TimerTable,
    reliable: bool,
    config: TimerConfig,
    last_response: Option<Arc<Message>>,
}

impl NonInviteServer {
    /// The request itself is not kept: the TU has it (`Event::Request`), and answering
    /// retransmissions needs only the last response. A UDP transaction lives 64*T1 after
    /// its answer, so what it holds is what a busy registrar's memory is made of.
    pub(crate) fn start(reliable: bool, config: TimerConfig) -> Self {
        NonInviteServer {
            state: State::Trying,
            timers: TimerTable::default(),
            reliable,
            config,
            last_response: None,
        }
    }

    /// Trying absorbs retransmissions; later states replay the last response.
    pub(crate) fn on_request_retransmit(&mut self, out: &mut Vec<Action>) {
        if let (State::Proceeding | State::Completed, Some(resp)) =
            (self.state, &self.last_response)
        {
            out.push(Action::Send(resp.clone()));
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
            (State::Trying | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
            }
            (State::Trying | State::Proceeding, 200..=699) => {
                if self.reliable {
                    out.push(Action::Send(Arc::new(Message::Response(resp))));
                    self.terminate(out);
                    return Ok(());
                }
                self.state = State::Completed;
                self.timers.set(TimerKind::J, now + self.config.t1x64());
            }
            (_, 100..=699) => return Err(TransactionError::InvalidState(self.state)),
            _ => return Err(TransactionError::BadStatus(status)),
        }
        let resp = Arc::new(Message::Response(resp));
        out.push(Action::Send(resp.clone()));
        self.last_response = Some(resp);
        Ok(())
    }

    pub(crate) fn on_timer(&mut self, kind: TimerKind, out: &mut Vec<Action>) {
        if (self.state, kind) == (State::Completed, TimerKind::J) {
            self.terminate(out);
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
