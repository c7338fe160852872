//! The endpoint's transaction table: routes each message to its machine, creates server
//! transactions for new requests, keeps every transaction's timers in one deadline heap.

use super::invite_client::InviteClient;
use super::invite_server::InviteServer;
use super::key::{Side, TransactionKey};
use super::machine::Machine;
use super::non_invite_client::NonInviteClient;
use super::non_invite_server::NonInviteServer;
use super::timers::TimerConfig;
use super::{Action, Event, State, TransactionError, TransactionId, Transmit};
use crate::{Message, Method, Request, Response, Via};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every transaction of one endpoint. See the module documentation for the driving loop.
#[derive(Debug)]
pub struct TransactionLayer<P> {
    config: TimerConfig,
    next_id: u64,
    by_key: HashMap<TransactionKey, TransactionId>,
    /// Boxed: a table slot is then two words, so the table (sized for every live
    /// transaction, and a UDP one lives 32 s after its answer) stays small and grows cheaply.
    entries: HashMap<TransactionId, Box<Entry<P>>, BuildIdHasher>,
    /// Deadlines pushed whenever a transaction's earliest timer changes; an entry whose
    /// deadline no longer equals the transaction's `scheduled` is stale and skipped.
    deadlines: BinaryHeap<Reverse<(Instant, TransactionId)>>,
    transmits: VecDeque<Transmit<P>>,
    events: VecDeque<Event<P>>,
}

#[derive(Debug)]
struct Entry<P> {
    key: TransactionKey,
    peer: P,
    machine: Machine,
    scheduled: Option<Instant>,
}

/// Hashes our own sequential transaction ids (no attacker picks them, so no SipHash
/// needed): a multiply spreads them over the high bits the table probes with.
#[derive(Debug, Clone, Copy, Default)]
struct BuildIdHasher;

#[derive(Debug, Default)]
struct IdHasher(u64);

