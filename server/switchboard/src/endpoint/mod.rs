//! The SIP endpoint every transport feeds: stamps Via (RFC 3581), runs each request through
//! the transaction layer (which absorbs retransmissions), validates it, hands REGISTER to the
//! registrar and OPTIONS to the capability answer, decides everything else, and sends the
//! response back the way the request came (UDP: to received/rport; streams: the same
//! connection). Requests we originate (keepalive OPTIONS) go out over a binding's flow.

mod border;
mod call_routing;
use call_routing::dialog_key;

mod closed_flows;
pub mod dispatch;
mod source_ips;
pub mod transactions;
mod trunk_link;
pub mod via;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pbx::{Flow, Transport};
use sip::transaction::{Event, TransactionId, Transmit};
use sip::{HeaderName, Message, Method, ParseError, Request, Response, Via};
use store::Store;
use tokio::net::UdpSocket;

use crate::calls::{CallContext, CallEvent, CallRouter};
use crate::qualify::QualifyTracker;
use crate::transport::connections::{Connections, SendError};
use crate::transport::shutdown::Shutdown;
use transactions::{Drained, Peer, Transactions};

pub type Registrar = pbx::registrar::Registrar<Store, Store>;

pub struct Endpoint {
    registrar: Registrar,
    store: Store,
    connections: Arc<Connections>,
    udp: Option<UdpOut>,
    transactions: Transactions,
    pub(crate) qualify: Mutex<QualifyTracker>,
    server_header: String,
    /// A stream connection that sends nothing for this long is closed.
    stream_idle: Duration,
    calls: CallRouter,
    /// Live state of the SIP trunks (registration, reachability, channels in use).
    pub trunks: crate::trunks::TrunkBoard,
    /// Routes the trunk driver's responses and timeouts back to it.
    pub trunk_link: crate::trunks::link::TrunkLink,
    /// The TCP/TLS connections opened to trunk providers.
    pub trunk_streams: crate::transport::outbound::TrunkStreams,
    /// SIP DSCP and the limits on what trunks send (session-border functions).
    border: border::Border,
    /// Set by `enable_calls`: without it INVITEs are answered 480.
    call_context: OnceLock<Arc<CallContext>>,
    me: OnceLock<Weak<Endpoint>>,
    /// The local address towards each peer, for a listener on 0.0.0.0.
    source_ips: source_ips::SourceIps,
}

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum TransmitError {
    #[error(transparent)]
    Connection(#[from] SendError),
    #[error("flow over {0} has no connection id")]
    NoConnection(Transport),
    #[error("no UDP listener to send from")]
    NoUdp,
    #[error("UDP send failed: {0}")]
    Udp(#[from] std::io::Error),
    #[error("transaction layer refused the request: {0}")]
    Transaction(#[from] sip::transaction::TransactionError),
}

pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Where UDP messages go out: the listener's own socket, shared with its receive task.
struct UdpOut(Arc<UdpSocket>);

impl UdpOut {
    /// Sends without waiting for the socket to become writable: a datagram that finds the
    /// send buffer full is handed to a task that waits for room.
    fn send_to(&self, bytes: Vec<u8>, dest: SocketAddr) -> Result<(), TransmitError> {
        match self.0.try_send_to(&bytes, dest) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let socket = self.0.clone();
                tokio::spawn(async move {
                    if let Err(e) = socket.send_to(&bytes, dest).await {
                        tracing::debug!("UDP send to {dest} failed: {e}");
                    }
                });
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// A new request only the registrar can answer, which may wait for storage: what
/// [`Endpoint::receive`] leaves for [`Endpoint::complete`].
#[derive(Debug)]
pub struct Deferred {
    id: TransactionId,
    peer: Peer,
    request: Request,
}

/// What `Endpoint::answer` decided.
#[expect(
    clippy::large_enum_variant,
    reason = "a value passed once from answer() to its caller, never stored"
)]
enum Answer {
    /// With its To tag already (rejections and OPTIONS answers derive one from the
    /// request), so the To need not be parsed again to find out.
    Tagged(Response),
    /// Gets a To tag if it has none.
    Untagged(Response),
    /// For the registrar, which may wait for storage.
    Registrar(Deferred),
}

/// The endpoint shared by all transport tasks.
pub type Shared = Arc<Endpoint>;

impl Endpoint {
    pub fn new(
        registrar: Registrar,
        store: Store,
        connections: Arc<Connections>,
        udp: Option<Arc<UdpSocket>>,
        stream_idle: Duration,
    ) -> Endpoint {
        Endpoint {
            registrar,
            store,
            connections,
            udp: udp.map(UdpOut),
            transactions: Transactions::default(),
            qualify: Mutex::new(QualifyTracker::default()),
            server_header: format!("Switchboard/{}", env!("CARGO_PKG_VERSION")),
            stream_idle,
            calls: CallRouter::default(),
            trunks: crate::trunks::TrunkBoard::default(),
            trunk_link: crate::trunks::link::TrunkLink::default(),
            trunk_streams: crate::transport::outbound::TrunkStreams::default(),
            border: border::Border::default(),
            call_context: OnceLock::new(),
            me: OnceLock::new(),
            source_ips: source_ips::SourceIps::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn connections(&self) -> &Arc<Connections> {
        &self.connections
    }

    pub fn stream_idle(&self) -> Duration {
        self.stream_idle
    }

    /// Live transactions.
    pub fn transaction_count(&self) -> usize {
        self.transactions.len()
    }

    /// One datagram (UDP) or one WebSocket message: each carries exactly one SIP message.
    pub async fn on_datagram(&self, flow: &Flow, bytes: &[u8]) {
        for work in self.receive(flow, bytes) {
            self.complete(work).await;
        }
    }

    /// The synchronous part of `on_datagram`: parses, runs the transaction layer, answers
    /// and sends everything that needs no storage, and hands back the requests that do
    /// (REGISTER) for [`Self::complete`]. Drivers call this inline, without a task per
    /// message, and only turn the deferred work into a task when it has to wait.
    pub fn receive(&self, flow: &Flow, bytes: &[u8]) -> Vec<Deferred> {
        // Keepalives: a bare CRLF (or CRLFCRLF) datagram needs no answer over UDP
        // (RFC 5626 uses STUN there), and over WebSocket the WebSocket ping does the job.
        if bytes
            .iter()
            .all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        {
            return Vec::new();
        }
        match sip::parse_message(bytes) {
            Ok(message) => self.receive_message(flow, message),
            Err(e) => {
                self.answer_unparsable(flow, bytes, &e);
                Vec::new()
            }
        }
    }

    /// Answers a request that did not parse with the status its error calls for; a bad
    /// response is dropped (RFC 3261 §18.1.2).
    pub async fn on_unparsable(&self, flow: &Flow, bytes: &[u8], err: &ParseError) {
        self.answer_unparsable(flow, bytes, err);
    }

    fn answer_unparsable(&self, flow: &Flow, bytes: &[u8], err: &ParseError) {
        tracing::debug!(remote = %flow.remote, transport = %flow.transport, "unparsable message: {err}");
        let Some(mut resp) = sip::error_response(bytes, err) else {
            return;
        };
        let top = resp
            .headers
            .get_all(&HeaderName::Via)
            .next()
            .and_then(|v| Via::parse(v).ok());
        let top = top.map(|mut v| {
            // Same stamping as for a parsed request, so the answer finds a NATed sender.
            v.set_param("received", Some(&flow.remote.ip().to_string()));
            if v.rport() == Some(None) {
                v.set_param("rport", Some(&flow.remote.port().to_string()));
            }
            v
        });
        self.finish(&mut resp);
        let dest = via::udp_destination(top.as_ref(), flow.remote);
        self.send(flow, dest, resp.to_bytes()).ok();
    }

    pub async fn on_message(&self, flow: &Flow, message: Message) {
        for work in self.receive_message(flow, message) {
            self.complete(work).await;
        }
    }

    /// The synchronous part of `on_message` (see [`Self::receive`]).
    pub fn receive_message(&self, flow: &Flow, message: Message) -> Vec<Deferred> {
        let message = match message {
            Message::Request(mut req) => {
                let top = via::stamp(&mut req, flow.remote);
                let peer = Peer {
                    flow: flow.clone(),
                    dest: via::udp_destination(top.as_ref(), flow.remote),
                };
                return self.on_request(peer, req, top.as_ref());
            }
            response => response,
        };
        let peer = Peer {
            flow: flow.clone(),
            dest: flow.remote,
        };
        match self.transactions.input(Instant::now(), message, peer) {
            Ok(drained) => self.process(drained),
            Err(e) => {
                tracing::debug!(remote = %flow.remote, "response dropped: {e}");
                Vec::new()
            }
        }
    }

    fn on_request(&self, peer: Peer, req: Request, top: Option<&Via>) -> Vec<Deferred> {
        // The layer takes the request; the rare request it cannot match (no branch, bad
        // CSeq...) comes back with the error and is answered statelessly, once.
        match self
            .transactions
            .input_request(Instant::now(), req, top, peer.clone())
        {
            Ok(drained) => self.process(drained),
            Err((e, req)) => {
                tracing::debug!(remote = %peer.flow.remote, "request outside any transaction: {e}");
                if req.method != Method::Ack {
                    let mut resp = match sip::validate::check_request(&req) {
                        Err(rejection) => rejection.to_response(&req),
                        Ok(()) => Response::for_request(&req, 400, "Bad Request"),
                    };
                    self.finish(&mut resp);
                    self.send(&peer.flow, peer.dest, resp.to_bytes()).ok();
                }
                Vec::new()
            }
        }
    }

    /// Answers a request `receive` deferred (the registrar, which may wait for storage),
    /// then sends the answer through its transaction.
    pub async fn complete(&self, first: Deferred) {
        let mut queue = vec![first];
        while let Some(work) = queue.pop() {
            let mut resp = self
                .registrar
                .handle(&work.request, &work.peer.flow, now_unix())
                .await;
            self.finish(&mut resp);
            queue.extend(self.respond(work.id, resp));
        }
    }

    fn respond(&self, id: TransactionId, resp: Response) -> Vec<Deferred> {
        match self.transactions.respond(Instant::now(), id, resp) {
            Ok(d) => self.process(d),
            Err(e) => {
                tracing::warn!("response refused by the transaction layer: {e}");
                Vec::new()
            }
        }
    }

    /// Sends what the layer queued and acts on its events. Answering a new request may
    /// queue more, hence the loop. Requests that must wait for storage come back.
    fn process(&self, first: Drained) -> Vec<Deferred> {
        let mut deferred = Vec::new();
        // The next batch to handle; further ones wait in `pending`, which stays empty (no
        // allocation) in the usual case of a request whose answer queues one batch.
        let mut next = Some(first);
        let mut pending = Vec::new();
        while let Some(drained) = next.take().or_else(|| pending.pop()) {
            let mut queue = |more: Drained| match next {
                None => next = Some(more),
                Some(_) => pending.push(more),
            };
            for t in drained.transmits {
                if let Some(more) = self.transmit(t) {
                    queue(more);
                }
            }
            for event in drained.events {
                if let Some(more) = self.on_event(event, &mut deferred) {
                    queue(more);
                }
            }
        }
        deferred
    }

    fn on_event(&self, event: Event<Peer>, deferred: &mut Vec<Deferred>) -> Option<Drained> {
        match event {
            Event::Request { id, request, peer } => {
                let request = self.offer_to_calls(id, request, &peer)?;
                let mut resp = match self.answer(id, request, peer) {
                    Answer::Tagged(resp) => resp,
                    Answer::Untagged(mut resp) => {
                        pbx::tag::add_to_tag(&mut resp);
                        resp
                    }
                    Answer::Registrar(work) => {
                        deferred.push(work);
                        return None;
                    }
                };
                self.add_server_header(&mut resp);
                match self.transactions.respond(Instant::now(), id, resp) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        tracing::warn!("response refused by the transaction layer: {e}");
                        None
                    }
                }
            }
            Event::Response { id, response } => {
                let owner = self.calls.transaction(id);
                if owner.is_some() && response.status == 100 {
                    // Only stops retransmissions, which the transaction did; waking the call
                    // task for it would cost a thread switch per call.
                } else if owner.is_some() {
                    self.to_call(owner, CallEvent::Response { id, response });
                } else if !self.trunk_link.response(id, &response) {
                    self.on_response(&response);
                }
                None
            }
            Event::StrayResponse { response, .. } => {
                let owner = self.stray_owner(&response);
                if owner.is_some() {
                    self.to_call(owner, CallEvent::Stray2xx { response });
                } else {
                    self.on_response(&response);
                }
                None
            }
            Event::Ack { request, .. } => {
                let owner = dialog_key(&request).and_then(|(c, t)| self.calls.dialog(&c, &t));
                self.to_call(owner, CallEvent::Ack { request });
                None
            }
            Event::Timeout { id, timer } => {
                tracing::debug!(?id, ?timer, "transaction timed out");
                if !self.trunk_link.failed(id) {
                    self.to_call(self.calls.transaction(id), CallEvent::Failed { id });
                }
                None
            }
            Event::TransportError { id } => {
                tracing::debug!(?id, "transaction transport error");
                if !self.trunk_link.failed(id) {
                    self.to_call(self.calls.transaction(id), CallEvent::Failed { id });
                }
                None
            }
            Event::Terminated { id } => {
                self.calls.forget_transaction(id);
                self.trunk_link.forget(id);
                None
            }
        }
    }

    /// The answer to a new request, or the request back as work for the registrar.
    fn answer(&self, id: TransactionId, req: Request, peer: Peer) -> Answer {
        if let Err(rejection) = sip::validate::check_request(&req) {
            return Answer::Tagged(rejection.to_response(&req));
        }
        match dispatch::route(&req) {
            dispatch::Route::Register => Answer::Registrar(Deferred {
                id,
                peer,
                request: req,
            }),
            dispatch::Route::Options => Answer::Tagged(pbx::options::answer_options(&req)),
            // RFC 3261 §9.2: 200 when the INVITE it names is still known, else 481.
            dispatch::Route::Cancel if self.transactions.cancels_something(id) => {
                Answer::Untagged(dispatch::reply(&req, 200, dispatch::ALLOW))
            }
            dispatch::Route::Cancel => {
                Answer::Untagged(dispatch::reply(&req, 481, dispatch::ALLOW))
            }
            dispatch::Route::Reply(status) => {
                Answer::Untagged(dispatch::reply(&req, status, dispatch::ALLOW))
            }
        }
    }

    /// What every response we send carries: a To tag on final responses (RFC 3261 §8.2.6.2)
    /// and a Server header.
    fn finish(&self, resp: &mut Response) {
        pbx::tag::add_to_tag(resp);
        self.add_server_header(resp);
    }

    fn add_server_header(&self, resp: &mut Response) {
        if !resp.headers.contains(&HeaderName::Server) {
            resp.headers
                .push(HeaderName::Server, self.server_header.clone());
        }
    }

    /// A response to one of our requests: only keepalive OPTIONS so far.
    fn on_response(&self, resp: &Response) {
        let branch = resp
            .top_via()
            .ok()
            .and_then(|v| v.branch().map(str::to_owned));
        let known = match (branch, self.qualify.lock()) {
            (Some(b), Ok(mut q)) => q.answered(&b, resp.status, Instant::now()),
            _ => false,
        };
        if !known {
            tracing::debug!(status = resp.status, "stray response dropped");
        }
    }

    fn transmit(&self, t: Transmit<Peer>) -> Option<Drained> {
        let result = self.send(&t.peer.flow, t.peer.dest, t.message.to_bytes());
        match (result, t.transaction) {
            (Ok(()), _) => None,
            (Err(e), id) => {
                tracing::debug!(remote = %t.peer.flow.remote, "not sent: {e}");
                id.map(|id| self.transactions.transport_error(Instant::now(), id))
            }
        }
    }

    /// Sends a request we originate over a binding's flow, in a client transaction: UDP to
    /// the address the REGISTER came from (retransmitted by Timer E), streams over the very
    /// connection.
    pub async fn send_request(&self, flow: &Flow, req: Request) -> Result<(), TransmitError> {
        if flow.transport.is_reliable() && flow.connection.is_none() {
            return Err(TransmitError::NoConnection(flow.transport));
        }
        let peer = Peer {
            flow: flow.clone(),
            dest: flow.remote,
        };
        let (_, drained) = self.transactions.request(Instant::now(), req, peer)?;
        for work in self.process(drained) {
            self.complete(work).await;
        }
        Ok(())
    }

    /// Sends without waiting: UDP with a non-blocking send (a full socket buffer hands the
    /// datagram to a task that waits for room), streams through the connection's queue.
    fn send(&self, flow: &Flow, udp_dest: SocketAddr, bytes: Vec<u8>) -> Result<(), TransmitError> {
        match flow.transport {
            Transport::Udp => {
                let socket = self.udp.as_ref().ok_or(TransmitError::NoUdp)?;
                socket.send_to(bytes, udp_dest)
            }
            _ => {
                let id = flow
                    .connection
                    .ok_or(TransmitError::NoConnection(flow.transport))?;
                self.connections.send(id, bytes)?;
                Ok(())
            }
        }
    }

    /// The Via sent-by for requests we send over `flow`: the local address the peer reaches
    /// us at. A listener on 0.0.0.0 does not know it: the routing table's source address
    /// towards the peer stands in (`source_ips`).
    pub fn via_for(&self, flow: &Flow) -> String {
        let mut local = flow.local;
        if local.ip().is_unspecified()
            && let Some(ip) = self.source_ips.toward(flow.remote)
        {
            local.set_ip(ip);
        }
        let mut via = String::with_capacity(32);
        via.push_str("SIP/2.0/");
        via.push_str(flow.transport.as_str());
        via.push(' ');
        push_address(&mut via, local);
        via
    }
}

/// `addr` as `Display` prints it, for IPv4 without the formatting machinery: a call prints
/// its sent-by a dozen times, and `format!` of a socket address costs some 2000 instructions.
fn push_address(out: &mut String, addr: SocketAddr) {
    use std::fmt::Write;
    match addr {
        SocketAddr::V4(v4) => {
            for (i, octet) in v4.ip().octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                let _ = sip::write_u16(out, u16::from(octet));
            }
            out.push(':');
            let _ = sip::write_u16(out, v4.port());
        }
        SocketAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

/// Fires the transaction layer's timers (retransmissions, timeouts) until shutdown.
pub async fn run_timers(endpoint: Shared, mut shutdown: Shutdown) {
    loop {
        let woken = endpoint.transactions.wake.notified();
        let deadline = endpoint.transactions.arm_next_deadline();
        tokio::select! {
            () = sleep_until(deadline) => {}
            () = woken => continue,
            () = shutdown.wait() => return,
        }
        let drained = endpoint.transactions.timeout(Instant::now());
        for work in endpoint.process(drained) {
            endpoint.complete(work).await;
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

pub(crate) use source_ips::ask_the_kernel as source_ip_towards;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_print_as_display_prints_them() {
        for text in [
            "127.0.0.1:5060",
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "10.0.0.9:9",
            "192.0.2.1:10000",
            "[2001:db8::1]:5061",
            "[::]:5060",
        ] {
            let addr: SocketAddr = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            let mut printed = String::new();
            push_address(&mut printed, addr);
            assert_eq!(printed, addr.to_string());
        }
    }
}
