//! The endpoint's side of calls: which call task a message belongs to (new INVITEs start
//! one, in-dialog requests, responses, ACKs and CANCELs go to theirs), and the few ways a
//! call task sends (answers, requests in client transactions, ACKs outside them).

use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Instant;

use pbx::{Flow, Transport};
use sip::transaction::TransactionId;
use sip::{HeaderName, Message, Method, Request, Response};

use super::transactions::Peer;
use super::{Deferred, Endpoint, dispatch, now_unix};
use crate::calls::router::CallSender;
use crate::calls::{CallContext, CallEvent, CallRouter};

impl Endpoint {
    /// Turns on calls: INVITEs start call tasks that use `context`.
    pub fn enable_calls(self: &Arc<Self>, context: CallContext) {
        self.me.set(Arc::downgrade(self)).ok();
        self.call_context.set(Arc::new(context)).ok();
    }

    pub fn calls(&self) -> &CallRouter {
        &self.calls
    }

    /// Answers a server transaction of a call.
    pub(crate) fn call_respond(&self, id: TransactionId, mut resp: Response) {
        pbx::tag::add_to_tag(&mut resp);
        self.add_server_header(&mut resp);
        let deferred = self.respond(id, resp);
        self.spawn_deferred(deferred);
    }

    /// Sends a call's request in a new client transaction whose events go to `owner`.
    pub(crate) fn call_request(
        &self,
        peer: &Peer,
        req: Request,
        owner: &CallSender,
    ) -> Option<TransactionId> {
        if peer.flow.transport.is_reliable() && peer.flow.connection.is_none() {
            tracing::debug!(remote = %peer.flow.remote, "call: no connection to send on");
            return None;
        }
        match self.transactions.request(Instant::now(), req, peer.clone()) {
            Ok((id, drained)) => {
                self.calls.bind_transaction(id, owner);
                let deferred = self.process(drained);
                self.spawn_deferred(deferred);
                Some(id)
            }
            Err(e) => {
                tracing::debug!("call: request refused by the transaction layer: {e}");
                None
            }
        }
    }

    /// Sends a call's message outside transactions (ACK for a 2xx).
    pub(crate) fn call_stateless(&self, peer: &Peer, message: Message) {
        let drained = self.transactions.stateless(message, peer.clone());
        let deferred = self.process(drained);
        self.spawn_deferred(deferred);
    }

    /// Registrar work that came up while handling a call's message.
    fn spawn_deferred(&self, deferred: Vec<Deferred>) {
        if deferred.is_empty() {
            return;
        }
        if let Some(me) = self.me.get().and_then(Weak::upgrade) {
            tokio::spawn(async move {
                for work in deferred {
                    me.complete(work).await;
                }
            });
        }
    }

    /// Starts a call for a new INVITE, if calls are on; gives the INVITE back if not.
    fn start_call(&self, id: TransactionId, request: Request, peer: &Peer) -> Option<Request> {
        let (Some(ctx), Some(me)) = (
            self.call_context.get(),
            self.me.get().and_then(Weak::upgrade),
        ) else {
            return Some(request);
        };
        crate::calls::spawn_call(me, ctx.clone(), id, request, peer.clone());
        None
    }

    /// Hands a message to the call it belongs to; false when no call has it.
    pub(super) fn to_call(&self, sender: Option<CallSender>, event: CallEvent) -> bool {
        sender.is_some_and(|s| s.send(event).is_ok())
    }

