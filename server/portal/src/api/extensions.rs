//! `/api/extensions…` (admins): list, create (the SIP secret is in the answer, once), show,
//! change, delete, and reset the secret.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pbx::{CallClass, Features};
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::{ApiJson, ApiPath, extension_json, present};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::{ExtensionInfo, ExtensionUpdate};
use crate::error::AppError;

fn no_such(number: &str) -> AppError {
    AppError::not_found(format!("No extension {number}."))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<Value>>, AppError> {
    let list = state.backend.extensions().await?;
    Ok(Json(list.iter().map(extension_json).collect()))
}

pub(crate) async fn show(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(number): ApiPath,
) -> Result<Json<Value>, AppError> {
    let ext = state
        .backend
        .extension(&number)
        .await?
        .ok_or_else(|| no_such(&number))?;
    Ok(Json(extension_json(&ext)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    number: String,
    name: String,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    _: Admin,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let number = body.number.trim().to_owned();
    let name = body.name.trim().to_owned();
    let secret = state
        .backend
        .create_extension(number.clone(), name.clone())
        .await?;
    // Read back what was stored; should it be gone already, describe what was created.
    let ext = state
        .backend
        .extension(&number)
        .await?
        .unwrap_or(ExtensionInfo {
            number,
            name,
            features: Features::default(),
        });
    Ok((
        StatusCode::CREATED,
        Json(json!({ "extension": extension_json(&ext), "secret": secret })),
    ))
}

/// PATCH fields; absent ones stay. Forward targets and `max_calls` take `null` (or, for
/// forwards, "") to clear.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBody {
    name: Option<String>,
    class: Option<String>,
    #[serde(default, deserialize_with = "present")]
    forward_always: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    forward_busy: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    forward_noanswer: Option<Option<String>>,
    ring_timeout: Option<u32>,
    dnd: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    max_calls: Option<Option<u32>>,
}

/// `Some(Some(""))` is a cleared forward, like `null`.
fn forward(v: Option<Option<String>>) -> Option<Option<String>> {
    v.map(|t| t.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()))
}

pub(crate) async fn update(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(number): ApiPath,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<Value>, AppError> {
    let class = body
        .class
        .map(|c| c.parse::<CallClass>())
        .transpose()
        .map_err(|e| AppError::invalid(format!("class: {e}")))?;
    let update = ExtensionUpdate {
        name: body.name.map(|n| n.trim().to_owned()),
        class,
        forward_always: forward(body.forward_always),
        forward_busy: forward(body.forward_busy),
        forward_noanswer: forward(body.forward_noanswer),
        ring_timeout: body.ring_timeout,
        dnd: body.dnd,
        max_calls: body.max_calls,
    };
    let ext = match state.backend.update_extension(number.clone(), update).await {
        Err(crate::BackendError::NotFound) => return Err(no_such(&number)),
        other => other?,
    };
    Ok(Json(extension_json(&ext)))
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(number): ApiPath,
) -> Result<StatusCode, AppError> {
    if state.backend.delete_extension(number.clone()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_such(&number))
    }
}

/// A new SIP secret (the old one stops working); in the answer, once.
pub(crate) async fn reset_secret(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(number): ApiPath,
) -> Result<Json<Value>, AppError> {
    match state.backend.reset_extension_secret(number.clone()).await {
        Ok(secret) => Ok(Json(json!({ "secret": secret }))),
        Err(crate::BackendError::NotFound) => Err(no_such(&number)),
        Err(e) => Err(e.into()),
    }
}
