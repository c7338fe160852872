//! One configured trunk at run time: where its provider is, the flow toward it, its
//! registration client and OPTIONS checker (the sans-IO machines of `pbx::trunk`), and what
//! to report about it. The driver feeds it time, responses and failures, lets it look at its
//! connection and its provider's address, and sends what it asks for.
//!
//! Where the provider is: the host is looked up (`resolver`) when the runner starts, again
//! every `RESOLVE_RETRY` while it does not resolve or, over TCP/TLS, cannot be connected
//! to; once running, again before each registration refresh or retry, after a request
//! failed or the connection closed, and at least every `RE_RESOLVE`. While the address in
//! use is among the answers the trunk stays on it (round-robin DNS reorders them);
//! otherwise it moves to the first answer (a new flow) and registers there at once.
//!
//! Over TCP/TLS the trunk has its own connection (`transport::outbound`). When it closes
//! (the provider restarted, a reset), `check_connection` notices on the driver's next round
//! (at most a second later) and the registrar renews the registration over a new connection
//! at once (`TrunkRegistrar::connection_lost`); a connection that cannot be opened is a
//! failed request, so attempts follow the registration's backoff.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use pbx::trunk::Trunk;
use pbx::trunk::TrunkTransport;
use pbx::trunk::health::{HealthChecker, HealthConfig, HealthEvent, Reachability};
use pbx::trunk::provider::escape_user;
use pbx::trunk::registration::{
    RegistrationConfig, RegistrationIds, RegistrationStatus, TrunkRegistrar,
};
use pbx::{Flow, Transport};
use sip::{Request, Response};

use super::report::Report;
use super::resolver::{Resolver, host_is_name, provider_addresses};
use crate::endpoint::Shared;
use crate::random::token;
use crate::transport::outbound::trunk_flow;

/// A host that does not resolve is looked up again this often.
const RESOLVE_RETRY: Duration = Duration::from_secs(30);
/// A running trunk's host is looked up again at least this often.
pub const RE_RESOLVE: Duration = Duration::from_secs(300);
/// A removed or changed trunk's unregister gets this long to finish (twice Timer F).
const RETIRE_GUARD: Duration = Duration::from_secs(70);

/// Where the server accepts SIP (the listeners bound), and the address providers reach it
/// at: what goes in our Contact.
#[derive(Debug, Clone)]
pub struct Local {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    pub tls: Option<SocketAddr>,
    /// `[media] public_ip`: the address in our Contact when set.
    pub public_ip: Option<IpAddr>,
    pub domain: String,
}

impl Local {
    fn listener(&self, transport: Transport) -> Option<SocketAddr> {
        match transport {
            Transport::Udp => self.udp,
            Transport::Tcp => self.tcp,
            Transport::Tls => self.tls,
            _ => None,
        }
    }

    /// The address family the provider is looked up in: that of our listener for the
    /// trunk's transport (IPv4 without one).
    fn family(&self, transport: TrunkTransport) -> SocketAddr {
        let listener = match transport {
            TrunkTransport::Udp => self.udp,
            TrunkTransport::Tcp => self.tcp.or(self.udp),
            TrunkTransport::Tls => self.tls.or(self.udp),
        };
        listener.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }
}

/// Which machine a request came from, so its answer goes back there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Register,
    Options,
}

pub struct Runner {
    /// Tells apart the runner of a trunk and the one it replaced (still unregistering).
    pub key: u64,
    pub trunk: Trunk,
    /// The provider's address in use; the flow follows it.
    dest: Option<SocketAddr>,
    flow: Option<Flow>,
    registrar: Option<TrunkRegistrar>,
    health: Option<HealthChecker>,
    /// The OPTIONS the checker asked for, held until a flow is there to send it on.
    options_out: Option<Request>,
    /// Why the trunk cannot be driven at all (its host, its first connection).
    problem: Option<String>,
    /// Why its TCP/TLS connection could not be opened again.
    connection_error: Option<String>,
    last_error: Option<String>,
    /// When to try starting again after `prepare` failed.
    resolve_at: Option<Instant>,
    /// When the running trunk's host is looked up again at the latest.
    re_resolve_at: Option<Instant>,
    /// A request failed or the connection closed: look the host up before going on.
    resolve_soon: bool,
    /// The registrar deadline (refresh, retry) already looked up for.
    resolved_for: Option<Instant>,
    retired_at: Option<Instant>,
}

impl Runner {
    pub fn new(key: u64, trunk: Trunk) -> Runner {
        Runner {
            key,
            trunk,
            dest: None,
            flow: None,
            registrar: None,
            health: None,
            options_out: None,
            problem: None,
            connection_error: None,
            last_error: None,
            resolve_at: None,
            re_resolve_at: None,
            resolve_soon: false,
            resolved_for: None,
            retired_at: None,
        }
    }

