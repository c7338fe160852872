//! `/admin/trunks/{name}`: one trunk's status and settings (saved all at once; the password
//! field, always empty, keeps the stored password unless something is typed), and removing
//! it after a confirmation (refused, with the reason, while DIDs or routes use it).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pbx::trunk::{SrtpPolicy, TrunkTransport};

use super::trunk_form::{Refusal, TrunkForm, field_of};
use super::trunk_status::TrunkRow;
use super::trunks::{SRTP, TRANSPORTS};
use super::{Done, Fields, PageCtx, PageError, filters, with_status};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::{BackendError, TrunkInfo};

#[derive(Template, WebTemplate)]
#[template(path = "trunk.html")]
pub(crate) struct TrunkPage {
    page: PageCtx,
    row: TrunkRow,
    form: TrunkForm,
    creating: bool,
    error: Option<String>,
    invalid: &'static str,
    notice: Option<&'static str>,
    transports: [TrunkTransport; 3],
    srtp_policies: [SrtpPolicy; 3],
}

impl TrunkPage {
    fn new(page: PageCtx, info: TrunkInfo, form: TrunkForm) -> TrunkPage {
        TrunkPage {
            page,
            row: TrunkRow::new(info),
            form,
            creating: false,
            error: None,
            invalid: "",
            notice: None,
            transports: TRANSPORTS,
            srtp_policies: SRTP,
        }
    }
}

async fn find(state: &AppState, page: &PageCtx, name: &str) -> Result<TrunkInfo, PageError> {
    match state.backend.trunk(name).await {
        Ok(Some(info)) => Ok(info),
        Ok(None) => Err(page.not_found(&format!("Trunk {name}"))),
        Err(e) => Err(page.fail(e)),
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(name): Path<String>,
    Query(done): Query<Done>,
) -> Result<TrunkPage, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    let info = find(&state, &page, &name).await?;
    let form = TrunkForm::from_trunk(&info.trunk);
    let mut view = TrunkPage::new(page, info, form);
    view.notice = done.message(&[(
        "saved",
        "Changes saved. They take effect within a few seconds.",
    )]);
    Ok(view)
}

pub(crate) async fn save(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(name): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    let mut form = TrunkForm::from_fields(&fields);
    // The name is the trunk's key: it comes from the address, not from the form.
    form.name.clone_from(&name);
    let refusal = match form.to_trunk(false) {
        Err(r) => r,
        Ok(trunk) => match state.backend.update_trunk(trunk).await {
            Ok(()) => {
                let to = format!("/admin/trunks/{}?done=saved", super::url::encode(&name));
                return Ok(Redirect::to(&to).into_response());
            }
            Err(BackendError::Invalid(m) | BackendError::Conflict(m)) => Refusal(field_of(&m), m),
            Err(BackendError::NotFound) => return Err(page.not_found(&format!("Trunk {name}"))),
            Err(e) => return Err(page.fail(e)),
        },
    };
    let info = find(&state, &page, &name).await?;
    let mut view = TrunkPage::new(page, info, form);
    view.error = Some(refusal.1);
    view.invalid = refusal.0;
    Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, view))
}

#[derive(Template, WebTemplate)]
#[template(path = "trunk_delete.html")]
pub(crate) struct DeletePage {
    page: PageCtx,
    name: String,
    /// Why it was not removed (DIDs or routes still use it).
    error: Option<String>,
}

/// The first post (from the trunk's page) asks for a confirmation; the second removes.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(name): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    // "yes" comes from the confirmation page only.
    if fields.text("confirm") != "yes" {
        let info = find(&state, &page, &name).await?;
        return Ok(DeletePage {
            page,
            name: info.trunk.name,
            error: None,
        }
        .into_response());
    }
    match state.backend.remove_trunk(name.clone()).await {
        Ok(true) => Ok(Redirect::to("/admin/trunks?done=deleted").into_response()),
        Ok(false) | Err(BackendError::NotFound) => {
            Ok(Redirect::to("/admin/trunks?done=gone").into_response())
        }
        Err(BackendError::Conflict(m) | BackendError::Invalid(m)) => {
            let view = DeletePage {
                page,
                name,
                error: Some(m),
            };
            Ok(with_status(StatusCode::CONFLICT, view))
        }
        Err(e) => Err(page.fail(e)),
    }
}
