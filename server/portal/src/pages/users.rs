//! `/admin/users`: who may log in to the portal, which extension their softphone uses, who
//! is an admin; and the form that adds a user.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pbx::accounts::User;

use super::{Done, Fields, PageCtx, PageError, time, with_status};
use crate::AppState;
use crate::auth::Admin;
use crate::auth::accounts::{CreateUser, create_user};
use crate::backend::ExtensionInfo;
use crate::error::AppError;

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
pub(crate) struct UsersPage {
    page: PageCtx,
    users: Vec<UserRow>,
    extensions: Vec<ExtensionInfo>,
    form: CreateForm,
    error: Option<String>,
    notice: Option<&'static str>,
}

pub(crate) struct UserRow {
    pub user: User,
    pub created: String,
    /// The name of the user's extension, when it has one.
    pub extension_name: Option<String>,
}

/// The create form as typed (the password is never sent back).
#[derive(Debug, Default)]
pub(crate) struct CreateForm {
    name: String,
    extension: String,
    admin: bool,
}

/// What a refused account change looks like on a page: the message in the form (422, or
/// 429 when throttled), or an error page for a server fault.
pub(crate) fn refusal(page: &PageCtx, e: AppError) -> Result<(StatusCode, String), PageError> {
    match e.status {
        s if s.is_server_error() => Err(page.error(s, e.message)),
        StatusCode::NOT_FOUND => Err(page.error(StatusCode::NOT_FOUND, e.message)),
        StatusCode::TOO_MANY_REQUESTS => Ok((StatusCode::TOO_MANY_REQUESTS, e.message)),
        _ => Ok((StatusCode::UNPROCESSABLE_ENTITY, e.message)),
    }
}

async fn render(
    state: &AppState,
    page: PageCtx,
    form: CreateForm,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<UsersPage, PageError> {
    let users = state.backend.users().await.map_err(|e| page.fail(e))?;
    let extensions = state.backend.extensions().await.map_err(|e| page.fail(e))?;
    let users = users
        .into_iter()
        .map(|user| UserRow {
            created: time::date_secs(user.created_at),
            extension_name: user.extension.as_ref().and_then(|n| {
                extensions
                    .iter()
                    .find(|e| &e.number == n)
                    .map(|e| e.name.clone())
            }),
            user,
        })
        .collect();
    Ok(UsersPage {
        page,
        users,
        extensions,
        form,
        error,
        notice,
    })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(done): Query<Done>,
) -> Result<UsersPage, PageError> {
    let notice = done.message(&[
        ("created", "User created. They can log in now."),
        ("deleted", "User deleted."),
    ]);
    let page = PageCtx::new(&viewer, "users");
    render(&state, page, CreateForm::default(), None, notice).await
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "users");
    let form = CreateForm {
        name: fields.text("name"),
        extension: fields.text("extension"),
        admin: fields.checked("admin"),
    };
    let new = CreateUser {
        name: form.name.clone(),
        password: fields.text("password"),
        extension: Some(form.extension.clone()),
        admin: form.admin,
    };
    let (status, message) = match create_user(&state, new).await {
        Ok(_) => return Ok(Redirect::to("/admin/users?done=created").into_response()),
        Err(e) => refusal(&page, e)?,
    };
    let view = render(&state, page, form, Some(message), None).await?;
    Ok(with_status(status, view))
}