impl std::hash::BuildHasher for BuildIdHasher {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Timers fired for one transaction in one `handle_timeout` call, at most: a bound against a
/// configuration that would re-arm a timer in the past forever.
const MAX_FIRINGS: usize = 64;

impl<P: Clone> TransactionLayer<P> {
    /// T1 is raised to at least 1 ms and T2 to at least T1, so retransmission timers always
    /// move forward.
    pub fn new(mut config: TimerConfig) -> Self {
        config.t1 = config.t1.max(Duration::from_millis(1));
        config.t2 = config.t2.max(config.t1);
        TransactionLayer {
            config,
            next_id: 1,
            by_key: HashMap::new(),
            entries: HashMap::default(),
            deadlines: BinaryHeap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    pub fn config(&self) -> &TimerConfig {
        &self.config
    }

    /// A parsed message from the network. `reliable` is the transport's (TCP/TLS/WS: true).
    /// An `Err` means the message lacks what matching needs (no Via, bad CSeq, ...): answer
    /// a request statelessly with 400 if you like, drop a response.
    pub fn handle_input(
        &mut self,
        now: Instant,
        message: Message,
        peer: P,
        reliable: bool,
    ) -> Result<(), TransactionError> {
        match message {
            Message::Request(r) => self.handle_request(now, r, peer, reliable),
            Message::Response(r) => self.handle_response(now, r, peer),
        }
    }

    /// An incoming request: a retransmission (absorbed or answered with the last response), an
    /// ACK (absorbed, or passed up), or a new server transaction ([`Event::Request`]).
    pub fn handle_request(
        &mut self,
        now: Instant,
        request: Request,
        peer: P,
        reliable: bool,
    ) -> Result<(), TransactionError> {
        self.handle_request_or_return(now, request, None, peer, reliable)
            .map_err(|(e, _)| e)
    }

    /// [`Self::handle_request`], handing the request back when it cannot be matched to a
    /// transaction (boxed: a rare path), so a driver can answer it statelessly without having
    /// cloned it first.
    /// `top_via`: the request's top Via when the driver has parsed it already (it is then
    /// not parsed again).
    pub fn handle_request_or_return(
        &mut self,
        now: Instant,
        request: Request,
        top_via: Option<&Via>,
        peer: P,
        reliable: bool,
    ) -> Result<(), (TransactionError, Box<Request>)> {
        let key = match top_via {
            Some(via) => TransactionKey::for_incoming_request_via(&request, via),
            None => TransactionKey::for_incoming_request(&request),
        };
        let key = match key {
            Ok(key) => key,
            Err(e) => return Err((e, Box::new(request))),
        };
        if request.method == Method::Ack {
            match self.find_ack_target(&key) {
                Some(id) => {
                    let mut out = Vec::new();
                    if let Some(Machine::InviteServer(m)) =
                        self.entries.get_mut(&id).map(|e| &mut e.machine)
                    {
                        m.on_ack(now, request, &mut out);
                    }
                    self.apply(id, out, Some(&peer));
                }
                None => self.events.push_back(Event::Ack {
                    id: None,
                    request,
                    peer,
                }),
            }
            return Ok(());
        }
        if let Some(&id) = self.by_key.get(&key) {
            let mut out = Vec::new();
            if let Some(entry) = self.entries.get_mut(&id) {
                // Responses follow the latest flow the request came in on (a NAT rebinding,
                // a reopened connection).
                entry.peer = peer;
                match &mut entry.machine {
                    Machine::InviteServer(m) => m.on_request_retransmit(&mut out),
                    Machine::NonInviteServer(m) => m.on_request_retransmit(&mut out),
                    _ => {}
                }
            }
            self.apply(id, out, None);
            return Ok(());
        }
        let id = self.allocate_id();
        let mut out = Vec::new();
        let machine = if request.method == Method::Invite {
            Machine::InviteServer(Box::new(InviteServer::start(
                &request,
                reliable,
                self.config,
                &mut out,
            )))
        } else {
            Machine::NonInviteServer(NonInviteServer::start(reliable, self.config))
        };
        self.insert(id, key, peer.clone(), machine);
        self.events.push_back(Event::Request { id, request, peer });
        self.apply(id, out, None);
        Ok(())
    }

    /// An incoming response: passed to its client transaction, or [`Event::StrayResponse`].
    pub fn handle_response(
        &mut self,
        now: Instant,
        response: Response,
        peer: P,
    ) -> Result<(), TransactionError> {
        let key = TransactionKey::for_response(&response)?;
        let Some(&id) = self.by_key.get(&key) else {
            self.events
                .push_back(Event::StrayResponse { response, peer });
            return Ok(());
        };
        let mut out = Vec::new();
        match self.entries.get_mut(&id).map(|e| &mut e.machine) {
            Some(Machine::InviteClient(m)) => m.on_response(now, response, &mut out),
            Some(Machine::NonInviteClient(m)) => m.on_response(now, response, &mut out),
            _ => {}
        }
        self.apply(id, out, Some(&peer));
        Ok(())
    }

    /// Starts a client transaction and queues the request. Its top Via must carry a
    /// `z9hG4bK` branch unique to this request. ACKs are not transactions
    /// ([`Self::send_stateless`]).
    pub fn send_request(
        &mut self,
        now: Instant,
        request: Request,
        peer: P,
        reliable: bool,
    ) -> Result<TransactionId, TransactionError> {
        if request.method == Method::Ack {
            return Err(TransactionError::AckNotATransaction);
        }
        let key = TransactionKey::for_outgoing_request(&request)?;
        if self.by_key.contains_key(&key) {
            return Err(TransactionError::Duplicate);
        }
        let id = self.allocate_id();
        let mut out = Vec::new();
        let machine = if request.method == Method::Invite {
            Machine::InviteClient(Box::new(InviteClient::start(
                now,
                request,
                reliable,
                self.config,
                &mut out,
            )))
        } else {
            Machine::NonInviteClient(Box::new(NonInviteClient::start(
                now,
                request,
                reliable,
                self.config,
                &mut out,
            )))
        };
        self.insert(id, key, peer, machine);
        self.apply(id, out, None);
        Ok(id)
    }

    /// Answers the request of server transaction `id` (provisional or final; for an INVITE
    /// in Accepted also the TU's 2xx retransmissions).
    pub fn send_response(
        &mut self,
        now: Instant,
        id: TransactionId,
        response: Response,
    ) -> Result<(), TransactionError> {
        let entry = self
            .entries
            .get_mut(&id)
            .ok_or(TransactionError::UnknownTransaction)?;
        let mut out = Vec::new();
        let result = match &mut entry.machine {
            Machine::InviteServer(m) => m.send_response(now, response, &mut out),
            Machine::NonInviteServer(m) => m.send_response(now, response, &mut out),
            _ => Err(TransactionError::NotAServerTransaction),
        };
        self.apply(id, out, None);
        result
    }

    /// Queues a message outside any transaction: the ACK for a 2xx, a 2xx retransmitted by
    /// a UAS core after its transaction ended, a stateless reply.
    pub fn send_stateless(&mut self, message: Message, peer: P) {
        self.transmits.push_back(Transmit {
            transaction: None,
            peer,
            message: Arc::new(message),
        });
    }

    /// The driver could not send a message of transaction `id` (connection refused, ICMP).
    pub fn handle_transport_error(&mut self, _now: Instant, id: TransactionId) {
        let mut out = Vec::new();
        if let Some(entry) = self.entries.get_mut(&id) {
            entry.machine.on_transport_error(&mut out);
        }
        self.apply(id, out, None);
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&Reverse((at, id))) = self.deadlines.peek() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            let Some(entry) = self.entries.get_mut(&id) else {
                continue;
            };
            if entry.scheduled != Some(at) {
                continue;
            }
            entry.scheduled = None;
            let mut out = Vec::new();
            for _ in 0..MAX_FIRINGS {
                let Some(kind) = entry.machine.take_expired(now) else {
                    break;
                };
                entry.machine.on_timer(now, kind, &mut out);
                if entry.machine.state() == State::Terminated {
                    break;
                }
            }
            self.apply(id, out, None);
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit<P>> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event<P>> {
        self.events.pop_front()
    }

    /// The earliest timer deadline of any transaction (`None`: nothing to wait for).
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(&Reverse((at, id))) = self.deadlines.peek() {
            if self
                .entries
                .get(&id)
                .is_some_and(|e| e.scheduled == Some(at))
            {
                return Some(at);
            }
            self.deadlines.pop();
        }
        None
    }

    /// For a server CANCEL transaction: the INVITE server transaction it cancels (§9.2).
    pub fn cancel_target(&self, cancel: TransactionId) -> Option<TransactionId> {
        let key = &self.entries.get(&cancel)?.key;
        if key.side != Side::Server || key.method != Method::Cancel {
            return None;
        }
        self.by_key.get(&key.with_method(Method::Invite)).copied()
    }

    /// Drops a transaction without further messages (the TU gave up on it); emits
    /// [`Event::Terminated`].
    pub fn abandon(&mut self, id: TransactionId) {
        if self.entries.contains_key(&id) {
            self.apply(id, vec![Action::Terminated], None);
        }
    }

    pub fn state(&self, id: TransactionId) -> Option<State> {
        self.entries.get(&id).map(|e| e.machine.state())
    }

    /// The request that created a client transaction (to build a CANCEL with `cancel_for`).
    /// None for a server transaction: it does not keep its request (the TU got it in
    /// [`Event::Request`]).
    pub fn request(&self, id: TransactionId) -> Option<&Request> {
        self.entries.get(&id).and_then(|e| e.machine.request())
    }

    pub fn key(&self, id: TransactionId) -> Option<&TransactionKey> {
        self.entries.get(&id).map(|e| &e.key)
    }

    pub fn find(&self, key: &TransactionKey) -> Option<TransactionId> {
        self.by_key.get(key).copied()
    }

    /// Live transactions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn allocate_id(&mut self) -> TransactionId {
        let id = TransactionId(self.next_id);
        self.next_id += 1;
        id
    }

