//! What is happening now: the status page's figures, registered contacts, calls up.

use portal::{BackendResult, LiveCall, Registration, Status};

use super::{PortalBackend, shown};
use crate::endpoint::now_unix;

pub(super) async fn status(backend: &PortalBackend) -> Status {
    let bindings = backend
        .store()
        .all_bindings(now_unix())
        .await
        .map(|b| b.len())
        .map_err(|e| e.to_string());
    Status {
        server: "Switchboard".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        domain: backend.domain.clone(),
        listeners: backend.listeners.clone(),
        bindings,
    }
}

pub(super) async fn registrations(backend: &PortalBackend) -> BackendResult<Vec<Registration>> {
    let now = now_unix();
    let bindings = backend.store().all_bindings(now).await.map_err(shown)?;
    Ok(bindings
        .into_iter()
        .map(|b| Registration {
            extension: b.aor,
            contact: b.contact,
            transport: b.flow.transport.as_str().to_ascii_lowercase(),
            remote: b.flow.remote.to_string(),
            user_agent: b.user_agent,
            expires_in: b.expires_at.saturating_sub(now),
        })
        .collect())
}

pub(super) fn active_calls(backend: &PortalBackend) -> Vec<LiveCall> {
    let mut calls: Vec<LiveCall> = backend
        .endpoint
        .calls()
        .active()
        .into_iter()
        .map(|c| LiveCall {
            id: c.id,
            caller: c.caller,
            callee: c.callee,
            answered: c.answered,
            started_ms: c.started_ms,
        })
        .collect();
    calls.sort_by_key(|c| c.started_ms);
    calls
}
