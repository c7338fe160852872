//! A call's task: from the caller's INVITE to the last BYE.

use std::sync::Arc;
use std::time::Duration;

use media::relay::Side;
use pbx::call::{Dialog, session_timer};
use pbx::{CallRecord, CallRecords, Disposition, Extension};
use sip::transaction::TransactionId;
use sip::{HeaderName, Message, Request, Response};

use super::bridged::MediaNeg;
use super::context::CallContext;
use super::events::CallEvent;
use super::inbound::{self, Inbound};
use super::leg::{self, Leg};
use super::nat;
use super::queue::{CallReceiver, CallSender, call_queue};
use super::record;
use super::sdp_memo::SdpMemo;
use crate::endpoint::Endpoint;
use crate::endpoint::transactions::Peer;
use crate::media::CallMedia;
use crate::random;
use crate::trunks::border::public_sent_by;

/// Starts the task for a new INVITE (no To tag) that passed validation.
pub fn spawn_call(
    ep: Arc<Endpoint>,
    ctx: Arc<CallContext>,
    id: TransactionId,
    invite: Request,
    peer: Peer,
) {
    let (tx, rx) = call_queue();
    // Before anything can be sent: a CANCEL must find the call.
    ep.calls().bind_transaction(id, &tx);
    // Boxed where it is made: a call's future is kilobytes, and spawning moves it by value
    // through several frames (each a memcpy of all of it) where a box moves a pointer.
    tokio::spawn(Box::pin(async move {
        let ep2 = ep.clone();
        run(ep, ctx, tx, rx, id, invite, peer).await;
        ep2.calls().forget_transaction(id);
    }));
}

/// Everything a call task holds.
pub(super) struct Call {
    pub ep: Arc<Endpoint>,
    pub ctx: Arc<CallContext>,
    pub tx: CallSender,
    pub rx: CallReceiver,
    pub handle: u64,
    pub record: CallRecord,
    /// The caller's INVITE server transaction and request.
    pub invite_id: TransactionId,
    pub invite: Request,
    pub caller: Extension,
    pub a: Leg,
    /// The callee's leg, once answered.
    pub b: Option<Leg>,
    pub media: Option<CallMedia>,
    /// The bridge's events, when the media task has some to give.
    pub media_events: Option<crate::media::MediaEvents>,
    /// Offer/answer state of a bridged call (WebRTC, SRTP, transcoding).
    pub neg: MediaNeg,
    /// The SDP body parsed last (see `sdp_memo`).
    pub(super) sdp_memo: SdpMemo,
    /// DTMF digits pressed during the call, by side (for the IVR to come).
    pub digits: Vec<(Side, char)>,
    /// Extensions whose call slot this call holds.
    pub slots: Vec<String>,
    /// Our sent-by towards the caller, e.g. "SIP/2.0/UDP 127.0.0.1:5060".
    pub a_sent_by: String,
    /// RFC 4028 interval agreed with the caller.
    pub session_interval: Option<u32>,
    /// Max-Forwards of the requests we originate for this call: the caller's, less one, so
    /// a forwarding loop (through trunks, another node) ends with 483.
    pub max_forwards: u8,
    /// Client transactions whose 2xx must be ACKed and hung up if they come late (forks
    /// we cancelled), with the dialog and peer to do it with.
    pub lost_forks: Vec<super::ring::Fork>,
    /// Dialog keys to forget at the end.
    pub dialogs: Vec<(String, String)>,
    /// The call came in on a trunk, for this DID.
    pub inbound: Option<Inbound>,
    /// Trunks whose channel this call holds (released at the end).
    pub trunk_channels: Vec<String>,
    /// Where this call's trunk legs (and forks) are: what we send there carries the public
    /// address (`sent_by`).
    pub trunk_peers: Vec<Peer>,
}

