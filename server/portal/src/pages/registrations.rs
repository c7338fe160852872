//! `/admin/registrations`: the contacts registered right now.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use super::{PageCtx, PageError, filters};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::Registration;

#[derive(Template, WebTemplate)]
#[template(path = "registrations.html")]
pub(crate) struct RegistrationsPage {
    page: PageCtx,
    registrations: Vec<Registration>,
}

impl RegistrationsPage {
    /// "4 min 10 s" rather than a bare number of seconds.
    fn expires(&self, r: &Registration) -> String {
        match r.expires_in {
            s if s >= 60 => format!("{} min {} s", s / 60, s % 60),
            s => format!("{s} s"),
        }
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
) -> Result<RegistrationsPage, PageError> {
    let page = PageCtx::new(&viewer, "registrations");
    let registrations = state
        .backend
        .registrations()
        .await
        .map_err(|e| page.fail(e))?;
    Ok(RegistrationsPage {
        page,
        registrations,
    })
}
