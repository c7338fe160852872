//! The server-rendered portal pages (askama templates in `web/templates/`). Every page that
//! changes something does it with a POST form carrying the session's CSRF token (checked by
//! the auth guard before any handler runs), answers a success with 303 (post/redirect/get)
//! and a refused input with 422 and the form as it was typed (the shape is `submit.rs`).
//! Admin pages take the [`Admin`](crate::auth::Admin) extractor, so non-admins get 403 before
//! a handler runs.

mod account;
mod calls;
mod cdrs;
mod ctx;
mod dialplan;
mod did;
mod did_form;
mod dids;
mod extension;
mod extensions;
mod fields;
mod filters;
mod login;
mod notice;
mod phone;
mod registrations;
mod route;
mod route_form;
mod routes;
mod secret;
mod status;
mod submit;
mod time;
mod trunk;
mod trunk_form;
mod trunk_status;
mod trunks;
mod url;
mod user;
mod users;

#[cfg(test)]
mod tests;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

pub(crate) use ctx::{PageCtx, PageError, with_status};
pub(crate) use fields::Fields;
pub(crate) use notice::Done;
pub(crate) use secret::SecretPage;

use crate::AppState;

/// The softphone's stylesheet (`static/phone.css`), linked from every page's layout.
const PHONE_CSS: &str = include_str!("../../../../static/phone.css");

/// The page routes, merged into the portal router by `lib.rs`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(login::root))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/phone", get(phone::page))
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/delete", post(account::delete_token))
        .route(
            "/admin/extensions",
            get(extensions::page).post(extensions::create),
        )
        .route(
            "/admin/extensions/{number}",
            get(extension::page).post(extension::save),
        )
        .route(
            "/admin/extensions/{number}/secret",
            post(extension::reset_secret),
        )
        .route("/admin/extensions/{number}/delete", post(extension::delete))
        .route("/admin/users", get(users::page).post(users::create))
        .route("/admin/users/{id}", get(user::page).post(user::save))
        .route("/admin/users/{id}/delete", post(user::delete))
        .route("/admin/registrations", get(registrations::page))
        .route("/admin/calls", get(calls::page))
        .route("/admin/calls/{id}/hangup", post(calls::hang_up))
        .route("/admin/cdrs", get(cdrs::page))
        .route("/admin/dialplan", get(dialplan::page).post(dialplan::add))
        .route("/admin/dialplan/{id}/delete", post(dialplan::delete))
        .route("/admin/trunks", get(trunks::page).post(trunks::create))
        .route("/admin/trunks/{name}", get(trunk::page).post(trunk::save))
        .route("/admin/trunks/{name}/delete", post(trunk::delete))
        .route("/admin/dids", get(dids::page).post(dids::add))
        .route("/admin/dids/{number}", get(did::page).post(did::save))
        .route("/admin/dids/{number}/delete", post(dids::delete))
        .route("/admin/routes", get(routes::page).post(routes::add))
        .route("/admin/routes/{id}", get(route::page).post(route::save))
        .route("/admin/routes/{id}/delete", post(routes::delete))
        .route("/admin/status", get(status::page))
        .route("/static/phone.css", get(phone_css))
}

async fn phone_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PHONE_CSS,
    )
}
