//! Live state (admins): registered contacts, calls up now, and hanging one up.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::json::ApiPath;
use super::time::rfc3339_ms;
use crate::AppState;
use crate::auth::Admin;
use crate::error::AppError;

pub(crate) async fn registrations(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<Value>>, AppError> {
    let list = state.backend.registrations().await?;
    Ok(Json(
        list.iter()
            .map(|r| {
                json!({
                    "extension": r.extension,
                    "contact": r.contact,
                    "transport": r.transport,
                    "remote": r.remote,
                    "user_agent": r.user_agent,
                    "expires_in": r.expires_in,
                })
            })
            .collect(),
    ))
}

pub(crate) async fn calls(State(state): State<AppState>, _: Admin) -> Json<Vec<Value>> {
    Json(
        state
            .backend
            .active_calls()
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "caller": c.caller,
                    "callee": c.callee,
                    "answered": c.answered,
                    "started": rfc3339_ms(c.started_ms),
                })
            })
            .collect(),
    )
}

pub(crate) async fn hang_up(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(id): ApiPath,
) -> Result<StatusCode, AppError> {
    if state.backend.hang_up(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("No such call (it may have ended)."))
    }
}
