//! Blind transfer (RFC 3515): leg X sends REFER naming a number; we accept (202), tell X how
//! it goes through NOTIFYs, ring the number for the party that stays, and on answer the new
//! leg takes X's place in the relay (the staying party's media keeps flowing to the same
//! port, so it needs no re-INVITE). X then hangs up, or is hung up a moment later.

use std::time::Duration;

use pbx::Directory;
use pbx::call::refer;
use pbx::dialplan::Decision;
use sip::transaction::TransactionId;
use sip::{HeaderName, Method, Request};
use tokio::time::Instant;

use super::leg::Leg;
use super::ring::{Rang, RingRequest};
use super::session::{Conversation, LegIx};
use super::task::Call;

/// What the transferor is told when the staying party hung up while the target rang.
const HUNG_UP_WHILE_RINGING: u16 = 487;

/// How long a transferor has to hang up after a successful transfer before we do.
const TRANSFEROR_GRACE: Duration = Duration::from_secs(2);

impl Call {
    pub(super) async fn transfer(
        &mut self,
        conv: &mut Conversation,
        from: LegIx,
        id: TransactionId,
        req: Request,
    ) -> super::session::FlowResult {
        let target = match refer::refer_target(&req) {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!("call: REFER refused: {e}");
                let resp = self.leg(from).dialog.response(&req, 400);
                self.ep.call_respond(id, resp);
                return super::session::FlowResult::Continue;
            }
        };
        let resp = self.leg(from).dialog.response(&req, 202);
        self.ep.call_respond(id, resp);
        self.notify(from, 100);
        let transferor = self.leg(from).party.clone();
        let stays = 1 - from;
        let status = match self.transfer_to(&transferor, &target, from, stays).await {
            Ok(new_leg) => {
                self.notify(from, 200);
                let old = std::mem::replace(self.leg_mut(from), *new_leg);
                conv.retired.push((old, Instant::now() + TRANSFEROR_GRACE));
                if from == 1 {
                    self.record.callee = self.leg(1).party.clone();
                }
                tracing::info!(call = %self.record.id, by = %transferor, to = %target, "call transferred");
                return super::session::FlowResult::Continue;
            }
            Err(status) => status,
        };
        tracing::info!(call = %self.record.id, by = %transferor, to = %target, status, "transfer failed");
        self.notify(from, status);
        if status == HUNG_UP_WHILE_RINGING {
            // The party that was to be transferred hung up meanwhile: nothing is left to connect.
            self.hang_up_both();
            return super::session::FlowResult::End(pbx::Disposition::Answered, Some(200));
        }
        super::session::FlowResult::Continue
    }

    async fn transfer_to(
        &mut self,
        transferor: &str,
        target: &str,
        replaced: LegIx,
        stays: LegIx,
    ) -> Result<Box<Leg>, u16> {
        let who = self.ctx.store.extension(transferor).await.ok().flatten();
        let class = who
            .as_ref()
            .map_or(pbx::CallClass::Internal, |e| e.features.class);
        let decision = self.decide(transferor, class, target).await?;
        let number = match decision {
            Decision::Extension { number } => number,
            other => return Err(other.status().unwrap_or(480)),
        };
        let callee = self
            .ctx
            .store
            .extension(&number)
            .await
            .ok()
            .flatten()
            .ok_or(404u16)?;
        let bindings = self.contacts_of(&callee.number).await;
        if bindings.is_empty() {
            return Err(480);
        }
        let staying = self.leg(stays);
        let from_number = staying.party.clone();
        let offer = staying.remote_sdp.clone();
        let side = self.leg(replaced).side;
        match self
            .ring(RingRequest {
                callee: &callee,
                bindings,
                from_number: &from_number,
                from_name: "",
                offer,
                side,
                relay_progress: false,
            })
            .await
        {
            Rang::Answered(leg, _) => Ok(leg),
            Rang::Failed(_, status) => Err(status),
            Rang::Cancelled => Err(HUNG_UP_WHILE_RINGING),
        }
    }

    /// NOTIFY leg `i` of the transfer's progress (message/sipfrag).
    fn notify(&mut self, i: LegIx, status: u16) {
        let peer = self.leg(i).peer.clone();
        let sent_by = self.sent_by(&peer);
        let mut notify = self.leg_mut(i).request(Method::Notify, &sent_by);
        notify.headers.push(HeaderName::Event, "refer");
        let state = if refer::is_final(status) {
            "terminated;reason=noresource"
        } else {
            "active;expires=60"
        };
        notify.headers.push(HeaderName::SubscriptionState, state);
        notify
            .headers
            .push(HeaderName::ContentType, "message/sipfrag;version=2.0");
        notify.body = refer::sipfrag(status).into_bytes();
        self.send(&peer, notify);
    }
}
