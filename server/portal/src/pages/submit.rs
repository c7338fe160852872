//! The shape every admin form post shares: what was typed is understood by the page (or
//! refused with the reason), handed to one backend call, and answered with 303 to where the
//! result shows (post/redirect/get) or, when refused, with the page again, the form as it was
//! typed and the reason next to it (422; 429 when throttled). Faults, and things that are not
//! there to change, are error pages instead.

use std::future::Future;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{PageCtx, PageError, with_status};
use crate::backend::BackendError;
use crate::error::AppError;

/// How a refused backend call shows on a form's page.
pub(crate) trait Refusal {
    /// The status and the message to show next to the form, or the page to show instead.
    fn shown(self, page: &PageCtx) -> Result<(StatusCode, String), PageError>;
}

impl Refusal for BackendError {
    fn shown(self, page: &PageCtx) -> Result<(StatusCode, String), PageError> {
        match self {
            BackendError::Invalid(m) | BackendError::Conflict(m) => {
                Ok((StatusCode::UNPROCESSABLE_ENTITY, m))
            }
            other => Err(page.fail(other)),
        }
    }
}

/// The account rules' refusals (`crate::auth::accounts`) carry their own status.
impl Refusal for AppError {
    fn shown(self, page: &PageCtx) -> Result<(StatusCode, String), PageError> {
        match self.status {
            s if s.is_server_error() => Err(page.error(s, self.message)),
            StatusCode::NOT_FOUND => Err(page.error(StatusCode::NOT_FOUND, self.message)),
            StatusCode::TOO_MANY_REQUESTS => Ok((StatusCode::TOO_MANY_REQUESTS, self.message)),
            _ => Ok((StatusCode::UNPROCESSABLE_ENTITY, self.message)),
        }
    }
}

/// One form post: `checked` is the form as the page understood it (or why it could not),
/// `call` the backend call made with it, `done` where a success is redirected to, and
/// `render` the page showing the form as typed with a message.
pub(crate) async fn submit<T, Out, E, Call, Render, View>(
    page: PageCtx,
    checked: Result<T, String>,
    call: impl FnOnce(T) -> Call,
    done: &str,
    render: impl FnOnce(PageCtx, String) -> Render,
) -> Result<Response, PageError>
where
    Call: Future<Output = Result<Out, E>>,
    E: Refusal,
    Render: Future<Output = Result<View, PageError>>,
    View: IntoResponse,
{
    let (status, message) = match checked {
        Err(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        Ok(input) => match call(input).await {
            Ok(_) => return Ok(Redirect::to(done).into_response()),
            Err(e) => e.shown(&page)?,
        },
    };
    let view = render(page, message).await?;
    Ok(with_status(status, view))
}

/// A delete button's post: 303 to `list` with `done=deleted`, or `done=gone` when there was
/// nothing to delete (a second click, another admin first); a fault is an error page.
pub(crate) fn removed(
    page: &PageCtx,
    outcome: Result<bool, BackendError>,
    list: &str,
) -> Result<Response, PageError> {
    let done = match outcome {
        Ok(true) => "deleted",
        Ok(false) | Err(BackendError::NotFound) => "gone",
        Err(e) => return Err(page.fail(e)),
    };
    Ok(Redirect::to(&format!("{list}?done={done}")).into_response())
}
