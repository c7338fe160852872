//! Registering a trunk with its provider: the client half of REGISTER (RFC 3261 §10.2) as a
//! sans-IO state machine in the str0m style. The binary feeds it `handle_response`,
//! `handle_failure` (the transaction timed out or could not be sent) and `handle_timeout`,
//! and drains `poll_request` (sent through its transaction layer) and `poll_timeout`.
//!
//! Behaviour:
//! - One Call-ID and From tag for the life of the registrar, CSeq increasing by one per
//!   REGISTER (§10.2.4); at most one REGISTER outstanding (§10.2).
//! - 401/407 are answered with digest (SHA-256 preferred over MD5 when both are offered,
//!   `qop=auth`). The last challenge is kept and answered again, with the nonce-count
//!   increased, on refreshes, saving the round trip while the provider accepts the nonce.
//!   A second challenge to credentials computed for that very attempt is a refusal (wrong
//!   password), unless it says `stale=true`.
//! - The granted time is read from the 200: our Contact's `expires`, else the Expires
//!   header, else what we asked. The refresh goes at half of it or 30 s before it lapses,
//!   whichever is earlier, never sooner than 5 s after the success.
//! - 423 is retried at once with the Min-Expires asked for (and that value kept).
//! - Any other failure (4xx-6xx, no response) waits 30 s, doubling up to 10 min, shortened
//!   by the caller's jitter, and at least as long as a Retry-After (capped at an hour).
//! - `stop` removes the binding (Expires: 0) if one may exist, then goes quiet.
//! - Over TCP/TLS the binding lives on a connection. `connection_lost` says it closed: a
//!   REGISTER under way over it has failed (the backoff above follows), a registration held
//!   is renewed at once over the new connection the binary opens (not before `MIN_REFRESH`
//!   after the last success, so a provider dropping every connection is not hammered), and a
//!   failure's wait stands. `refresh_now` renews at once whatever the state: the provider
//!   moved to another address. Both keep the Call-ID and raise the CSeq; `set_contact`
//!   follows a Contact that changed with the flow.

use std::fmt;
use std::time::{Duration, Instant};

use sip::digest::{Algorithm, Challenge, Credentials};
use sip::{Contact, HeaderName, Method, NameAddr, Request, Response, Uri};

use super::backoff::Backoff;
use super::provider::{TrunkConfigError, provider_uri, user_uri};
use super::{Trunk, TrunkTransport};

/// The refresh goes this long before the registration lapses, when that is before half way.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(30);
/// Never refresh sooner than this after a success: a registrar granting 1 s must not make us
/// send a REGISTER every second.
pub const MIN_REFRESH: Duration = Duration::from_secs(5);
/// The first retry after a failure; it doubles up to `MAX_RETRY`.
pub const FIRST_RETRY: Duration = Duration::from_secs(30);
pub const MAX_RETRY: Duration = Duration::from_secs(600);
/// The longest Retry-After honoured (a provider's maintenance window, not a week).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// A REGISTER whose fate the binary never reports (neither a response nor
/// `handle_failure`) is given up after this long, twice Timer F, so a lost report cannot
/// stall the registration forever.
pub const RESPONSE_GUARD: Duration = Duration::from_secs(64);
/// Expires asked when the trunk's configuration says 0 (which would mean "unregister").
pub const DEFAULT_EXPIRES: u32 = 3600;
/// Challenges and 423s answered within one attempt before giving up on it.
const MAX_ROUNDS: u8 = 4;
/// Reason phrases from the network are shown to admins; keep them short.
const MAX_REASON: usize = 80;

/// Everything one registration needs. The identifiers are random values the caller draws
/// (this crate has no random source): `call_id` and `from_tag` stay for the registrar's
/// life, `cnonce` is the base of the client nonces, `jitter_seed` spreads retries.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrationConfig {
    pub username: String,
    /// Used for digest only; never logged (`Debug` omits it).
    pub password: String,
    /// The registrar: the host of the address-of-record and of the Request-URI.
    pub host: String,
    pub port: Option<u16>,
    pub transport: TrunkTransport,
    /// Seconds asked for.
    pub expires: u32,
    /// The Contact header value, e.g. `<sip:acme@198.51.100.7:5060>`: where the provider
    /// sends our inbound calls (the binary knows its public address and flow).
    pub contact: String,
    pub call_id: String,
    pub from_tag: String,
    pub cnonce: String,
    /// None: exact backoff delays.
    pub jitter_seed: Option<u64>,
}

