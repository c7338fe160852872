//! `/admin/dids`: the company numbers that come in on the trunks, each ringing one or more
//! extensions (together), with an optional failover; add one, remove one. Each links to its
//! edit page (`did.rs`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use pbx::trunk::Did;

use super::did_form::DidForm;
use super::routes::trunk_names;
use super::submit::{removed, submit};
use super::{Done, Fields, PageCtx, PageError, filters};
use crate::AppState;
use crate::auth::Admin;

#[derive(Template, WebTemplate)]
#[template(path = "dids.html")]
pub(crate) struct DidsPage {
    page: PageCtx,
    tab: &'static str,
    dids: Vec<Did>,
    /// Trunk names, for the add form's list.
    trunks: Vec<String>,
    form: DidForm,
    /// The add form (`did_fields.html` serves the edit page too).
    creating: bool,
    error: Option<String>,
    notice: Option<&'static str>,
}

async fn render(
    state: &AppState,
    page: PageCtx,
    form: DidForm,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<DidsPage, PageError> {
    let dids = state.backend.dids().await.map_err(|e| page.fail(e))?;
    Ok(DidsPage {
        trunks: trunk_names(state, &page).await?,
        page,
        tab: "dids",
        dids,
        form,
        creating: true,
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
        (
            "saved",
            "Number saved. Calls to it follow the change within a few seconds.",
        ),
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
    let form = DidForm::from_fields(&fields);
    submit(
        PageCtx::new(&viewer, "trunks"),
        form.to_did(),
        |did| state.backend.add_did(did),
        "/admin/dids?done=added",
        |page, error| render(&state, page, form, Some(error), None),
    )
    .await
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(number): Path<String>,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    removed(&page, state.backend.remove_did(number).await, "/admin/dids")
}
