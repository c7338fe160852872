//! `/admin/status`: which server this is, what it listens on, how many contacts are
//! registered.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use super::PageCtx;
use crate::auth::Admin;
use crate::{AppState, Status};

#[derive(Template, WebTemplate)]
#[template(path = "status.html")]
pub(crate) struct StatusPage {
    page: PageCtx,
    status: Status,
}

pub(crate) async fn page(State(state): State<AppState>, Admin(viewer): Admin) -> StatusPage {
    StatusPage {
        page: PageCtx::new(&viewer, "status"),
        status: state.backend.status().await,
    }
}
