//! Shared harness for the transaction scenarios: a virtual clock, a tiny seeded PRNG, message
//! builders, and a simulated network (loss, duplication, reordering) between a client and a
//! server transaction layer, each with a minimal transaction user.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use sip::transaction::{Event, State, TimerConfig, TransactionId, TransactionLayer, Transmit};
use sip::{HeaderName, Message, Method, Request, Response, parse_message};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- clock and randomness

/// Virtual time: a fixed base plus offsets. Nothing ever sleeps.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub base: Instant,
    pub now: Instant,
}

impl Clock {
    pub fn new() -> Clock {
        let base = Instant::now();
        Clock { base, now: base }
    }
    pub fn at(&self, offset: Duration) -> Instant {
        self.base + offset
    }
    pub fn set(&mut self, offset: Duration) -> Instant {
        self.now = self.base + offset;
        self.now
    }
    pub fn advance(&mut self, d: Duration) -> Instant {
        self.now += d;
        self.now
    }
    /// Offset of `t` from the base.
    pub fn offset(&self, t: Instant) -> Duration {
        t.saturating_duration_since(self.base)
    }
    pub fn elapsed(&self) -> Duration {
        self.offset(self.now)
    }
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// SplitMix64: deterministic, seedable, good enough to decide a packet's fate.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        let span = hi.saturating_sub(lo).as_micros() as u64;
        lo + Duration::from_micros(if span == 0 {
            0
        } else {
            self.next_u64() % (span + 1)
        })
    }
}

// ---------------------------------------------------------------- messages

pub fn parse(text: &str) -> Message {
    let wire = text.replace("\r\n", "\n").replace('\n', "\r\n");
    parse_message(wire.as_bytes()).expect("test message parses")
}

pub fn parse_request(text: &str) -> Request {
    match parse(text) {
        Message::Request(r) => r,
        Message::Response(_) => panic!("expected a request"),
    }
}

/// A request as a UAC at `client.example.com` sends it.
pub fn request(method: &str, branch: &str, call_id: &str) -> Request {
    parse_request(&format!(
        "{method} sip:bob@example.com SIP/2.0\n\
         Via: SIP/2.0/UDP client.example.com:5060;branch={branch}\n\
         Max-Forwards: 70\n\
         From: Alice <sip:alice@example.com>;tag=a1\n\
         To: Bob <sip:bob@example.com>\n\
         Call-ID: {call_id}\n\
         CSeq: 1 {method}\n\
         Contact: <sip:alice@client.example.com>\n\
         Content-Length: 0\n\n"
    ))
}

pub fn invite(branch: &str) -> Request {
    request("INVITE", branch, "call-1@client.example.com")
}

/// The UAS's response: copies the request's headers, adds To tag `b1` above 100.
pub fn response(req: &Request, status: u16) -> Response {
    let mut r = Response::for_request(req, status, "");
    if status > 100 {
        r.set_to_tag("b1").expect("To parses");
    }
    r
}

/// Print and re-parse, as a network hop does.
pub fn over_the_wire(m: &Message) -> Message {
    parse_message(&m.to_bytes()).expect("printed message parses")
}

pub fn transmits<P: Clone>(layer: &mut TransactionLayer<P>) -> Vec<Transmit<P>> {
    std::iter::from_fn(|| layer.poll_transmit()).collect()
}

pub fn events<P: Clone>(layer: &mut TransactionLayer<P>) -> Vec<Event<P>> {
    std::iter::from_fn(|| layer.poll_event()).collect()
}

/// Summary of a transmit for compact assertions: "INVITE", "ACK", "100", "486"...
pub fn label(m: &Message) -> String {
    match m {
        Message::Request(r) => r.method.to_string(),
        Message::Response(r) => r.status.to_string(),
    }
}

pub fn labels<P>(ts: &[Transmit<P>]) -> Vec<String> {
    ts.iter().map(|t| label(&t.message)).collect()
}

/// Runs `handle_timeout` at each deadline up to `until`, collecting (offset, transmit label)
/// and events with their offsets.
pub type Timeline<T> = Vec<(Duration, T)>;

pub fn run_timers<P: Clone>(
    clock: &mut Clock,
    layer: &mut TransactionLayer<P>,
    until: Duration,
) -> (Timeline<String>, Timeline<Event<P>>) {
    let mut sent = Vec::new();
    let mut evs = Vec::new();
    while let Some(at) = layer.poll_timeout() {
        if clock.offset(at) > until {
            break;
        }
        clock.now = at;
        layer.handle_timeout(at);
        let off = clock.elapsed();
        sent.extend(transmits(layer).iter().map(|t| (off, label(&t.message))));
        evs.extend(events(layer).into_iter().map(|e| (off, e)));
    }
    (sent, evs)
}

pub fn udp_layer<P: Clone>() -> TransactionLayer<P> {
    TransactionLayer::new(TimerConfig::default())
}

// ---------------------------------------------------------------- simulated network

