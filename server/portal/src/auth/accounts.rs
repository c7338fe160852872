//! The rules for changing accounts, shared by the admin pages and the JSON API so both refuse
//! the same things: no admin can lock themself out, the last admin cannot disappear, and a
//! password change ends the sessions that knew the old one.

use axum::http::HeaderValue;
use pbx::accounts::{NewUser, User, UserUpdate, normalize_user_name};

use super::{password, session};
use crate::AppState;
use crate::error::AppError;

/// A user to create, as typed.
#[derive(Debug, Clone, Default)]
pub(crate) struct CreateUser {
    pub name: String,
    pub password: String,
    /// `None` or an empty string: no extension.
    pub extension: Option<String>,
    pub admin: bool,
}

/// Changes to a user, as typed; `None` leaves a field.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChangeUser {
    pub password: Option<String>,
    /// `Some(None)` (or `Some(Some(""))`) unlinks the extension.
    pub extension: Option<Option<String>>,
    pub admin: Option<bool>,
}

fn hashing_error(e: password::PasswordError) -> AppError {
    match e {
        password::PasswordError::Weak(m) => AppError::invalid(m),
        password::PasswordError::Hashing(m) => AppError::internal(m),
    }
}

fn extension_of(typed: Option<String>) -> Option<String> {
    typed.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty())
}

pub(crate) async fn create_user(state: &AppState, new: CreateUser) -> Result<User, AppError> {
    let name = normalize_user_name(&new.name).map_err(AppError::invalid)?;
    let password_hash = password::hash(new.password).await.map_err(hashing_error)?;
    let user = state
        .backend
        .create_user(NewUser {
            name,
            password_hash,
            extension: extension_of(new.extension),
            admin: new.admin,
        })
        .await?;
    Ok(user)
}

/// An admin (`actor`) changes user `id`. Refused: demoting oneself, demoting the last admin,
/// and setting one's own password here (that needs the current one: [`change_own_password`]).
pub(crate) async fn update_user(
    state: &AppState,
    actor: &User,
    id: i64,
    change: ChangeUser,
) -> Result<User, AppError> {
    let target = state
        .backend
        .user(id)
        .await?
        .ok_or_else(|| AppError::not_found("No such user."))?;
    if change.admin == Some(false) && target.admin {
        if target.id == actor.id {
            return Err(AppError::conflict(
                "You cannot take away your own admin rights; ask another admin.",
            ));
        }
        ensure_another_admin(state, target.id).await?;
    }
    if change.password.is_some() && target.id == actor.id {
        return Err(AppError::invalid(
            "Change your own password on the account page (it asks for the current one).",
        ));
    }
    let password_hash = match change.password {
        Some(p) => Some(password::hash(p).await.map_err(hashing_error)?),
        None => None,
    };
    let new_password = password_hash.is_some();
    let updated = state
        .backend
        .update_user(
            id,
            UserUpdate {
                password_hash,
                extension: change.extension.map(extension_of),
                admin: change.admin,
            },
        )
        .await?;
    if new_password {
        // Whoever was logged in with the old password is logged out.
        state.backend.delete_user_sessions(id).await?;
    }
    Ok(updated)
}

/// An admin (`actor`) deletes user `id`; not themself, and never the last admin.
pub(crate) async fn delete_user(state: &AppState, actor: &User, id: i64) -> Result<(), AppError> {
    if id == actor.id {
        return Err(AppError::conflict("You cannot delete your own account."));
    }
    let target = state
        .backend
        .user(id)
        .await?
        .ok_or_else(|| AppError::not_found("No such user."))?;
    if target.admin {
        ensure_another_admin(state, target.id).await?;
    }
    if state.backend.delete_user(id).await? {
        Ok(())
    } else {
        Err(AppError::not_found("No such user."))
    }
}

/// Refuses (409) when `leaving` is the only admin.
async fn ensure_another_admin(state: &AppState, leaving: i64) -> Result<(), AppError> {
    let users = state.backend.users().await?;
    if users.iter().any(|u| u.admin && u.id != leaving) {
        Ok(())
    } else {
        Err(AppError::conflict(
            "This is the last admin; make another user an admin first.",
        ))
    }
}

/// A new session after a password change: send `set_cookie`, use the new `csrf`.
#[derive(Debug)]
pub(crate) struct NewSession {
    pub csrf: String,
    pub set_cookie: HeaderValue,
}

/// The logged-in `user` changes their password. The current password must be right (so a
/// borrowed session cannot lock the owner out); guesses at it count against the login
/// throttle. Every session of the user ends, and a fresh one is returned for this browser.
pub(crate) async fn change_own_password(
    state: &AppState,
    user: &User,
    current: String,
    new: String,
) -> Result<NewSession, AppError> {
    password::check_rule(&new).map_err(hashing_error)?;
    let now = state.config.clock.now();
    let attempt = state
        .throttle
        .begin(now, &user.name, None)
        .map_err(|secs| AppError::from(super::LoginError::Throttled(secs)))?;
    if !password::verify(current, Some(user.password_hash.clone())).await {
        return Err(AppError::invalid("The current password is wrong."));
    }
    state.throttle.succeeded(attempt);
    let password_hash = password::hash(new).await.map_err(hashing_error)?;
    state
        .backend
        .update_user(
            user.id,
            UserUpdate {
                password_hash: Some(password_hash),
                ..UserUpdate::default()
            },
        )
        .await?;
    state.backend.delete_user_sessions(user.id).await?;
    let (token, csrf) = session::create(state, user).await?;
    Ok(NewSession {
        csrf,
        set_cookie: session::set_cookie(state, &token),
    })
}
