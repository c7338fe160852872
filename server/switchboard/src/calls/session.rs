//! The answered call: both legs up, every in-dialog request of one leg re-originated on the
//! other (BYE, re-INVITE and UPDATE for hold and resume, INFO...), SDP anchored each time,
//! glare answered 491, a leg that stops answering or a session timer that lapses ends the
//! call with BYE on both sides.

use std::collections::HashMap;
use std::time::Duration;

use pbx::Disposition;
use pbx::call::session_timer;
use sip::transaction::TransactionId;
use sip::{HeaderName, Message, Method, Request, Response};
use tokio::time::Instant;

use super::events::CallEvent;
use super::leg::{self, Leg};
use super::record;
use super::ring::ALLOW;
use super::task::{ACK_WAIT, Call};

/// Which leg: 0 the caller's, 1 the callee's.
pub(super) type LegIx = usize;

/// A request of one leg re-originated on the other, waiting for its answer.
pub(super) struct Forwarded {
    pub from: LegIx,
    pub server_id: TransactionId,
    pub request: Request,
    /// The forwarded INVITE carried an offer (else the 2xx carries it and the answer comes
    /// in the ACK).
    pub with_offer: bool,
}

/// A 2xx to an INVITE we sent on a leg, retransmitted over UDP until its ACK.
pub(super) struct AckWait {
    pub leg: LegIx,
    pub server_id: TransactionId,
    pub response: Response,
    pub next: Instant,
    pub interval: Duration,
    pub until: Instant,
    /// When the ACK arrives, ACK the other leg's 2xx (CSeq) with the answer it carries.
    pub then_ack: Option<(LegIx, u32)>,
}

pub(super) struct Conversation {
    pub forwarded: HashMap<TransactionId, Forwarded>,
    pub ack_waits: Vec<AckWait>,
    pub session_deadline: Option<Instant>,
    /// Legs replaced by a transfer, kept until they hang up (or are hung up) at this time.
    pub retired: Vec<(Leg, Instant)>,
}

const T1: Duration = Duration::from_millis(500);
const T2: Duration = Duration::from_secs(4);

pub(super) enum FlowResult {
    Continue,
    End(Disposition, Option<u16>),
}

impl Call {
    pub(super) fn leg(&self, i: LegIx) -> &Leg {
        match (i, &self.b) {
            (1, Some(b)) => b,
            _ => &self.a,
        }
    }

    pub(super) fn leg_mut(&mut self, i: LegIx) -> &mut Leg {
        if i == 1
            && let Some(b) = self.b.as_mut()
        {
            return b;
        }
        &mut self.a
    }

