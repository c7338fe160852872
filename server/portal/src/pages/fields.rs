//! The fields of a posted HTML form (`application/x-www-form-urlencoded`), decoded with the
//! portal's own decoder (`crate::form`, which the CSRF check uses too). Each page's form
//! struct reads the fields it knows; a missing field reads as empty, like an empty input.

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Default, Clone)]
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or "" when the form did not send it.
    pub(crate) fn text(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Whether a checkbox was ticked (browsers send ticked boxes only).
    pub(crate) fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// The entries of a list typed into one field, separated by commas, spaces or line breaks.
pub(crate) fn items(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Fields, Response> {
        let body = String::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Fields(crate::form::pairs(&body)))
    }
}