async fn run(
    ep: Arc<Endpoint>,
    ctx: Arc<CallContext>,
    tx: CallSender,
    rx: CallReceiver,
    id: TransactionId,
    invite: Request,
    peer: Peer,
) {
    // The admission steps below are boxed: they query the store, and futures of database
    // queries are several KiB that the task's own allocation would otherwise reserve for
    // the call's whole life, though each runs once at its start.
    // A trunk's INVITE carries no credentials: its source address is its authentication.
    let trunk = if invite.headers.contains(&HeaderName::ProxyAuthorization) {
        None
    } else {
        Box::pin(
            ep.calls()
                .trunk_sources()
                .identify(&ctx.store, peer.flow.remote.ip()),
        )
        .await
    };
    let (caller, inbound) = match trunk {
        Some(trunk) => match Box::pin(inbound::admit(&ctx, &trunk, &invite)).await {
            Ok((caller, did)) => (caller, Some(Inbound { trunk, did })),
            Err(resp) => {
                ep.call_respond(id, resp);
                return;
            }
        },
        None => match Box::pin(ctx.auth.authenticate(
            &invite,
            &ctx.store,
            crate::endpoint::now_unix(),
        ))
        .await
        {
            Ok(ext) => (ext, None),
            Err(resp) => {
                ep.call_respond(id, resp);
                return;
            }
        },
    };
    let trunk_peers = if inbound.is_some() {
        vec![peer.clone()]
    } else {
        Vec::new()
    };
    let mut a_sent_by = ep.via_for(&peer.flow);
    if inbound.is_some() || nat::beyond_the_nat(peer.dest.ip()) {
        a_sent_by = public_sent_by(&a_sent_by, ctx.public_ip);
    }
    let contact = leg::contact_for(&a_sent_by);
    let tag = random::token(16);
    let dialog = match Dialog::for_incoming(&invite, &tag, &contact) {
        Ok(d) => d,
        Err(e) => {
            tracing::debug!("call: INVITE headers unusable: {e}");
            ep.call_respond(id, Response::for_request(&invite, 400, "Bad Request"));
            return;
        }
    };
    let a = Leg::new(dialog, peer, Side::A, &caller.number);
    ep.calls().bind_dialog(&a.dialog.call_id, &tag, &tx);
    let a_call_id = a.dialog.call_id.clone();
    let call_uid = record::new_id(record::now_ms());
    let dialed = dialed_number(&invite);
    let handle = ep.calls().begin(&call_uid, &caller.number, &tx);
    let record = record::open(&call_uid, &a.dialog.call_id, &caller.number, &dialed);
    let mut call = Call {
        ep,
        ctx,
        tx,
        rx,
        handle,
        record,
        invite_id: id,
        invite,
        caller,
        a,
        b: None,
        media: None,
        media_events: None,
        neg: MediaNeg::default(),
        sdp_memo: SdpMemo::default(),
        digits: Vec::new(),
        slots: Vec::new(),
        a_sent_by,
        session_interval: None,
        max_forwards: 70,
        lost_forks: Vec::new(),
        dialogs: vec![(a_call_id, tag)],
        inbound,
        trunk_channels: Vec::new(),
        trunk_peers,
    };
    call.ctx.store.call_started(&call.record);
    // Boxed: the whole call's state machine is large, and most INVITEs that reach this task
    // are answered before it is needed (a refused credential, a 403).
    let (disposition, cause) = Box::pin(call.setup_and_run(&dialed)).await;
    call.finish(disposition, cause).await;
}

