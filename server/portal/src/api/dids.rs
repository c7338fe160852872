//! `/api/dids…` (admins): the company numbers that come in on the trunks, each ringing one or
//! more extensions together, with an optional failover. Listed, added, changed (only the
//! fields given), removed; the backend checks them as it does for the CLI.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pbx::trunk::Did;
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::{ApiJson, ApiPath, present};
use crate::AppState;
use crate::auth::Admin;
use crate::error::AppError;

fn did_json(d: &Did) -> Value {
    json!({ "number": d.number, "trunk": d.trunk, "to": d.to, "failover": d.failover })
}

fn no_did(number: &str) -> AppError {
    AppError::not_found(format!("No DID {number}."))
}

/// Extensions to ring: a list, or one string (comma-separated, like the CLI's `--to`).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Targets {
    List(Vec<String>),
    Text(String),
}

impl Targets {
    fn numbers(self) -> Vec<String> {
        match self {
            Targets::List(list) => list.into_iter().map(|t| t.trim().to_owned()).collect(),
            Targets::Text(text) => text
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// A failover as sent: trimmed, and empty is none.
fn failover(text: Option<String>) -> Option<String> {
    text.map(|f| f.trim().to_owned()).filter(|f| !f.is_empty())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<Value>>, AppError> {
    let list = state.backend.dids().await?;
    Ok(Json(list.iter().map(did_json).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddBody {
    number: String,
    trunk: String,
    to: Targets,
    #[serde(default)]
    failover: Option<String>,
}

pub(crate) async fn add(
    State(state): State<AppState>,
    _: Admin,
    ApiJson(body): ApiJson<AddBody>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let did = Did {
        number: body.number.trim().to_owned(),
        trunk: body.trunk.trim().to_owned(),
        to: body.to.numbers(),
        failover: failover(body.failover),
    };
    let shown = did_json(&did);
    state.backend.add_did(did).await?;
    Ok((StatusCode::CREATED, Json(shown)))
}

/// Changed fields; absent ones stay. `to` replaces the whole list; `failover: null` (or
/// empty) removes the failover.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBody {
    #[serde(default)]
    trunk: Option<String>,
    #[serde(default)]
    to: Option<Targets>,
    #[serde(default, deserialize_with = "present")]
    failover: Option<Option<String>>,
}

pub(crate) async fn update(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(number): ApiPath,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<Value>, AppError> {
    let dids = state.backend.dids().await?;
    let mut did = dids
        .into_iter()
        .find(|d| d.number == number)
        .ok_or_else(|| no_did(&number))?;
    if let Some(trunk) = body.trunk {
        did.trunk = trunk.trim().to_owned();
    }
    if let Some(to) = body.to {
        did.to = to.numbers();
    }
    if let Some(text) = body.failover {
        did.failover = failover(text);
    }
    let shown = did_json(&did);
    state.backend.update_did(did).await?;
    Ok(Json(shown))
}

pub(crate) async fn remove(
    State(state): State<AppState>,
    _: Admin,
    ApiPath(number): ApiPath,
) -> Result<StatusCode, AppError> {
    if state.backend.remove_did(number.clone()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_did(&number))
    }
}
