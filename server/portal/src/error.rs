//! The one error type of the portal's handlers and account rules: an HTTP status and a
//! message fit to show the user. The API sends it as `{"error": "…"}`; pages show the message
//! next to the form.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::backend::BackendError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppError {
    pub status: StatusCode,
    pub message: String,
}

impl AppError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> AppError {
        AppError {
            status,
            message: message.into(),
        }
    }

    /// The request itself is malformed (bad JSON, bad query).
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, message)
    }

    /// Well-formed but not acceptable (a field's value breaks a rule).
    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn conflict(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::CONFLICT, message)
    }

    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, message)
    }

    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, message)
    }

    /// An internal fault: the details go to the log, the client gets a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> AppError {
        tracing::error!("portal: {detail}");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on the server; see its log.",
        )
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<BackendError> for AppError {
    fn from(e: BackendError) -> AppError {
        match e {
            BackendError::Invalid(m) => AppError::invalid(m),
            BackendError::Conflict(m) => AppError::conflict(m),
            BackendError::NotFound => AppError::not_found("Not found."),
            BackendError::Failed(m) => AppError::internal(m),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}
