//! The trunk driver: one task that follows the configured trunks (`store.cached_trunks()`,
//! re-read every second, so trunks added, changed or removed from the CLI or the portal take
//! effect without a restart), runs each trunk's registration and OPTIONS checks, sends their
//! requests through the endpoint's transaction layer, feeds responses and timeouts back, and
//! publishes each trunk's state: live on `endpoint.trunks` (routing, portal) and, on
//! changes, in the `trunk_status` table (`switchboard trunk list`).
//!
//! Every round (each event, and at least every second) it also lets each runner look at its
//! TCP/TLS connection (a closed one is replaced and registered over at once) and look its
//! provider's host up again when due (see `runner`). Lookups run here, in the driver's task,
//! never in the sans-IO machines.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sip::transaction::TransactionId;
use sip::{HeaderName, Request};

use super::link::LinkEvent;
use super::report::Report;
use super::resolver::{Resolver, SystemResolver};
use super::runner::{Local, Role, Runner};
use crate::endpoint::{Shared, now_unix};
use crate::random::token;
use crate::transport::shutdown::Shutdown;

/// How often the configured trunks are compared with the running ones.
const RELOAD: Duration = Duration::from_secs(1);

/// Runs until shutdown, then unregisters what is registered (without waiting for answers).
pub async fn run(endpoint: Shared, local: Local, shutdown: Shutdown) {
    run_with(endpoint, local, Arc::new(SystemResolver), shutdown).await;
}

/// `run` with the providers' host names looked up through `resolver`.
pub async fn run_with(
    endpoint: Shared,
    local: Local,
    resolver: Arc<dyn Resolver>,
    mut shutdown: Shutdown,
) {
    let Some(mut inbox) = endpoint.trunk_link.attach() else {
        tracing::warn!("trunks: a driver runs already");
        return;
    };
    // What the last run found is not true of this one.
    if let Err(e) = endpoint.store().clear_trunk_statuses().await {
        tracing::warn!("trunks: cannot clear the stored status: {e}");
    }
    let mut driver = Driver {
        endpoint,
        local,
        resolver,
        runners: HashMap::new(),
        retiring: Vec::new(),
        owners: HashMap::new(),
        next_key: 0,
        published: HashMap::new(),
        stored: HashMap::new(),
    };
    let mut reload = tokio::time::interval(RELOAD);
    reload.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let deadline = driver.next_deadline();
        tokio::select! {
            _ = reload.tick() => driver.reload().await,
            event = inbox.recv() => match event {
                Some(event) => driver.on_link(event),
                None => return,
            },
            () = sleep_until(deadline) => {}
            () = shutdown.wait() => {
                driver.retire_all();
                driver.drive().await;
                return;
            }
        }
        driver.drive().await;
    }
}

struct Driver {
    endpoint: Shared,
    local: Local,
    resolver: Arc<dyn Resolver>,
    /// By trunk name.
    runners: HashMap<String, Runner>,
    /// Removed or changed trunks still unregistering.
    retiring: Vec<Runner>,
    /// Our transactions under way: which runner and machine they belong to.
    owners: HashMap<TransactionId, (u64, Role)>,
    next_key: u64,
    /// What the board and the database were last told, by trunk name.
    published: HashMap<String, Report>,
    stored: HashMap<String, Report>,
}