    /// Resolves the provider, connects to it (TCP, TLS) and starts the machines; on a
    /// lookup or connection failure, notes it and tries again after `RESOLVE_RETRY` (see
    /// `needs_prepare`).
    pub async fn prepare(
        &mut self,
        endpoint: &Shared,
        local: &Local,
        resolver: &dyn Resolver,
        now: Instant,
    ) {
        self.resolve_at = None;
        // A trunk that neither registers nor checks health has nothing to send on its own:
        // its calls open what they need. Connecting now would only show an inbound-only
        // provider (one that does not listen for us) as broken.
        if self.trunk.registration.is_none() && self.trunk.options_interval == 0 {
            return;
        }
        if self.trunk.transport == TrunkTransport::Udp && local.udp.is_none() {
            self.problem = Some("no SIP UDP listener to reach the provider from".to_owned());
            return;
        }
        let family = local.family(self.trunk.transport);
        let found = provider_addresses(&self.trunk, family, resolver)
            .await
            .and_then(|addrs| {
                addrs
                    .first()
                    .copied()
                    .ok_or_else(|| format!("{} has no address", self.trunk.host))
            });
        let dest = match found {
            Ok(dest) => dest,
            Err(why) => {
                tracing::warn!(trunk = %self.trunk.name, "{why}");
                self.problem = Some(why);
                self.resolve_at = Some(now + RESOLVE_RETRY);
                return;
            }
        };
        let flow = match trunk_flow(endpoint, &self.trunk, dest).await {
            Ok(flow) => flow,
            Err(why) => {
                tracing::warn!(trunk = %self.trunk.name, "{why}");
                self.problem = Some(why);
                self.resolve_at = Some(now + RESOLVE_RETRY);
                return;
            }
        };
        self.problem = None;
        if let Err(why) = self.start_machines(local, &flow, now) {
            self.problem = Some(why);
            return;
        }
        self.dest = Some(dest);
        self.flow = Some(flow);
        self.re_resolve_at = Some(now + RE_RESOLVE);
    }

    /// Whether the trunk's TCP/TLS connection closed since the last look; if so, the
    /// registration is renewed over a new one (see the module comment). True when the
    /// runner's REGISTER transactions under way are void: the driver forgets them, so that
    /// their late timeouts do not fail the next REGISTER.
    pub fn check_connection(&mut self, endpoint: &Shared, now: Instant) -> bool {
        if self.retired_at.is_some() {
            return false;
        }
        let Some(flow) = self.flow.as_mut() else {
            return false;
        };
        let Some(id) = flow.connection else {
            return false;
        };
        if endpoint.connections().get(id).is_some() {
            return false;
        }
        // No connection now: the next request opens one (`current_flow`).
        flow.connection = None;
        tracing::info!(trunk = %self.trunk.name, remote = %flow.remote, "trunk connection closed");
        self.last_error = Some(format!("connection to {} closed", flow.remote));
        self.resolve_soon = true;
        match &mut self.registrar {
            Some(registrar) => {
                registrar.connection_lost(now);
                true
            }
            None => false,
        }
    }

    /// Whether the provider's host is to be looked up again now (see the module comment).
    pub fn needs_resolve(&self, now: Instant) -> bool {
        if self.retired_at.is_some() || self.dest.is_none() || !host_is_name(&self.trunk) {
            return false;
        }
        let deadline = self
            .registrar
            .as_ref()
            .and_then(TrunkRegistrar::poll_timeout)
            .filter(|at| now >= *at && self.resolved_for != Some(*at));
        self.resolve_soon || deadline.is_some() || self.re_resolve_at.is_some_and(|at| now >= at)
    }

    /// Looks the provider's host up again and moves the trunk if its address is no longer
    /// among the answers. True when it moved: a REGISTER goes to the new address at once,
    /// and the runner's REGISTER transactions under way are void (see `check_connection`).
    /// A failed lookup keeps the address in use.
    pub async fn re_resolve(
        &mut self,
        local: &Local,
        resolver: &dyn Resolver,
        now: Instant,
    ) -> bool {
        self.resolve_soon = false;
        self.re_resolve_at = Some(now + RE_RESOLVE);
        self.resolved_for = self
            .registrar
            .as_ref()
            .and_then(TrunkRegistrar::poll_timeout)
            .filter(|at| now >= *at);
        let family = local.family(self.trunk.transport);
        let addrs = match provider_addresses(&self.trunk, family, resolver).await {
            Ok(addrs) => addrs,
            Err(why) => {
                tracing::debug!(trunk = %self.trunk.name, "keeping the provider's address: {why}");
                return false;
            }
        };
        let (Some(current), Some(&next)) = (self.dest, addrs.first()) else {
            return false;
        };
        if addrs.contains(&current) {
            return false;
        }
        tracing::info!(trunk = %self.trunk.name, from = %current, to = %next, "provider address changed: moving the trunk");
        self.dest = Some(next);
        match &mut self.registrar {
            Some(registrar) => {
                registrar.refresh_now(now);
                true
            }
            None => false,
        }
    }

