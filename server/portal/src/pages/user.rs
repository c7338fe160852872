//! `/admin/users/{id}`: change a user's extension, admin right or password (one save), and
//! delete the user after a confirmation. The rules (no self-demotion, not the last admin,
//! sessions end on a new password) are `crate::auth::accounts`'s, shared with the API.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use pbx::accounts::User;

use super::submit::{Refusal, submit};
use super::{Done, Fields, PageCtx, PageError, with_status};
use crate::AppState;
use crate::auth::Admin;
use crate::auth::accounts::{ChangeUser, delete_user, update_user};
use crate::backend::ExtensionInfo;

#[derive(Template, WebTemplate)]
#[template(path = "user.html")]
pub(crate) struct UserPage {
    page: PageCtx,
    user: User,
    extensions: Vec<ExtensionInfo>,
    form: EditForm,
    error: Option<String>,
    notice: Option<&'static str>,
    /// The admin is looking at their own account (no password, demotion or delete here).
    own: bool,
}

#[derive(Debug, Default)]
pub(crate) struct EditForm {
    extension: String,
    admin: bool,
}

async fn load(state: &AppState, page: &PageCtx, id: i64) -> Result<User, PageError> {
    state
        .backend
        .user(id)
        .await
        .map_err(|e| page.fail(e))?
        .ok_or_else(|| page.not_found("This user"))
}

async fn render(
    state: &AppState,
    page: PageCtx,
    user: User,
    form: EditForm,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<UserPage, PageError> {
    let extensions = state.backend.extensions().await.map_err(|e| page.fail(e))?;
    Ok(UserPage {
        own: user.name == page.user_name,
        page,
        user,
        extensions,
        form,
        error,
        notice,
    })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<i64>,
    Query(done): Query<Done>,
) -> Result<UserPage, PageError> {
    let page = PageCtx::new(&viewer, "users");
    let user = load(&state, &page, id).await?;
    let form = EditForm {
        extension: user.extension.clone().unwrap_or_default(),
        admin: user.admin,
    };
    let notice = done.message(&[
        ("saved", "Changes saved."),
        (
            "password",
            "Changes saved. The user was logged out everywhere and must use the new password.",
        ),
    ]);
    render(&state, page, user, form, None, notice).await
}

pub(crate) async fn save(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<i64>,
    fields: Fields,
) -> Result<Response, PageError> {
    let state = &state;
    let form = EditForm {
        extension: fields.text("extension"),
        admin: fields.checked("admin"),
    };
    let password = Some(fields.text("password")).filter(|p| !p.is_empty());
    let done = if password.is_some() {
        "password"
    } else {
        "saved"
    };
    let change = ChangeUser {
        password,
        extension: Some(Some(form.extension.clone())),
        admin: Some(form.admin),
    };
    submit(
        PageCtx::new(&viewer, "users"),
        Ok(change),
        |change| update_user(state, &viewer.user, id, change),
        &format!("/admin/users/{id}?done={done}"),
        |page, error| async move {
            let user = load(state, &page, id).await?;
            render(state, page, user, form, Some(error), None).await
        },
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "user_delete.html")]
pub(crate) struct DeletePage {
    page: PageCtx,
    user: User,
}

/// The first post (from the user's page) asks for a confirmation; the second deletes.
pub(crate) async fn delete(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<i64>,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "users");
    let user = load(&state, &page, id).await?;
    if fields.text("confirm") != "yes" {
        return Ok(DeletePage { page, user }.into_response());
    }
    let (status, message) = match delete_user(&state, &viewer.user, id).await {
        Ok(()) => return Ok(Redirect::to("/admin/users?done=deleted").into_response()),
        Err(e) => e.shown(&page)?,
    };
    let form = EditForm {
        extension: user.extension.clone().unwrap_or_default(),
        admin: user.admin,
    };
    let view = render(&state, page, user, form, Some(message), None).await?;
    Ok(with_status(status, view))
}