impl fmt::Debug for RegistrationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationConfig")
            .field("username", &self.username)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("transport", &self.transport)
            .field("expires", &self.expires)
            .field("contact", &self.contact)
            .field("call_id", &self.call_id)
            .finish_non_exhaustive()
    }
}

/// The random identifiers of one registrar (see `RegistrationConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationIds {
    pub call_id: String,
    pub from_tag: String,
    pub cnonce: String,
    pub jitter_seed: Option<u64>,
}

impl RegistrationConfig {
    /// The configuration of a trunk that registers; an error for an IP-authenticated one.
    pub fn for_trunk(
        trunk: &Trunk,
        contact: &str,
        ids: RegistrationIds,
    ) -> Result<RegistrationConfig, TrunkConfigError> {
        let reg = trunk
            .registration
            .as_ref()
            .ok_or_else(|| TrunkConfigError::NoRegistration(trunk.name.clone()))?;
        Ok(RegistrationConfig {
            username: reg.username.clone(),
            password: reg.password.clone(),
            host: trunk.host.clone(),
            port: trunk.port,
            transport: trunk.transport,
            expires: reg.expires,
            contact: contact.to_owned(),
            call_id: ids.call_id,
            from_tag: ids.from_tag,
            cnonce: ids.cnonce,
            jitter_seed: ids.jitter_seed,
        })
    }
}

/// Where the registration stands, for the admin page and the routing decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationStatus {
    /// The provider holds our binding until `until` (a refresh may be under way).
    Registered { until: Instant },
    /// The first REGISTER (or the one after a failure) is under way.
    Registering,
    /// The last attempt failed; the next one goes at `retry_at`.
    Failed {
        reason: FailReason,
        retry_at: Instant,
    },
    /// Not wanted (never started, or stopped; an unregister may still be under way).
    Off,
}

/// Why an attempt failed, as an admin should read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailReason {
    /// The registrar answered with a failure (403, 404, 5xx...).
    Rejected { status: u16, reason: String },
    /// The credentials were challenged again: wrong user name or password.
    AuthFailed { status: u16 },
    /// A challenge we cannot answer (no Digest with MD5 or SHA-256 and `qop=auth`).
    BadChallenge(String),
    /// 423 without a Min-Expires above what we asked.
    IntervalTooBrief,
    /// No response: the transaction timed out or the request could not be sent.
    NoResponse,
    /// A 200 that grants our Contact 0 seconds.
    NotBound,
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailReason::Rejected { status, reason } => write!(f, "{status} {reason}"),
            FailReason::AuthFailed { status } => {
                write!(
                    f,
                    "credentials refused ({status}): check user name and password"
                )
            }
            FailReason::BadChallenge(why) => write!(f, "cannot answer the challenge: {why}"),
            FailReason::IntervalTooBrief => {
                f.write_str("423 Interval Too Brief without a usable Min-Expires")
            }
            FailReason::NoResponse => f.write_str("no response from the registrar"),
            FailReason::NotBound => f.write_str("the registrar kept no binding for our Contact"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Register,
    Unregister,
}

/// The REGISTER under way.
#[derive(Debug, Clone)]
struct InFlight {
    kind: Kind,
    cseq: u32,
    expires: u32,
    sent_at: Instant,
    /// Its Authorization / Proxy-Authorization answered a challenge to this very attempt
    /// (not one kept from an earlier attempt): another challenge means a refusal.
    answered_www: bool,
    answered_proxy: bool,
    rounds: u8,
}

/// A challenge we answer, with its nonce-count and client nonce.
#[derive(Debug, Clone)]
struct Auth {
    challenge: Challenge,
    nc: u32,
    cnonce: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Idle,
    Registering,
    Registered {
        until: Instant,
        refresh_at: Instant,
    },
    Failed {
        reason: FailReason,
        retry_at: Instant,
    },
}

/// The registration client of one trunk. See the module comment.
pub struct TrunkRegistrar {
    config: RegistrationConfig,
    request_uri: Uri,
    /// `<sip:user@host>`, the From and To.
    aor: String,
    contact: NameAddr,
    /// Seconds asked in the next REGISTER (raised by a 423).
    expires: u32,
    cseq: u32,
    wanted: bool,
    phase: Phase,
    in_flight: Option<InFlight>,
    outbox: Option<Request>,
    www: Option<Auth>,
    proxy: Option<Auth>,
    /// Challenges stored so far, to vary the client nonce.
    challenges_seen: u32,
    /// Until when the provider may hold a binding of ours (what `stop` must remove).
    bound_until: Option<Instant>,
    /// The last 2xx to a REGISTER: a renewal after a lost connection waits until
    /// `MIN_REFRESH` after it.
    registered_at: Option<Instant>,
    backoff: Backoff,
    last_error: Option<FailReason>,
}

