//! INVITE client transaction: RFC 3261 §17.1.1 with the RFC 6026 Accepted state.
//!
//! Calling --1xx--> Proceeding --2xx--> Accepted --M--> Terminated
//!    |                  |--300-699--> Completed (ACK sent) --D--> Terminated
//!    '--B / transport error--> Terminated

use super::build::ack_for;
use super::timers::{TimerConfig, TimerKind, TimerTable};
use super::{Action, State};
use crate::{Message, Request, Response};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct InviteClient {
    pub(crate) state: State,
    pub(crate) timers: TimerTable,
    /// The INVITE, as sent and retransmitted.
    sent: Arc<Message>,
    reliable: bool,
    config: TimerConfig,
    /// Current Timer A interval (doubles on each retransmission, no cap).
    interval_a: Duration,
    /// The ACK sent for the non-2xx final response, resent for its retransmissions.
    ack: Option<Arc<Message>>,
    /// Timer C already fired once in Proceeding (the TU was told to CANCEL).
    c_fired: bool,
}

impl InviteClient {
    pub(crate) fn start(
        now: Instant,
        request: Request,
        reliable: bool,
        config: TimerConfig,
        out: &mut Vec<Action>,
    ) -> Self {
        let mut timers = TimerTable::default();
        if !reliable {
            timers.set(TimerKind::A, now + config.t1);
        }
        timers.set(TimerKind::B, now + config.t1x64());
        if let Some(c) = config.timer_c {
            timers.set(TimerKind::C, now + c);
        }
        let sent = Arc::new(Message::Request(request));
        out.push(Action::Send(sent.clone()));
        InviteClient {
            state: State::Calling,
            timers,
            sent,
            reliable,
            config,
            interval_a: config.t1,
            ack: None,
            c_fired: false,
        }
    }

    /// The INVITE (always a request: `start` makes it one).
    pub(crate) fn request(&self) -> Option<&Request> {
        self.sent.as_request()
    }

    pub(crate) fn on_response(&mut self, now: Instant, resp: Response, out: &mut Vec<Action>) {
        let status = resp.status;
        match (self.state, status) {
            (State::Calling | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                self.timers.cancel(TimerKind::A);
                self.timers.cancel(TimerKind::B);
                // §16.8: a provisional response (other than 100) restarts Timer C.
                if let (Some(c), true, false) = (self.config.timer_c, status > 100, self.c_fired) {
                    self.timers.set(TimerKind::C, now + c);
                }
                out.push(Action::ToTu(resp));
            }
            (State::Calling | State::Proceeding, 200..=299) => {
                // RFC 6026: stay around to pass 2xx retransmissions (and forked 2xx) up.
                self.state = State::Accepted;
                self.timers.cancel_all();
                self.timers.set(TimerKind::M, now + self.config.t1x64());
                out.push(Action::ToTu(resp));
            }
            (State::Accepted, 200..=299) => out.push(Action::ToTu(resp)),
            (State::Calling | State::Proceeding, 300..=699) => {
                self.timers.cancel_all();
                match self.request().map(|invite| ack_for(invite, &resp)) {
                    Some(Ok(ack)) => {
                        let ack = Arc::new(Message::Request(ack));
                        out.push(Action::Send(ack.clone()));
                        self.ack = Some(ack);
                    }
                    // Cannot happen for a request we built; without an ACK the peer's
                    // Timer H ends its transaction anyway.
                    _ => self.ack = None,
                }
                out.push(Action::ToTu(resp));
                if self.reliable {
                    self.terminate(out);
                } else {
                    self.state = State::Completed;
                    self.timers.set(TimerKind::D, now + self.config.timer_d);
                }
            }
            // A fork answered after another fork's rejection: not this transaction's any
            // more, but the TU must see it (to ACK and BYE it), as if it matched nothing.
            (State::Completed, 200..=299) => out.push(Action::Stray(resp)),
            (State::Completed, 300..=699) => {
                if let Some(ack) = &self.ack {
                    out.push(Action::Send(ack.clone()));
                }
            }
            // Late provisionals, non-2xx after 2xx and the like are absorbed.
            _ => {}
        }
    }

    pub(crate) fn on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Vec<Action>) {
        match (self.state, kind) {
            (State::Calling, TimerKind::A) => {
                out.push(Action::Send(self.sent.clone()));
                self.interval_a = self.interval_a.saturating_mul(2);
                self.timers.set(TimerKind::A, now + self.interval_a);
            }
            (State::Calling, TimerKind::B) => {
                out.push(Action::Timeout(TimerKind::B));
                self.terminate(out);
            }
            // §16.8: without a provisional response, Timer C acts as a 408; with one, the
            // TU (a proxy) must CANCEL, and the transaction waits for the 487.
            (State::Calling, TimerKind::C) => {
                out.push(Action::Timeout(TimerKind::C));
                self.terminate(out);
            }
            // The TU has had one Timer C to CANCEL; give the CANCEL 64*T1 to bring the 487,
            // then give up (RFC 3261 lets the proxy "reset the timer with any value").
            (State::Proceeding, TimerKind::C) if !self.c_fired => {
                self.c_fired = true;
                out.push(Action::Timeout(TimerKind::C));
                self.timers.set(TimerKind::C, now + self.config.t1x64());
            }
            (State::Proceeding, TimerKind::C) => self.terminate(out),
            (State::Completed, TimerKind::D) | (State::Accepted, TimerKind::M) => {
                self.terminate(out)
            }
            _ => {}
        }
    }

    pub(crate) fn on_transport_error(&mut self, out: &mut Vec<Action>) {
        if matches!(self.state, State::Calling | State::Proceeding) {
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