    /// Gives a request to the call it belongs to (in-dialog requests; a new INVITE starts
    /// one; a CANCEL also tells the cancelled call). Returns it when the ordinary answers
    /// apply.
    pub(super) fn offer_to_calls(
        &self,
        id: TransactionId,
        request: Request,
        peer: &Peer,
    ) -> Option<Request> {
        // What a trunk sends is size- and rate-limited before anything else is spent on it.
        let request = self.admit_from_trunk(id, request, peer)?;
        // The registrar's requests first: no call ever needs them, and this is their hot path.
        if matches!(
            request.method,
            Method::Register | Method::Options | Method::Ack
        ) || self.call_context.get().is_none()
            || sip::validate::check_request(&request).is_err()
        {
            return Some(request);
        }
        match request.method {
            Method::Cancel => {
                let owner = self
                    .transactions
                    .cancel_target(id)
                    .and_then(|invite| self.calls.transaction(invite));
                let Some(owner) = owner else {
                    return Some(request);
                };
                // The 200 for the CANCEL goes out before the call can answer its INVITE 487
                // (RFC 3261 §9.2 order; strict peers fail the call otherwise).
                self.call_respond(id, dispatch::reply(&request, 200, dispatch::ALLOW));
                self.to_call(Some(owner), CallEvent::Cancel);
                None
            }
            _ => match dialog_key(&request) {
                Some((call_id, tag)) => {
                    let Some(sender) = self.calls.dialog(&call_id, &tag) else {
                        return Some(request);
                    };
                    let event = CallEvent::Request {
                        id,
                        request,
                        peer: peer.clone(),
                    };
                    // A call that has just ended: the usual 481 applies.
                    match sender.send(event).map_err(|event| *event) {
                        Ok(()) => None,
                        Err(CallEvent::Request { request, .. }) => Some(request),
                        Err(_) => None,
                    }
                }
                None if request.method == Method::Invite => {
                    // Without credentials the answer is a challenge: no task, no lookup;
                    // except from a trunk, which authenticates by its address.
                    if let Some(ctx) = self.call_context.get()
                        && !request.headers.contains(&HeaderName::ProxyAuthorization)
                    {
                        let source = peer.flow.remote.ip();
                        match self.calls.trunk_sources().claims_now(source) {
                            Some(true) => return self.start_call(id, request, peer),
                            Some(false) => {
                                let challenge = ctx.auth.challenge(&request, now_unix());
                                self.call_respond(id, challenge);
                            }
                            None => self.check_source_later(id, request, peer, ctx.clone()),
                        }
                        return None;
                    }
                    self.start_call(id, request, peer)
                }
                None => Some(request),
            },
        }
    }

    /// An INVITE without credentials when the list of trunk sources is stale (at most once a
    /// second): refreshes it in a task, then starts the call or challenges.
    fn check_source_later(
        &self,
        id: TransactionId,
        request: Request,
        peer: &Peer,
        ctx: Arc<CallContext>,
    ) {
        let Some(me) = self.me.get().and_then(Weak::upgrade) else {
            return;
        };
        let peer = peer.clone();
        tokio::spawn(async move {
            let source = peer.flow.remote.ip();
            if me
                .calls
                .trunk_sources()
                .identify(&ctx.store, source)
                .await
                .is_some()
            {
                me.start_call(id, request, &peer);
            } else {
                let challenge = ctx.auth.challenge(&request, now_unix());
                me.call_respond(id, challenge);
            }
        });
    }

    /// A UDP flow from our SIP listener to `dest` (a trunk's provider): None without one.
    pub(crate) fn udp_flow_to(&self, dest: SocketAddr) -> Option<Flow> {
        let local = self.udp.as_ref()?.0.local_addr().ok()?;
        Some(Flow {
            transport: Transport::Udp,
            remote: dest,
            local,
            connection: None,
        })
    }

    /// Which call a 2xx matching no transaction belongs to: the dialog where our tag is the
    /// From tag.
    pub(super) fn stray_owner(&self, resp: &Response) -> Option<CallSender> {
        if !(200..300).contains(&resp.status) {
            return None;
        }
        let call_id = resp.call_id().ok()?;
        self.calls.dialog(call_id, resp.headers.from_tag()?)
    }
}

/// (Call-ID, To tag) of an in-dialog request: the key of the dialog on our side.
pub(super) fn dialog_key(req: &Request) -> Option<(String, String)> {
    let tag = req.headers.to_tag()?.to_owned();
    Some((req.call_id().ok()?.to_owned(), tag))
}
