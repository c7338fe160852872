//! One configured trunk at run time: where its provider is (resolved once, retried while it
//! does not resolve or, over TCP/TLS, cannot be connected to), its registration client and OPTIONS checker (the sans-IO machines of
//! `pbx::trunk`), and what to report about it. The driver feeds it time, responses and
//! failures and sends what it asks for.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use pbx::trunk::Trunk;
use pbx::trunk::TrunkTransport;
use pbx::trunk::health::{HealthChecker, HealthConfig, HealthEvent, Reachability};
use pbx::trunk::provider::{escape_user, parse_host};
use pbx::trunk::registration::{
    RegistrationConfig, RegistrationIds, RegistrationStatus, TrunkRegistrar,
};
use pbx::{Flow, Transport};
use sip::{Request, Response};

use super::report::Report;
use crate::endpoint::Shared;
use crate::random::token;
use crate::transport::outbound::trunk_flow;

/// A host that does not resolve is looked up again this often.
const RESOLVE_RETRY: Duration = Duration::from_secs(30);
/// A DNS lookup that takes longer is given up (and retried later).
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);
/// A removed or changed trunk's unregister gets this long to finish (twice Timer F).
const RETIRE_GUARD: Duration = Duration::from_secs(70);

/// What the server sends from: the UDP listener, and the address providers reach it at.
#[derive(Debug, Clone)]
pub struct Local {
    pub udp: Option<SocketAddr>,
    /// `[media] public_ip`: the address in our Contact when set.
    pub public_ip: Option<IpAddr>,
    pub domain: String,
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
    flow: Option<Flow>,
    registrar: Option<TrunkRegistrar>,
    health: Option<HealthChecker>,
    /// Why the trunk cannot be driven at all (its host, its first connection).
    problem: Option<String>,
    /// Why its TCP/TLS connection could not be opened again.
    connection_error: Option<String>,
    last_error: Option<String>,
    resolve_at: Option<Instant>,
    retired_at: Option<Instant>,
}

impl Runner {
    pub fn new(key: u64, trunk: Trunk) -> Runner {
        Runner {
            key,
            trunk,
            flow: None,
            registrar: None,
            health: None,
            problem: None,
            connection_error: None,
            last_error: None,
            resolve_at: None,
            retired_at: None,
        }
    }

    /// Resolves the provider, connects to it (TCP, TLS) and starts the machines; on a
    /// lookup or connection failure, notes it and tries again after `RESOLVE_RETRY` (see
    /// `needs_prepare`).
    pub async fn prepare(&mut self, endpoint: &Shared, local: &Local, now: Instant) {
        self.resolve_at = None;
        if self.trunk.transport == TrunkTransport::Udp && local.udp.is_none() {
            self.problem = Some("no SIP UDP listener to reach the provider from".to_owned());
            return;
        }
        // The provider's address in the family we send from (IPv4 without a UDP listener).
        let family = local
            .udp
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
        let dest = match resolve(&self.trunk, family).await {
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
        self.flow = Some(flow);
    }

    /// The flow to send over now: for TCP/TLS the trunk's connection, opened again if it
    /// closed since (its failure is reported as the trunk's error until one succeeds).
    pub async fn current_flow(&mut self, endpoint: &Shared) -> Option<Flow> {
        let flow = self.flow.clone()?;
        // A retired runner's unregister goes over the connection it had, or fails: opening
        // one would take the trunk's slot from its successor.
        if !flow.transport.is_reliable() || self.retired_at.is_some() {
            return Some(flow);
        }
        match trunk_flow(endpoint, &self.trunk, flow.remote).await {
            Ok(flow) => {
                self.connection_error = None;
                self.flow = Some(flow.clone());
                Some(flow)
            }
            Err(why) => {
                tracing::debug!(trunk = %self.trunk.name, "{why}");
                self.connection_error = Some(why);
                None
            }
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

    /// The request timed out (Timer F) or could not be sent.
    pub fn handle_failure(&mut self, role: Role, now: Instant) {
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
        if let Some(req) = self.health.as_mut().and_then(HealthChecker::poll_request) {
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

/// `<sip:user@address:port>`: where the provider sends calls for us. The configured public
/// address when there is one, else the listener's (or, for a listener on every address, the
/// local address that routes toward the provider).
fn contact(username: &str, local: &Local, flow: &Flow) -> String {
    let ip = local.public_ip.unwrap_or_else(|| {
        let ip = flow.local.ip();
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
    format!(
        "<sip:{}@{host}:{}{transport}>",
        escape_user(username),
        flow.local.port()
    )
}

/// The provider's address: the host as typed (a name is looked up), the trunk's port or the
/// one in the host text or the transport's default, in the listener's address family.
async fn resolve(trunk: &Trunk, udp: SocketAddr) -> Result<SocketAddr, String> {
    let (host, port_in_host) =
        parse_host(&trunk.host).map_err(|e| format!("bad provider host: {e}"))?;
    let port = trunk
        .port
        .or(port_in_host)
        .unwrap_or(trunk.transport.default_port());
    let name = host.to_string();
    let lookup = tokio::net::lookup_host((name.trim_matches(['[', ']']), port));
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(e)) => return Err(format!("cannot resolve {name}: {e}")),
        Err(_) => return Err(format!("cannot resolve {name}: timed out")),
    };
    addrs
        .iter()
        .find(|a| a.is_ipv4() == udp.is_ipv4())
        .copied()
        .ok_or_else(|| format!("{name} has no address reachable from {udp}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(local: &str, remote: &str) -> Flow {
        Flow {
            transport: Transport::Udp,
            remote: remote.parse().unwrap_or_else(|e| panic!("{e}")),
            local: local.parse().unwrap_or_else(|e| panic!("{e}")),
            connection: None,
        }
    }

    #[test]
    fn contacts_use_the_public_address_when_set() {
        let mut local = Local {
            udp: None,
            public_ip: None,
            domain: "pbx.example".into(),
        };
        let f = flow("127.0.0.1:5060", "127.0.0.1:5070");
        assert_eq!(contact("acme", &local, &f), "<sip:acme@127.0.0.1:5060>");
        local.public_ip = Some(IpAddr::from([198, 51, 100, 7]));
        assert_eq!(contact("a@b", &local, &f), "<sip:a%40b@198.51.100.7:5060>");
        local.public_ip = None;
        let any = flow("0.0.0.0:5080", "127.0.0.1:5070");
        assert_eq!(contact("acme", &local, &any), "<sip:acme@127.0.0.1:5080>");
    }
}
