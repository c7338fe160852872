//! API bearer tokens for admins' scripts: `Authorization: Bearer sbt_…`. The token is shown
//! once at creation; the database keeps its SHA-256. Tokens need no CSRF token: a browser
//! never adds them to a request on its own.

use axum::http::{HeaderMap, header};
use pbx::accounts::{ApiToken, User};

use super::{Principal, session};
use crate::AppState;
use crate::error::AppError;

/// Every token starts with this, so a leaked one is easy to recognise (secret scanners).
pub const PREFIX: &str = "sbt_";
/// Longest label kept.
const MAX_LABEL: usize = 64;

/// The principal of the request's bearer token; 401 when it is missing, malformed or
/// unknown, 403 when its owner is no longer an admin.
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Principal, AppError> {
    let unknown = || AppError::unauthorized("The API token is not valid.");
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(PREFIX) && t.len() <= 128)
        .ok_or_else(unknown)?;
    let now = state.config.clock.now();
    let found = state
        .backend
        .use_api_token(&session::token_hash(token), now)
        .await?
        .ok_or_else(unknown)?;
    let user = state
        .backend
        .user(found.user_id)
        .await?
        .ok_or_else(unknown)?;
    if !user.admin {
        return Err(AppError::forbidden("API tokens work for admins only."));
    }
    Ok(Principal {
        user,
        csrf: String::new(),
    })
}

/// Creates a token for `user` (an admin) and returns it with the token in clear, which
/// cannot be seen again.
pub(crate) async fn create(
    state: &AppState,
    user: &User,
    label: &str,
) -> Result<(ApiToken, String), AppError> {
    if !user.admin {
        return Err(AppError::forbidden("API tokens are for admins only."));
    }
    let label = label.trim();
    if label.is_empty() || label.chars().count() > MAX_LABEL {
        return Err(AppError::invalid(format!(
            "The label must have 1 to {MAX_LABEL} characters."
        )));
    }
    if label.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "The label must not contain control characters.",
        ));
    }
    let token = format!("{PREFIX}{}", session::random_token());
    let now = state.config.clock.now();
    let stored = state
        .backend
        .create_api_token(user.id, session::token_hash(&token), label.to_owned(), now)
        .await?;
    Ok((stored, token))
}