impl fmt::Debug for TrunkRegistrar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrunkRegistrar")
            .field("config", &self.config)
            .field("phase", &self.phase)
            .field("wanted", &self.wanted)
            .field("cseq", &self.cseq)
            .finish_non_exhaustive()
    }
}

impl TrunkRegistrar {
    /// A registrar that does nothing until `start`.
    pub fn new(config: RegistrationConfig) -> Result<TrunkRegistrar, TrunkConfigError> {
        let request_uri = Uri::Sip(provider_uri(&config.host, config.port, config.transport)?);
        let aor = NameAddr::new(Uri::Sip(user_uri(&config.username, &config.host)?)).to_string();
        let contact = NameAddr::parse(&config.contact)
            .map_err(|_| TrunkConfigError::BadContact(config.contact.clone()))?;
        let expires = if config.expires == 0 {
            DEFAULT_EXPIRES
        } else {
            config.expires
        };
        let backoff = Backoff::new(FIRST_RETRY, MAX_RETRY, config.jitter_seed);
        Ok(TrunkRegistrar {
            config,
            request_uri,
            aor,
            contact,
            expires,
            cseq: 0,
            wanted: false,
            phase: Phase::Idle,
            in_flight: None,
            outbox: None,
            www: None,
            proxy: None,
            challenges_seen: 0,
            bound_until: None,
            registered_at: None,
            backoff,
            last_error: None,
        })
    }

    /// Registers now (also after a failure, skipping the wait) and keeps the registration up.
    pub fn start(&mut self, now: Instant) {
        self.wanted = true;
        if self.in_flight.is_some() || matches!(self.phase, Phase::Registered { .. }) {
            // A final response or the refresh timer carries on from here.
            return;
        }
        self.send(now, Kind::Register);
    }

    /// Stops: removes the binding if the provider may hold one, then stays quiet.
    pub fn stop(&mut self, now: Instant) {
        self.wanted = false;
        if self.in_flight.is_none() {
            self.after_stop(now);
        }
    }

    /// Registers again now over a new flow (the provider's address changed), keeping the
    /// Call-ID and raising the CSeq. A REGISTER under way is abandoned (an answer to it no
    /// longer matches the CSeq and is ignored); a failure's wait is cut short. Nothing
    /// happens unless started.
    pub fn refresh_now(&mut self, now: Instant) {
        if !self.wanted {
            return;
        }
        self.in_flight = None;
        self.outbox = None;
        self.send(now, Kind::Register);
    }

    /// The connection the registration lives on closed (TCP/TLS). A REGISTER under way over
    /// it has failed; a registration held is renewed over the next connection, at once or
    /// `MIN_REFRESH` after the last success, whichever is later; a failure's wait stands.
    pub fn connection_lost(&mut self, now: Instant) {
        if self.in_flight.is_some() {
            self.handle_failure(now);
            return;
        }
        if !self.wanted {
            return;
        }
        if let Phase::Registered { refresh_at, .. } = &mut self.phase {
            let earliest = self.registered_at.map_or(now, |at| later(at, MIN_REFRESH));
            if now >= earliest {
                self.send(now, Kind::Register);
            } else {
                *refresh_at = earliest.min(*refresh_at);
            }
        }
    }

    /// Our Contact changed with the flow toward the provider (a new connection's port, a
    /// new local address). A REGISTER queued but not yet polled is rebuilt with it, under
    /// the same CSeq.
    pub fn set_contact(&mut self, contact: &str) -> Result<(), TrunkConfigError> {
        let parsed = NameAddr::parse(contact)
            .map_err(|_| TrunkConfigError::BadContact(contact.to_owned()))?;
        self.contact = parsed;
        self.config.contact = contact.to_owned();
        if self.outbox.is_some()
            && let Some(expires) = self.in_flight.as_ref().map(|f| f.expires)
        {
            self.outbox = Some(self.build(expires));
        }
        Ok(())
    }