/// The two endpoints; also the peer type of both layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Client,
    Server,
}

#[derive(Debug, Clone, Copy)]
pub struct NetConfig {
    pub loss: f64,
    pub duplicate: f64,
    pub min_delay: Duration,
    /// Delays are uniform in min..=max, so a later packet can overtake an earlier one.
    pub max_delay: Duration,
}

impl NetConfig {
    pub fn perfect() -> NetConfig {
        NetConfig {
            loss: 0.0,
            duplicate: 0.0,
            min_delay: ms(20),
            max_delay: ms(20),
        }
    }
}

struct Packet {
    at: Instant,
    seq: u64,
    to: Node,
    bytes: Vec<u8>,
}

pub struct SimNet {
    rng: Rng,
    cfg: NetConfig,
    seq: u64,
    in_flight: Vec<Packet>,
    pub sent: usize,
    pub lost: usize,
}

impl SimNet {
    pub fn new(seed: u64, cfg: NetConfig) -> SimNet {
        SimNet {
            rng: Rng::new(seed),
            cfg,
            seq: 0,
            in_flight: Vec::new(),
            sent: 0,
            lost: 0,
        }
    }

    pub fn send(&mut self, now: Instant, to: Node, bytes: Vec<u8>) {
        self.sent += 1;
        if self.rng.chance(self.cfg.loss) {
            self.lost += 1;
            return;
        }
        let copies = if self.rng.chance(self.cfg.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let at = now + self.rng.between(self.cfg.min_delay, self.cfg.max_delay);
            self.seq += 1;
            self.in_flight.push(Packet {
                at,
                seq: self.seq,
                to,
                bytes: bytes.clone(),
            });
        }
    }

    pub fn next_delivery(&self) -> Option<Instant> {
        self.in_flight.iter().map(|p| p.at).min()
    }

    /// Packets due at `now`, in arrival order.
    fn take_due(&mut self, now: Instant) -> Vec<Packet> {
        let (mut due, rest): (Vec<Packet>, Vec<Packet>) =
            self.in_flight.drain(..).partition(|p| p.at <= now);
        self.in_flight = rest;
        due.sort_by_key(|p| (p.at, p.seq));
        due
    }
}

/// How the server's transaction user answers each new request.
#[derive(Debug, Clone, Copy)]
pub struct ServerPolicy {
    /// Send a 180 first (INVITE only).
    pub ringing: bool,
    /// The final status and how long after the request it is sent.
    pub final_status: u16,
    pub answer_after: Duration,
}

/// A client layer and a server layer joined by a [`SimNet`], each driven by a small TU:
/// the client ACKs every 2xx (RFC 3261 §13.2.2.4), the server answers per [`ServerPolicy`]
/// and, for a 2xx to an INVITE, retransmits it until the ACK or 64*T1 (§13.3.1.4).
pub struct Sim {
    pub clock: Clock,
    pub net: SimNet,
    pub client: TransactionLayer<Node>,
    pub server: TransactionLayer<Node>,
    pub reliable: bool,
    pub policy: ServerPolicy,
    pub client_events: Vec<(Duration, Event<Node>)>,
    pub server_events: Vec<(Duration, Event<Node>)>,
    /// Labels of everything each side put on the wire, with offsets.
    pub client_sent: Vec<(Duration, String)>,
    pub server_sent: Vec<(Duration, String)>,
    /// Server TU work: (when, transaction, response).
    pending: Vec<(Instant, TransactionId, Response)>,
    /// UAS core 2xx retransmission: (next, interval, give up at, response, transaction).
    uas_2xx: Option<(Instant, Duration, Instant, Response, TransactionId)>,
    pub acked: bool,
    /// The client's original INVITE, to build ACKs for 2xx.
    client_request: Option<Request>,
}

impl Sim {
    pub fn new(seed: u64, net: NetConfig, reliable: bool, policy: ServerPolicy) -> Sim {
        Sim {
            clock: Clock::new(),
            net: SimNet::new(seed, net),
            client: udp_layer(),
            server: udp_layer(),
            reliable,
            policy,
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_sent: Vec::new(),
            server_sent: Vec::new(),
            pending: Vec::new(),
            uas_2xx: None,
            acked: false,
            client_request: None,
        }
    }

    pub fn start(&mut self, request: Request) -> TransactionId {
        self.client_request = Some(request.clone());
        let now = self.clock.now;
        let id = self
            .client
            .send_request(now, request, Node::Server, self.reliable)
            .expect("client transaction starts");
        self.pump();
        id
    }

