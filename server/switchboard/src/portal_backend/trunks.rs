//! Trunks, company numbers (DIDs) and outbound routes as admins edit them from the portal:
//! the store's checks (the same as the CLI's), one store write per change, and each trunk's
//! live state from the trunk board. A trunk's password goes into the store and never back
//! out to the portal.

use std::time::Instant;

use pbx::trunk::health::Reachability;
use pbx::trunk::registration::RegistrationStatus;
use pbx::trunk::{Did, OutboundRoute, Trunk};
use portal::{
    BackendError, BackendResult, NewRoute, TrunkInfo, TrunkRegistrationState, TrunkStatus,
};
use store::{DidUpdate, RouteUpdate};

use super::{PortalBackend, shown};
use crate::trunks::TrunkLive;

fn status(live: Option<TrunkLive>, now: Instant) -> TrunkStatus {
    let Some(live) = live else {
        // The driver has not reported on it yet.
        return TrunkStatus::default();
    };
    let registration = live.registration.map(|r| match r {
        RegistrationStatus::Registered { until } => TrunkRegistrationState::Registered {
            expires_in: until.saturating_duration_since(now).as_secs(),
        },
        RegistrationStatus::Registering => TrunkRegistrationState::Registering,
        RegistrationStatus::Failed { reason, retry_at } => TrunkRegistrationState::Failed {
            reason: reason.to_string(),
            retry_in: retry_at.saturating_duration_since(now).as_secs(),
        },
        RegistrationStatus::Off => TrunkRegistrationState::Off,
    });
    TrunkStatus {
        registration,
        reachable: match live.reachability {
            Reachability::Unknown => None,
            Reachability::Up => Some(true),
            Reachability::Down => Some(false),
        },
        last_error: live.last_error,
        calls: live.calls,
    }
}

fn info(backend: &PortalBackend, mut trunk: Trunk, now: Instant) -> TrunkInfo {
    if let Some(reg) = trunk.registration.as_mut() {
        reg.password.clear();
    }
    let status = status(backend.endpoint.trunks.live(&trunk.name), now);
    TrunkInfo { trunk, status }
}

pub(super) async fn trunks(backend: &PortalBackend) -> BackendResult<Vec<TrunkInfo>> {
    let list = backend.store().list_trunks().await.map_err(shown)?;
    let now = Instant::now();
    Ok(list.into_iter().map(|t| info(backend, t, now)).collect())
}

pub(super) async fn trunk(backend: &PortalBackend, name: &str) -> BackendResult<Option<TrunkInfo>> {
    let found = backend.store().get_trunk(name).await.map_err(shown)?;
    Ok(found.map(|t| info(backend, t, Instant::now())))
}

pub(super) async fn add_trunk(backend: &PortalBackend, trunk: Trunk) -> BackendResult<()> {
    backend
        .store()
        .add_trunk(&trunk)
        .await
        .map(|_| ())
        .map_err(shown)
}

/// An empty password keeps the stored one: the edit form cannot show it to be sent back.
pub(super) async fn update_trunk(backend: &PortalBackend, mut trunk: Trunk) -> BackendResult<()> {
    let store = backend.store();
    let Some(current) = store.get_trunk(&trunk.name).await.map_err(shown)? else {
        return Err(BackendError::NotFound);
    };
    if let (Some(new), Some(old)) = (trunk.registration.as_mut(), current.registration)
        && new.password.is_empty()
    {
        new.password = old.password;
    }
    match store.update_trunk(&trunk).await.map_err(shown)? {
        true => Ok(()),
        false => Err(BackendError::NotFound),
    }
}

pub(super) async fn add_route(backend: &PortalBackend, route: NewRoute) -> BackendResult<i64> {
    backend
        .store()
        .add_route(
            &route.pattern,
            &route.trunks,
            route.strip,
            &route.prepend,
            route.position,
        )
        .await
        .map_err(shown)
}

/// The portal's edit replaces every field: the store's update with all of them given.
pub(super) async fn update_did(backend: &PortalBackend, did: Did) -> BackendResult<()> {
    let change = DidUpdate {
        trunk: Some(did.trunk),
        to: Some(did.to),
        failover: Some(did.failover),
    };
    match backend.store().update_did(&did.number, &change).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(BackendError::NotFound),
        Err(e) => Err(shown(e)),
    }
}

/// As `update_did`: every field of the route given.
pub(super) async fn update_route(
    backend: &PortalBackend,
    route: OutboundRoute,
) -> BackendResult<()> {
    let change = RouteUpdate {
        pattern: Some(route.pattern),
        trunks: Some(route.trunks),
        strip: Some(route.strip),
        prepend: Some(route.prepend),
        position: Some(route.position),
    };
    match backend.store().update_route(route.id, &change).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(BackendError::NotFound),
        Err(e) => Err(shown(e)),
    }
}
