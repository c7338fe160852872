//! Ringing one extension: an INVITE to each of its registered contacts at once (parallel
//! fork). The first 2xx wins and is ACKed; the other forks are cancelled. Provisional answers
//! go on to the caller: 180, or 183 with early media, anchored like the rest on a relayed
//! call and through the bridge on a bridged one (`early`).

use std::time::Duration;

use media::relay::Side;
use media::sdp::Anchor;
use pbx::call::{Dialog, Failure, best_final};
use pbx::{Binding, Extension, Transport};
use sip::transaction::TransactionId;
use sip::{HeaderName, Message, Method, NameAddr, Request, Response, Uri};
use tokio::time::Instant;

use super::events::CallEvent;
use super::leg::{self, Leg};
use super::task::Call;
use crate::endpoint::transactions::Peer;
use crate::random;

/// Methods we accept in a call's dialogs (Allow of our INVITEs and answers).
pub(super) const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER, NOTIFY, INFO";

/// One INVITE of a fork.
pub(super) struct Fork {
    pub id: TransactionId,
    pub invite: Request,
    pub peer: Peer,
    pub dialog: Dialog,
    pub final_status: Option<u16>,
    /// The contact is a browser (a WebSocket flow): it was offered WebRTC.
    pub to_browser: bool,
    /// Our plain offer was refused and SRTP (SDES) offered instead.
    pub srtp_offered: bool,
}

/// How ringing ended.
pub(super) enum Rang {
    /// A contact answered: its leg (already ACKed unless the caller sent no offer) and the 2xx.
    Answered(Box<Leg>, Box<Response>),
    Failed(Failure, u16),
    /// The caller cancelled, or (during a transfer) hung up.
    Cancelled,
}

/// Who is calling whom, for the new leg's From and To.
pub(super) struct RingRequest<'a> {
    pub callee: &'a Extension,
    pub bindings: Vec<Binding>,
    pub from_number: &'a str,
    pub from_name: &'a str,
    /// The SDP to offer (the staying party's), or None for an offerless INVITE.
    pub offer: Option<String>,
    /// The relay side the new leg will use.
    pub side: Side,
    /// Relay provisional answers to the caller (not during a transfer).
    pub relay_progress: bool,
}

impl Call {
    /// Rings the request's contacts; early media that callees gave ends with the ringing
    /// unless one of them answered.
    pub(super) async fn ring(&mut self, r: RingRequest<'_>) -> Rang {
        let rang = self.ring_forks(r).await;
        if !matches!(rang, Rang::Answered(..)) {
            self.end_early_media();
        }
        rang
    }