    /// The Contact our REGISTERs carry.
    pub fn contact(&self) -> &str {
        &self.config.contact
    }

    /// A response from the client transaction of our REGISTER. False when it is not ours
    /// (another Call-ID, an old CSeq): the caller may route it elsewhere.
    pub fn handle_response(&mut self, now: Instant, resp: &Response) -> bool {
        let Some(flight) = &self.in_flight else {
            return false;
        };
        let ours = resp.call_id().is_ok_and(|c| c == self.config.call_id)
            && resp
                .cseq()
                .is_ok_and(|c| c.seq == flight.cseq && c.method == Method::Register);
        if !ours {
            return false;
        }
        if resp.status < 200 {
            return true;
        }
        let Some(flight) = self.in_flight.take() else {
            return true;
        };
        match resp.status {
            200..=299 => self.on_success(now, flight, resp),
            401 | 407 => self.on_challenge(now, flight, resp),
            423 => self.on_too_brief(now, flight, resp),
            status => {
                let reason = FailReason::Rejected {
                    status,
                    reason: short(&resp.reason),
                };
                self.on_failure(now, flight, reason, retry_after(resp));
            }
        }
        true
    }

    /// The REGISTER under way got no final response (Timer F) or could not be sent.
    pub fn handle_failure(&mut self, now: Instant) {
        if let Some(flight) = self.in_flight.take() {
            self.on_failure(now, flight, FailReason::NoResponse, None);
        }
    }