    /// The flow to send over now: for UDP toward the provider's current address; for
    /// TCP/TLS the trunk's connection, opened again if it closed or the provider moved (its
    /// failure is reported as the trunk's error until one succeeds). A Contact that changes
    /// with the flow is given to the registrar.
    pub async fn current_flow(&mut self, endpoint: &Shared, local: &Local) -> Option<Flow> {
        let flow = self.flow.clone()?;
        let dest = self.dest?;
        // A retired runner's unregister goes over the flow it had, or fails: opening a
        // connection would take the trunk's slot from its successor.
        if self.retired_at.is_some() || (!flow.transport.is_reliable() && flow.remote == dest) {
            return Some(flow);
        }
        // Ours closed and a call already opened the trunk's next connection (its own,
        // fresher, lookup may have found another address): share it rather than replace it.
        let shared = if flow.connection.is_none() && flow.remote == dest {
            endpoint.trunk_streams.live(endpoint, &self.trunk.name)
        } else {
            None
        };
        let opened = match shared {
            Some(flow) => Ok(flow),
            None => trunk_flow(endpoint, &self.trunk, dest).await,
        };
        match opened {
            Ok(flow) => {
                self.connection_error = None;
                self.dest = Some(flow.remote);
                self.follow_contact(local, &flow);
                self.flow = Some(flow.clone());
                Some(flow)
            }
            Err(why) => {
                tracing::debug!(trunk = %self.trunk.name, "{why}");
                self.connection_error = Some(why);
                self.resolve_soon = true;
                None
            }
        }
    }

    fn follow_contact(&mut self, local: &Local, flow: &Flow) {
        let (Some(registrar), Some(reg)) = (&mut self.registrar, &self.trunk.registration) else {
            return;
        };
        let contact = contact(&reg.username, local, flow);
        if registrar.contact() != contact
            && let Err(e) = registrar.set_contact(&contact)
        {
            tracing::warn!(trunk = %self.trunk.name, "{e}");
        }
    }

    fn start_machines(&mut self, local: &Local, flow: &Flow, now: Instant) -> Result<(), String> {
        if let Some(reg) = &self.trunk.registration {
            let contact = contact(&reg.username, local, flow);
            let ids = RegistrationIds {
                call_id: format!("{}@{}", token(20), local.domain),
                from_tag: token(10),
                cnonce: token(16),
                jitter_seed: Some(rand::random()),
            };
            let mut registrar = RegistrationConfig::for_trunk(&self.trunk, &contact, ids)
                .and_then(TrunkRegistrar::new)
                .map_err(|e| e.to_string())?;
            registrar.start(now);
            self.registrar = Some(registrar);
        }
        if self.trunk.options_interval > 0 {
            let config =
                HealthConfig::for_trunk(&self.trunk, &local.domain, &token(20), &token(10))
                    .map_err(|e| e.to_string())?;
            self.health = Some(HealthChecker::new(config, now));
        }
        Ok(())
    }

    /// A lookup failed earlier and it is time to try again.
    pub fn needs_prepare(&self, now: Instant) -> bool {
        self.retired_at.is_none() && self.resolve_at.is_some_and(|at| now >= at)
    }

    pub fn flow(&self) -> Option<&Flow> {
        self.flow.as_ref()
    }

    pub fn handle_response(&mut self, role: Role, now: Instant, resp: &Response) {
        match role {
            Role::Register => {
                if let Some(r) = &mut self.registrar {
                    r.handle_response(now, resp);
                }
            }
            Role::Options => {
                if let Some(h) = &mut self.health {
                    h.handle_response(now, resp);
                }
            }
        }
    }

