//! The status page: which server this is and what it listens on. Deliberately plain HTML
//! (the full portal with templates comes later); every value is escaped.

use axum::extract::State;
use axum::response::Html;

use crate::AppState;

pub(crate) async fn page(State(state): State<AppState>) -> Html<String> {
    let s = state.backend.status().await;
    let mut rows = String::new();
    for l in &s.listeners {
        rows.push_str(&format!(
            "<tr><th>{}</th><td><code>{}</code></td></tr>\n",
            escape(&l.name),
            escape(&l.address)
        ));
    }
    let bindings = match &s.bindings {
        Ok(n) => n.to_string(),
        Err(e) => format!("unknown ({})", escape(e)),
    };
    Html(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
<title>{server}</title>\
<style>body{{font-family:sans-serif;margin:2em}}th{{text-align:left;padding-right:1em}}</style></head>\n\
<body>\n<h1>{server} {version}</h1>\n<p>SIP domain <code>{domain}</code></p>\n\
<h2>Listening on</h2>\n<table>\n{rows}</table>\n\
<h2>Registrations</h2>\n<p><span id=\"bindings\">{bindings}</span> registered contact(s)</p>\n\
</body>\n</html>\n",
        server = escape(&s.server),
        version = escape(&s.version),
        domain = escape(&s.domain),
    ))
}

pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
