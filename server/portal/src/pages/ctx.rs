//! What every page's layout (`base.html`) needs, and the error page a handler falls back to.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::auth::Viewer;
use crate::backend::BackendError;

/// The layout's context: who is looking (for the top bar), their CSRF token (for the
/// logout form and every other POST form), and which nav entry is current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageCtx {
    /// Empty on pages seen before logging in (the top bar then shows only the brand).
    pub user_name: String,
    pub admin: bool,
    pub csrf: String,
    /// "phone", "account", "extensions", … (matched in base.html), "" for none.
    pub nav: &'static str,
}

impl PageCtx {
    pub(crate) fn new(viewer: &Viewer, nav: &'static str) -> PageCtx {
        PageCtx {
            user_name: viewer.user.name.clone(),
            admin: viewer.user.admin,
            csrf: viewer.csrf.clone(),
            nav,
        }
    }

    /// For the log-in page: no user, no nav, no token.
    pub(crate) fn anonymous() -> PageCtx {
        PageCtx {
            user_name: String::new(),
            admin: false,
            csrf: String::new(),
            nav: "",
        }
    }

    pub(crate) fn logged_in(&self) -> bool {
        !self.user_name.is_empty()
    }

    /// The page to show when the backend could not do what a page needed.
    pub(crate) fn fail(&self, error: BackendError) -> PageError {
        let (status, message) = match error {
            BackendError::NotFound => (StatusCode::NOT_FOUND, "There is nothing here.".into()),
            BackendError::Invalid(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
            BackendError::Conflict(m) => (StatusCode::CONFLICT, m),
            BackendError::Failed(m) => {
                // The cause goes to the log, not to the browser.
                tracing::error!("portal page: {m}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on the server. Try again in a moment.".into(),
                )
            }
        };
        self.error(status, message)
    }

    pub(crate) fn not_found(&self, what: &str) -> PageError {
        self.error(
            StatusCode::NOT_FOUND,
            format!("{what} does not exist (any more)."),
        )
    }

    pub(crate) fn error(&self, status: StatusCode, message: String) -> PageError {
        PageError {
            status,
            page: ErrorPage {
                page: self.clone(),
                title: status.canonical_reason().unwrap_or("Error"),
                message,
            },
        }
    }
}

/// A page that could not be shown, rendered as `error.html` with its status.
#[derive(Debug)]
pub(crate) struct PageError {
    status: StatusCode,
    page: ErrorPage,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    page: PageCtx,
    title: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        (self.status, self.page).into_response()
    }
}

/// Renders a page with a status other than 200 (422 for a refused form).
pub(crate) fn with_status(status: StatusCode, page: impl IntoResponse) -> Response {
    (status, page).into_response()
}
