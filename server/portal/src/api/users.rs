//! `/api/users…` (admins). The rules (no self-demotion or self-deletion, never the last
//! admin) live in `auth::accounts`, shared with the admin pages.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::json::{ApiJson, ApiPath, present, user_json};
use crate::AppState;
use crate::auth::Admin;
use crate::auth::accounts::{self, ChangeUser, CreateUser};
use crate::error::AppError;

pub(crate) async fn list(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<Value>>, AppError> {
    let users = state.backend.users().await?;
    Ok(Json(users.iter().map(user_json).collect()))
}

pub(crate) async fn show(
    State(state): State<AppState>,
    _: Admin,
    path: ApiPath,
) -> Result<Json<Value>, AppError> {
    let user = state
        .backend
        .user(path.id()?)
        .await?
        .ok_or_else(|| AppError::not_found("No such user."))?;
    Ok(Json(user_json(&user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    name: String,
    password: String,
    #[serde(default)]
    extension: Option<String>,
    #[serde(default)]
    admin: bool,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    _: Admin,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let user = accounts::create_user(
        &state,
        CreateUser {
            name: body.name,
            password: body.password,
            extension: body.extension,
            admin: body.admin,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(user_json(&user))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBody {
    password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    extension: Option<Option<String>>,
    admin: Option<bool>,
}

pub(crate) async fn update(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    path: ApiPath,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<Value>, AppError> {
    let change = ChangeUser {
        password: body.password,
        extension: body.extension,
        admin: body.admin,
    };
    let user = accounts::update_user(&state, &viewer.user, path.id()?, change).await?;
    Ok(Json(user_json(&user)))
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    path: ApiPath,
) -> Result<StatusCode, AppError> {
    accounts::delete_user(&state, &viewer.user, path.id()?).await?;
    Ok(StatusCode::NO_CONTENT)
}