    fn insert(&mut self, id: TransactionId, key: TransactionKey, peer: P, machine: Machine) {
        self.by_key.insert(key.clone(), id);
        self.entries.insert(
            id,
            Box::new(Entry {
                key,
                peer,
                machine,
                scheduled: None,
            }),
        );
    }

    /// The INVITE server transaction an ACK belongs to. RFC 2543 ACKs carry the To tag of our
    /// final response while the INVITE had none, so they are looked up without it and then
    /// checked against that tag.
    fn find_ack_target(&self, key: &TransactionKey) -> Option<TransactionId> {
        if let Some(&id) = self.by_key.get(key) {
            return Some(id);
        }
        let id = *self.by_key.get(&key.without_to_tag()?)?;
        match &self.entries.get(&id)?.machine {
            Machine::InviteServer(m) if m.final_to_tag.as_deref() == key.legacy_to_tag() => {
                Some(id)
            }
            _ => None,
        }
    }

    /// Turns a machine's actions into transmits and events, drops a terminated transaction,
    /// and reschedules its next deadline. `from` is the peer of the message being handled.
    fn apply(&mut self, id: TransactionId, actions: Vec<Action>, from: Option<&P>) {
        let Some(entry) = self.entries.get(&id) else {
            return;
        };
        let mut terminated = false;
        for action in actions {
            match action {
                Action::Send(message) => self.transmits.push_back(Transmit {
                    transaction: Some(id),
                    peer: entry.peer.clone(),
                    message,
                }),
                Action::ToTu(response) => self.events.push_back(Event::Response { id, response }),
                Action::Stray(response) => self.events.push_back(Event::StrayResponse {
                    response,
                    peer: from.unwrap_or(&entry.peer).clone(),
                }),
                Action::AckToTu(request) => self.events.push_back(Event::Ack {
                    id: Some(id),
                    request,
                    peer: from.unwrap_or(&entry.peer).clone(),
                }),
                Action::Timeout(timer) => self.events.push_back(Event::Timeout { id, timer }),
                Action::TransportError => self.events.push_back(Event::TransportError { id }),
                Action::Terminated => terminated = true,
            }
        }
        if terminated {
            if let Some(entry) = self.entries.remove(&id)
                && self.by_key.get(&entry.key) == Some(&id)
            {
                self.by_key.remove(&entry.key);
            }
            self.events.push_back(Event::Terminated { id });
            return;
        }
        if let Some(entry) = self.entries.get_mut(&id) {
            let next = entry.machine.timers().next();
            if next != entry.scheduled {
                entry.scheduled = next;
                if let Some(at) = next {
                    self.deadlines.push(Reverse((at, id)));
                }
            }
        }
    }
}