    /// The request timed out (Timer F) or could not be sent: the provider may have moved.
    pub fn handle_failure(&mut self, role: Role, now: Instant) {
        self.resolve_soon = true;
        match role {
            Role::Register => {
                if let Some(r) = &mut self.registrar {
                    r.handle_failure(now);
                }
            }
            Role::Options => {
                if let Some(h) = &mut self.health {
                    h.handle_failure(now);
                }
            }
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(r) = &mut self.registrar {
            r.handle_timeout(now);
        }
        if let Some(h) = &mut self.health {
            h.handle_timeout(now);
        }
    }

    /// Whether there is something to send (then the driver gets a flow before polling, so
    /// that a REGISTER carries the Contact of the flow it goes on).
    pub fn has_requests(&mut self) -> bool {
        if self.options_out.is_none() {
            self.options_out = self.health.as_mut().and_then(HealthChecker::poll_request);
        }
        self.options_out.is_some()
            || self
                .registrar
                .as_ref()
                .is_some_and(TrunkRegistrar::has_request)
    }

    /// The requests to send now, each without its Via.
    pub fn poll_requests(&mut self) -> Vec<(Role, Request)> {
        let mut out = Vec::new();
        if let Some(req) = self
            .registrar
            .as_mut()
            .and_then(TrunkRegistrar::poll_request)
        {
            out.push((Role::Register, req));
        }
        let options = self
            .options_out
            .take()
            .or_else(|| self.health.as_mut().and_then(HealthChecker::poll_request));
        if let Some(req) = options {
            out.push((Role::Options, req));
        }
        out
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let times = [
            self.registrar
                .as_ref()
                .and_then(TrunkRegistrar::poll_timeout),
            self.health.as_ref().and_then(HealthChecker::poll_timeout),
            self.retired_at.map(|at| at + RETIRE_GUARD),
        ];
        times.into_iter().flatten().min()
    }

    /// The trunk was removed or changed: unregister if bound, stop checking.
    pub fn retire(&mut self, now: Instant) {
        if let Some(r) = &mut self.registrar {
            r.stop(now);
        }
        self.health = None;
        self.options_out = None;
        self.retired_at = Some(now);
    }

    /// A retired runner with nothing left to do.
    pub fn is_done(&self, now: Instant) -> bool {
        self.registrar.as_ref().is_none_or(TrunkRegistrar::is_idle)
            || self.retired_at.is_some_and(|at| now >= at + RETIRE_GUARD)
    }

    /// What to publish now. Health verdict changes are logged here, as they are drained.
    pub fn report(&mut self) -> Report {
        if let Some(h) = &mut self.health {
            while let Some(event) = h.poll_event() {
                match event {
                    HealthEvent::Up => tracing::info!(trunk = %self.trunk.name, "trunk reachable"),
                    HealthEvent::Down => {
                        tracing::warn!(trunk = %self.trunk.name, "trunk unreachable: OPTIONS unanswered")
                    }
                }
            }
        }
        let registration = self.registrar.as_ref().map(TrunkRegistrar::status);
        let reachability = self
            .health
            .as_ref()
            .map_or(Reachability::Unknown, HealthChecker::reachability);
        let current =
            if let Some(problem) = self.problem.as_ref().or(self.connection_error.as_ref()) {
                Some(problem.clone())
            } else if let Some(RegistrationStatus::Failed { reason, .. }) = &registration {
                Some(format!("registration: {reason}"))
            } else if reachability == Reachability::Down {
                Some(
                    match self.health.as_ref().and_then(HealthChecker::last_status) {
                        Some(status) => format!("OPTIONS answered {status}"),
                        None => "no answer to OPTIONS".to_owned(),
                    },
                )
            } else {
                None
            };
        // The last error stays after a recovery: admins want to know what happened.
        if current.is_some() {
            self.last_error = current;
        }
        Report {
            reachability,
            registration,
            last_error: self.last_error.clone(),
        }
    }
}

/// `<sip:user@address:port>`: where the provider sends calls for us. The port is our
/// listener's for the flow's transport; the address the configured public one, else the
/// listener's, else (a listener on every address) the local address of the flow. Without a
/// listener for that transport, only the connection we opened reaches us: its address.
fn contact(username: &str, local: &Local, flow: &Flow) -> String {
    let listener = local.listener(flow.transport);
    let port = listener.map_or(flow.local.port(), |l| l.port());
    let ip = local.public_ip.unwrap_or_else(|| {
        let ip = listener
            .map(|l| l.ip())
            .filter(|ip| !ip.is_unspecified())
            .unwrap_or(flow.local.ip());
        if ip.is_unspecified() {
            crate::endpoint::source_ip_towards(flow.remote).unwrap_or(ip)
        } else {
            ip
        }
    });
    let host = match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    };
    // Over TCP/TLS the provider is told so; it normally sends back over our connection.
    let transport = match flow.transport {
        Transport::Udp => String::new(),
        other => format!(";transport={}", other.as_str().to_ascii_lowercase()),
    };
    format!("<sip:{}@{host}:{port}{transport}>", escape_user(username))
}

#[cfg(test)]
#[path = "runner_tests.rs"]
mod tests;
