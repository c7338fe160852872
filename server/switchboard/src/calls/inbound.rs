//! Calls in from SIP trunks. The source address identified the trunk (no digest: providers
//! authenticate by address), the called number names one of the trunk's DIDs, and its
//! extensions ring together; when nobody takes the call (none registered, all busy, no
//! answer) it goes to the DID's failover: an extension, or an outside number through the
//! outbound routes (a mobile, another site). A number the trunk has no DID for is refused
//! 404, which tells the sender nothing it did not know. The trunk's offer is answered by
//! its media policy (`trunk_answer`: codec order, SRTP), and our Contact and SDP toward it
//! carry the public address.

use media::relay::Side;
use pbx::call::Failure;
use pbx::trunk::inbound::{called_numbers, did_for_trunk, uri_number};
use pbx::trunk::{Did, Trunk};
use pbx::{Binding, CallClass, Directory, Extension, Features};
use sip::{Request, Response};

use super::context::CallContext;
use super::ring::{Rang, RingRequest};
use super::setup::Placed;
use super::task::Call;

/// A call that came in on a trunk, for its DID.
#[derive(Debug, Clone)]
pub(super) struct Inbound {
    pub trunk: Trunk,
    pub did: Did,
}

/// The caller (an outside party, as an extension-shaped record: its number and name from
/// the From) and the DID, or the answer that refuses the call.
pub(super) async fn admit(
    ctx: &CallContext,
    trunk: &Trunk,
    invite: &Request,
) -> Result<(Extension, Did), Response> {
    let dids = ctx
        .store
        .cached_dids()
        .await
        .map_err(|_| Response::for_request(invite, 500, ""))?;
    let did = called_numbers(invite)
        .iter()
        .find_map(|n| did_for_trunk(n, &trunk.name, &dids))
        .cloned();
    let Some(did) = did else {
        tracing::info!(trunk = %trunk.name, numbers = ?called_numbers(invite), "trunk call refused: no such DID");
        return Err(Response::for_request(invite, 404, ""));
    };
    let from = invite.from_header().ok();
    let number = from
        .as_ref()
        .and_then(|f| uri_number(&f.uri))
        .filter(|n| n.len() <= 32)
        .unwrap_or_else(|| "anonymous".to_owned());
    let name = from.and_then(|f| f.display).unwrap_or_default();
    let caller = Extension {
        number,
        name,
        sip_secret: String::new(),
        // An outside caller dials nothing itself; forwards use the callee's class.
        features: Features {
            class: CallClass::Internal,
            ..Features::default()
        },
    };
    Ok((caller, did))
}

impl Call {
    /// Rings the DID's extensions together, then its failover.
    pub(super) async fn place_inbound(&mut self, inbound: &Inbound) -> Placed {
        let mut members = Vec::new();
        for number in &inbound.did.to {
            match self.ctx.store.extension(number).await {
                Ok(Some(ext)) => members.push(ext),
                Ok(None) => {
                    tracing::warn!(did = %inbound.did.number, extension = %number, "DID rings an unknown extension")
                }
                Err(_) => {}
            }
        }
        let (failure, status) = match self.ring_together(&members).await {
            Rang::Answered(leg, resp) => return Placed::Answered(leg, resp),
            Rang::Cancelled => return Placed::Cancelled,
            Rang::Failed(failure, status) => (failure, status),
        };
        let Some(target) = inbound.did.failover.clone() else {
            return Placed::Failed {
                status: failure.status_for_caller(),
                disposition: failure.disposition(),
            };
        };
        tracing::info!(did = %inbound.did.number, status, to = %target, "DID not answered: failover");
        match self.ctx.store.extension(&target).await {
            Ok(Some(_)) => self.place(&target).await,
            _ => self.place_outbound(&target, None).await,
        }
    }

    /// Rings every registered phone of `members` at once (one fork each); members on DND
    /// or at their call limit are left out. The one who answers keeps a call slot.
    async fn ring_together(&mut self, members: &[Extension]) -> Rang {
        let mut rung: Vec<&Extension> = Vec::new();
        let mut bindings: Vec<Binding> = Vec::new();
        let mut busy = false;
        for m in members {
            if m.features.dnd
                || !self
                    .ep
                    .calls()
                    .try_take_slot(&m.number, m.features.max_calls)
            {
                busy = true;
                continue;
            }
            let found = self.contacts_of(&m.number).await;
            if found.is_empty() {
                self.ep.calls().release_slot(&m.number);
                continue;
            }
            bindings.extend(found);
            rung.push(m);
        }
        let Some(first) = rung.first().copied() else {
            return if busy {
                Rang::Failed(Failure::Busy, 486)
            } else {
                Rang::Failed(Failure::NoAnswer, 480)
            };
        };
        self.record.callee = first.number.clone();
        let (from_number, from_name) = (self.caller.number.clone(), self.caller.name.clone());
        let offer = self.a.remote_sdp.clone();
        let outcome = self
            .ring(RingRequest {
                callee: first,
                bindings: bindings.clone(),
                from_number: &from_number,
                from_name: &from_name,
                offer,
                side: Side::B,
                relay_progress: true,
            })
            .await;
        let answered_by = match &outcome {
            Rang::Answered(leg, _) => bindings
                .iter()
                .find(|b| b.flow.remote == leg.peer.dest || b.flow == leg.peer.flow)
                .map(|b| b.aor.clone())
                .or_else(|| Some(first.number.clone())),
            _ => None,
        };
        for m in &rung {
            if answered_by.as_deref() == Some(m.number.as_str()) {
                self.slots.push(m.number.clone());
                self.record.callee = m.number.clone();
            } else {
                self.ep.calls().release_slot(&m.number);
            }
        }
        outcome
    }
}
