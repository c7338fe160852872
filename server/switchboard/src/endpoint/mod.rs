//! The SIP endpoint every transport feeds: stamps Via (RFC 3581), runs each request through
//! the transaction layer (which absorbs retransmissions), validates it, hands REGISTER to the
//! registrar and OPTIONS to the capability answer, decides everything else, and sends the
//! response back the way the request came (UDP: to received/rport; streams: the same
//! connection). Requests we originate (keepalive OPTIONS) go out over a binding's flow.

pub mod dispatch;
pub mod transactions;
pub mod via;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use pbx::{Flow, Transport};
use sip::transaction::{Event, TransactionId, Transmit};
use sip::{HeaderName, Message, Method, ParseError, Request, Response, Via};
use store::Store;
use tokio::net::UdpSocket;

use crate::qualify::QualifyTracker;
use crate::transport::connections::{Connections, SendError};
use crate::transport::shutdown::Shutdown;
use transactions::{Drained, Peer, Transactions};

pub type Registrar = pbx::registrar::Registrar<Store, Store>;

pub struct Endpoint {
    registrar: Registrar,
    store: Store,
    connections: Arc<Connections>,
    udp: Option<Arc<UdpSocket>>,
    transactions: Transactions,
    pub(crate) qualify: Mutex<QualifyTracker>,
    server_header: String,
    /// A stream connection that sends nothing for this long is closed.
    stream_idle: Duration,
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
            udp,
            transactions: Transactions::default(),
            qualify: Mutex::new(QualifyTracker::default()),
            server_header: format!("Switchboard/{}", env!("CARGO_PKG_VERSION")),
            stream_idle,
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
        // Keepalives: a bare CRLF (or CRLFCRLF) datagram needs no answer over UDP
        // (RFC 5626 uses STUN there), and over WebSocket the WebSocket ping does the job.
        if bytes
            .iter()
            .all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        {
            return;
        }
        match sip::parse_message(bytes) {
            Ok(message) => self.on_message(flow, message).await,
            Err(e) => self.on_unparsable(flow, bytes, &e).await,
        }
    }

    /// Answers a request that did not parse with the status its error calls for; a bad
    /// response is dropped (RFC 3261 §18.1.2).
    pub async fn on_unparsable(&self, flow: &Flow, bytes: &[u8], err: &ParseError) {
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
        self.send(flow, dest, resp.to_bytes()).await.ok();
    }

    pub async fn on_message(&self, flow: &Flow, message: Message) {
        let peer = Peer {
            flow: flow.clone(),
            dest: flow.remote,
        };
        let message = match message {
            Message::Request(mut req) => {
                let top = via::stamp(&mut req, flow.remote);
                let peer = Peer {
                    flow: flow.clone(),
                    dest: via::udp_destination(top.as_ref(), flow.remote),
                };
                return self.on_request(peer, req).await;
            }
            response => response,
        };
        match self.transactions.input(Instant::now(), message, peer) {
            Ok(drained) => self.process(drained).await,
            Err(e) => tracing::debug!(remote = %flow.remote, "response dropped: {e}"),
        }
    }

    async fn on_request(&self, peer: Peer, req: Request) {
        match self
            .transactions
            .input(Instant::now(), Message::Request(req.clone()), peer.clone())
        {
            Ok(drained) => self.process(drained).await,
            Err(e) => {
                // Nothing to match it by (no branch, bad CSeq...): answer statelessly, once.
                tracing::debug!(remote = %peer.flow.remote, "request outside any transaction: {e}");
                if req.method != Method::Ack {
                    let mut resp = match sip::validate::check_request(&req) {
                        Err(rejection) => rejection.to_response(&req),
                        Ok(()) => Response::for_request(&req, 400, "Bad Request"),
                    };
                    self.finish(&mut resp);
                    self.send(&peer.flow, peer.dest, resp.to_bytes()).await.ok();
                }
            }
        }
    }

    /// Sends what the layer queued and acts on its events. Answering a new request may
    /// queue more, hence the loop.
    async fn process(&self, first: Drained) {
        let mut pending = vec![first];
        while let Some(drained) = pending.pop() {
            for t in drained.transmits {
                if let Some(more) = self.transmit(t).await {
                    pending.push(more);
                }
            }
            for event in drained.events {
                if let Some(more) = self.on_event(event).await {
                    pending.push(more);
                }
            }
        }
    }

    async fn on_event(&self, event: Event<Peer>) -> Option<Drained> {
        match event {
            Event::Request { id, request, peer } => {
                let mut resp = self.answer(id, &peer.flow, &request).await;
                self.finish(&mut resp);
                match self.transactions.respond(Instant::now(), id, resp) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        tracing::warn!("response refused by the transaction layer: {e}");
                        None
                    }
                }
            }
            Event::Response { response, .. } | Event::StrayResponse { response, .. } => {
                self.on_response(&response);
                None
            }
            Event::Ack { .. } => None,
            Event::Timeout { id, timer } => {
                tracing::debug!(?id, ?timer, "transaction timed out");
                None
            }
            Event::TransportError { id } => {
                tracing::debug!(?id, "transaction transport error");
                None
            }
            Event::Terminated { .. } => None,
        }
    }

    async fn answer(&self, id: TransactionId, flow: &Flow, req: &Request) -> Response {
        if let Err(rejection) = sip::validate::check_request(req) {
            return rejection.to_response(req);
        }
        match dispatch::route(req) {
            dispatch::Route::Register => self.registrar.handle(req, flow, now_unix()).await,
            dispatch::Route::Options => pbx::options::answer_options(req),
            // RFC 3261 §9.2: 200 when the INVITE it names is still known, else 481.
            dispatch::Route::Cancel if self.transactions.cancels_something(id) => {
                dispatch::reply(req, 200, dispatch::ALLOW)
            }
            dispatch::Route::Cancel => dispatch::reply(req, 481, dispatch::ALLOW),
            dispatch::Route::Reply(status) => dispatch::reply(req, status, dispatch::ALLOW),
        }
    }

    /// What every response we send carries: a To tag on final responses (RFC 3261 §8.2.6.2)
    /// and a Server header.
    fn finish(&self, resp: &mut Response) {
        if resp.status > 100 && resp.headers.contains(&HeaderName::To) && resp.to_tag().is_none() {
            // A To that does not parse keeps its text; the client gets the answer anyway.
            let _ = resp.set_to_tag(&random_token(10));
        }
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

    async fn transmit(&self, t: Transmit<Peer>) -> Option<Drained> {
        let result = self
            .send(&t.peer.flow, t.peer.dest, t.message.to_bytes())
            .await;
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
        let drained = self.transactions.request(Instant::now(), req, peer)?;
        self.process(drained).await;
        Ok(())
    }

    async fn send(
        &self,
        flow: &Flow,
        udp_dest: SocketAddr,
        bytes: Vec<u8>,
    ) -> Result<(), TransmitError> {
        match flow.transport {
            Transport::Udp => {
                let socket = self.udp.as_ref().ok_or(TransmitError::NoUdp)?;
                socket.send_to(&bytes, udp_dest).await?;
                Ok(())
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
    /// us at. A listener on 0.0.0.0 does not know it, so ask the routing table which source
    /// address would be used towards the peer (a connect() on a UDP socket sends nothing).
    pub fn via_for(&self, flow: &Flow) -> String {
        let mut local = flow.local;
        if local.ip().is_unspecified()
            && let Some(ip) = source_ip_towards(flow.remote)
        {
            local.set_ip(ip);
        }
        format!("SIP/2.0/{} {}", flow.transport.as_str(), local)
    }
}

/// Fires the transaction layer's timers (retransmissions, timeouts) until shutdown.
pub async fn run_timers(endpoint: Shared, mut shutdown: Shutdown) {
    loop {
        let woken = endpoint.transactions.wake.notified();
        let deadline = endpoint.transactions.next_deadline();
        tokio::select! {
            () = sleep_until(deadline) => {}
            () = woken => continue,
            () = shutdown.wait() => return,
        }
        let drained = endpoint.transactions.timeout(Instant::now());
        endpoint.process(drained).await;
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

fn source_ip_towards(remote: SocketAddr) -> Option<std::net::IpAddr> {
    let any: SocketAddr = if remote.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let probe = std::net::UdpSocket::bind(any).ok()?;
    probe.connect(remote).ok()?;
    probe.local_addr().ok().map(|a| a.ip())
}

/// A random token for tags, branches and Call-IDs.
pub fn random_token(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| {
            let i = rng.random_range(0..ALPHABET.len());
            char::from(ALPHABET.get(i).copied().unwrap_or(b'x'))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_local_addresses_become_routable_ones() {
        let remote: SocketAddr = ([127, 0, 0, 1], 5099).into();
        assert_eq!(source_ip_towards(remote), Some(remote.ip()));
    }

    #[test]
    fn random_tokens_look_random() {
        let a = random_token(12);
        assert_eq!(a.len(), 12);
        assert_ne!(a, random_token(12));
    }
}
