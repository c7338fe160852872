//! `/admin/extensions`: the list, with the form that creates one. Creating shows the new
//! extension's SIP secret once (`secret.html`); it is never shown again.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{Done, Fields, PageCtx, PageError, SecretPage, filters, with_status};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::{BackendError, ExtensionInfo};

#[derive(Template, WebTemplate)]
#[template(path = "extensions.html")]
pub(crate) struct ExtensionsPage {
    page: PageCtx,
    extensions: Vec<ExtensionRow>,
    form: CreateForm,
    error: Option<String>,
    notice: Option<&'static str>,
}

struct ExtensionRow {
    ext: ExtensionInfo,
    /// Contacts registered for it now.
    contacts: usize,
}

/// The create form as typed.
#[derive(Debug, Default)]
pub(crate) struct CreateForm {
    number: String,
    name: String,
}

async fn render(
    state: &AppState,
    page: PageCtx,
    form: CreateForm,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<ExtensionsPage, PageError> {
    let list = state.backend.extensions().await.map_err(|e| page.fail(e))?;
    // Registrations only decorate the list: if they cannot be read, the list still shows.
    let mut contacts: HashMap<String, usize> = HashMap::new();
    for r in state.backend.registrations().await.unwrap_or_default() {
        *contacts.entry(r.extension).or_default() += 1;
    }
    let extensions = list
        .into_iter()
        .map(|ext| ExtensionRow {
            contacts: contacts.get(&ext.number).copied().unwrap_or(0),
            ext,
        })
        .collect();
    Ok(ExtensionsPage {
        page,
        extensions,
        form,
        error,
        notice,
    })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(done): Query<Done>,
) -> Result<ExtensionsPage, PageError> {
    let notice = done.message(&[("deleted", "The extension was deleted.")]);
    let page = PageCtx::new(&viewer, "extensions");
    render(&state, page, CreateForm::default(), None, notice).await
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "extensions");
    let form = CreateForm {
        number: fields.text("number"),
        name: fields.text("name"),
    };
    let number = form.number.trim().to_owned();
    let name = form.name.trim().to_owned();
    let error = if number.is_empty() {
        "Enter the extension's number, for example 1001.".to_owned()
    } else if name.is_empty() {
        "Enter a name for the extension (shown to the people it calls).".to_owned()
    } else {
        match state
            .backend
            .create_extension(number.clone(), name.clone())
            .await
        {
            Ok(secret) => {
                return Ok(SecretPage {
                    page,
                    number,
                    name,
                    secret,
                    created: true,
                }
                .respond());
            }
            Err(BackendError::Invalid(m) | BackendError::Conflict(m)) => m,
            Err(e) => return Err(page.fail(e)),
        }
    };
    let view = render(&state, page, form, Some(error), None).await?;
    Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, view))
}
