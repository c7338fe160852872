//! Request and response plumbing of the API: a JSON body extractor whose rejections are
//! `{"error": …}` like every other API error, path parameters likewise, and the JSON shapes
//! of users, extensions and call records.

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use pbx::CallRecord;
use pbx::accounts::User;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::time::rfc3339_ms;
use crate::backend::ExtensionInfo;
use crate::error::AppError;

/// A JSON request body. Bad JSON is 400, a wrong field or type 422, a missing
/// `Content-Type: application/json` 415, each with the parser's message.
pub(crate) struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<ApiJson<T>, AppError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(AppError::new(rej.status(), rej.body_text())),
        }
    }
}

/// One path parameter as text; an undecodable one is 404 (no such resource).
pub(crate) struct ApiPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ApiPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ApiPath, AppError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(_) => Err(AppError::not_found("Not found.")),
        }
    }
}

impl ApiPath {
    /// The parameter as a numeric id; anything else names nothing (404).
    pub fn id(&self) -> Result<i64, AppError> {
        self.0
            .parse()
            .map_err(|_| AppError::new(StatusCode::NOT_FOUND, "Not found."))
    }
}

/// For PATCH fields where `null` means "clear" and absence means "leave": with
/// `#[serde(default, deserialize_with = "present")]` on an `Option<Option<T>>`, a missing
/// field is `None`, `null` is `Some(None)` and a value `Some(Some(v))`.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

pub(crate) fn user_json(u: &User) -> Value {
    json!({
        "id": u.id,
        "name": u.name,
        "admin": u.admin,
        "extension": u.extension,
        "created_at": u.created_at,
    })
}

pub(crate) fn extension_json(e: &ExtensionInfo) -> Value {
    let f = &e.features;
    json!({
        "number": e.number,
        "name": e.name,
        "class": f.class.as_str(),
        "forward_always": f.forward_always,
        "forward_busy": f.forward_busy,
        "forward_noanswer": f.forward_noanswer,
        "ring_timeout": f.ring_timeout,
        "dnd": f.dnd,
        "max_calls": f.max_calls,
    })
}

pub(crate) fn cdr_json(r: &CallRecord) -> Value {
    json!({
        "id": r.id,
        "call_id": r.call_id,
        "caller": r.caller,
        "callee": r.callee,
        "dialed": r.dialed,
        "start": rfc3339_ms(r.start_ms),
        "answer": r.answer_ms.map(rfc3339_ms),
        "end": r.end_ms.map(rfc3339_ms),
        "duration": r.duration_secs(),
        "billable": r.billable_secs(),
        "disposition": r.disposition.as_str(),
        "sip_cause": r.sip_cause,
        "codec_a": r.codec_a,
        "codec_b": r.codec_b,
    })
}