    async fn ring_forks(&mut self, r: RingRequest<'_>) -> Rang {
        let call_id = random::token(24);
        let from_tag = random::token(16);
        let domain = self.ctx.domain.clone();
        let local = name_addr(r.from_name, r.from_number, &domain);
        let remote = name_addr("", &r.callee.number, &domain);
        let mut anchor = Anchor::new(rand::random());
        let mut forks = Vec::new();
        for binding in &r.bindings {
            let Ok(target) = Uri::parse(&binding.contact) else {
                tracing::debug!(contact = %binding.contact, "call: unusable contact skipped");
                continue;
            };
            let peer = Peer {
                flow: binding.flow.clone(),
                dest: binding.flow.remote,
            };
            let sent_by = self.sent_by(&peer);
            let contact = leg::contact_for(&sent_by);
            let mut dialog = Dialog::outgoing(
                &call_id,
                &from_tag,
                local.clone(),
                remote.clone(),
                target,
                &contact,
            );
            let mut invite = dialog.request(Method::Invite, &leg::via_value(&sent_by));
            invite
                .headers
                .set(HeaderName::MaxForwards, self.max_forwards.to_string());
            invite.headers.push(HeaderName::Allow, ALLOW);
            let to_browser = matches!(binding.flow.transport, Transport::Ws | Transport::Wss);
            if let Some(offer) = &r.offer {
                let sdp = match self.bridged_offer(r.side, to_browser, &sent_by) {
                    Some(sdp) => Some(sdp),
                    None => self.anchored_offer(&mut anchor, r.side, &sent_by, offer),
                };
                if let Some(sdp) = sdp {
                    leg::set_sdp(&mut invite.headers, &mut invite.body, &sdp);
                }
            }
            if let Some(id) = self.send(&peer, invite.clone()) {
                forks.push(Fork {
                    id,
                    invite,
                    peer,
                    dialog,
                    final_status: None,
                    to_browser,
                    srtp_offered: false,
                });
            }
        }
        if forks.is_empty() {
            tracing::debug!(callee = %r.callee.number, "no INVITE could be sent to the callee's contacts");
            return Rang::Failed(Failure::NoAnswer, 480);
        }
        self.keep_dialog(&call_id, &from_tag);
        self.ep.calls().update(self.handle, &r.callee.number, false);
        let deadline =
            Instant::now() + Duration::from_secs(u64::from(r.callee.features.ring_timeout.max(1)));
        let mut told_ringing = false;
        loop {
            let Some(event) = self.next_event(Some(deadline)).await else {
                tracing::debug!(callee = %r.callee.number, "call: no answer before the ring timeout");
                self.cancel_forks(forks);
                return Rang::Failed(Failure::NoAnswer, 480);
            };
            match event {
                CallEvent::Response { id, response } => {
                    let Some(i) = forks.iter().position(|f| f.id == id) else {
                        self.on_stray_response(id, response);
                        continue;
                    };
                    let status = response.status;
                    if status >= 300 {
                        self.early_callee_failed(&response);
                        if let Some(f) = forks.get_mut(i)
                            && !(status == 488 && self.offer_srtp(f, r.side))
                        {
                            f.final_status = Some(status);
                        }
                    } else if status >= 200 {
                        let fork = forks.remove(i);
                        self.cancel_forks(forks);
                        return self.answered(fork, response, anchor, &r);
                    } else if status > 100 {
                        let mut from_browser = false;
                        if let Some(f) = forks.get_mut(i) {
                            f.dialog.on_invite_response(&response);
                            from_browser = f.to_browser;
                        }
                        if r.relay_progress {
                            self.relay_progress_from(
                                &response,
                                &mut told_ringing,
                                r.side,
                                from_browser,
                            );
                        }
                    }
                }
                CallEvent::Failed { id } => {
                    if let Some(f) = forks.iter_mut().find(|f| f.id == id) {
                        f.final_status.get_or_insert(408);
                    }
                }
                CallEvent::Cancel | CallEvent::Shutdown => {
                    self.cancel_forks(forks);
                    return Rang::Cancelled;
                }
                CallEvent::Request { id, request, .. } => {
                    let hangup = request.method == Method::Bye;
                    let resp = Response::for_request(&request, if hangup { 200 } else { 491 }, "");
                    self.ep.call_respond(id, resp);
                    if hangup {
                        self.cancel_forks(forks);
                        return Rang::Cancelled;
                    }
                }
                CallEvent::Stray2xx { response } => self.hang_up_stray(&response),
                // Early media runs through the bridge: a caller's leg that fails while it
                // rings (DTLS, fingerprint, ICE never up) would stay silent once answered.
                // (During a transfer the call's own media carries on as before.)
                CallEvent::Media(event) if r.relay_progress => {
                    if self.on_bridge_event(event) {
                        self.cancel_forks(forks);
                        return Rang::Failed(Failure::Failed(488), 488);
                    }
                }
                CallEvent::Ack { .. } | CallEvent::Media(_) => {}
            }
            if forks.iter().all(|f| f.final_status.is_some()) {
                let statuses: Vec<u16> = forks.iter().filter_map(|f| f.final_status).collect();
                let best = best_final(&statuses).unwrap_or(480);
                return Rang::Failed(Failure::from_status(best), best);
            }
        }
    }

