//! `/admin/extensions/{number}`: every setting of one extension in one form (saved all at
//! once or not at all), resetting its SIP secret, and deleting it after a confirmation.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pbx::CallClass;

use super::{Done, Fields, PageCtx, PageError, SecretPage, filters, with_status};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::{BackendError, ExtensionInfo, ExtensionUpdate};

#[derive(Template, WebTemplate)]
#[template(path = "extension.html")]
pub(crate) struct ExtensionPage {
    page: PageCtx,
    number: String,
    form: EditForm,
    error: Option<String>,
    /// The form field the error is about ("" when none or unknown).
    invalid: &'static str,
    notice: Option<&'static str>,
    classes: [CallClass; 5],
    /// Users whose softphone registers as this extension.
    owners: Vec<String>,
}

/// The edit form as typed: every field a string, so a refused value comes back as it was.
#[derive(Debug, Default)]
pub(crate) struct EditForm {
    name: String,
    class: String,
    forward_always: String,
    forward_busy: String,
    forward_noanswer: String,
    ring_timeout: String,
    /// A checkbox.
    dnd: bool,
    max_calls: String,
}

/// A refused edit: the message and the field it is about.
struct Refusal(&'static str, String);

impl EditForm {
    fn from_fields(f: &Fields) -> EditForm {
        EditForm {
            name: f.text("name"),
            class: f.text("class"),
            forward_always: f.text("forward_always"),
            forward_busy: f.text("forward_busy"),
            forward_noanswer: f.text("forward_noanswer"),
            ring_timeout: f.text("ring_timeout"),
            dnd: f.checked("dnd"),
            max_calls: f.text("max_calls"),
        }
    }

    fn from_info(ext: &ExtensionInfo) -> EditForm {
        let f = &ext.features;
        EditForm {
            name: ext.name.clone(),
            class: f.class.as_str().to_owned(),
            forward_always: f.forward_always.clone().unwrap_or_default(),
            forward_busy: f.forward_busy.clone().unwrap_or_default(),
            forward_noanswer: f.forward_noanswer.clone().unwrap_or_default(),
            ring_timeout: f.ring_timeout.to_string(),
            dnd: f.dnd,
            max_calls: f.max_calls.map(|m| m.to_string()).unwrap_or_default(),
        }
    }

    /// Every field at once: the backend applies all of them or none.
    fn to_update(&self) -> Result<ExtensionUpdate, Refusal> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(Refusal("name", "The name cannot be empty.".into()));
        }
        let class = self
            .class
            .parse::<CallClass>()
            .map_err(|_| Refusal("class", "Choose a class of service from the list.".into()))?;
        let ring_timeout = self.ring_timeout.trim().parse::<u32>().map_err(|_| {
            Refusal(
                "ring_timeout",
                "Ring time is a whole number of seconds, for example 20.".into(),
            )
        })?;
        let max_calls = match self.max_calls.trim() {
            "" => None,
            m => Some(m.parse::<u32>().map_err(|_| {
                Refusal(
                    "max_calls",
                    "Max calls is a whole number, or empty for no limit.".into(),
                )
            })?),
        };
        let target = |s: &str| Some(Some(s.trim().to_owned()).filter(|t| !t.is_empty()));
        Ok(ExtensionUpdate {
            name: Some(name.to_owned()),
            class: Some(class),
            forward_always: target(&self.forward_always),
            forward_busy: target(&self.forward_busy),
            forward_noanswer: target(&self.forward_noanswer),
            ring_timeout: Some(ring_timeout),
            dnd: Some(self.dnd),
            max_calls: Some(max_calls),
        })
    }
}

/// Which field a backend message is about: its messages start with the field's name.
fn field_of(message: &str) -> &'static str {
    const FIELDS: [&str; 7] = [
        "forward_always",
        "forward_busy",
        "forward_noanswer",
        "ring_timeout",
        "max_calls",
        "class",
        "name",
    ];
    FIELDS
        .into_iter()
        .find(|f| message.starts_with(f))
        .unwrap_or("")
}

async fn owners(state: &AppState, number: &str) -> Vec<String> {
    // Only decoration: without the list the page still works.
    state
        .backend
        .users()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| u.extension.as_deref() == Some(number))
        .map(|u| u.name)
        .collect()
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(number): Path<String>,
    Query(done): Query<Done>,
) -> Result<ExtensionPage, PageError> {
    let page = PageCtx::new(&viewer, "extensions");
    let Some(ext) = state
        .backend
        .extension(&number)
        .await
        .map_err(|e| page.fail(e))?
    else {
        return Err(page.not_found(&format!("Extension {number}")));
    };
    Ok(ExtensionPage {
        notice: done.message(&[("saved", "Changes saved.")]),
        form: EditForm::from_info(&ext),
        owners: owners(&state, &number).await,
        page,
        number: ext.number,
        error: None,
        invalid: "",
        classes: CallClass::ALL,
    })
}

pub(crate) async fn save(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(number): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "extensions");
    let form = EditForm::from_fields(&fields);
    let refusal = match form.to_update() {
        Err(r) => r,
        Ok(update) => match state.backend.update_extension(number.clone(), update).await {
            Ok(_) => {
                let to = format!(
                    "/admin/extensions/{}?done=saved",
                    super::url::encode(&number)
                );
                return Ok(Redirect::to(&to).into_response());
            }
            Err(BackendError::Invalid(m) | BackendError::Conflict(m)) => Refusal(field_of(&m), m),
            Err(BackendError::NotFound) => {
                return Err(page.not_found(&format!("Extension {number}")));
            }
            Err(e) => return Err(page.fail(e)),
        },
    };
    let view = ExtensionPage {
        owners: owners(&state, &number).await,
        page,
        number,
        form,
        error: Some(refusal.1),
        invalid: refusal.0,
        notice: None,
        classes: CallClass::ALL,
    };
    Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, view))
}

pub(crate) async fn reset_secret(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(number): Path<String>,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "extensions");
    let name = match state.backend.extension(&number).await {
        Ok(Some(ext)) => ext.name,
        Ok(None) => return Err(page.not_found(&format!("Extension {number}"))),
        Err(e) => return Err(page.fail(e)),
    };
    match state.backend.reset_extension_secret(number.clone()).await {
        Ok(secret) => Ok(SecretPage {
            page,
            number,
            name,
            secret,
            created: false,
        }
        .respond()),
        Err(BackendError::NotFound) => Err(page.not_found(&format!("Extension {number}"))),
        Err(e) => Err(page.fail(e)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "extension_delete.html")]
pub(crate) struct DeletePage {
    page: PageCtx,
    ext: ExtensionInfo,
    owners: Vec<String>,
}

/// The first post (from the settings page) asks for a confirmation; the second deletes.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(number): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "extensions");
    // "yes" comes from the confirmation page only.
    if fields.text("confirm") != "yes" {
        let Some(ext) = state
            .backend
            .extension(&number)
            .await
            .map_err(|e| page.fail(e))?
        else {
            return Err(page.not_found(&format!("Extension {number}")));
        };
        return Ok(DeletePage {
            owners: owners(&state, &number).await,
            page,
            ext,
        }
        .into_response());
    }
    match state.backend.delete_extension(number.clone()).await {
        Ok(true) => Ok(Redirect::to("/admin/extensions?done=deleted").into_response()),
        Ok(false) | Err(BackendError::NotFound) => {
            Err(page.not_found(&format!("Extension {number}")))
        }
        Err(e) => Err(page.fail(e)),
    }
}
