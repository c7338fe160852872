//! The page that shows an extension's SIP secret, right after it was made (a new extension,
//! or a reset). It is the only time the secret is shown: it is rendered as the answer to the
//! POST, not stored for a later GET.

use askama::Template;
use askama_web::WebTemplate;

use super::{PageCtx, filters};

#[derive(Template, WebTemplate)]
#[template(path = "secret.html")]
pub(crate) struct SecretPage {
    pub page: PageCtx,
    pub number: String,
    pub name: String,
    pub secret: String,
    /// A new extension (else a reset of an existing one's secret).
    pub created: bool,
}

impl SecretPage {
    /// The page, marked so that neither the browser nor a proxy keeps a copy of the secret.
    pub(crate) fn respond(self) -> axum::response::Response {
        use axum::response::IntoResponse;
        ([(axum::http::header::CACHE_CONTROL, "no-store")], self).into_response()
    }
}
