//! `/admin/trunks`: the SIP trunks with their live status, and the form that adds one. The
//! DID and outbound route pages are reached from its tabs.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pbx::trunk::{SrtpPolicy, TrunkTransport};

use super::trunk_form::{Refusal, TrunkForm, field_of};
use super::trunk_status::TrunkRow;
use super::{Done, Fields, PageCtx, PageError, filters, with_status};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::BackendError;

pub(crate) const TRANSPORTS: [TrunkTransport; 3] = [
    TrunkTransport::Udp,
    TrunkTransport::Tcp,
    TrunkTransport::Tls,
];
pub(crate) const SRTP: [SrtpPolicy; 3] = [SrtpPolicy::Off, SrtpPolicy::Offer, SrtpPolicy::Require];

#[derive(Template, WebTemplate)]
#[template(path = "trunks.html")]
pub(crate) struct TrunksPage {
    page: PageCtx,
    tab: &'static str,
    trunks: Vec<TrunkRow>,
    form: TrunkForm,
    /// The add form is shown (else the edit form: `trunk_fields.html` serves both).
    creating: bool,
    error: Option<String>,
    invalid: &'static str,
    notice: Option<&'static str>,
    transports: [TrunkTransport; 3],
    srtp_policies: [SrtpPolicy; 3],
}

async fn render(
    state: &AppState,
    page: PageCtx,
    form: TrunkForm,
    refusal: Option<Refusal>,
    notice: Option<&'static str>,
) -> Result<TrunksPage, PageError> {
    let trunks = state.backend.trunks().await.map_err(|e| page.fail(e))?;
    let (invalid, error) = match refusal {
        Some(Refusal(field, message)) => (field, Some(message)),
        None => ("", None),
    };
    Ok(TrunksPage {
        page,
        tab: "trunks",
        trunks: trunks.into_iter().map(TrunkRow::new).collect(),
        form,
        creating: true,
        error,
        invalid,
        notice,
        transports: TRANSPORTS,
        srtp_policies: SRTP,
    })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(done): Query<Done>,
) -> Result<TrunksPage, PageError> {
    let notice = done.message(&[
        (
            "added",
            "Trunk added. It registers and is checked within a few seconds.",
        ),
        ("deleted", "Trunk removed."),
        ("gone", "That trunk had already been removed."),
    ]);
    let page = PageCtx::new(&viewer, "trunks");
    render(&state, page, TrunkForm::default(), None, notice).await
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    let form = TrunkForm::from_fields(&fields);
    let refusal = match form.to_trunk(true) {
        Err(r) => r,
        Ok(trunk) => match state.backend.add_trunk(trunk).await {
            Ok(()) => return Ok(Redirect::to("/admin/trunks?done=added").into_response()),
            Err(BackendError::Invalid(m) | BackendError::Conflict(m)) => Refusal(field_of(&m), m),
            Err(e) => return Err(page.fail(e)),
        },
    };
    let view = render(&state, page, form, Some(refusal), None).await?;
    Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, view))
}
