//! The endpoint's session-border settings: the DSCP its SIP sockets carry (read by the
//! transport drivers when they open or accept a socket) and the size and rate limits on
//! requests from trunks' addresses (`trunks::limits`), applied where new requests enter
//! before any call task, lookup or registrar work is spent on them.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, Weak};
use std::time::Instant;

use sip::transaction::TransactionId;
use sip::{HeaderName, Method, Request, Response};

use super::Endpoint;
use super::transactions::Peer;
use crate::config::TrunkLimits;
use crate::transport::dscp;
use crate::trunks::limits::{TrunkGuard, Verdict};

pub(super) struct Border {
    sip_dscp: AtomicU8,
    guard: Mutex<TrunkGuard>,
    /// A refresh of the trunk source list is under way (at most one at a time).
    refreshing: AtomicBool,
}

impl Default for Border {
    fn default() -> Border {
        Border {
            sip_dscp: AtomicU8::new(24),
            guard: Mutex::new(TrunkGuard::default()),
            refreshing: AtomicBool::new(false),
        }
    }
}

impl Endpoint {
    /// Sets the configured SIP DSCP and trunk limits (before the transports start).
    pub fn set_border(&self, sip_dscp: u8, limits: TrunkLimits) {
        self.border.sip_dscp.store(sip_dscp, Ordering::Relaxed);
        if let Ok(mut g) = self.border.guard.lock() {
            *g = TrunkGuard::new(limits);
        }
    }

    /// The DSCP of SIP packets (`[sip] dscp`).
    pub fn sip_dscp(&self) -> u8 {
        self.border.sip_dscp.load(Ordering::Relaxed)
    }

    /// Marks a SIP socket or connection with the SIP DSCP (`what`: for the log).
    pub fn mark_sip_socket<S: std::os::fd::AsFd>(&self, socket: &S, what: &str) {
        dscp::mark_or_log(socket, self.sip_dscp(), what);
    }

    /// A new request from a trunk's address over its size or rate limit is answered here
    /// (513, or 503 with Retry-After) and gives None; anything else comes back. Requests
    /// from elsewhere are not limited here. The trunk list is the last snapshot, however
    /// old (refreshed in the background when stale): this check must never wait.
    pub(super) fn admit_from_trunk(
        &self,
        id: TransactionId,
        request: Request,
        peer: &Peer,
    ) -> Option<Request> {
        if request.method == Method::Ack {
            return Some(request);
        }
        let source = peer.flow.remote.ip();
        let (trunk, stale) = self.calls.trunk_sources().claims_cached(source);
        if stale {
            self.refresh_trunk_sources(source);
        }
        let Some(trunk) = trunk else {
            return Some(request);
        };
        let size = request.to_bytes().len();
        let verdict = match self.border.guard.lock() {
            Ok(mut g) => g.check(Instant::now(), &trunk, size),
            Err(_) => Verdict::Accept,
        };
        match verdict {
            Verdict::Accept => Some(request),
            Verdict::TooLarge => {
                tracing::warn!(%trunk, %source, size, method = %request.method, "request from a trunk too large: 513");
                self.call_respond(
                    id,
                    Response::for_request(&request, 513, "Message Too Large"),
                );
                None
            }
            Verdict::TooFast { retry_after } => {
                tracing::debug!(%trunk, %source, method = %request.method, "trunk over its request rate: 503");
                let mut resp = Response::for_request(&request, 503, "Service Unavailable");
                resp.headers
                    .push(HeaderName::RetryAfter, retry_after.to_string());
                self.call_respond(id, resp);
                None
            }
        }
    }

    fn refresh_trunk_sources(&self, source: IpAddr) {
        let Some(me) = self.me.get().and_then(Weak::upgrade) else {
            return;
        };
        if self.border.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        // Every caller runs on the runtime; a missing one only skips the refresh.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.border.refreshing.store(false, Ordering::Release);
            return;
        };
        runtime.spawn(async move {
            me.calls.trunk_sources().identify(&me.store, source).await;
            me.border.refreshing.store(false, Ordering::Release);
        });
    }
}