    /// Time passed: refresh, retry, or give up on an unreported REGISTER.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(flight) = &self.in_flight {
            if now >= flight.sent_at + RESPONSE_GUARD {
                self.handle_failure(now);
            } else if let Phase::Registered { until, .. } = self.phase
                && now >= until
            {
                // The refresh is still out and the old registration has lapsed.
                self.phase = Phase::Registering;
            }
            return;
        }
        if !self.wanted {
            return;
        }
        let due = match &self.phase {
            Phase::Registered { refresh_at, .. } => now >= *refresh_at,
            Phase::Failed { retry_at, .. } => now >= *retry_at,
            Phase::Idle | Phase::Registering => false,
        };
        if due {
            self.send(now, Kind::Register);
        }
    }

    /// The next REGISTER to send. It has no Via: the binary adds its top Via (the sent-by of
    /// the flow toward the provider, a fresh `z9hG4bK` branch) before handing it to the
    /// transaction layer.
    pub fn poll_request(&mut self) -> Option<Request> {
        self.outbox.take()
    }

    /// Whether `poll_request` has a REGISTER to give (the binary opens a flow first).
    pub fn has_request(&self) -> bool {
        self.outbox.is_some()
    }

    /// When `handle_timeout` must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if let Some(flight) = &self.in_flight {
            let guard = flight.sent_at + RESPONSE_GUARD;
            return Some(match self.phase {
                Phase::Registered { until, .. } => guard.min(until),
                _ => guard,
            });
        }
        if !self.wanted {
            return None;
        }
        match &self.phase {
            Phase::Registered { refresh_at, .. } => Some(*refresh_at),
            Phase::Failed { retry_at, .. } => Some(*retry_at),
            Phase::Idle | Phase::Registering => None,
        }
    }

    pub fn status(&self) -> RegistrationStatus {
        if !self.wanted {
            return RegistrationStatus::Off;
        }
        match &self.phase {
            Phase::Registered { until, .. } => RegistrationStatus::Registered { until: *until },
            Phase::Failed { reason, retry_at } => RegistrationStatus::Failed {
                reason: reason.clone(),
                retry_at: *retry_at,
            },
            Phase::Registering | Phase::Idle => RegistrationStatus::Registering,
        }
    }

    /// The most recent failure, kept after a later success (the admin page's "last error").
    pub fn last_error(&self) -> Option<&FailReason> {
        self.last_error.as_ref()
    }

    /// Stopped with nothing under way or to send: the registrar may be dropped.
    pub fn is_idle(&self) -> bool {
        !self.wanted && self.in_flight.is_none() && self.outbox.is_none()
    }

    pub fn call_id(&self) -> &str {
        &self.config.call_id
    }

    /// Seconds the next REGISTER asks for (the configured value, or a 423's Min-Expires).
    pub fn expires(&self) -> u32 {
        self.expires
    }

    fn after_stop(&mut self, now: Instant) {
        self.phase = Phase::Idle;
        match self.bound_until {
            Some(until) if until > now => self.send(now, Kind::Unregister),
            _ => self.bound_until = None,
        }
    }

    fn send(&mut self, now: Instant, kind: Kind) {
        self.send_round(now, kind, 0, false, false);
    }

    fn send_round(
        &mut self,
        now: Instant,
        kind: Kind,
        rounds: u8,
        answered_www: bool,
        answered_proxy: bool,
    ) {
        self.cseq = self.cseq.wrapping_add(1).max(1);
        let expires = match kind {
            Kind::Register => self.expires,
            Kind::Unregister => 0,
        };
        self.outbox = Some(self.build(expires));
        self.in_flight = Some(InFlight {
            kind,
            cseq: self.cseq,
            expires,
            sent_at: now,
            answered_www,
            answered_proxy,
            rounds,
        });
        if kind == Kind::Register && !matches!(self.phase, Phase::Registered { .. }) {
            self.phase = Phase::Registering;
        }
    }

    fn build(&mut self, expires: u32) -> Request {
        let mut req = Request::new(Method::Register, self.request_uri.clone());
        let h = &mut req.headers;
        h.push(HeaderName::MaxForwards, "70");
        h.push(
            HeaderName::From,
            format!("{};tag={}", self.aor, self.config.from_tag),
        );
        h.push(HeaderName::To, self.aor.as_str());
        h.push(HeaderName::CallId, self.config.call_id.as_str());
        h.push(HeaderName::CSeq, format!("{} REGISTER", self.cseq));
        h.push(HeaderName::Contact, self.config.contact.as_str());
        h.push(HeaderName::Expires, expires.to_string());
        let uri = self.request_uri.to_string();
        let (user, password) = (&self.config.username, &self.config.password);
        for (slot, name) in [
            (&mut self.www, HeaderName::Authorization),
            (&mut self.proxy, HeaderName::ProxyAuthorization),
        ] {
            if let Some(auth) = slot {
                auth.nc = auth.nc.wrapping_add(1).max(1);
                let credentials = Credentials::answer(
                    &auth.challenge,
                    user,
                    password,
                    "REGISTER",
                    &uri,
                    &auth.cnonce,
                    auth.nc,
                );
                h.push(name, credentials.to_string());
            }
        }
        h.push(HeaderName::ContentLength, "0");
        req
    }

    fn on_success(&mut self, now: Instant, flight: InFlight, resp: &Response) {
        if flight.kind == Kind::Unregister {
            self.bound_until = None;
            self.phase = Phase::Idle;
            if self.wanted {
                self.send(now, Kind::Register);
            }
            return;
        }
        let granted = granted_expiry(resp, &self.contact, flight.expires);
        if granted == 0 {
            self.on_failure(now, flight, FailReason::NotBound, None);
            return;
        }
        self.backoff.reset();
        self.registered_at = Some(now);
        let granted = Duration::from_secs(u64::from(granted));
        let until = later(now, granted);
        self.bound_until = Some(until);
        self.phase = Phase::Registered {
            until,
            refresh_at: later(now, refresh_delay(granted)),
        };
        if !self.wanted {
            self.after_stop(now);
        }
    }

    fn on_challenge(&mut self, now: Instant, flight: InFlight, resp: &Response) {
        let proxy = resp.status == 407;
        let header = if proxy {
            HeaderName::ProxyAuthenticate
        } else {
            HeaderName::WwwAuthenticate
        };
        let challenge = match pick_challenge(resp.headers.fields(&header)) {
            Ok(c) => c,
            Err(why) => {
                self.on_failure(now, flight, FailReason::BadChallenge(why), None);
                return;
            }
        };
        let answered = if proxy {
            flight.answered_proxy
        } else {
            flight.answered_www
        };
        if (answered && !challenge.stale) || flight.rounds >= MAX_ROUNDS {
            let reason = FailReason::AuthFailed {
                status: resp.status,
            };
            self.on_failure(now, flight, reason, None);
            return;
        }
        self.challenges_seen = self.challenges_seen.wrapping_add(1);
        let auth = Auth {
            challenge,
            nc: 0,
            cnonce: format!("{}{:x}", self.config.cnonce, self.challenges_seen),
        };
        if proxy {
            self.proxy = Some(auth);
        } else {
            self.www = Some(auth);
        }
        self.send_round(
            now,
            flight.kind,
            flight.rounds + 1,
            flight.answered_www || !proxy,
            flight.answered_proxy || proxy,
        );
    }

    fn on_too_brief(&mut self, now: Instant, flight: InFlight, resp: &Response) {
        let min = resp
            .headers
            .get(&HeaderName::MinExpires)
            .and_then(|v| v.trim().parse::<u32>().ok());
        match min {
            Some(min)
                if flight.kind == Kind::Register
                    && min > flight.expires
                    && flight.rounds < MAX_ROUNDS =>
            {
                self.expires = min;
                self.send_round(
                    now,
                    flight.kind,
                    flight.rounds + 1,
                    flight.answered_www,
                    flight.answered_proxy,
                );
            }
            _ => self.on_failure(now, flight, FailReason::IntervalTooBrief, None),
        }
    }

    fn on_failure(
        &mut self,
        now: Instant,
        flight: InFlight,
        reason: FailReason,
        retry_after: Option<Duration>,
    ) {
        if reason != FailReason::NoResponse {
            // The nonce may be what the registrar disliked: start the next attempt afresh.
            self.www = None;
            self.proxy = None;
        }
        self.last_error = Some(reason.clone());
        if flight.kind == Kind::Unregister {
            // Nothing more to do about a binding we could not remove: it lapses by itself.
            self.bound_until = None;
            self.phase = Phase::Idle;
            if self.wanted {
                self.send(now, Kind::Register);
            }
            return;
        }
        if !self.wanted {
            self.after_stop(now);
            return;
        }
        let mut delay = self.backoff.next_delay();
        if let Some(wait) = retry_after {
            delay = delay.max(wait.min(MAX_RETRY_AFTER));
        }
        self.phase = Phase::Failed {
            reason,
            retry_at: later(now, delay),
        };
    }
}