    /// The caller hears the answer; then the conversation runs until it ends.
    pub(super) async fn converse(
        &mut self,
        b: Box<Leg>,
        answer: Box<sip::Response>,
    ) -> (Disposition, Option<u16>) {
        let late_offer = self.a.remote_sdp.is_none();
        self.b = Some(*b);
        self.record.answer_ms = Some(record::now_ms());
        self.record.disposition = Disposition::Answered;
        self.ep
            .calls()
            .update(self.handle, &self.record.callee, true);
        let mut conv = Conversation {
            forwarded: HashMap::new(),
            ack_waits: Vec::new(),
            session_deadline: None,
            retired: Vec::new(),
        };
        let mut ok = self.a.relay_response(&self.invite, &answer);
        ok.headers.push(HeaderName::Allow, ALLOW);
        if let Some(interval) = self.session_interval {
            ok.headers.push(
                HeaderName::SessionExpires,
                session_timer::session_expires_value(interval),
            );
            if session_timer::supported(&self.invite) {
                ok.headers.push(HeaderName::Require, "timer");
            }
            conv.session_deadline = Some(session_deadline(interval));
        }
        self.attach_sdp(0, &mut ok.headers, &mut ok.body);
        let then_ack = late_offer.then(|| (1, self.leg(1).invite_cseq));
        self.send_2xx(&mut conv, 0, self.invite_id, ok, then_ack);
        loop {
            let deadline = next_deadline(&conv);
            let event = self.next_event(deadline).await;
            let flow: FlowResult = match event {
                None => self.on_timers(&mut conv),
                Some(CallEvent::Request { id, request, .. }) => {
                    self.on_request(&mut conv, id, request).await
                }
                Some(CallEvent::Response { id, response }) => {
                    self.on_response(&mut conv, id, response)
                }
                Some(CallEvent::Ack { request }) => self.on_ack(&mut conv, request),
                Some(CallEvent::Failed { id }) => match conv.forwarded.remove(&id) {
                    Some(fwd) => {
                        let resp = self.leg(fwd.from).dialog.response(&fwd.request, 408);
                        self.ep.call_respond(fwd.server_id, resp);
                        tracing::info!(call = %self.record.id, "call: a leg stopped answering");
                        self.hang_up_both();
                        FlowResult::End(Disposition::Answered, Some(408))
                    }
                    None => FlowResult::Continue,
                },
                Some(CallEvent::Stray2xx { response }) => {
                    self.hang_up_stray(&response);
                    FlowResult::Continue
                }
                Some(CallEvent::Cancel) => FlowResult::Continue,
                Some(CallEvent::Media(event)) => {
                    if self.on_bridge_event(event) {
                        self.hang_up_both();
                        FlowResult::End(Disposition::Answered, Some(488))
                    } else {
                        FlowResult::Continue
                    }
                }
                Some(CallEvent::Shutdown) => {
                    self.hang_up_both();
                    FlowResult::End(Disposition::Answered, Some(200))
                }
            };
            if let FlowResult::End(d, cause) = flow {
                for (mut old, _) in conv.retired.drain(..) {
                    self.bye(&mut old);
                }
                return (d, cause);
            }
        }
    }

    /// The anchored SDP for leg `to`, made from the other leg's last SDP.
    fn attach_sdp(&mut self, to: LegIx, headers: &mut sip::Headers, body: &mut Vec<u8>) {
        if self.neg.bridged {
            if let Some(ours) = self.neg.local_sdp.get(to).cloned().flatten() {
                leg::set_sdp(headers, body, &ours);
            }
            return;
        }
        let Some(sdp) = self.leg(1 - to).remote_sdp.clone() else {
            return;
        };
        let side = self.leg(to).side;
        let sent_by = self.sent_by(&self.leg(to).peer);
        let mut anchor = std::mem::replace(
            &mut self.leg_mut(to).anchor,
            media::sdp::Anchor::new(rand::random()),
        );
        let ours = self.anchored(&mut anchor, side, &sent_by, &sdp);
        self.leg_mut(to).anchor = anchor;
        if let Some(ours) = ours {
            leg::set_sdp(headers, body, &ours);
        }
    }

    fn send_2xx(
        &mut self,
        conv: &mut Conversation,
        leg: LegIx,
        server_id: TransactionId,
        resp: Response,
        then_ack: Option<(LegIx, u32)>,
    ) {
        self.ep.call_respond(server_id, resp.clone());
        let now = Instant::now();
        conv.ack_waits.push(AckWait {
            leg,
            server_id,
            response: resp,
            next: now + T1,
            interval: T1,
            until: now + ACK_WAIT,
            then_ack,
        });
    }

