//! `/admin/dids`: the company numbers that come in on the trunks, each ringing one or more
//! extensions (together), with an optional failover; add one, remove one.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pbx::trunk::Did;

use super::{Done, Fields, PageCtx, PageError, filters, with_status};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::BackendError;

#[derive(Template, WebTemplate)]
#[template(path = "dids.html")]
pub(crate) struct DidsPage {
    page: PageCtx,
    tab: &'static str,
    dids: Vec<Did>,
    /// Trunk names, for the add form's list.
    trunks: Vec<String>,
    form: DidForm,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// The add form as typed (kept on a refused submit).
#[derive(Debug, Default)]
pub(crate) struct DidForm {
    number: String,
    trunk: String,
    to: String,
    failover: String,
}

impl DidForm {
    fn to_did(&self) -> Result<Did, String> {
        let number = self.number.trim();
        if number.is_empty() {
            return Err(
                "Enter the number as the provider sends it, for example +15551230000.".into(),
            );
        }
        if self.trunk.is_empty() {
            return Err("Choose the trunk the number comes in on.".into());
        }
        let to: Vec<String> = self
            .to
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if to.is_empty() {
            return Err("Enter the extension(s) to ring, for example 1001 or 1001, 1002.".into());
        }
        let failover = Some(self.failover.trim().to_owned()).filter(|f| !f.is_empty());
        Ok(Did {
            number: number.to_owned(),
            trunk: self.trunk.clone(),
            to,
            failover,
        })
    }
}

async fn render(
    state: &AppState,
    page: PageCtx,
    form: DidForm,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<DidsPage, PageError> {
    let dids = state.backend.dids().await.map_err(|e| page.fail(e))?;
    let trunks = state.backend.trunks().await.map_err(|e| page.fail(e))?;
    Ok(DidsPage {
        page,
        tab: "dids",
        dids,
        trunks: trunks.into_iter().map(|t| t.trunk.name).collect(),
        form,
        error,
        notice,
    })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(done): Query<Done>,
) -> Result<DidsPage, PageError> {
    let notice = done.message(&[
        ("added", "Number added."),
        ("deleted", "Number removed."),
        ("gone", "That number had already been removed."),
    ]);
    let page = PageCtx::new(&viewer, "trunks");
    render(&state, page, DidForm::default(), None, notice).await
}

pub(crate) async fn add(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    let form = DidForm {
        number: fields.text("number"),
        trunk: fields.text("trunk"),
        to: fields.text("to"),
        failover: fields.text("failover"),
    };
    let error = match form.to_did() {
        Err(message) => message,
        Ok(did) => match state.backend.add_did(did).await {
            Ok(()) => return Ok(Redirect::to("/admin/dids?done=added").into_response()),
            Err(BackendError::Invalid(m) | BackendError::Conflict(m)) => m,
            Err(e) => return Err(page.fail(e)),
        },
    };
    let view = render(&state, page, form, Some(error), None).await?;
    Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, view))
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(number): Path<String>,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    let done = match state.backend.remove_did(number).await {
        Ok(true) => "deleted",
        Ok(false) | Err(BackendError::NotFound) => "gone",
        Err(e) => return Err(page.fail(e)),
    };
    Ok(Redirect::to(&format!("/admin/dids?done={done}")).into_response())
}
