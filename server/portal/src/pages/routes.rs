//! `/admin/routes`: the outbound routes in the order they are tried (the first whose pattern
//! matches the dialed number sends it out through its trunks, in their order); add one at a
//! position, remove one.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pbx::trunk::OutboundRoute;

use super::{Done, Fields, PageCtx, PageError, filters, with_status};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::{BackendError, NewRoute};

#[derive(Template, WebTemplate)]
#[template(path = "routes.html")]
pub(crate) struct RoutesPage {
    page: PageCtx,
    tab: &'static str,
    routes: Vec<OutboundRoute>,
    /// Trunk names, offered as a hint.
    trunks: Vec<String>,
    form: RouteForm,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// The add form as typed (kept on a refused submit).
#[derive(Debug, Default)]
pub(crate) struct RouteForm {
    pattern: String,
    trunks: String,
    strip: String,
    prepend: String,
    position: String,
}

impl RouteForm {
    fn to_route(&self) -> Result<NewRoute, String> {
        let pattern = self.pattern.trim();
        if pattern.is_empty() {
            return Err(
                "Enter a pattern: a number, or a pattern starting with _ such as _1NXXNXXXXXX."
                    .into(),
            );
        }
        let trunks: Vec<String> = self
            .trunks
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if trunks.is_empty() {
            return Err("Enter the trunks to try, in order, for example acme, backup.".into());
        }
        let strip = match self.strip.trim() {
            "" => 0,
            s => s.parse::<u32>().map_err(|_| {
                "Strip is the number of leading digits to remove (0 or more).".to_owned()
            })?,
        };
        let position = match self.position.trim() {
            "" => None,
            p => Some(p.parse::<i64>().ok().filter(|p| *p >= 0).ok_or_else(|| {
                "Position is a whole number, 0 or more (empty: last).".to_owned()
            })?),
        };
        Ok(NewRoute {
            pattern: pattern.to_owned(),
            trunks,
            strip,
            prepend: self.prepend.trim().to_owned(),
            position,
        })
    }
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
    let trunks = state.backend.trunks().await.map_err(|e| page.fail(e))?;
    Ok(RoutesPage {
        page,
        tab: "routes",
        routes,
        trunks: trunks.into_iter().map(|t| t.trunk.name).collect(),
        form,
        error,
        notice,
    })
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(done): Query<Done>,
) -> Result<RoutesPage, PageError> {
    let notice = done.message(&[
        ("added", "Route added."),
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
    let page = PageCtx::new(&viewer, "trunks");
    let form = RouteForm {
        pattern: fields.text("pattern"),
        trunks: fields.text("trunks"),
        strip: fields.text("strip"),
        prepend: fields.text("prepend"),
        position: fields.text("position"),
    };
    let error = match form.to_route() {
        Err(message) => message,
        Ok(route) => match state.backend.add_outbound_route(route).await {
            Ok(_) => return Ok(Redirect::to("/admin/routes?done=added").into_response()),
            Err(BackendError::Invalid(m) | BackendError::Conflict(m)) => m,
            Err(e) => return Err(page.fail(e)),
        },
    };
    let view = render(&state, page, form, Some(error), None).await?;
    Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, view))
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "trunks");
    let done = match state.backend.remove_outbound_route(id).await {
        Ok(true) => "deleted",
        Ok(false) | Err(BackendError::NotFound) => "gone",
        Err(e) => return Err(page.fail(e)),
    };
    Ok(Redirect::to(&format!("/admin/routes?done={done}")).into_response())
}
