//! `/admin/routes`: the outbound routes in the order they are tried (the first whose pattern
//! matches the dialed number sends it out through its trunks, in their order); add one at a
//! position, remove one. Each links to its edit page (`route.rs`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use pbx::trunk::OutboundRoute;

use super::route_form::RouteForm;
use super::submit::{removed, submit};
use super::{Done, Fields, PageCtx, PageError, filters};
use crate::AppState;
use crate::auth::Admin;

#[derive(Template, WebTemplate)]
#[template(path = "routes.html")]
pub(crate) struct RoutesPage {
    page: PageCtx,
    tab: &'static str,
    routes: Vec<OutboundRoute>,
    /// Trunk names, offered as a hint.
    trunks: Vec<String>,
    form: RouteForm,
    /// The add form (`route_fields.html` serves the edit page too).
    creating: bool,
    error: Option<String>,
    notice: Option<&'static str>,
}

async fn render(
    state: &AppState,
    page: PageCtx,
    form: RouteForm,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<RoutesPage, PageError> {
    let routes = state
        .backend
        .outbound_routes()
        .await
        .map_err(|e| page.fail(e))?;
    Ok(RoutesPage {
        trunks: trunk_names(state, &page).await?,
        page,
        tab: "routes",
        routes,
        form,
        creating: true,
        error,
        notice,
    })
}

/// The trunks' names, for the hint next to the trunk list.
pub(crate) async fn trunk_names(
    state: &AppState,
    page: &PageCtx,
) -> Result<Vec<String>, PageError> {
    let trunks = state.backend.trunks().await.map_err(|e| page.fail(e))?;
    Ok(trunks.into_iter().map(|t| t.trunk.name).collect())
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(done): Query<Done>,
) -> Result<RoutesPage, PageError> {
    let notice = done.message(&[
        ("added", "Route added."),
        ("saved", "Route saved. Calls use it within a few seconds."),
        ("deleted", "Route removed."),
        ("gone", "That route had already been removed."),
    ]);
    let page = PageCtx::new(&viewer, "trunks");
    render(&state, page, RouteForm::default(), None, notice).await
}

pub(crate) async fn add(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    fields: Fields,
) -> Result<Response, PageError> {
    let form = RouteForm::from_fields(&fields);
    submit(
        PageCtx::new(&viewer, "trunks"),
        form.to_route(),
        |route| state.backend.add_outbound_route(route),
        "/admin/routes?done=added",
        |page, error| render(&state, page, form, Some(error), None),
    )
    .await
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    removed(
        &page,
        state.backend.remove_outbound_route(id).await,
        "/admin/routes",
    )
}
