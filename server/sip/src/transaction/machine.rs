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

#[derive(Debug)]
pub(crate) enum Machine {
    InviteClient(InviteClient),
    NonInviteClient(NonInviteClient),
    InviteServer(InviteServer),
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

    pub(crate) fn request(&self) -> &Request {
        match self {
            Machine::InviteClient(m) => &m.request,
            Machine::NonInviteClient(m) => &m.request,
            Machine::InviteServer(m) => &m.request,
            Machine::NonInviteServer(m) => &m.request,
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