    fn on_timers(&mut self, conv: &mut Conversation) -> FlowResult {
        let now = Instant::now();
        if conv.session_deadline.is_some_and(|d| d <= now) {
            tracing::info!(call = %self.record.id, "call: session timer expired without a refresh");
            self.hang_up_both();
            return FlowResult::End(Disposition::Answered, Some(408));
        }
        let mut lost_ack = false;
        let mut resend = Vec::new();
        for w in &mut conv.ack_waits {
            if w.until <= now {
                lost_ack = true;
            } else if w.next <= now {
                resend.push((w.server_id, w.response.clone(), w.leg));
                w.interval = (w.interval * 2).min(T2);
                w.next = now + w.interval;
            }
        }
        for (id, resp, leg) in resend {
            if !self.leg(leg).peer.flow.transport.is_reliable() {
                self.ep.call_respond(id, resp);
            }
        }
        if lost_ack {
            tracing::info!(call = %self.record.id, "call: no ACK for our 2xx");
            self.hang_up_both();
            return FlowResult::End(Disposition::Answered, Some(408));
        }
        let mut i = 0;
        while i < conv.retired.len() {
            if conv.retired.get(i).is_some_and(|(_, at)| *at <= now) {
                let (mut old, _) = conv.retired.swap_remove(i);
                self.bye(&mut old);
            } else {
                i += 1;
            }
        }
        FlowResult::Continue
    }

    fn which_leg(&self, req: &Request) -> Option<LegIx> {
        let call_id = req.call_id().ok()?;
        let tag = req.headers.to_tag()?.to_owned();
        (0..2).find(|&i| (i == 0 || self.b.is_some()) && self.leg(i).is(call_id, &tag))
    }

    async fn on_request(
        &mut self,
        conv: &mut Conversation,
        id: TransactionId,
        req: Request,
    ) -> FlowResult {
        let Some(from) = self.which_leg(&req) else {
            return self.on_retired_request(conv, id, &req);
        };
        let seq = req.cseq().map(|c| c.seq).unwrap_or(0);
        if !self.leg_mut(from).dialog.accept_remote_cseq(seq) {
            let resp = self.leg(from).dialog.response(&req, 500);
            self.ep.call_respond(id, resp);
            return FlowResult::Continue;
        }
        match req.method {
            Method::Bye => {
                let resp = self.leg(from).dialog.response(&req, 200);
                self.ep.call_respond(id, resp);
                self.bye_leg(1 - from);
                FlowResult::End(Disposition::Answered, Some(200))
            }
            Method::Refer => self.transfer(conv, from, id, req).await,
            Method::Invite
                if conv
                    .forwarded
                    .values()
                    .any(|f| f.request.method == Method::Invite)
                    || !conv.ack_waits.is_empty() =>
            {
                // Glare (RFC 3261 §14.2): an offer is already in flight.
                let resp = self.leg(from).dialog.response(&req, 491);
                self.ep.call_respond(id, resp);
                FlowResult::Continue
            }
            _ => {
                if matches!(req.method, Method::Invite | Method::Update)
                    && let Some(interval) = self.session_interval
                {
                    conv.session_deadline = Some(session_deadline(interval));
                }
                if self.neg.bridged && self.answer_here(conv, from, id, &req) {
                    return FlowResult::Continue;
                }
                self.forward(conv, from, id, req);
                FlowResult::Continue
            }
        }
    }

    /// In a bridged call, what concerns only one leg's media is answered here: a re-offer
    /// (hold, resume, a browser's ICE restart) and a DTMF digit sent by INFO. True if so.
    fn answer_here(
        &mut self,
        conv: &mut Conversation,
        from: LegIx,
        id: TransactionId,
        req: &Request,
    ) -> bool {
        let side = self.leg(from).side;
        let ct = req.content_type().unwrap_or_default();
        match req.method {
            Method::Invite | Method::Update => {
                let offer = leg::sdp_body(req.content_type(), &req.body);
                if offer.is_none() && req.method == Method::Update {
                    return false;
                }
                let resp = match self.answer_reoffer(side, offer.as_deref()) {
                    Some(sdp) => {
                        let mut resp = self.leg(from).dialog.response(req, 200);
                        leg::set_sdp(&mut resp.headers, &mut resp.body, &sdp);
                        resp
                    }
                    None => self.leg(from).dialog.response(req, 488),
                };
                if req.method == Method::Invite && resp.status == 200 {
                    let mut resp = resp;
                    resp.headers.push(HeaderName::Allow, ALLOW);
                    self.send_2xx(conv, from, id, resp, None);
                } else {
                    self.ep.call_respond(id, resp);
                }
                true
            }
            Method::Info if ct.trim().eq_ignore_ascii_case("application/dtmf-relay") => {
                let status = if self.relay_info_digit(side, &req.body) {
                    200
                } else {
                    400
                };
                let resp = self.leg(from).dialog.response(req, status);
                self.ep.call_respond(id, resp);
                true
            }
            _ => false,
        }
    }