impl Driver {
    async fn reload(&mut self) {
        let trunks = match self.endpoint.store().cached_trunks().await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("trunks: cannot read the configuration: {e}");
                return;
            }
        };
        let now = Instant::now();
        let gone: Vec<String> = self
            .runners
            .iter()
            .filter(|(name, r)| !trunks.iter().any(|t| &t.name == *name && *t == r.trunk))
            .map(|(name, _)| name.clone())
            .collect();
        for name in gone {
            if let Some(mut runner) = self.runners.remove(&name) {
                tracing::info!(trunk = %name, "trunk removed or changed: stopping it");
                runner.retire(now);
                self.retiring.push(runner);
            }
            self.published.remove(&name);
            self.stored.remove(&name);
        }
        for trunk in trunks.iter() {
            if self.runners.contains_key(&trunk.name) {
                continue;
            }
            self.next_key += 1;
            let mut runner = Runner::new(self.next_key, trunk.clone());
            runner
                .prepare(&self.endpoint, &self.local, self.resolver.as_ref(), now)
                .await;
            tracing::info!(trunk = %trunk.name, transport = %trunk.transport, "trunk started");
            self.runners.insert(trunk.name.clone(), runner);
        }
        for runner in self.runners.values_mut() {
            if runner.needs_prepare(now) {
                runner
                    .prepare(&self.endpoint, &self.local, self.resolver.as_ref(), now)
                    .await;
            }
        }
        let names: Vec<String> = trunks.iter().map(|t| t.name.clone()).collect();
        self.endpoint.trunks.retain(&names);
        self.endpoint.trunk_streams.retain(&self.endpoint, &names);
    }

    fn runner(&mut self, key: u64) -> Option<&mut Runner> {
        self.runners
            .values_mut()
            .chain(self.retiring.iter_mut())
            .find(|r| r.key == key)
    }

    fn on_link(&mut self, event: LinkEvent) {
        let now = Instant::now();
        match event {
            LinkEvent::Response { id, response } => {
                let Some(&(key, role)) = self.owners.get(&id) else {
                    return;
                };
                if response.status >= 200 {
                    self.owners.remove(&id);
                }
                if let Some(runner) = self.runner(key) {
                    runner.handle_response(role, now, &response);
                }
            }
            LinkEvent::Failed { id } => {
                if let Some((key, role)) = self.owners.remove(&id)
                    && let Some(runner) = self.runner(key)
                {
                    runner.handle_failure(role, now);
                }
            }
        }
    }

    fn retire_all(&mut self) {
        let now = Instant::now();
        for (_, mut runner) in self.runners.drain() {
            runner.retire(now);
            self.retiring.push(runner);
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.runners
            .values()
            .chain(self.retiring.iter())
            .filter_map(Runner::poll_timeout)
            .min()
    }

    /// Lets time pass in every machine, follows connections and addresses, sends what the
    /// machines ask for, publishes what changed.
    async fn drive(&mut self) {
        let now = Instant::now();
        for runner in self.runners.values_mut() {
            let mut void = runner.check_connection(&self.endpoint, now);
            if runner.needs_resolve(now) {
                void |= runner
                    .re_resolve(&self.local, self.resolver.as_ref(), now)
                    .await;
            }
            if void {
                let key = runner.key;
                self.owners
                    .retain(|_, (k, role)| *k != key || *role != Role::Register);
            }
        }
        // Lookups may have taken a while.
        let now = Instant::now();
        let mut outgoing = Vec::new();
        for runner in self.runners.values_mut().chain(self.retiring.iter_mut()) {
            runner.handle_timeout(now);
            if runner.flow().is_none() || !runner.has_requests() {
                continue;
            }
            // TCP/TLS: the connection is opened again here if it closed or moved.
            let Some(flow) = runner.current_flow(&self.endpoint, &self.local).await else {
                for (role, _) in runner.poll_requests() {
                    runner.handle_failure(role, now);
                }
                continue;
            };
            for (role, req) in runner.poll_requests() {
                outgoing.push((runner.key, flow.clone(), role, req));
            }
        }
        for (key, flow, role, req) in outgoing {
            self.send(key, &flow, role, req).await;
        }
        self.retiring.retain(|r| !r.is_done(now));
        self.publish(now).await;
    }

    async fn send(&mut self, key: u64, flow: &pbx::Flow, role: Role, mut req: Request) {
        let via = format!(
            "{};branch=z9hG4bK{};rport",
            self.endpoint.via_for(flow),
            token(16)
        );
        req.headers.push_front(HeaderName::Via, via);
        match self.endpoint.trunk_request(flow, req).await {
            Ok(id) => {
                self.owners.insert(id, (key, role));
            }
            Err(e) => {
                tracing::debug!(remote = %flow.remote, "trunk request not sent: {e}");
                if let Some(runner) = self.runner(key) {
                    runner.handle_failure(role, Instant::now());
                }
            }
        }
    }

    async fn publish(&mut self, now: Instant) {
        let unix = now_unix();
        let mut to_store = Vec::new();
        for (name, runner) in &mut self.runners {
            let report = runner.report();
            if self.published.get(name) != Some(&report) {
                log_change(name, self.published.get(name), &report);
                self.endpoint.trunks.update(name, |live| {
                    live.reachability = report.reachability;
                    live.registration = report.registration.clone();
                    live.last_error = report.last_error.clone();
                });
                self.published.insert(name.clone(), report.clone());
            }
            if self
                .stored
                .get(name)
                .is_none_or(|s| report.differs_for_storage(s))
            {
                to_store.push((name.clone(), report));
            }
        }
        for (name, report) in to_store {
            let status = report.to_status(&name, now, unix);
            match self.endpoint.store().set_trunk_status(&status).await {
                Ok(_) => {
                    self.stored.insert(name, report);
                }
                // Not remembered as stored: tried again on the next round.
                Err(e) => tracing::warn!(trunk = %name, "cannot store the trunk status: {e}"),
            }
        }
    }
}

fn log_change(name: &str, before: Option<&Report>, now: &Report) {
    use pbx::trunk::registration::RegistrationStatus as S;
    let was = before.and_then(|r| r.registration.as_ref());
    match (was, &now.registration) {
        (Some(S::Registered { .. }), Some(S::Registered { .. })) => {}
        (_, Some(S::Registered { .. })) => tracing::info!(trunk = %name, "trunk registered"),
        (_, Some(S::Failed { reason, .. })) => {
            tracing::warn!(trunk = %name, "trunk registration failed: {reason}")
        }
        _ => {}
    }
    if let Some(error) = &now.last_error
        && before.and_then(|r| r.last_error.as_ref()) != Some(error)
    {
        tracing::debug!(trunk = %name, "trunk error: {error}");
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
