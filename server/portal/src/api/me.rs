//! `/api/me…`: the logged-in user's own account. Every handler here works on the session's
//! user and takes no user id, so nobody can ask for somebody else's data.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use pbx::accounts::CdrFilter;
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::{ApiJson, cdr_json};
use crate::AppState;
use crate::auth::Viewer;
use crate::auth::accounts::change_own_password;
use crate::error::AppError;
use crate::form;

/// Recent calls returned when no `limit` is given, and the most that may be asked for.
const DEFAULT_CALLS: u32 = 20;
const MAX_CALLS: u32 = 200;

pub(crate) async fn show(Viewer { user, csrf }: Viewer) -> Json<Value> {
    Json(json!({
        "id": user.id,
        "name": user.name,
        "admin": user.admin,
        "extension": user.extension,
        "csrf": csrf,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordBody {
    current: String,
    new: String,
}

/// Changes the password; every session of the user ends and this browser gets a new one
/// (new cookie, new CSRF token in the answer).
pub(crate) async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Response, AppError> {
    let fresh = change_own_password(&state, &viewer.user, body.current, body.new).await?;
    Ok((
        [(header::SET_COOKIE, fresh.set_cookie)],
        Json(json!({ "csrf": fresh.csrf })),
    )
        .into_response())
}

/// What the softphone registers with; 404 when the user has no extension.
pub(crate) async fn sip(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let none = || AppError::not_found("Your account has no extension; ask an admin for one.");
    let number = viewer.user.extension.ok_or_else(none)?;
    let creds = state
        .backend
        .sip_credentials(&number)
        .await?
        .ok_or_else(none)?;
    Ok(Json(json!({
        "number": creds.number,
        "secret": creds.secret,
        "domain": creds.domain,
        "display_name": creds.display_name,
        "ws_url": ws_url(&state, &headers),
    })))
}

/// `ws://` or `wss://` on the host the browser used (so it matches the page's origin, which
/// `connect-src` and cookies need), falling back to the listener's address when the `Host`
/// header is missing or not a plain host[:port].
fn ws_url(state: &AppState, headers: &HeaderMap) -> String {
    let scheme = if state.listener.secure { "wss" } else { "ws" };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .map_or_else(|| state.listener.local.to_string(), str::to_owned);
    format!("{scheme}://{host}/sip")
}

/// The user's extension's recent calls (as caller, callee or the number dialed), newest
/// first; `[]` without an extension. `?limit=N` (1 to 200, default 20).
pub(crate) async fn calls(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<Value>>, AppError> {
    let mut limit = DEFAULT_CALLS;
    for (k, v) in form::pairs(query.as_deref().unwrap_or_default()) {
        if k == "limit" {
            limit = v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_CALLS).contains(n))
                .ok_or_else(|| {
                    AppError::bad_request(format!("limit must be a number from 1 to {MAX_CALLS}"))
                })?;
        }
    }
    let Some(number) = viewer.user.extension else {
        return Ok(Json(Vec::new()));
    };
    let records = state
        .backend
        .call_records(CdrFilter {
            party: Some(number),
            limit,
            ..CdrFilter::default()
        })
        .await?;
    Ok(Json(records.iter().map(cdr_json).collect()))
}
