//! The one-line notice a page shows after a post/redirect/get: the redirect says `?done=<key>`
//! and the page maps known keys to its own fixed messages, so nothing a link carries is ever
//! shown as text.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    #[serde(default)]
    done: Option<String>,
}

impl Done {
    pub(crate) fn message(&self, known: &[(&str, &'static str)]) -> Option<&'static str> {
        let key = self.done.as_deref()?;
        known.iter().find(|(k, _)| *k == key).map(|(_, m)| *m)
    }
}