    /// Re-originates `req` from leg `from` on the other leg.
    fn forward(&mut self, conv: &mut Conversation, from: LegIx, id: TransactionId, req: Request) {
        let other = 1 - from;
        let offer = leg::sdp_body(req.content_type(), &req.body);
        if let Some(sdp) = &offer {
            let side = self.leg(from).side;
            self.learn_media(side, sdp);
            self.leg_mut(from).remote_sdp = Some(sdp.clone());
        }
        let peer = self.leg(other).peer.clone();
        let sent_by = self.sent_by(&peer);
        let mut out = self.leg_mut(other).request(req.method.clone(), &sent_by);
        pbx::call::hiding::copy_end_to_end(&req.headers, &mut out.headers);
        if offer.is_some() {
            out.headers.remove(&HeaderName::ContentType);
            self.attach_sdp(other, &mut out.headers, &mut out.body);
        } else if !req.body.is_empty() {
            out.body = req.body.clone();
        }
        if req.method == Method::Invite {
            out.headers.push(HeaderName::Allow, ALLOW);
        }
        match self.send(&peer, out.clone()) {
            Some(client) => {
                conv.forwarded.insert(
                    client,
                    Forwarded {
                        from,
                        server_id: id,
                        request: req,
                        with_offer: offer.is_some(),
                    },
                );
                if out.method == Method::Invite {
                    self.leg_mut(other).invite_cseq = out.cseq().map(|c| c.seq).unwrap_or(0);
                }
            }
            None => {
                let resp = self.leg(from).dialog.response(&req, 503);
                self.ep.call_respond(id, resp);
            }
        }
    }

    fn on_response(
        &mut self,
        conv: &mut Conversation,
        id: TransactionId,
        resp: Response,
    ) -> FlowResult {
        if resp.status < 200 {
            return FlowResult::Continue;
        }
        let Some(fwd) = conv.forwarded.remove(&id) else {
            self.on_stray_response(id, resp);
            return FlowResult::Continue;
        };
        let other = 1 - fwd.from;
        let is_invite = fwd.request.method == Method::Invite;
        let sdp = leg::sdp_body(resp.content_type(), &resp.body);
        if let Some(sdp) = &sdp
            && resp.status < 300
        {
            let side = self.leg(other).side;
            self.learn_media(side, sdp);
            self.leg_mut(other).remote_sdp = Some(sdp.clone());
        }
        let mut out = self.leg(fwd.from).relay_response(&fwd.request, &resp);
        if sdp.is_some() && resp.status < 300 {
            out.headers.remove(&HeaderName::ContentType);
            self.attach_sdp(fwd.from, &mut out.headers, &mut out.body);
        } else if !resp.body.is_empty() && sdp.is_none() {
            out.body = resp.body.clone();
        }
        if is_invite && (200..300).contains(&resp.status) {
            let seq = self.leg(other).invite_cseq;
            self.leg_mut(other).dialog.on_invite_response(&resp);
            if fwd.with_offer {
                self.ack_leg(other, seq, None);
                self.send_2xx(conv, fwd.from, fwd.server_id, out, None);
            } else {
                self.send_2xx(conv, fwd.from, fwd.server_id, out, Some((other, seq)));
            }
            if let Some(interval) = self.session_interval {
                conv.session_deadline = Some(session_deadline(interval));
            }
            return FlowResult::Continue;
        }
        self.ep.call_respond(fwd.server_id, out);
        if matches!(resp.status, 408 | 481) {
            tracing::info!(call = %self.record.id, status = resp.status, "call: a leg lost its dialog");
            self.hang_up_both();
            return FlowResult::End(Disposition::Answered, Some(resp.status));
        }
        FlowResult::Continue
    }

