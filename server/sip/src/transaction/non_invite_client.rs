//! Non-INVITE client transaction: RFC 3261 §17.1.2.
//!
//! Trying --1xx--> Proceeding --200-699--> Completed --K--> Terminated
//!   '---- F / transport error (Trying or Proceeding) ----> Terminated

use super::timers::{TimerConfig, TimerKind, TimerTable};
use super::{Action, State};
use crate::{Message, Request, Response};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct NonInviteClient {
    pub(crate) state: State,
    pub(crate) timers: TimerTable,
    /// The request, as sent and retransmitted.
    sent: Arc<Message>,
    reliable: bool,
    config: TimerConfig,
    /// Current Timer E interval: doubles up to T2 while Trying, T2 once Proceeding.
    interval_e: Duration,
}

impl NonInviteClient {
    pub(crate) fn start(
        now: Instant,
        request: Request,
        reliable: bool,
        config: TimerConfig,
        out: &mut Vec<Action>,
    ) -> Self {
        let mut timers = TimerTable::default();
        if !reliable {
            timers.set(TimerKind::E, now + config.t1);
        }
        timers.set(TimerKind::F, now + config.t1x64());
        let sent = Arc::new(Message::Request(request));
        out.push(Action::Send(sent.clone()));
        NonInviteClient {
            state: State::Trying,
            timers,
            sent,
            reliable,
            config,
            interval_e: config.t1,
        }
    }

    /// The request (always one: `start` makes it one).
    pub(crate) fn request(&self) -> Option<&Request> {
        self.sent.as_request()
    }

    pub(crate) fn on_response(&mut self, now: Instant, resp: Response, out: &mut Vec<Action>) {
        match (self.state, resp.status) {
            (State::Trying | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                out.push(Action::ToTu(resp));
            }
            (State::Trying | State::Proceeding, 200..=699) => {
                self.timers.cancel_all();
                out.push(Action::ToTu(resp));
                if self.reliable {
                    self.terminate(out);
                } else {
                    self.state = State::Completed;
                    self.timers.set(TimerKind::K, now + self.config.t4);
                }
            }
            // Completed: retransmitted finals are absorbed.
            _ => {}
        }
    }

    pub(crate) fn on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Vec<Action>) {
        match (self.state, kind) {
            (State::Trying | State::Proceeding, TimerKind::E) => {
                out.push(Action::Send(self.sent.clone()));
                self.interval_e = if self.state == State::Trying {
                    self.config.backoff_capped(self.interval_e)
                } else {
                    self.config.t2
                };
                self.timers.set(TimerKind::E, now + self.interval_e);
            }
            (State::Trying | State::Proceeding, TimerKind::F) => {
                out.push(Action::Timeout(TimerKind::F));
                self.terminate(out);
            }
            (State::Completed, TimerKind::K) => self.terminate(out),
            _ => {}
        }
    }

    pub(crate) fn on_transport_error(&mut self, out: &mut Vec<Action>) {
        if matches!(self.state, State::Trying | State::Proceeding) {
            out.push(Action::TransportError);
        }
        self.terminate(out);
    }

    fn terminate(&mut self, out: &mut Vec<Action>) {
        self.timers.cancel_all();
        self.state = State::Terminated;
        out.push(Action::Terminated);
    }
}
