//! `/api/routes…` (admins): the outbound routes in the order they are tried. Listed, added
//! (at a position or last), changed (only the fields given), removed; the backend checks
//! them as it does for the CLI.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pbx::trunk::OutboundRoute;
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::{ApiJson, ApiPath};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::NewRoute;
use crate::error::AppError;

fn route_json(r: &OutboundRoute) -> Value {
    json!({
        "id": r.id,
        "position": r.position,
        "pattern": r.pattern,
        "trunks": r.trunks,
        "strip": r.strip,
        "prepend": r.prepend,
    })
}

fn no_route() -> AppError {
    AppError::not_found("No such route.")
}

fn check_position(position: Option<i64>) -> Result<(), AppError> {
    match position {
        Some(p) if p < 0 => Err(AppError::invalid("position: must be 0 or more")),
        _ => Ok(()),
    }
}

fn trimmed(names: &[String]) -> Vec<String> {
    names.iter().map(|t| t.trim().to_owned()).collect()
}

/// The route `id` as stored now (the backend may renumber positions), as JSON.
async fn stored(state: &AppState, id: i64) -> Result<Option<Value>, AppError> {
    let routes = state.backend.outbound_routes().await?;
    Ok(routes.iter().find(|r| r.id == id).map(route_json))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<Value>>, AppError> {
    let list = state.backend.outbound_routes().await?;
    Ok(Json(list.iter().map(route_json).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddBody {
    pattern: String,
    trunks: Vec<String>,
    #[serde(default)]
    strip: u32,
    #[serde(default)]
    prepend: String,
    #[serde(default)]
    position: Option<i64>,
}

pub(crate) async fn add(
    State(state): State<AppState>,
    _: Admin,
    ApiJson(body): ApiJson<AddBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    check_position(body.position)?;
    let id = state
        .backend
        .add_outbound_route(NewRoute {
            pattern: body.pattern.trim().to_owned(),
            trunks: trimmed(&body.trunks),
            strip: body.strip,
            prepend: body.prepend.trim().to_owned(),
            position: body.position,
        })
        .await?;
    let added = stored(&state, id)
        .await?
        .unwrap_or_else(|| json!({ "id": id }));
    Ok((StatusCode::CREATED, Json(added)))
}

/// Changed fields; absent ones stay. `trunks` replaces the whole list, in its order.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBody {
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    trunks: Option<Vec<String>>,
    #[serde(default)]
    strip: Option<u32>,
    #[serde(default)]
    prepend: Option<String>,
    #[serde(default)]
    position: Option<i64>,
}

pub(crate) async fn update(
    State(state): State<AppState>,
    _: Admin,
    path: ApiPath,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<Value>, AppError> {
    let id = path.id()?;
    check_position(body.position)?;
    let routes = state.backend.outbound_routes().await?;
    let mut route = routes
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(no_route)?;
    if let Some(pattern) = body.pattern {
        route.pattern = pattern.trim().to_owned();
    }
    if let Some(trunks) = body.trunks {
        route.trunks = trimmed(&trunks);
    }
    if let Some(strip) = body.strip {
        route.strip = strip;
    }
    if let Some(prepend) = body.prepend {
        route.prepend = prepend.trim().to_owned();
    }
    if let Some(position) = body.position {
        route.position = position;
    }
    state.backend.update_outbound_route(route).await?;
    stored(&state, id).await?.map(Json).ok_or_else(no_route)
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    _: Admin,
    path: ApiPath,
) -> Result<StatusCode, AppError> {
    if state.backend.remove_outbound_route(path.id()?).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_route())
    }
}
