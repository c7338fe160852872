//! `/admin/dids/{number}`: one company number's trunk, the extensions it rings and its
//! failover, prefilled and saved all at once. The number itself is the DID's key: to change
//! it, add the new number and remove the old one.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::Response;
use pbx::trunk::Did;

use super::did_form::DidForm;
use super::routes::trunk_names;
use super::submit::submit;
use super::{Fields, PageCtx, PageError, filters};
use crate::AppState;
use crate::auth::Admin;

#[derive(Template, WebTemplate)]
#[template(path = "did.html")]
pub(crate) struct DidPage {
    page: PageCtx,
    number: String,
    /// Trunk names, for the trunk list.
    trunks: Vec<String>,
    form: DidForm,
    creating: bool,
    error: Option<String>,
}

async fn find(state: &AppState, page: &PageCtx, number: &str) -> Result<Did, PageError> {
    let dids = state.backend.dids().await.map_err(|e| page.fail(e))?;
    dids.into_iter()
        .find(|d| d.number == number)
        .ok_or_else(|| page.not_found(&format!("Number {number}")))
}

async fn render(
    state: &AppState,
    page: PageCtx,
    form: DidForm,
    error: Option<String>,
) -> Result<DidPage, PageError> {
    Ok(DidPage {
        trunks: trunk_names(state, &page).await?,
        page,
        number: form.number.clone(),
        form,
        creating: false,
        error,
    })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(number): Path<String>,
) -> Result<DidPage, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    let did = find(&state, &page, &number).await?;
    render(&state, page, DidForm::from_did(&did), None).await
}

pub(crate) async fn save(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(number): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    let did = find(&state, &page, &number).await?;
    let mut form = DidForm::from_fields(&fields);
    // The number comes from the address, not from the form.
    form.number = did.number;
    submit(
        page,
        form.to_did(),
        |did| state.backend.update_did(did),
        "/admin/dids?done=saved",
        |page, error| render(&state, page, form, Some(error)),
    )
    .await
}