    /// A phone refused our plain offer (488): it may require SRTP. Offers it again once,
    /// as RTP/SAVP with an SDES key; the call is then bridged. True if the offer went out.
    fn offer_srtp(&mut self, fork: &mut Fork, side: Side) -> bool {
        if fork.to_browser || fork.srtp_offered || self.neg.a_offer.is_none() {
            return false;
        }
        let sent_by = self.sent_by(&fork.peer);
        let Some(sdp) = self.srtp_offer(side, &sent_by) else {
            return false;
        };
        let mut invite = fork
            .dialog
            .request(Method::Invite, &leg::via_value(&sent_by));
        invite
            .headers
            .set(HeaderName::MaxForwards, self.max_forwards.to_string());
        invite.headers.push(HeaderName::Allow, ALLOW);
        leg::set_sdp(&mut invite.headers, &mut invite.body, &sdp);
        let Some(id) = self.send(&fork.peer, invite.clone()) else {
            return false;
        };
        tracing::debug!(call = %self.record.id, "call: plain offer refused (488); offering SRTP");
        fork.id = id;
        fork.invite = invite;
        fork.srtp_offered = true;
        true
    }

    /// The winning fork: ACK its 2xx (unless the answer must wait for the caller's ACK:
    /// an offerless INVITE) and make it a leg.
    pub(super) fn answered(
        &mut self,
        fork: Fork,
        response: Response,
        anchor: Anchor,
        r: &RingRequest<'_>,
    ) -> Rang {
        let Fork {
            invite,
            peer,
            mut dialog,
            to_browser,
            ..
        } = fork;
        dialog.on_invite_response(&response);
        let mut leg = Leg::new(dialog, peer, r.side, &r.callee.number);
        leg.anchor = anchor;
        leg.invite_cseq = invite.cseq().map(|c| c.seq).unwrap_or(1);
        // Early media from this callee is already in the bridge: its 2xx changes nothing
        // unless it brings another session.
        let early = self.neg.early.take().filter(|e| e.same_dialog(&response));
        if let Some(sdp) = leg::sdp_body(response.content_type(), &response.body) {
            let callee_sent_by = self.sent_by(&leg.peer);
            if !self.neg.bridged && !to_browser {
                // Our offer was the caller's SDP anchored: a bridge that takes over must go
                // on with that o= line (RFC 3264 §8).
                self.neg
                    .continue_origin(r.side, leg.anchor.session_id(), leg.anchor.version());
            }
            let repeated = early.is_some_and(|e| e.repeated_by(&sdp));
            if !repeated && !self.on_callee_answer(r.side, to_browser, &sdp, &callee_sent_by) {
                self.learn_media(r.side, &sdp);
            }
            leg.remote_sdp = Some(sdp);
        } else if let Some(early) = early {
            leg.remote_sdp = Some(early.sdp);
        }
        if r.offer.is_some() {
            let sent_by = self.sent_by(&leg.peer);
            let ack = leg.ack(leg.invite_cseq, &sent_by);
            self.send_stateless(&leg.peer, Message::Request(ack.clone()));
            leg.last_ack = Some(ack);
        }
        Rang::Answered(Box::new(leg), Box::new(response))
    }

    /// A trunk's or a phone's provisional answer for the caller: see `relay_progress_from`.
    pub(super) fn relay_progress(
        &mut self,
        response: &Response,
        told_ringing: &mut bool,
        side: Side,
    ) {
        self.relay_progress_from(response, told_ringing, side, false);
    }

