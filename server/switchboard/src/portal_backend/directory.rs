//! Extensions and the dial plan as admins edit them from the portal: the same checks as the
//! CLI (`switchboard extension …`, `switchboard dialplan …`), one store write per change.

use pbx::Extension;
use portal::{
    BackendError, BackendResult, ExtensionInfo, ExtensionUpdate, NewRule, SipCredentials,
};
use store::FeaturesUpdate;

use super::{PortalBackend, shown};
use crate::cli::check_number;

/// Longest display name: it ends up in From headers and on phone screens.
const MAX_NAME: usize = 64;

fn info(e: Extension) -> ExtensionInfo {
    ExtensionInfo {
        number: e.number,
        name: e.name,
        features: e.features,
    }
}

fn check_name(name: &str) -> BackendResult<()> {
    if name.chars().count() > MAX_NAME {
        return Err(BackendError::Invalid(format!(
            "name: at most {MAX_NAME} characters"
        )));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(BackendError::Invalid(
            "name: no control characters (line breaks, tabs)".into(),
        ));
    }
    Ok(())
}

pub(super) async fn extensions(backend: &PortalBackend) -> BackendResult<Vec<ExtensionInfo>> {
    let list = backend.store().list_extensions().await.map_err(shown)?;
    Ok(list.into_iter().map(info).collect())
}

pub(super) async fn extension(
    backend: &PortalBackend,
    number: &str,
) -> BackendResult<Option<ExtensionInfo>> {
    let found = backend.store().get_extension(number).await.map_err(shown)?;
    Ok(found.map(info))
}

pub(super) async fn create_extension(
    backend: &PortalBackend,
    number: String,
    name: String,
) -> BackendResult<String> {
    check_number(&number).map_err(BackendError::Invalid)?;
    let name = name.trim();
    check_name(name)?;
    let secret = crate::random::secret();
    backend
        .store()
        .add_extension(&number, name, &secret)
        .await
        .map_err(shown)?;
    Ok(secret)
}

pub(super) async fn update_extension(
    backend: &PortalBackend,
    number: String,
    update: ExtensionUpdate,
) -> BackendResult<ExtensionInfo> {
    let name = update.name.as_deref().map(str::trim);
    if let Some(name) = name {
        check_name(name)?;
    }
    let features = FeaturesUpdate {
        class: update.class,
        forward_always: update.forward_always,
        forward_busy: update.forward_busy,
        forward_noanswer: update.forward_noanswer,
        ring_timeout: update.ring_timeout,
        dnd: update.dnd,
        max_calls: update.max_calls,
    };
    let found = backend
        .store()
        .update_extension(&number, name, &features)
        .await
        .map_err(shown)?;
    if !found {
        return Err(BackendError::NotFound);
    }
    extension(backend, &number)
        .await?
        .ok_or(BackendError::NotFound)
}

pub(super) async fn reset_secret(backend: &PortalBackend, number: String) -> BackendResult<String> {
    let secret = crate::random::secret();
    let found = backend
        .store()
        .set_extension_secret(&number, &secret)
        .await
        .map_err(shown)?;
    if found {
        Ok(secret)
    } else {
        Err(BackendError::NotFound)
    }
}

pub(super) async fn sip_credentials(
    backend: &PortalBackend,
    number: &str,
) -> BackendResult<Option<SipCredentials>> {
    let found = backend.store().get_extension(number).await.map_err(shown)?;
    Ok(found.map(|e| SipCredentials {
        number: e.number,
        secret: e.sip_secret,
        domain: backend.domain.clone(),
        display_name: e.name,
    }))
}

pub(super) async fn add_rule(backend: &PortalBackend, rule: NewRule) -> BackendResult<i64> {
    backend
        .store()
        .add_rule(&rule.pattern, &rule.action, rule.class, rule.position)
        .await
        .map_err(shown)
}
