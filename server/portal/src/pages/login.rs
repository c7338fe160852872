//! `/` (where to start), `/login` and `/logout`. Checking the password, the throttle and the
//! session itself are `crate::auth`'s; this is the page around them.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Fields, PageCtx, with_status};
use crate::AppState;
use crate::auth::{AuthRejection, ClientAddr, Viewer, log_in, log_out, safe_next};

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    page: PageCtx,
    username: String,
    /// Where to go after logging in (a path on this site, checked again on use).
    next: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

/// `/`: the phone for someone logged in, else the login page.
pub(crate) async fn root(viewer: Result<Viewer, AuthRejection>) -> Redirect {
    match viewer {
        Ok(_) => Redirect::to("/phone"),
        Err(_) => Redirect::to("/login"),
    }
}

pub(crate) async fn page(
    viewer: Result<Viewer, AuthRejection>,
    Query(query): Query<NextQuery>,
) -> Response {
    let next = safe_next(query.next.as_deref()).to_owned();
    if viewer.is_ok() {
        return Redirect::to(&next).into_response();
    }
    no_store(LoginPage {
        page: PageCtx::anonymous(),
        username: String::new(),
        next,
        error: None,
    })
}

pub(crate) async fn submit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    fields: Fields,
) -> Response {
    let username = fields.text("username");
    let next = safe_next(Some(&fields.text("next"))).to_owned();
    match log_in(
        &state,
        client,
        &headers,
        &username,
        &fields.text("password"),
    )
    .await
    {
        Ok(done) => ([(header::SET_COOKIE, done.set_cookie)], Redirect::to(&next)).into_response(),
        Err(e) => with_status(
            e.status(),
            no_store(LoginPage {
                page: PageCtx::anonymous(),
                username,
                next,
                error: Some(e.message()),
            }),
        ),
    }
}

pub(crate) async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let clear = log_out(&state, &headers).await;
    ([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response()
}

/// The login page is never cached: it may hold a typed user name.
fn no_store(page: LoginPage) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], page).into_response()
}