/// `now + d`, saturating instead of panicking on an absurd grant.
fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(now)
}

/// When to refresh a registration granted for `granted`: half way, or `REFRESH_MARGIN`
/// before it lapses when that is earlier, never sooner than `MIN_REFRESH`.
pub fn refresh_delay(granted: Duration) -> Duration {
    (granted / 2)
        .min(granted.saturating_sub(REFRESH_MARGIN))
        .max(MIN_REFRESH)
}

/// The seconds a 2xx grants our Contact: its `expires` parameter, else the Expires header,
/// else what we asked. When our Contact is not in the list but exactly one is, that one is
/// taken as ours (a provider behind NAT handling, or one that rewrites Contacts).
fn granted_expiry(resp: &Response, ours: &NameAddr, asked: u32) -> u32 {
    let contacts: Vec<NameAddr> = resp
        .contacts()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| match c {
            Contact::Addr(a) => Some(a),
            Contact::Star => None,
        })
        .collect();
    let mine =
        contacts
            .iter()
            .find(|c| c.uri.equivalent(&ours.uri))
            .or(match contacts.as_slice() {
                [only] => Some(only),
                _ => None,
            });
    mine.and_then(|c| c.param("expires"))
        .and_then(|v| v.trim().parse::<u32>().ok())
        .or_else(|| resp.expires().ok().flatten())
        .unwrap_or(asked)
}

/// The challenge to answer among the offered ones: SHA-256 first (RFC 8760), then MD5.
fn pick_challenge<'a>(values: impl Iterator<Item = &'a str>) -> Result<Challenge, String> {
    let mut first_error = None;
    let mut usable = Vec::new();
    for value in values {
        match Challenge::parse(value) {
            Ok(c) => usable.push(c),
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let pick = usable
        .iter()
        .position(|c| c.algorithm == Algorithm::Sha256)
        .or(if usable.is_empty() { None } else { Some(0) });
    match pick.and_then(|i| usable.into_iter().nth(i)) {
        Some(c) => Ok(c),
        None => Err(first_error.unwrap_or_else(|| "no Digest challenge in the response".into())),
    }
}

/// Retry-After's delta-seconds (a comment or parameters may follow).
pub(crate) fn retry_after(resp: &Response) -> Option<Duration> {
    let value = resp.headers.get(&HeaderName::RetryAfter)?.trim();
    let digits = value
        .find(|c: char| !c.is_ascii_digit())
        .map_or(value, |end| value.get(..end).unwrap_or(""));
    digits.parse::<u64>().ok().map(Duration::from_secs)
}

fn short(reason: &str) -> String {
    reason.chars().take(MAX_REASON).collect()
}

#[cfg(test)]
#[path = "registration_tests.rs"]
mod tests;
