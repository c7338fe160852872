//! `/admin/routes/{id}`: one outbound route's settings, prefilled and saved all at once:
//! pattern, trunks in order, digits stripped and prepended, and its place in the order
//! (empty: where it is).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::Response;
use pbx::trunk::OutboundRoute;

use super::route_form::RouteForm;
use super::routes::trunk_names;
use super::submit::submit;
use super::{Fields, PageCtx, PageError};
use crate::AppState;
use crate::auth::Admin;

#[derive(Template, WebTemplate)]
#[template(path = "route.html")]
pub(crate) struct RoutePage {
    page: PageCtx,
    /// As stored (the form may hold what was typed instead).
    route: OutboundRoute,
    /// Trunk names, offered as a hint.
    trunks: Vec<String>,
    form: RouteForm,
    creating: bool,
    error: Option<String>,
}

async fn find(state: &AppState, page: &PageCtx, id: i64) -> Result<OutboundRoute, PageError> {
    let routes = state
        .backend
        .outbound_routes()
        .await
        .map_err(|e| page.fail(e))?;
    routes
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| page.not_found(&format!("Route {id}")))
}

async fn render(
    state: &AppState,
    page: PageCtx,
    route: OutboundRoute,
    form: RouteForm,
    error: Option<String>,
) -> Result<RoutePage, PageError> {
    Ok(RoutePage {
        trunks: trunk_names(state, &page).await?,
        page,
        route,
        form,
        creating: false,
        error,
    })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<i64>,
) -> Result<RoutePage, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    let route = find(&state, &page, id).await?;
    let form = RouteForm::from_route(&route);
    render(&state, page, route, form, None).await
}

pub(crate) async fn save(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<i64>,
    fields: Fields,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    let current = find(&state, &page, id).await?;
    let form = RouteForm::from_fields(&fields);
    let checked = form.to_route().map(|new| OutboundRoute {
        id,
        pattern: new.pattern,
        trunks: new.trunks,
        strip: new.strip,
        prepend: new.prepend,
        position: new.position.unwrap_or(current.position),
    });
    submit(
        page,
        checked,
        |route| state.backend.update_outbound_route(route),
        "/admin/routes?done=saved",
        |page, error| render(&state, page, current, form, Some(error)),
    )
    .await
}
