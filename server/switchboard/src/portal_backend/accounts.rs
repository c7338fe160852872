//! Portal users: the link to an extension is checked here so that the portal gets one clear
//! message whichever way the store would have refused it.

use pbx::accounts::{NewUser, User, UserUpdate};
use portal::{BackendError, BackendResult};

use super::{PortalBackend, shown};

pub(super) async fn create_user(backend: &PortalBackend, user: NewUser) -> BackendResult<User> {
    if let Some(number) = &user.extension {
        require_extension(backend, number).await?;
    }
    backend.store().add_user(&user).await.map_err(shown)
}

pub(super) async fn update_user(
    backend: &PortalBackend,
    id: i64,
    update: UserUpdate,
) -> BackendResult<User> {
    if let Some(Some(number)) = &update.extension {
        require_extension(backend, number).await?;
    }
    backend
        .store()
        .update_user(id, &update)
        .await
        .map_err(shown)?
        .ok_or(BackendError::NotFound)
}

async fn require_extension(backend: &PortalBackend, number: &str) -> BackendResult<()> {
    match backend.store().get_extension(number).await.map_err(shown)? {
        Some(_) => Ok(()),
        None => Err(BackendError::Invalid(format!("no extension {number}"))),
    }
}
