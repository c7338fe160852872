//! Calls out through SIP trunks: the outbound routes pick the trunks (skipping those down
//! or full), each is tried in turn with an INVITE of our own (topology hidden: nothing of
//! the caller's leg crosses), caller ID per the trunk, digest answered with the trunk's
//! account when the provider challenges, and the next trunk tried after a 5xx, 408, a
//! refused account or silence (`should_fail_over`). UDP trunks are reached from our SIP
//! listener, TCP and TLS trunks over a connection we open (`transport::outbound`); one we
//! cannot reach is skipped like a 503. Everything we send in the trunk's dialog carries the
//! configured public address in its Via and Contact (`Call::sent_by`), the SDP too.

use std::sync::Arc;
use std::time::Duration;

use media::relay::Side;
use media::sdp::Anchor;
use pbx::call::Dialog;
use pbx::dialplan::classify;
use pbx::trunk::Trunk;
use pbx::trunk::caller_id::{CallerId, CallerIdInput, caller_id, own_number, privacy_requested};
use pbx::trunk::provider::{escape_user, trunk_uri};
use pbx::trunk::routing::{TrunkState, plan_outbound, should_fail_over};
use pbx::{CallClass, Extension, Features};
use sip::digest::{Challenge, Credentials};
use sip::{HeaderName, Method, NameAddr, Request, Response, Uri};
use tokio::time::Instant;

use super::events::CallEvent;
use super::leg::{self, Leg};
use super::ring::{ALLOW, Fork, Rang, RingRequest};
use super::setup::{Placed, failed};
use super::task::Call;
use super::trunk_sources::lookup;
use crate::endpoint::transactions::Peer;
use crate::random;
use crate::trunks::border::normalize_toward_trunk;

/// How long a trunk call may ring (RFC 3261 Timer C is "more than 3 minutes").
const TRUNK_RING: Duration = Duration::from_secs(180);

/// How one trunk's attempt ended.
enum Attempt {
    Answered(Box<Leg>, Box<Response>),
    /// Try the next trunk (this status, or 408 for silence, is kept for the caller).
    FailOver(u16),
    /// The far end's answer: no other trunk would change it.
    Final(u16),
    Cancelled,
}

impl Call {
    /// Sends `number` out through the first outbound route that matches it. `class`: the
    /// dialer's class of service, checked against the number's class when a route matches
    /// (None: already checked by a dial-plan rule, or an admin's failover target). 404 when
    /// no route matches, 503 when none of its trunks can take the call.
    pub(super) async fn place_outbound(
        &mut self,
        number: &str,
        class: Option<CallClass>,
    ) -> Placed {
        let (routes, trunks) = match (
            self.ctx.store.cached_routes().await,
            self.ctx.store.cached_trunks().await,
        ) {
            (Ok(r), Ok(t)) => (r, t),
            _ => return failed(500),
        };
        let state = |name: &str| trunk_state(&self.ep.trunks, &trunks, name);
        let Some(plan) = plan_outbound(number, &routes, &state) else {
            return failed(404);
        };
        // An access code the route strips (`9` + the number) is not part of what is dialed:
        // `912125550199` is a national call, not a twelve-digit international one.
        let number_class = classify(&plan.dialed);
        if let Some(class) = class
            && !class.allows(number_class)
        {
            tracing::warn!(
                caller = %self.caller.number, dialed = %number, class = %number_class,
                "call refused: {number_class} numbers are outside the caller's class of service"
            );
            return failed(403);
        }
        if plan.candidates.is_empty() {
            tracing::info!(dialed = %number, route = plan.route_id, skipped = ?plan.skipped, "call refused: no trunk of the route can take it");
            return failed(503);
        }
        self.record.callee = number.to_owned();
        for candidate in plan.candidates {
            let Some(trunk) = trunks.iter().find(|t| t.name == candidate.trunk) else {
                continue;
            };
            if !self.ep.trunks.take_channel(&trunk.name, trunk.channels) {
                continue;
            }
            let attempt = self.try_trunk(trunk, &candidate.number).await;
            if !matches!(attempt, Attempt::Answered(..)) {
                self.ep.trunks.release_channel(&trunk.name);
            }
            match attempt {
                Attempt::Answered(leg, resp) => {
                    self.trunk_channels.push(trunk.name.clone());
                    return Placed::Answered(leg, resp);
                }
                Attempt::Cancelled => return Placed::Cancelled,
                Attempt::Final(status) => return failed(status),
                Attempt::FailOver(status) => {
                    tracing::info!(trunk = %trunk.name, status, "trunk failed the call: trying the next");
                }
            }
        }
        failed(503)
    }

