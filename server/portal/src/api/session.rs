//! `POST /api/login` and `POST /api/logout`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::json::{ApiJson, user_json};
use crate::AppState;
use crate::auth::{ClientAddr, LoginError, log_in, log_out};
use crate::error::AppError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    username: String,
    password: String,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> Response {
    match log_in(&state, client, &headers, &body.username, &body.password).await {
        Ok(done) => (
            [(header::SET_COOKIE, done.set_cookie)],
            Json(json!({ "user": user_json(&done.user), "csrf": done.csrf })),
        )
            .into_response(),
        Err(e) => {
            let retry = match &e {
                LoginError::Throttled(secs) => HeaderValue::from_str(&secs.to_string()).ok(),
                _ => None,
            };
            let mut resp = AppError::from(e).into_response();
            if let Some(v) = retry {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
    }
}

/// Ends the browser's session. Answers 204 whether or not there was one, so a stale tab can
/// always log out.
pub(crate) async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let clear = log_out(&state, &headers).await;
    (StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response()
}