    /// Runs until nothing is left to do or `limit` of virtual time has passed.
    pub fn run(&mut self, limit: Duration) {
        loop {
            self.pump();
            let next = [
                self.net.next_delivery(),
                self.client.poll_timeout(),
                self.server.poll_timeout(),
                self.pending.iter().map(|p| p.0).min(),
                self.uas_2xx.as_ref().map(|u| u.0),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else { return };
            if self.clock.offset(next) > limit {
                return;
            }
            self.clock.now = self.clock.now.max(next);
            self.step();
        }
    }

    fn step(&mut self) {
        let now = self.clock.now;
        for p in self.net.take_due(now) {
            let Ok(msg) = parse_message(&p.bytes) else {
                panic!("unparsable packet on the wire")
            };
            let (layer, from) = match p.to {
                Node::Client => (&mut self.client, Node::Server),
                Node::Server => (&mut self.server, Node::Client),
            };
            layer
                .handle_input(now, msg, from, self.reliable)
                .expect("message matches");
            self.pump();
        }
        self.client.handle_timeout(now);
        self.server.handle_timeout(now);
        let (due, later): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|p| p.0 <= now);
        self.pending = later;
        for (_, id, resp) in due {
            self.respond(id, resp);
        }
        if let Some((at, interval, give_up, resp, id)) = self.uas_2xx.clone()
            && at <= now
        {
            if self.acked || now >= give_up {
                self.uas_2xx = None;
            } else {
                self.respond(id, resp.clone());
                let next = (interval * 2).min(self.server.config().t2);
                self.uas_2xx = Some((now + interval, next, give_up, resp, id));
            }
        }
        self.pump();
    }

    fn respond(&mut self, id: TransactionId, resp: Response) {
        let now = self.clock.now;
        if self.server.send_response(now, id, resp.clone()).is_err() {
            // The transaction is gone (Timer L): the UAS core sends on its own.
            self.server
                .send_stateless(Message::Response(resp), Node::Client);
        }
    }

    /// Moves transmits onto the network and lets both TUs react to events.
    fn pump(&mut self) {
        let now = self.clock.now;
        let off = self.clock.elapsed();
        loop {
            let mut progressed = false;
            while let Some(t) = self.client.poll_transmit() {
                progressed = true;
                self.client_sent.push((off, label(&t.message)));
                self.net.send(now, t.peer, t.message.to_bytes());
            }
            while let Some(t) = self.server.poll_transmit() {
                progressed = true;
                self.server_sent.push((off, label(&t.message)));
                self.net.send(now, t.peer, t.message.to_bytes());
            }
            while let Some(e) = self.client.poll_event() {
                progressed = true;
                self.client_tu(&e);
                self.client_events.push((off, e));
            }
            while let Some(e) = self.server.poll_event() {
                progressed = true;
                self.server_tu(&e);
                self.server_events.push((off, e));
            }
            if !progressed {
                return;
            }
        }
    }

    fn client_tu(&mut self, e: &Event<Node>) {
        if let Event::Response { response, .. } = e {
            let is_invite = response
                .cseq()
                .map(|c| c.method == Method::Invite)
                .unwrap_or(false);
            if is_invite && (200..300).contains(&response.status) {
                let ack = ack_for_2xx(self.client_request.as_ref().expect("started"), response);
                self.client
                    .send_stateless(Message::Request(ack), Node::Server);
            }
        }
    }

    fn server_tu(&mut self, e: &Event<Node>) {
        let now = self.clock.now;
        match e {
            Event::Request { id, request, .. } => {
                if self.policy.ringing && request.method == Method::Invite {
                    self.respond(*id, response(request, 180));
                }
                let resp = response(request, self.policy.final_status);
                self.pending
                    .push((now + self.policy.answer_after, *id, resp.clone()));
                if request.method == Method::Invite
                    && (200..300).contains(&self.policy.final_status)
                {
                    let t1 = self.server.config().t1;
                    let start = now + self.policy.answer_after;
                    // §13.3.1.4 retransmissions start T1 after the first 2xx (unreliable only).
                    if !self.reliable {
                        self.uas_2xx = Some((start + t1, t1 * 2, start + t1 * 64, resp, *id));
                    }
                }
            }
            Event::Ack { .. } => self.acked = true,
            _ => {}
        }
    }

    pub fn client_terminated(&self, id: TransactionId) -> bool {
        self.client.state(id).is_none()
    }

    pub fn count_client(&self, pred: impl Fn(&Event<Node>) -> bool) -> usize {
        self.client_events.iter().filter(|(_, e)| pred(e)).count()
    }

    pub fn count_server(&self, pred: impl Fn(&Event<Node>) -> bool) -> usize {
        self.server_events.iter().filter(|(_, e)| pred(e)).count()
    }

    pub fn client_state(&self, id: TransactionId) -> Option<State> {
        self.client.state(id)
    }
}

/// The UAC core's ACK for a 2xx (§13.2.2.4): a new transaction branch, the 2xx's To.
pub fn ack_for_2xx(invite: &Request, ok: &Response) -> Request {
    let mut ack = sip::transaction::ack_for(invite, ok).expect("ACK builds");
    let via = invite.top_via().expect("Via");
    let mut via = via;
    via.set_param("branch", Some("z9hG4bKack2xx"));
    ack.headers.set(HeaderName::Via, via.to_string());
    ack
}