impl Call {
    /// Admission, routing, ringing and, if answered, the conversation. Returns how it ended.
    async fn setup_and_run(&mut self, dialed: &str) -> (Disposition, Option<u16>) {
        if let Some(trunk) = self.inbound.as_ref().map(|i| i.trunk.clone()) {
            // An outside caller has no call slot; the trunk's channel limit stands for it.
            if !self.ep.trunks.take_channel(&trunk.name, trunk.channels) {
                tracing::info!(trunk = %trunk.name, "trunk call refused: all channels in use");
                self.reject(503, "");
                return (Disposition::Failed, Some(503));
            }
            self.trunk_channels.push(trunk.name);
        } else {
            let caller = self.caller.number.clone();
            if !self
                .ep
                .calls()
                .try_take_slot(&caller, self.caller.features.max_calls)
            {
                tracing::info!(caller = %caller, "call refused: caller at its call limit");
                self.reject(403, "Call Limit Reached");
                return (Disposition::Failed, Some(403));
            }
            self.slots.push(caller);
        }
        match self.invite.max_forwards() {
            Ok(Some(0)) => {
                self.reject(483, "Too Many Hops");
                return (Disposition::Failed, Some(483));
            }
            Ok(Some(hops)) => self.max_forwards = hops - 1,
            _ => {}
        }
        match session_timer::ask(&self.invite) {
            session_timer::Ask::TooSmall => {
                let mut resp = Response::for_request(&self.invite, 422, "");
                resp.headers
                    .push(HeaderName::MinSe, session_timer::MIN_SE.to_string());
                self.respond_a_final(resp);
                return (Disposition::Failed, Some(422));
            }
            session_timer::Ask::Interval(s) => self.session_interval = Some(s),
            session_timer::Ask::None => {}
        }
        let offer = match self.offer_of_caller() {
            Ok(offer) => offer,
            Err(status) => {
                self.reject(status, "");
                return (Disposition::Failed, Some(status));
            }
        };
        let (offer, terms) = match self.trunk_policy(offer) {
            Ok(held) => held,
            Err(status) => {
                self.reject(status, "");
                return (Disposition::Failed, Some(status));
            }
        };
        match self.ctx.media.open_call() {
            Ok(mut m) => {
                self.media_events = m.take_events();
                self.media = Some(m);
            }
            Err(e) => {
                tracing::warn!("call: no media ports: {e}");
                self.reject(503, "No Media Ports");
                return (Disposition::Failed, Some(503));
            }
        }
        if let Some(sdp) = offer {
            self.neg = MediaNeg::new(&sdp, &self.sdp_memo);
            self.neg.a_trunk = terms;
            if !self.neg.bridged {
                self.learn_media(Side::A, &sdp);
            }
            self.a.remote_sdp = Some(sdp);
        }
        let placed = match self.inbound.clone() {
            Some(inbound) => self.place_inbound(&inbound).await,
            None => self.place(dialed).await,
        };
        match placed {
            super::setup::Placed::Answered(b, answer) => self.converse(b, answer).await,
            super::setup::Placed::Failed {
                status,
                disposition,
            } => {
                self.reject(status, "");
                (disposition, Some(status))
            }
            super::setup::Placed::Cancelled => {
                self.reject(487, "");
                (Disposition::Cancelled, Some(487))
            }
        }
    }

    /// The caller's SDP offer, if the INVITE has one: `Err(488)` when it is unusable.
    fn offer_of_caller(&self) -> Result<Option<String>, u16> {
        match leg::sdp_body(self.invite.content_type(), &self.invite.body) {
            None if !self.invite.body.is_empty() => Err(415),
            None => Ok(None),
            Some(sdp) if self.usable(&sdp) => Ok(Some(sdp)),
            Some(_) => Err(488),
        }
    }

    /// A final non-2xx answer to the caller's INVITE.
    pub fn reject(&mut self, status: u16, reason: &str) {
        let resp = self.a.dialog.response(&self.invite, status);
        let mut resp = resp;
        if !reason.is_empty() {
            resp.reason = reason.to_owned();
        }
        self.respond_a_final(resp);
    }

    fn respond_a_final(&mut self, mut resp: Response) {
        resp.headers.remove(&HeaderName::Contact);
        if resp.to_tag().is_none() {
            resp.set_to_tag(&self.a.dialog.local_tag).ok();
        }
        self.ep.call_respond(self.invite_id, resp);
    }

    /// Sends a request on a leg's flow in a client transaction owned by this call.
    pub fn send(&self, peer: &Peer, req: Request) -> Option<TransactionId> {
        self.ep.call_request(peer, req, &self.tx)
    }

    /// Sends an ACK (or any message) outside transactions.
    pub fn send_stateless(&self, peer: &Peer, msg: Message) {
        self.ep.call_stateless(peer, msg);
    }

