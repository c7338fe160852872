//! Who is asking: sessions, API tokens, CSRF, the login throttle and the account rules.
//!
//! [`guard::layer`] runs before every handler: it resolves the session cookie (or, under
//! `/api`, a bearer token), enforces CSRF on writes and leaves a [`Principal`] in the
//! request's extensions. Handlers then ask for [`Viewer`] (any logged-in user) or [`Admin`];
//! those extractors only read what the guard found, so no handler can forget a check.

pub(crate) mod accounts;
pub(crate) mod guard;
pub(crate) mod login;
pub mod password;
pub(crate) mod session;
pub(crate) mod throttle;
pub(crate) mod tokens;

use std::convert::Infallible;
use std::net::IpAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pbx::accounts::User;

use crate::PeerAddr;
use crate::error::AppError;

pub(crate) use login::{LoginError, log_in, log_out};

/// How a request was authenticated (set by the guard).
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub user: User,
    /// The session's CSRF token; empty for API tokens (they need none).
    pub csrf: String,
}

/// A logged-in user. Without one, API requests get 401 and pages a 303 to `/login?next=…`.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    /// Put this in every form (`csrf` field) or `X-CSRF-Token` header.
    pub csrf: String,
}

/// A logged-in admin; others get 403 (API and pages alike).
#[derive(Debug, Clone)]
pub struct Admin(pub Viewer);

/// Why [`Viewer`] or [`Admin`] could not be extracted.
#[derive(Debug)]
pub enum AuthRejection {
    /// Nobody is logged in: 401 JSON, or 303 to the login page with the page to come back to.
    LoginRequired { api: bool, next: String },
    /// Logged in, but not an admin: 403.
    NotAdmin { api: bool },
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::LoginRequired { api: true, .. } => {
                AppError::unauthorized("Log in first.").into_response()
            }
            AuthRejection::LoginRequired { api: false, next } => {
                let target = format!("/login?next={}", percent_encode(&next));
                let location = HeaderValue::from_str(&target)
                    .unwrap_or_else(|_| HeaderValue::from_static("/login"));
                (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
            }
            AuthRejection::NotAdmin { api: true } => {
                AppError::forbidden("Only admins may do this.").into_response()
            }
            AuthRejection::NotAdmin { api: false } => (
                StatusCode::FORBIDDEN,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                NOT_ADMIN_PAGE,
            )
                .into_response(),
        }
    }
}

/// The page a logged-in user who is not an admin gets for an admin page: fixed text, so it
/// needs nothing of the request.
const NOT_ADMIN_PAGE: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Admins only · Switchboard</title>\
<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\
<link rel=\"stylesheet\" href=\"/static/style.css\"></head><body>\
<header class=\"top\"><a class=\"brand\" href=\"/\">Switchboard</a></header>\
<main class=\"narrow\"><section class=\"card\"><h1>Admins only</h1>\
<p class=\"muted\" id=\"error-message\">This page is for administrators. Ask an admin if you need \
something changed.</p><p><a class=\"btn\" href=\"/\">Back to the portal</a></p></section></main>\
</body></html>\n";

/// Whether a path belongs to the JSON API (which answers errors in JSON, accepts bearer
/// tokens, and never redirects).
pub(crate) fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Viewer, AuthRejection> {
        match parts.extensions.get::<Principal>() {
            Some(p) => Ok(Viewer {
                user: p.user.clone(),
                csrf: p.csrf.clone(),
            }),
            None => Err(AuthRejection::LoginRequired {
                api: is_api(parts.uri.path()),
                // Only a page can be come back to; a form target would answer GET with 405.
                next: match parts.method {
                    Method::GET | Method::HEAD => parts
                        .uri
                        .path_and_query()
                        .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned()),
                    _ => "/".to_owned(),
                },
            }),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Admin, AuthRejection> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        if viewer.user.admin {
            Ok(Admin(viewer))
        } else {
            Err(AuthRejection::NotAdmin {
                api: is_api(parts.uri.path()),
            })
        }
    }
}

/// The client's IP address (for the login throttle); `None` when the server was not started
/// with connect info.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientAddr, Infallible> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<PeerAddr>>()
                .map(|ConnectInfo(PeerAddr(a))| a.ip()),
        ))
    }
}

/// Where to go after logging in: `next` when it is a path on this site, else `/phone`.
/// Anything that a browser could read as another origin (`//host`, `/\host`, a scheme,
/// control characters) is refused, so the login page cannot be an open redirect.
pub(crate) fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && n.len() <= 2048
                && !n.bytes().any(|b| b.is_ascii_control() || b == b'\\') =>
        {
            n
        }
        _ => "/phone",
    }
}

/// Percent-encodes everything but unreserved characters and `/` (for `next=` in a URL).
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
