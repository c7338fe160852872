//! Logging in and out, shared by the login page and `POST /api/login`.

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use pbx::accounts::{User, normalize_user_name};

use super::{password, session};
use crate::AppState;
use crate::error::AppError;

/// The one answer for an unknown name and a wrong password, so it tells nothing about which
/// names exist.
pub const WRONG_CREDENTIALS: &str = "Wrong user name or password.";

/// A successful login: send `set_cookie` as `Set-Cookie`.
#[derive(Debug)]
pub(crate) struct LoggedIn {
    pub user: User,
    pub csrf: String,
    pub set_cookie: HeaderValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LoginError {
    /// Unknown name or wrong password (deliberately one case).
    Wrong,
    /// Too many failures; retry after this many seconds.
    Throttled(u64),
    /// The backend failed (logged).
    Failed,
}

impl LoginError {
    pub fn status(&self) -> StatusCode {
        match self {
            LoginError::Wrong => StatusCode::UNAUTHORIZED,
            LoginError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            LoginError::Failed => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn message(&self) -> String {
        match self {
            LoginError::Wrong => WRONG_CREDENTIALS.to_owned(),
            LoginError::Throttled(secs) => format!("Too many attempts, try again in {secs} s."),
            LoginError::Failed => "The server could not log you in; try again later.".to_owned(),
        }
    }
}

impl From<LoginError> for AppError {
    fn from(e: LoginError) -> AppError {
        AppError::new(e.status(), e.message())
    }
}

/// Checks the name and password and opens a new session. `headers` are the request's: a
/// session the browser already had is ended, so every login gets a fresh token.
pub(crate) async fn log_in(
    state: &AppState,
    client: Option<IpAddr>,
    headers: &HeaderMap,
    name: &str,
    password: &str,
) -> Result<LoggedIn, LoginError> {
    // An invalid name cannot exist, but it is throttled and "verified" like any other so the
    // answer does not say so. The key is bounded so junk cannot bloat the throttle.
    let key: String = match normalize_user_name(name) {
        Ok(n) => n,
        Err(_) => name.trim().to_lowercase().chars().take(64).collect(),
    };
    let now = state.config.clock.now();
    let attempt = state
        .throttle
        .begin(now, &key, client)
        .map_err(LoginError::Throttled)?;
    let user = match normalize_user_name(name) {
        Ok(n) => state.backend.user_by_name(&n).await.map_err(|e| {
            tracing::error!("login lookup: {e}");
            LoginError::Failed
        })?,
        Err(_) => None,
    };
    // Over-long input is wrong anyway; hash a bounded prefix so it costs what any try costs.
    let typed: String = password
        .chars()
        .take(password::MAX_PASSWORD_CHARS + 1)
        .collect();
    let matches = password::verify(typed, user.as_ref().map(|u| u.password_hash.clone())).await;
    let user = match user {
        Some(u) if matches && password.chars().count() <= password::MAX_PASSWORD_CHARS => u,
        _ => return Err(LoginError::Wrong),
    };
    state.throttle.succeeded(attempt);
    end_session(state, headers).await;
    let (token, csrf) = session::create(state, &user).await.map_err(|e| {
        tracing::error!("creating a session: {e}");
        LoginError::Failed
    })?;
    Ok(LoggedIn {
        set_cookie: session::set_cookie(state, &token),
        user,
        csrf,
    })
}

/// Ends the request's session (if any) and returns the `Set-Cookie` that clears the cookie.
pub(crate) async fn log_out(state: &AppState, headers: &HeaderMap) -> HeaderValue {
    end_session(state, headers).await;
    session::clear_cookie(state.listener.secure)
}

async fn end_session(state: &AppState, headers: &HeaderMap) {
    if let Some(token) = session::token_from(headers, state.listener.secure)
        && let Err(e) = state
            .backend
            .delete_session(&session::token_hash(&token))
            .await
    {
        tracing::warn!("ending a session: {e}");
    }
}
