//! `/admin/calls`: calls up or ringing now, each with a hang-up button.

use std::time::{SystemTime, UNIX_EPOCH};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{Done, PageCtx, filters, time};
use crate::AppState;
use crate::auth::Admin;
use crate::backend::LiveCall;

#[derive(Template, WebTemplate)]
#[template(path = "calls.html")]
pub(crate) struct CallsPage {
    page: PageCtx,
    calls: Vec<CallRow>,
    notice: Option<&'static str>,
}

struct CallRow {
    call: LiveCall,
    started: String,
    /// m:ss since the call started.
    elapsed: String,
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(done): Query<Done>,
) -> CallsPage {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut calls: Vec<CallRow> = state
        .backend
        .active_calls()
        .into_iter()
        .map(|call| CallRow {
            started: time::datetime(call.started_ms),
            elapsed: time::elapsed((now_ms - call.started_ms) / 1000),
            call,
        })
        .collect();
    calls.sort_by_key(|c| c.call.started_ms);
    CallsPage {
        page: PageCtx::new(&viewer, "calls"),
        calls,
        notice: done.message(&[
            ("hungup", "The call was hung up."),
            ("gone", "That call had already ended."),
        ]),
    }
}

/// Ends a call; either way back to the list, which says what happened.
pub(crate) async fn hang_up(
    State(state): State<AppState>,
    Admin(_viewer): Admin,
    Path(id): Path<String>,
) -> Response {
    let done = if state.backend.hang_up(&id) {
        "hungup"
    } else {
        "gone"
    };
    Redirect::to(&format!("/admin/calls?done={done}")).into_response()
}
