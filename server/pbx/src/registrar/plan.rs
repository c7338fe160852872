//! RFC 3261 §10.3 steps 6-7 as a pure function: from the bindings an AoR has and what a
//! REGISTER asks for, the changes to commit (all or nothing) and the bindings that result.

use sip::Uri;

use crate::binding::Binding;
use crate::flow::Flow;
use crate::ports::BindingChanges;

use super::contacts::{ContactSet, Wanted};
use super::expires::Granted;
use super::reject::Reject;

/// More bindings than this for one extension is an abuse, not a phone collection.
pub const MAX_BINDINGS_PER_AOR: usize = 32;

/// The request-wide facts each new binding records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestInfo<'a> {
    pub aor: &'a str,
    pub call_id: &'a str,
    pub cseq: u32,
    pub flow: &'a Flow,
    pub user_agent: Option<&'a str>,
    pub now_unix: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub changes: BindingChanges,
    /// The AoR's bindings once the changes are committed, ordered by contact.
    pub current: Vec<Binding>,
}

/// A request that is older than what the binding already reflects (same Call-ID, lower
/// CSeq): §10.3 step 7 says the update is aborted and the request fails; §10.3 step 8 names
/// 500 for a failed update.
fn out_of_order() -> Reject {
    Reject::new(500, "Out of Order Request")
}

pub(crate) fn plan(
    existing: &[Binding],
    set: ContactSet,
    info: RequestInfo<'_>,
) -> Result<Plan, Reject> {
    let mut current: Vec<Binding> = existing.to_vec();
    let mut changes = BindingChanges {
        aor: info.aor.to_owned(),
        ..BindingChanges::default()
    };
    match set {
        ContactSet::Query => {}
        ContactSet::RemoveAll => {
            for b in existing {
                // Step 6: remove a binding of the same Call-ID only for a higher CSeq.
                if b.call_id == info.call_id && info.cseq <= b.cseq {
                    return Err(out_of_order());
                }
                changes.remove.push(b.contact.clone());
            }
            current.clear();
        }
        ContactSet::Update(wanted) => {
            if wanted.len() > MAX_BINDINGS_PER_AOR {
                return Err(Reject::new(403, "Too Many Contacts"));
            }
            for w in wanted {
                update_one(&mut current, &mut changes, w, info)?;
            }
            evict_beyond_limit(&mut current, &mut changes, info)?;
        }
    }
    current.sort_by(|a, b| a.contact.cmp(&b.contact));
    Ok(Plan { changes, current })
}

/// Beyond the limit, the bindings of earlier requests that would expire first make room:
/// a browser that reloads leaves its last WebSocket binding behind (unreachable once that
/// connection closed), and the owner's newest registration must win over it.
fn evict_beyond_limit(
    current: &mut Vec<Binding>,
    changes: &mut BindingChanges,
    info: RequestInfo<'_>,
) -> Result<(), Reject> {
    while current.len() > MAX_BINDINGS_PER_AOR {
        let oldest = current
            .iter()
            .enumerate()
            .filter(|(_, b)| !(b.call_id == info.call_id && b.cseq == info.cseq))
            .min_by_key(|(_, b)| b.expires_at)
            .map(|(i, _)| i);
        let Some(i) = oldest else {
            return Err(Reject::new(403, "Too Many Contacts"));
        };
        let old = current.remove(i);
        changes.upsert.retain(|u| u.contact != old.contact);
        push_unique(&mut changes.remove, old.contact);
    }
    Ok(())
}

fn update_one(
    current: &mut Vec<Binding>,
    changes: &mut BindingChanges,
    w: Wanted,
    info: RequestInfo<'_>,
) -> Result<(), Reject> {
    let matches: Vec<usize> = current
        .iter()
        .enumerate()
        .filter(|(_, b)| same_binding(b, &w))
        .map(|(i, _)| i)
        .collect();
    for &i in &matches {
        let Some(b) = current.get(i) else { continue };
        if b.call_id == info.call_id {
            if info.cseq < b.cseq {
                return Err(out_of_order());
            }
            if info.cseq == b.cseq {
                // The same request again (a UDP retransmission that reached us without a
                // transaction layer, or a repeated Contact): it is already applied.
                return Ok(());
            }
        }
    }
    // Remove every binding this contact replaces (highest index first keeps indices valid).
    for &i in matches.iter().rev() {
        let old = current.remove(i);
        changes.upsert.retain(|u| u.contact != old.contact);
        push_unique(&mut changes.remove, old.contact);
    }
    if let Granted::For(secs) = w.granted {
        let binding = Binding {
            aor: info.aor.to_owned(),
            contact: w.text,
            instance: w.instance,
            reg_id: w.reg_id,
            q: w.q,
            call_id: info.call_id.to_owned(),
            cseq: info.cseq,
            expires_at: info.now_unix.saturating_add(u64::from(secs)),
            flow: info.flow.clone(),
            user_agent: info.user_agent.map(str::to_owned),
        };
        // Replacing a row by an upsert of the same key needs no delete.
        changes.remove.retain(|r| r != &binding.contact);
        changes.upsert.push(binding.clone());
        current.push(binding);
    }
    Ok(())
}

/// RFC 5626 §6: with an instance, the binding is (instance, reg-id) — a phone that comes back
/// from another address replaces its old binding; with an instance and no reg-id, the
/// instance alone (RFC 5627 §6). Otherwise, and in any case, an equivalent contact URI
/// (RFC 3261 §10.3 step 7 and §19.1.4).
fn same_binding(b: &Binding, w: &Wanted) -> bool {
    if w.instance.is_some() && b.instance == w.instance && b.reg_id == w.reg_id {
        return true;
    }
    b.contact == w.text || Uri::parse(&b.contact).is_ok_and(|u| u.equivalent(&w.uri))
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}