    /// One INVITE to one trunk, and what came of it.
    async fn try_trunk(&mut self, trunk: &Trunk, number: &str) -> Attempt {
        let Some(dest) = lookup(trunk).await.into_iter().next() else {
            tracing::info!(trunk = %trunk.name, "trunk host does not resolve");
            return Attempt::FailOver(503);
        };
        let flow = match crate::transport::outbound::trunk_flow(&self.ep, trunk, dest).await {
            Ok(flow) => flow,
            Err(why) => {
                tracing::info!(trunk = %trunk.name, "cannot reach the trunk: {why}");
                return Attempt::FailOver(503);
            }
        };
        let peer = Peer { flow, dest };
        // Behind NAT the provider must see (and send in-dialog requests to) the public
        // address: on this INVITE and everything after it in the dialog.
        if !self.toward_trunk(&peer) {
            self.trunk_peers.push(peer.clone());
        }
        let sent_by = self.sent_by(&peer);
        let Some((target, cid)) = self.trunk_identity(trunk, number).await else {
            return Attempt::FailOver(503);
        };
        let call_id = random::token(24);
        let from_tag = random::token(16);
        let remote = NameAddr::new(target.clone());
        let mut dialog = Dialog::outgoing(
            &call_id,
            &from_tag,
            cid.from.clone(),
            remote,
            target,
            &leg::contact_for(&sent_by),
        );
        let offer = self.trunk_offer(trunk, &sent_by);
        let invite = self.trunk_invite(&mut dialog, &sent_by, &cid, offer.as_deref());
        let Some(id) = self.send(&peer, invite.clone()) else {
            return Attempt::FailOver(503);
        };
        self.keep_dialog(&call_id, &from_tag);
        self.ep.calls().update(self.handle, number, false);
        let mut fork = Fork {
            id,
            invite,
            peer,
            dialog,
            final_status: None,
            to_browser: false,
            srtp_offered: false,
        };
        let mut authenticated = false;
        let mut told_ringing = false;
        let deadline = Instant::now() + TRUNK_RING;
        loop {
            let Some(event) = self.next_event(Some(deadline)).await else {
                self.cancel_forks(vec![fork]);
                return Attempt::Final(480);
            };
            match event {
                CallEvent::Response { id, response } if id == fork.id => {
                    let status = response.status;
                    if matches!(status, 401 | 407) && !authenticated {
                        authenticated = true;
                        if self.answer_challenge(
                            trunk,
                            &mut fork,
                            &response,
                            &sent_by,
                            &cid,
                            offer.as_deref(),
                        ) {
                            continue;
                        }
                    }
                    if status >= 300 {
                        // Its early media, if it gave some, leaves the bridge: the caller's
                        // audio must not keep going to a provider that gave up.
                        self.early_callee_failed(&response);
                        return if should_fail_over(status) {
                            Attempt::FailOver(status)
                        } else {
                            Attempt::Final(status)
                        };
                    }
                    if status >= 200 {
                        return self.trunk_answered(trunk, fork, response, number, offer.is_some());
                    }
                    if status > 100 {
                        fork.dialog.on_invite_response(&response);
                        self.relay_progress(&response, &mut told_ringing, Side::B);
                    }
                }
                CallEvent::Response { id, response } => self.on_stray_response(id, response),
                CallEvent::Failed { id } if id == fork.id => {
                    self.end_early_media();
                    return Attempt::FailOver(408);
                }
                CallEvent::Cancel | CallEvent::Shutdown => {
                    self.cancel_forks(vec![fork]);
                    return Attempt::Cancelled;
                }
                // The caller's media failing while it rings (early media: DTLS, ICE) ends
                // the call, as it would once answered, rather than leave it silent.
                CallEvent::Media(event) => {
                    if self.on_bridge_event(event) {
                        self.cancel_forks(vec![fork]);
                        return Attempt::Final(488);
                    }
                }
                CallEvent::Request { id, request, .. } => {
                    let hangup = request.method == Method::Bye;
                    let resp = Response::for_request(&request, if hangup { 200 } else { 491 }, "");
                    self.ep.call_respond(id, resp);
                    if hangup {
                        self.cancel_forks(vec![fork]);
                        return Attempt::Cancelled;
                    }
                }
                CallEvent::Stray2xx { response } => self.hang_up_stray(&response),
                CallEvent::Failed { .. } | CallEvent::Ack { .. } => {}
            }
        }
    }

