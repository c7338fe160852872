//! `/admin/users`: who may log in to the portal, which extension their softphone uses, who
//! is an admin; and the form that adds a user.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;
use pbx::accounts::User;

use super::submit::submit;
use super::{Done, Fields, PageCtx, PageError, time};
use crate::AppState;
use crate::auth::Admin;
use crate::auth::accounts::{CreateUser, create_user};
use crate::backend::ExtensionInfo;

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
    submit(
        PageCtx::new(&viewer, "users"),
        Ok(new),
        |new| create_user(&state, new),
        "/admin/users?done=created",
        |page, error| render(&state, page, form, Some(error), None),
    )
    .await
}
