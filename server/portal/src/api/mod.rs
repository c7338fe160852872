//! The JSON API under `/api`: everything the pages do, for scripts and for the softphone.
//! Errors are `{"error": "…"}` with 400/401/403/404/409/415/422/429 (500 for faults).
//! Browsers authenticate with the session cookie (writes need the CSRF token); admins'
//! scripts may use `Authorization: Bearer sbt_…` instead.

mod cdrs;
mod dialplan;
mod dids;
mod extensions;
mod json;
mod live;
mod me;
mod routes;
mod session;
pub(crate) mod time;
mod tokens;
mod trunks;
mod users;

use axum::Router;
use axum::routing::{any, delete, get, patch, post};

pub(crate) use cdrs::filter_from_query;

use crate::AppState;
use crate::error::AppError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(session::login))
        .route("/api/logout", post(session::logout))
        .route("/api/me", get(me::show))
        .route("/api/me/password", post(me::change_password))
        .route("/api/me/sip", get(me::sip))
        .route("/api/me/calls", get(me::calls))
        .route(
            "/api/extensions",
            get(extensions::list).post(extensions::create),
        )
        .route(
            "/api/extensions/{number}",
            get(extensions::show)
                .patch(extensions::update)
                .delete(extensions::remove),
        )
        .route(
            "/api/extensions/{number}/secret",
            post(extensions::reset_secret),
        )
        .route("/api/users", get(users::list).post(users::create))
        .route(
            "/api/users/{id}",
            get(users::show).patch(users::update).delete(users::remove),
        )
        .route("/api/registrations", get(live::registrations))
        .route("/api/calls", get(live::calls))
        .route("/api/calls/{id}/hangup", post(live::hang_up))
        .route("/api/cdrs", get(cdrs::list))
        .route("/api/cdrs.csv", get(cdrs::csv))
        .route("/api/dialplan", get(dialplan::list).post(dialplan::add))
        .route("/api/dialplan/{id}", delete(dialplan::remove))
        .route(
            "/api/trunks",
            get(trunks::list_trunks).post(trunks::create_trunk),
        )
        .route(
            "/api/trunks/{name}",
            get(trunks::get_trunk)
                .patch(trunks::update_trunk)
                .delete(trunks::remove_trunk),
        )
        .route("/api/dids", get(dids::list).post(dids::add))
        .route(
            "/api/dids/{number}",
            patch(dids::update).delete(dids::remove),
        )
        .route("/api/routes", get(routes::list).post(routes::add))
        .route(
            "/api/routes/{id}",
            patch(routes::update).delete(routes::remove),
        )
        .route("/api/tokens", get(tokens::list).post(tokens::create))
        .route("/api/tokens/{id}", delete(tokens::remove))
        .route("/api", any(not_found))
        .route("/api/{*rest}", any(not_found))
}

/// Unknown API paths answer in JSON like the rest of the API.
async fn not_found() -> AppError {
    AppError::not_found("No such API endpoint.")
}
