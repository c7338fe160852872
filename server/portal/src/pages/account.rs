//! `/account`: the logged-in user's own account. Everyone can change their password; admins
//! also create and revoke the API tokens their scripts use (a new token is shown once).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use pbx::accounts::ApiToken;

use super::submit::Refusal;
use super::{Done, Fields, PageCtx, PageError, time, with_status};
use crate::AppState;
use crate::auth::accounts::change_own_password;
use crate::auth::{Admin, Viewer, tokens};

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub(crate) struct AccountPage {
    page: PageCtx,
    extension: Option<String>,
    since: String,
    /// Admins only (empty for others, and the section is not shown).
    tokens: Vec<TokenRow>,
    notice: Option<&'static str>,
    password_error: Option<String>,
    token_error: Option<String>,
    /// The label typed into the token form (kept when it is refused).
    token_label: String,
    /// A token just created: shown this once.
    new_token: Option<NewToken>,
}

struct TokenRow {
    token: ApiToken,
    created: String,
    last_used: String,
}

struct NewToken {
    label: String,
    token: String,
}

impl AccountPage {
    async fn new(state: &AppState, viewer: &Viewer) -> Result<AccountPage, PageError> {
        let page = PageCtx::new(viewer, "account");
        let tokens = if viewer.user.admin {
            state
                .backend
                .api_tokens(viewer.user.id)
                .await
                .map_err(|e| page.fail(e))?
                .into_iter()
                .map(|token| TokenRow {
                    created: time::date_secs(token.created_at),
                    last_used: token
                        .last_used
                        .map_or_else(|| "never".to_owned(), |t| time::datetime(t * 1000)),
                    token,
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(AccountPage {
            page,
            extension: viewer.user.extension.clone(),
            since: time::date_secs(viewer.user.created_at),
            tokens,
            notice: None,
            password_error: None,
            token_error: None,
            token_label: String::new(),
            new_token: None,
        })
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<AccountPage, PageError> {
    let mut view = AccountPage::new(&state, &viewer).await?;
    view.notice = done.message(&[
        (
            "password",
            "Password changed. Your other sessions were logged out.",
        ),
        ("token-deleted", "The API token was revoked."),
    ]);
    Ok(view)
}

pub(crate) async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "account");
    let new = fields.text("new");
    let (status, message) = if new != fields.text("confirm") {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "The new password and its confirmation differ.".to_owned(),
        )
    } else {
        match change_own_password(&state, &viewer.user, fields.text("current"), new).await {
            // This browser gets a fresh session; the others were ended.
            Ok(session) => {
                return Ok((
                    [(header::SET_COOKIE, session.set_cookie)],
                    Redirect::to("/account?done=password"),
                )
                    .into_response());
            }
            Err(e) => e.shown(&page)?,
        }
    };
    let mut view = AccountPage::new(&state, &viewer).await?;
    view.password_error = Some(message);
    Ok(with_status(status, view))
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "account");
    let label = fields.text("label");
    match tokens::create(&state, &viewer.user, &label).await {
        Ok((stored, token)) => {
            let mut view = AccountPage::new(&state, &viewer).await?;
            view.new_token = Some(NewToken {
                label: stored.label,
                token,
            });
            // Shown once: neither the browser nor a proxy may keep a copy.
            Ok(([(header::CACHE_CONTROL, "no-store")], view).into_response())
        }
        Err(e) => {
            let (status, message) = e.shown(&page)?;
            let mut view = AccountPage::new(&state, &viewer).await?;
            view.token_error = Some(message);
            view.token_label = label;
            Ok(with_status(status, view))
        }
    }
}

pub(crate) async fn delete_token(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "account");
    match state.backend.delete_api_token(viewer.user.id, id).await {
        Ok(true) => Ok(Redirect::to("/account?done=token-deleted").into_response()),
        Ok(false) => Err(page.not_found("This API token")),
        Err(e) => Err(page.fail(e)),
    }
}