    /// Waits for the next event; `None` when the deadline passes first.
    pub async fn next_event(
        &mut self,
        deadline: Option<tokio::time::Instant>,
    ) -> Option<CallEvent> {
        let (rx, media_events) = (&mut self.rx, &mut self.media_events);
        let media = async {
            match media_events.as_mut() {
                Some(events) => events.recv().await.map(|event| *event),
                None => std::future::pending().await,
            }
        };
        let next = async {
            tokio::select! {
                e = rx.recv() => e,
                Some(e) = media => Some(CallEvent::Media(e)),
            }
        };
        match deadline {
            Some(d) => tokio::time::timeout_at(d, next).await.ok().flatten(),
            None => next.await,
        }
    }

    /// Sent-by for requests towards `peer`: toward a trunk, the configured public address
    /// (behind NAT the provider must send its requests there, not to our private address).
    /// Contacts are made from it, so they follow.
    pub fn sent_by(&self, peer: &Peer) -> String {
        let local = self.ep.via_for(&peer.flow);
        if self.toward_trunk(peer) || nat::beyond_the_nat(peer.dest.ip()) {
            public_sent_by(&local, self.ctx.public_ip)
        } else {
            local
        }
    }

    /// Whether `peer` is one of this call's trunk peers (a reconnected stream counts).
    pub fn toward_trunk(&self, peer: &Peer) -> bool {
        self.trunk_peers
            .iter()
            .any(|p| p.dest == peer.dest && p.flow.transport == peer.flow.transport)
    }

    /// Takes `&mut self`, not `self`: a future owning the call would hold it twice over
    /// (argument and binding) in the call task's allocation, for the call's whole life.
    async fn finish(&mut self, disposition: Disposition, cause: Option<u16>) {
        let now = record::now_ms();
        self.record.end_ms = Some(now);
        self.record.disposition = disposition;
        self.record.sip_cause = cause;
        if let Some(m) = &self.media {
            self.record.leg_a = record::leg_stats(&m.stats(Side::A));
            self.record.leg_b = record::leg_stats(&m.stats(Side::B));
        }
        if let Some(m) = self.media.take() {
            m.close().await;
        }
        self.ctx.store.call_ended(&self.record);
        tracing::info!(
            call = %self.record.id,
            caller = %self.record.caller,
            callee = %self.record.callee,
            dialed = %self.record.dialed,
            disposition = %disposition,
            cause = ?cause,
            seconds = self.record.duration_secs(),
            "call ended"
        );
        for ext in &self.slots {
            self.ep.calls().release_slot(ext);
        }
        for trunk in &self.trunk_channels {
            self.ep.trunks.release_channel(trunk);
        }
        for (call_id, tag) in &self.dialogs {
            self.ep.calls().forget_dialog(call_id, tag);
        }
        self.ep.calls().end(self.handle);
    }

    pub fn keep_dialog(&mut self, call_id: &str, tag: &str) {
        self.ep.calls().bind_dialog(call_id, tag, &self.tx);
        self.dialogs.push((call_id.to_owned(), tag.to_owned()));
    }
}

/// The number the caller dialed: the Request-URI's user part (a tel: URI's number).
pub(super) fn dialed_number(invite: &Request) -> String {
    match &invite.uri {
        sip::Uri::Sip(u) => u
            .user_unescaped()
            .map(|u| u.into_owned())
            .unwrap_or_default(),
        sip::Uri::Tel(t) => t.number.clone(),
        sip::Uri::Other { .. } => String::new(),
    }
}

/// How long to wait for an ACK before giving up on a 2xx (RFC 3261 §13.3.1.4: 64*T1).
pub(super) const ACK_WAIT: Duration = Duration::from_secs(32);

#[cfg(test)]
mod tests {
    use super::*;

    /// The call task's allocation holds a `Call` for the call's whole life; a str0m session
    /// (~10 KiB) or a database query's future kept inline once made it 48 KiB a call.
    #[test]
    fn a_call_stays_small_inline() {
        let size = std::mem::size_of::<Call>();
        assert!(size < 8 * 1024, "Call is {size} bytes inline");
    }
}