    /// ACKs leg `i`'s 2xx (CSeq `seq`), with an answer when the offer was in that 2xx.
    fn ack_leg(&mut self, i: LegIx, seq: u32, answer_from_other: Option<String>) {
        let peer = self.leg(i).peer.clone();
        let sent_by = self.sent_by(&peer);
        let mut ack = self.leg(i).ack(seq, &sent_by);
        if answer_from_other.is_some() {
            self.attach_sdp(i, &mut ack.headers, &mut ack.body);
        }
        self.send_stateless(&peer, Message::Request(ack.clone()));
        self.leg_mut(i).last_ack = Some(ack);
    }

    fn on_ack(&mut self, conv: &mut Conversation, ack: Request) -> FlowResult {
        let Some(from) = self.which_leg(&ack) else {
            return FlowResult::Continue;
        };
        let Some(pos) = conv.ack_waits.iter().position(|w| w.leg == from) else {
            return FlowResult::Continue;
        };
        let wait = conv.ack_waits.swap_remove(pos);
        if let Some((other, seq)) = wait.then_ack {
            let answer = leg::sdp_body(ack.content_type(), &ack.body);
            if let Some(sdp) = &answer {
                let side = self.leg(from).side;
                self.learn_media(side, sdp);
                self.leg_mut(from).remote_sdp = Some(sdp.clone());
            }
            self.ack_leg(other, seq, answer);
        }
        FlowResult::Continue
    }

    /// A request from a leg a transfer replaced: its BYE is welcome, anything else is 481.
    fn on_retired_request(
        &mut self,
        conv: &mut Conversation,
        id: TransactionId,
        req: &Request,
    ) -> FlowResult {
        let call_id = req.call_id().unwrap_or_default().to_owned();
        let tag = req.headers.to_tag().unwrap_or_default().to_owned();
        if let Some(pos) = conv.retired.iter().position(|(l, _)| l.is(&call_id, &tag)) {
            let status = if req.method == Method::Bye { 200 } else { 481 };
            let resp = conv
                .retired
                .get(pos)
                .map(|(l, _)| l.dialog.response(req, status));
            if let Some(resp) = resp {
                self.ep.call_respond(id, resp);
            }
            if req.method == Method::Bye {
                conv.retired.swap_remove(pos);
            }
            return FlowResult::Continue;
        }
        self.ep
            .call_respond(id, Response::for_request(req, 481, ""));
        FlowResult::Continue
    }

    pub(super) fn hang_up_both(&mut self) {
        for i in 0..2 {
            if i == 1 && self.b.is_none() {
                continue;
            }
            self.bye_leg(i);
        }
    }

    /// Hangs up leg `i` of the call.
    fn bye_leg(&mut self, i: LegIx) {
        let peer = self.leg(i).peer.clone();
        let sent_by = self.sent_by(&peer);
        let bye = self.leg_mut(i).request(Method::Bye, &sent_by);
        self.send(&peer, bye);
    }

    /// Hangs up a leg that is no longer part of the call (replaced by a transfer).
    fn bye(&self, leg: &mut Leg) {
        let sent_by = self.sent_by(&leg.peer);
        let bye = leg.request(Method::Bye, &sent_by);
        self.send(&leg.peer, bye);
    }
}

fn session_deadline(interval: u32) -> Instant {
    Instant::now() + Duration::from_secs(u64::from(session_timer::teardown_after(interval)))
}

fn next_deadline(conv: &Conversation) -> Option<Instant> {
    conv.ack_waits
        .iter()
        .map(|w| w.next.min(w.until))
        .chain(conv.session_deadline)
        .chain(conv.retired.iter().map(|(_, at)| *at))
        .min()
}
