//! Where a call goes: the dial plan's decision for the dialed number, then the callee's
//! features (forward always, do-not-disturb, call limit), ringing, and forwarding on busy or
//! no answer — each forward routed again with the forwarding extension's class of service.

use media::relay::Side;
use pbx::call::Failure;
use pbx::dialplan::{Caller, Decision, DialPlan, route};
use pbx::{CallClass, DialPlanSource, Directory, Disposition, Extension, Locations};

use super::leg::Leg;
use super::ring::{Rang, RingRequest};
use super::task::Call;

/// Forwards followed before a call is refused (a loop of forwards ends here).
const MAX_FORWARDS: usize = 5;

pub(super) enum Placed {
    Answered(Box<Leg>, Box<sip::Response>),
    Failed {
        status: u16,
        disposition: Disposition,
    },
    Cancelled,
}

enum Step {
    Done(Placed),
    Forward { from: Extension, to: String },
}

impl Call {
    pub(super) async fn place(&mut self, dialed: &str) -> Placed {
        let mut number = dialed.to_owned();
        let mut dialer = (self.caller.number.clone(), self.caller.features.class);
        for _ in 0..MAX_FORWARDS {
            let decision = match self.decide(&dialer.0, dialer.1, &number).await {
                Ok(d) => d,
                Err(status) => {
                    return Placed::Failed {
                        status,
                        disposition: Disposition::Failed,
                    };
                }
            };
            let step = match decision {
                Decision::Extension { number: target } => self.ring_extension(&target).await,
                Decision::Forbidden { class } => {
                    tracing::warn!(
                        caller = %dialer.0, dialed = %number, class = %class,
                        "call refused: {class} numbers are outside the caller's class of service"
                    );
                    Step::Done(failed(403))
                }
                // A rule sent it out (its class was checked); the outbound routes say how.
                Decision::Route { number, .. } => {
                    Step::Done(self.place_outbound(&number, None).await)
                }
                // Not ours: out through a trunk if a route matches, class of service first.
                Decision::NotFound => {
                    Step::Done(self.place_outbound(&number, Some(dialer.1)).await)
                }
                other => Step::Done(failed(other.status().unwrap_or(404))),
            };
            match step {
                Step::Done(placed) => return placed,
                Step::Forward { from, to } => {
                    tracing::info!(from = %from.number, to = %to, "call forwarded");
                    number = to;
                    dialer = (from.number, from.features.class);
                }
            }
        }
        tracing::warn!(dialed = %dialed, "call refused: too many forwards");
        failed(482)
    }

    /// The dial plan's decision for `dialer` (of class `class`) dialing `number`; a storage
    /// failure is a 500.
    pub(super) async fn decide(
        &self,
        dialer: &str,
        class: CallClass,
        number: &str,
    ) -> Result<Decision, u16> {
        let rules = self.ctx.store.rules().await.map_err(|e| {
            tracing::warn!("call: dial plan unavailable: {e}");
            500u16
        })?;
        let plan = DialPlan::compile(&rules);
        let dialed_is_extension = self
            .ctx
            .store
            .extension(number)
            .await
            .map_err(|_| 500u16)?
            .is_some();
        // Rule targets are checked when rung; only the dialed number needs an answer here.
        let is_extension = |n: &str| n != number || dialed_is_extension;
        Ok(route(
            &Caller {
                number: dialer,
                class,
            },
            number,
            &plan,
            &is_extension,
        ))
    }

    async fn ring_extension(&mut self, target: &str) -> Step {
        let callee = match self.ctx.store.extension(target).await {
            Ok(Some(e)) => e,
            Ok(None) => return Step::Done(failed(404)),
            Err(_) => return Step::Done(failed(500)),
        };
        self.record.callee = callee.number.clone();
        if let Some(to) = callee.features.forward_always.clone() {
            return Step::Forward { from: callee, to };
        }
        let outcome = self.ring_once(&callee).await;
        match outcome {
            Rang::Answered(leg, resp) => Step::Done(Placed::Answered(leg, resp)),
            Rang::Cancelled => Step::Done(Placed::Cancelled),
            Rang::Failed(failure, status) => {
                tracing::debug!(callee = %callee.number, status, "callee did not answer");
                let forward = match failure {
                    Failure::Busy => callee.features.forward_busy.clone(),
                    Failure::NoAnswer => callee.features.forward_noanswer.clone(),
                    _ => None,
                };
                match forward {
                    Some(to) => Step::Forward { from: callee, to },
                    None => Step::Done(Placed::Failed {
                        status: failure.status_for_caller(),
                        disposition: failure.disposition(),
                    }),
                }
            }
        }
    }

    /// Rings `callee` unless policy says busy; holds its call slot only if it answers.
    async fn ring_once(&mut self, callee: &Extension) -> Rang {
        if callee.features.dnd {
            return Rang::Failed(Failure::Busy, 486);
        }
        if !self
            .ep
            .calls()
            .try_take_slot(&callee.number, callee.features.max_calls)
        {
            tracing::info!(callee = %callee.number, "callee at its call limit: busy");
            return Rang::Failed(Failure::Busy, 486);
        }
        let bindings = self.contacts_of(&callee.number).await;
        let outcome = if bindings.is_empty() {
            tracing::debug!(callee = %callee.number, "callee has no registered contact");
            Rang::Failed(Failure::NoAnswer, 480)
        } else {
            let from_number = self.caller.number.clone();
            let from_name = self.caller.name.clone();
            let offer = self.a.remote_sdp.clone();
            self.ring(RingRequest {
                callee,
                bindings,
                from_number: &from_number,
                from_name: &from_name,
                offer,
                side: Side::B,
                relay_progress: true,
            })
            .await
        };
        if matches!(outcome, Rang::Answered(..)) {
            self.slots.push(callee.number.clone());
        } else {
            self.ep.calls().release_slot(&callee.number);
        }
        outcome
    }
}

pub(super) fn failed(status: u16) -> Placed {
    let disposition = match status {
        486 => Disposition::Busy,
        _ => Disposition::Failed,
    };
    Placed::Failed {
        status,
        disposition,
    }
}

impl Call {
    /// Where `number`'s phones are registered now (none when storage fails: unreachable).
    pub(super) async fn contacts_of(&self, number: &str) -> Vec<pbx::Binding> {
        self.ctx
            .store
            .lookup(number, crate::endpoint::now_unix())
            .await
            .unwrap_or_default()
    }
}
