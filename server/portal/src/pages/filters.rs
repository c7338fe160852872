//! Template filters. A page file that uses one imports this module as `filters` (askama looks
//! the name up where the template struct is declared).

use std::fmt::Display;

/// `{{ number|url }}`: percent-encodes a value for a path segment or a query value. The result
/// is still HTML-escaped by askama like any other value.
#[askama::filter_fn]
pub(crate) fn url(value: impl Display, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(super::url::encode(&value.to_string()))
}
