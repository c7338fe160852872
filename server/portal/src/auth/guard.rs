//! The middleware in front of every route: finds who is asking and refuses cross-site and
//! CSRF-less writes before any handler runs.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Principal, is_api, session, tokens};
use crate::AppState;
use crate::error::AppError;
use crate::form::form_field;

/// Largest form body read to find its `csrf` field (portal forms are a few hundred bytes).
const MAX_FORM: usize = 64 * 1024;

/// Paths whose POST acts for nobody yet, so there is no session token to check; they are
/// still covered by the same-origin check.
const LOGIN_PATHS: [&str; 2] = ["/login", "/api/login"];

pub(crate) async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match guard(&state, req).await {
        Ok((req, clear_cookie)) => {
            let mut resp = next.run(req).await;
            // A stale cookie is cleared unless the handler set a new one (a login).
            if clear_cookie && !resp.headers().contains_key(header::SET_COOKIE) {
                resp.headers_mut().insert(
                    header::SET_COOKIE,
                    session::clear_cookie(state.listener.secure),
                );
            }
            resp
        }
        Err(e) => e.into_response(),
    }
}

/// Returns the request (with a [`Principal`] when authenticated) and whether the browser sent
/// a session cookie that is no longer valid.
async fn guard(state: &AppState, req: Request) -> Result<(Request, bool), Refusal> {
    let api = is_api(req.uri().path());
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if writes && !same_origin(req.headers(), state.listener.secure) {
        return Err(Refusal::new(api, "Cross-site requests are refused."));
    }
    if api && req.headers().contains_key(header::AUTHORIZATION) {
        let principal = tokens::authenticate(state, req.headers())
            .await
            .map_err(|e| Refusal { api, error: e })?;
        let mut req = req;
        req.extensions_mut().insert(principal);
        return Ok((req, false));
    }
    let Some(token) = session::token_from(req.headers(), state.listener.secure) else {
        return Ok((req, false));
    };
    let Some((sess, user)) = session::resolve(state, &token).await.map_err(|e| Refusal {
        api,
        error: AppError::internal(e),
    })?
    else {
        return Ok((req, true));
    };
    let mut req = req;
    if writes && !LOGIN_PATHS.contains(&req.uri().path()) {
        let (checked, ok) = csrf_matches(req, &sess.csrf).await;
        req = checked;
        if !ok {
            return Err(Refusal::new(
                api,
                "The form is out of date or was not sent by this site (CSRF token \
                 missing or wrong); reload the page and try again.",
            ));
        }
    }
    req.extensions_mut().insert(Principal {
        user,
        csrf: sess.csrf,
    });
    Ok((req, false))
}

/// Browsers name the page that sent a request in `Origin` (and `Sec-Fetch-Site`); a write
/// from any other site is refused. Requests without them (scripts, old browsers) pass on to
/// the CSRF token check. This also covers the login form, which has no session token yet.
fn same_origin(headers: &HeaderMap, secure: bool) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let (scheme, default_port) = if secure {
        ("https", ":443")
    } else {
        ("http", ":80")
    };
    // Browsers leave the default port out of `Origin`; a client may still put it in `Host`.
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|h| h.strip_suffix(default_port).unwrap_or(h));
    match (origin.to_str().ok(), host) {
        (Some(o), Some(h)) => o.eq_ignore_ascii_case(&format!("{scheme}://{h}")),
        _ => false,
    }
}

/// Whether the request carries `expected` in `X-CSRF-Token` or, for a URL-encoded form, in
/// its `csrf` field. The body is read for that and put back for the handler.
async fn csrf_matches(req: Request, expected: &str) -> (Request, bool) {
    if let Some(sent) = req.headers().get("x-csrf-token") {
        let ok = constant_time_eq(sent.as_bytes(), expected.as_bytes());
        return (req, ok);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (req, false);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
        return (Request::from_parts(parts, Body::empty()), false);
    };
    let ok = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| form_field(text, "csrf"))
        .is_some_and(|sent| constant_time_eq(sent.as_bytes(), expected.as_bytes()));
    (Request::from_parts(parts, Body::from(bytes)), ok)
}

/// Compares without stopping at the first difference, so timing does not leak the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A refused request: JSON under `/api`, plain text for pages.
struct Refusal {
    api: bool,
    error: AppError,
}

impl Refusal {
    fn new(api: bool, message: &str) -> Refusal {
        Refusal {
            api,
            error: AppError::forbidden(message),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = self.error.status;
        let mut resp = if self.api {
            self.error.into_response()
        } else {
            (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!("{}\n", self.error.message),
            )
                .into_response()
        };
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}