    /// The Request-URI (`sip:number@provider`) and the caller ID for a call out `trunk`.
    async fn trunk_identity(&self, trunk: &Trunk, number: &str) -> Option<(Uri, CallerId)> {
        let mut uri = trunk_uri(trunk).ok()?;
        uri.user = Some(escape_user(number));
        let dids = self.ctx.store.cached_dids().await.ok()?;
        let own = own_number(&self.caller.number, &trunk.name, &dids);
        let domain = uri.host.to_string();
        let cid = caller_id(&CallerIdInput {
            extension: &self.caller.number,
            display_name: Some(&self.caller.name),
            own_number: own,
            trunk_default: trunk.caller_id.as_deref(),
            privacy: privacy_requested(&self.invite),
            emergency: classify(number) == CallClass::Emergency,
            domain: &domain,
        })
        .ok()?;
        Some((Uri::Sip(uri), cid))
    }

    fn trunk_invite(
        &self,
        dialog: &mut Dialog,
        sent_by: &str,
        cid: &CallerId,
        offer: Option<&str>,
    ) -> Request {
        let mut invite = dialog.request(Method::Invite, &leg::via_value(sent_by));
        invite
            .headers
            .set(HeaderName::MaxForwards, self.max_forwards.to_string());
        invite.headers.push(HeaderName::Allow, ALLOW);
        cid.apply(&mut invite.headers);
        if let Some(sdp) = offer {
            leg::set_sdp(&mut invite.headers, &mut invite.body, sdp);
        }
        normalize_toward_trunk(&mut invite.headers);
        invite
    }

    /// The provider challenged our INVITE: sends it again (next CSeq) with credentials of
    /// the trunk's account. False when the trunk has no account or the challenge is unusable.
    fn answer_challenge(
        &mut self,
        trunk: &Trunk,
        fork: &mut Fork,
        response: &Response,
        sent_by: &str,
        cid: &CallerId,
        offer: Option<&str>,
    ) -> bool {
        let Some(account) = &trunk.registration else {
            return false;
        };
        let (ask, give) = if response.status == 401 {
            (HeaderName::WwwAuthenticate, HeaderName::Authorization)
        } else {
            (
                HeaderName::ProxyAuthenticate,
                HeaderName::ProxyAuthorization,
            )
        };
        let Some(challenge) = response
            .headers
            .get(&ask)
            .and_then(|h| Challenge::parse(h).ok())
        else {
            return false;
        };
        let credentials = Credentials::answer(
            &challenge,
            &account.username,
            &account.password,
            "INVITE",
            &fork.invite.uri.to_string(),
            &random::token(16),
            1,
        );
        let mut invite = self.trunk_invite(&mut fork.dialog, sent_by, cid, offer);
        invite.headers.push(give, credentials.to_string());
        let Some(id) = self.send(&fork.peer, invite.clone()) else {
            return false;
        };
        fork.id = id;
        fork.invite = invite;
        true
    }

    /// The trunk answered 2xx: the leg is ours, unless SRTP is required and the answer
    /// has none (then the leg is ACKed and hung up: 488 for the caller).
    fn trunk_answered(
        &mut self,
        trunk: &Trunk,
        fork: Fork,
        response: Response,
        number: &str,
        offered: bool,
    ) -> Attempt {
        if self.neg.b_key.is_some() && !super::trunk_media::answer_has_key(&response) {
            if trunk.srtp == pbx::trunk::SrtpPolicy::Require {
                tracing::info!(trunk = %trunk.name, "trunk answered without SRTP, which it requires");
                let id = fork.id;
                self.lost_forks.push(fork);
                self.on_stray_response(id, response);
                return Attempt::Final(488);
            }
            // Offered, declined: plain RTP on this leg.
            self.neg.b_key = None;
        }
        let party = Extension {
            number: number.to_owned(),
            name: String::new(),
            sip_secret: String::new(),
            features: Features::default(),
        };
        let caller = self.caller.number.clone();
        let r = RingRequest {
            callee: &party,
            bindings: Vec::new(),
            from_number: &caller,
            from_name: "",
            offer: offered.then(String::new),
            side: Side::B,
            relay_progress: true,
        };
        match self.answered(fork, response, Anchor::new(rand::random()), &r) {
            Rang::Answered(leg, resp) => Attempt::Answered(leg, resp),
            _ => Attempt::Final(500),
        }
    }
}

/// A trunk's state for routing: the board's view, a trunk it does not know yet counted as
/// up and idle.
fn trunk_state(
    board: &crate::trunks::TrunkBoard,
    trunks: &Arc<Vec<Trunk>>,
    name: &str,
) -> Option<TrunkState> {
    let trunk = trunks.iter().find(|t| t.name == name)?;
    let state = board.state(name, trunk.channels).unwrap_or(TrunkState {
        up: true,
        calls: 0,
        channels: trunk.channels,
    });
    Some(state)
}
