//! The status page: which server this is, what it listens on, how many contacts are
//! registered. Rendered from `web/templates/status.html`; askama escapes every value.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use crate::{AppState, Status};

#[derive(Template, WebTemplate)]
#[template(path = "status.html")]
pub(crate) struct StatusPage {
    status: Status,
}

pub(crate) async fn page(State(state): State<AppState>) -> StatusPage {
    StatusPage {
        status: state.backend.status().await,
    }
}
