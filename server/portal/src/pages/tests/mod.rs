//! Page tests: each page rendered for an admin over a real socket with the fake backend
//! (`crate::fake`), refused to others, its forms' errors shown in place, values escaped.

mod access;
mod account;
mod cdrs;
mod dialplan;
mod extensions;
mod live;
mod login;
mod trunk_edits;
mod trunks;
mod users;

use crate::fake::{self, PASSWORD, Session, TestApp, TestResponse};

/// The standard fake backend served, and its admin logged in.
async fn admin_app() -> (TestApp, Session) {
    app_as("admin").await
}

async fn app_as(name: &str) -> (TestApp, Session) {
    let app = TestApp::start(fake::standard()).await;
    let session = fake::login(&app, name, PASSWORD).await;
    (app, session)
}

/// A page as the browser of `session` gets it.
async fn get(app: &TestApp, session: &Session, path: &str) -> TestResponse {
    app.get(path).cookie(&session.cookie).send().await
}

/// A form post as a browser sends it: the session cookie, and the CSRF token as the form's
/// `csrf` field (not the header the API clients use).
async fn post(
    app: &TestApp,
    session: &Session,
    path: &str,
    fields: &[(&str, &str)],
) -> TestResponse {
    let mut all = vec![("csrf", session.csrf.as_str())];
    all.extend_from_slice(fields);
    app.post(path)
        .cookie(&session.cookie)
        .form(&all)
        .send()
        .await
}

/// Panics with the body unless it contains every needle.
fn assert_has(resp: &TestResponse, needles: &[&str]) {
    for n in needles {
        assert!(resp.body.contains(n), "no {n:?} in:\n{}", resp.body);
    }
}

fn assert_redirect(resp: &TestResponse, to: &str) {
    assert_eq!(resp.status, 303, "{}", resp.body);
    assert_eq!(resp.header("location"), Some(to));
}