    /// 180 once, or 183 with the callee's early media: anchored for the caller when the
    /// call is relayed, through the bridge (`early`) when it is bridged. A browser callee's
    /// early SDP is not taken (its WebRTC session is set up by its 2xx).
    pub(super) fn relay_progress_from(
        &mut self,
        response: &Response,
        told_ringing: &mut bool,
        side: Side,
        from_browser: bool,
    ) {
        let sdp = leg::sdp_body(response.content_type(), &response.body);
        if self.neg.bridged {
            let ours = sdp
                .filter(|_| !from_browser)
                .and_then(|sdp| self.bridged_early_media(side, response, &sdp));
            if ours.is_none() && *told_ringing {
                return;
            }
            let mut progress = self.progress(ours.is_some());
            if let Some(ours) = ours {
                leg::set_sdp(&mut progress.headers, &mut progress.body, &ours);
            }
            *told_ringing = true;
            self.ep.call_respond(self.invite_id, progress);
            return;
        }
        let early_sdp = sdp.filter(|_| self.neg.webrtc_offer.is_none());
        if early_sdp.is_none() && *told_ringing {
            return;
        }
        let mut progress = self.progress(early_sdp.is_some());
        if let Some(sdp) = early_sdp {
            self.learn_media(side, &sdp);
            let sent_by = self.a_sent_by.clone();
            let mut anchor = std::mem::replace(&mut self.a.anchor, Anchor::new(rand::random()));
            // Early media only answers an offer the caller made.
            let ours = self
                .a
                .remote_sdp
                .is_some()
                .then(|| self.anchored(&mut anchor, Side::A, &sent_by, &sdp));
            if let Some(ours) = ours.flatten() {
                leg::set_sdp(&mut progress.headers, &mut progress.body, &ours);
            }
            self.a.anchor = anchor;
        }
        *told_ringing = true;
        self.ep.call_respond(self.invite_id, progress);
    }

    /// 183 (with early media) or 180 for the caller, with our Contact.
    fn progress(&self, early: bool) -> Response {
        let mut progress = self
            .a
            .dialog
            .response(&self.invite, if early { 183 } else { 180 });
        progress.headers.remove(&HeaderName::Contact);
        progress
            .headers
            .push(HeaderName::Contact, self.a.dialog.contact.as_str());
        progress
    }

    /// CANCELs every fork still ringing; all of them are remembered so that a 2xx racing
    /// the CANCEL is ACKed and hung up.
    pub(super) fn cancel_forks(&mut self, forks: Vec<Fork>) {
        for fork in forks {
            if fork.final_status.is_none()
                && let Ok(cancel) = sip::transaction::cancel_for(&fork.invite)
            {
                self.send(&fork.peer, cancel);
            }
            self.lost_forks.push(fork);
        }
    }

    /// A response for a transaction that is not the current business: a cancelled fork
    /// that answered 2xx anyway gets ACK and BYE.
    pub(super) fn on_stray_response(&mut self, id: TransactionId, response: Response) {
        if !(200..300).contains(&response.status) {
            return;
        }
        if let Some(i) = self.lost_forks.iter().position(|f| f.id == id) {
            let fork = self.lost_forks.swap_remove(i);
            let mut dialog = fork.dialog;
            dialog.on_invite_response(&response);
            let sent_by = self.sent_by(&fork.peer);
            let seq = fork.invite.cseq().map(|c| c.seq).unwrap_or(1);
            let ack = dialog.ack(seq, &leg::via_value(&sent_by));
            self.send_stateless(&fork.peer, Message::Request(ack));
            let bye = dialog.request(Method::Bye, &leg::via_value(&sent_by));
            self.send(&fork.peer, bye);
        }
    }

    /// A 2xx matching no transaction: re-ACK our answered leg (our ACK was lost), or hang up
    /// a late fork.
    pub(super) fn hang_up_stray(&mut self, response: &Response) {
        let call_id = response.call_id().unwrap_or_default().to_owned();
        if let Some(b) = &self.b
            && b.dialog.call_id == call_id
            && response.to_tag() == b.dialog.remote_tag
        {
            if let Some(ack) = &b.last_ack {
                self.send_stateless(&b.peer, Message::Request(ack.clone()));
            }
            return;
        }
        tracing::debug!("call: stray 2xx ignored");
    }
}

fn name_addr(display: &str, number: &str, domain: &str) -> NameAddr {
    let uri = Uri::parse(&format!("sip:{number}@{domain}"))
        .or_else(|_| Uri::parse(&format!("sip:anonymous@{domain}")))
        .unwrap_or_else(|_| Uri::Other {
            scheme: "sip".into(),
            rest: "anonymous@invalid".into(),
        });
    let mut addr = NameAddr::new(uri);
    if !display.trim().is_empty() {
        addr.display = Some(display.trim().to_owned());
    }
    addr
}
