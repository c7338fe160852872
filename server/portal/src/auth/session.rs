//! Browser sessions: the random token in the cookie, its SHA-256 in the database, the cookie's
//! name and flags per listener, and the idle and absolute timeouts.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pbx::accounts::{User, WebSession};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::backend::BackendError;

/// Cookie on the HTTPS listener. The `__Host-` prefix makes browsers refuse it unless it is
/// Secure, has `Path=/` and no Domain, so a sibling host or plain-HTTP page cannot plant it.
pub const SECURE_COOKIE: &str = "__Host-sb_session";
/// Cookie on the plain-HTTP listener (localhost use), where Secure cookies are not kept.
pub const PLAIN_COOKIE: &str = "sb_session";

/// Seconds between `last_seen` updates: touching on every request would make each page view
/// a database write, and a minute is nothing against an idle timeout of hours.
const TOUCH_EVERY: i64 = 60;

/// 32 random bytes, base64url: session tokens, CSRF tokens and API tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps instead of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE } else { PLAIN_COOKIE }
}

/// The `Set-Cookie` value that hands `token` to the browser.
pub fn set_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = state.listener.secure;
    let max_age = state.config.session_max.as_secs();
    let flags = if secure { "; Secure" } else { "" };
    let value = format!(
        "{}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{flags}",
        cookie_name(secure)
    );
    // The token is base64url, so the value is always a valid header.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that makes the browser forget the session.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    HeaderValue::from_static(if secure {
        "__Host-sb_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure"
    } else {
        "sb_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
    })
}

/// The session token in the request's cookies, if any (only this listener's cookie name).
pub fn token_from(headers: &HeaderMap, secure: bool) -> Option<String> {
    let wanted = cookie_name(secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// A new session for `user`: stored, and returned as (token, csrf).
pub async fn create(state: &AppState, user: &User) -> Result<(String, String), BackendError> {
    let token = random_token();
    let csrf = random_token();
    let now = state.config.clock.now();
    state
        .backend
        .create_session(WebSession {
            token_hash: token_hash(&token),
            user_id: user.id,
            csrf: csrf.clone(),
            created_at: now,
            last_seen: now,
        })
        .await?;
    Ok((token, csrf))
}

/// The live session of `token` and its user. An expired session is deleted and is `None`;
/// so is one whose user is gone.
pub async fn resolve(
    state: &AppState,
    token: &str,
) -> Result<Option<(WebSession, User)>, BackendError> {
    let hash = token_hash(token);
    let Some(session) = state.backend.session(&hash).await? else {
        return Ok(None);
    };
    let now = state.config.clock.now();
    let idle = secs(state.config.session_idle);
    let max = secs(state.config.session_max);
    if now.saturating_sub(session.last_seen) > idle || now.saturating_sub(session.created_at) > max
    {
        state.backend.delete_session(&hash).await?;
        return Ok(None);
    }
    let Some(user) = state.backend.user(session.user_id).await? else {
        state.backend.delete_session(&hash).await?;
        return Ok(None);
    };
    if now.saturating_sub(session.last_seen) >= TOUCH_EVERY {
        state.backend.touch_session(&hash, now).await?;
    }
    Ok(Some((session, user)))
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
