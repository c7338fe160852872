//! `/api/tokens…` (admins): their own API tokens. The token itself is in the creation
//! answer only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::{Admin, tokens};
use crate::error::AppError;

pub(crate) async fn list(
    State(state): State<AppState>,
    Admin(viewer): Admin,
) -> Result<Json<Vec<Value>>, AppError> {
    let list = state.backend.api_tokens(viewer.user.id).await?;
    Ok(Json(
        list.iter()
            .map(|t| {
                json!({
                    "id": t.id,
                    "label": t.label,
                    "created_at": t.created_at,
                    "last_used": t.last_used,
                })
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    label: String,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (stored, token) = tokens::create(&state, &viewer.user, &body.label).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": stored.id, "label": stored.label, "token": token })),
    ))
}

/// Deletes one of the caller's own tokens (another admin's token id is 404).
pub(crate) async fn remove(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    path: ApiPath,
) -> Result<StatusCode, AppError> {
    if state
        .backend
        .delete_api_token(viewer.user.id, path.id()?)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("No such token."))
    }
}
