//! The four machines behind one type, so the layer can store and drive them uniformly.

use super::Action;
use super::State;
use super::invite_client::InviteClient;
use super::invite_server::InviteServer;
use super::non_invite_client::NonInviteClient;
use super::non_invite_server::NonInviteServer;
use super::timers::{TimerKind, TimerTable};
use crate::Request;
use std::time::Instant;

/// The larger machines are boxed, so the common non-INVITE server transaction (a REGISTER,
/// an OPTIONS) does not pay for their size while it waits out Timer J.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "the common variant stays inline; the rare ones are boxed"
)]
pub(crate) enum Machine {
    InviteClient(Box<InviteClient>),
    NonInviteClient(Box<NonInviteClient>),
    InviteServer(Box<InviteServer>),
    NonInviteServer(NonInviteServer),
}

impl Machine {
    pub(crate) fn state(&self) -> State {
        match self {
            Machine::InviteClient(m) => m.state,
            Machine::NonInviteClient(m) => m.state,
            Machine::InviteServer(m) => m.state,
            Machine::NonInviteServer(m) => m.state,
        }
    }

    pub(crate) fn timers(&self) -> &TimerTable {
        match self {
            Machine::InviteClient(m) => &m.timers,
            Machine::NonInviteClient(m) => &m.timers,
            Machine::InviteServer(m) => &m.timers,
            Machine::NonInviteServer(m) => &m.timers,
        }
    }

    pub(crate) fn take_expired(&mut self, now: Instant) -> Option<TimerKind> {
        match self {
            Machine::InviteClient(m) => m.timers.take_expired(now),
            Machine::NonInviteClient(m) => m.timers.take_expired(now),
            Machine::InviteServer(m) => m.timers.take_expired(now),
            Machine::NonInviteServer(m) => m.timers.take_expired(now),
        }
    }

    /// The request of a client transaction; server transactions do not keep theirs.
    pub(crate) fn request(&self) -> Option<&Request> {
        match self {
            Machine::InviteClient(m) => m.request(),
            Machine::NonInviteClient(m) => m.request(),
            Machine::InviteServer(_) | Machine::NonInviteServer(_) => None,
        }
    }

    pub(crate) fn on_timer(&mut self, now: Instant, kind: TimerKind, out: &mut Vec<Action>) {
        match self {
            Machine::InviteClient(m) => m.on_timer(now, kind, out),
            Machine::NonInviteClient(m) => m.on_timer(now, kind, out),
            Machine::InviteServer(m) => m.on_timer(now, kind, out),
            Machine::NonInviteServer(m) => m.on_timer(kind, out),
        }
    }

    pub(crate) fn on_transport_error(&mut self, out: &mut Vec<Action>) {
        match self {
            Machine::InviteClient(m) => m.on_transport_error(out),
            Machine::NonInviteClient(m) => m.on_transport_error(out),
            Machine::InviteServer(m) => m.on_transport_error(out),
            Machine::NonInviteServer(m) => m.on_transport_error(out),
        }
    }
}
