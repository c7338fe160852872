//! `/admin/cdrs`: call records, newest first, filtered by dates, a number and how the call
//! ended, a page at a time; the CSV export link carries the same filters to `/api/cdrs.csv`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pbx::{CallRecord, Disposition};
use serde::Deserialize;

use super::{PageCtx, PageError, time, url, with_status};
use crate::AppState;
use crate::api::filter_from_query;
use crate::auth::Admin;

/// Records on one page.
const PER_PAGE: u32 = 100;

#[derive(Template, WebTemplate)]
#[template(path = "cdrs.html")]
pub(crate) struct CdrsPage {
    page: PageCtx,
    filter: CdrQuery,
    rows: Vec<CdrRow>,
    error: Option<String>,
    dispositions: [Disposition; 6],
    /// `/api/cdrs.csv?…` with the filters shown.
    csv_href: String,
    /// Links to the neighbouring pages of results, when there are any.
    newer_href: Option<String>,
    older_href: Option<String>,
    /// 1-based.
    page_no: u32,
}

struct CdrRow {
    record: CallRecord,
    start: String,
    codecs: String,
    badge: &'static str,
}

/// The filter form (a GET form, so a filtered list is a link one can share).
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct CdrQuery {
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    disposition: String,
    #[serde(default)]
    page: Option<u32>,
}

impl CdrQuery {
    /// The query string of these filters (without the page number).
    fn query(&self) -> String {
        url::query(&[
            ("since", self.since.trim()),
            ("until", self.until.trim()),
            ("number", self.number.trim()),
            ("disposition", &self.disposition),
        ])
    }

    fn page_href(&self, page_no: u32) -> String {
        let q = self.query();
        match (q.is_empty(), page_no) {
            (true, 1) => "/admin/cdrs".to_owned(),
            (false, 1) => format!("/admin/cdrs?{q}"),
            (true, n) => format!("/admin/cdrs?page={n}"),
            (false, n) => format!("/admin/cdrs?{q}&page={n}"),
        }
    }
}

fn row(record: CallRecord) -> CdrRow {
    let codecs = match (&record.codec_a, &record.codec_b) {
        (Some(a), Some(b)) if a == b => a.clone(),
        (Some(a), Some(b)) => format!("{a} ↔ {b}"),
        (Some(c), None) | (None, Some(c)) => c.clone(),
        (None, None) => "—".to_owned(),
    };
    let badge = match record.disposition {
        Disposition::Answered => "badge-ok",
        Disposition::Busy | Disposition::NoAnswer => "badge-warn",
        Disposition::Failed => "badge-danger",
        Disposition::InProgress => "badge-info",
        Disposition::Cancelled => "badge-muted",
    };
    CdrRow {
        start: time::datetime(record.start_ms),
        codecs,
        badge,
        record,
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(viewer): Admin,
    Query(filter): Query<CdrQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let page = PageCtx::new(&viewer, "cdrs");
    let page_no = filter.page.unwrap_or(1).clamp(1, 100_000);
    let csv_href = match filter.query() {
        q if q.is_empty() => "/api/cdrs.csv".to_owned(),
        q => format!("/api/cdrs.csv?{q}"),
    };
    let mut view = CdrsPage {
        page,
        rows: Vec::new(),
        error: None,
        dispositions: Disposition::ALL,
        csv_href,
        newer_href: (page_no > 1).then(|| filter.page_href(page_no - 1)),
        older_href: None,
        page_no,
        filter,
    };
    // The API's reading of the filters, so the page shows exactly what its CSV export holds.
    let mut cdr_filter = match filter_from_query(raw.as_deref().unwrap_or_default(), PER_PAGE) {
        Ok(f) => f,
        Err(e) => {
            view.error = Some(e.message);
            return Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, view));
        }
    };
    if let (Some(since), Some(until)) = (cdr_filter.since_ms, cdr_filter.until_ms)
        && until <= since
    {
        view.error = Some("The to date is before the from date.".into());
        return Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, view));
    }
    // One more than a page, to know whether there is an older page.
    cdr_filter.limit = PER_PAGE + 1;
    cdr_filter.offset = (page_no - 1).saturating_mul(PER_PAGE);
    let mut records = state
        .backend
        .call_records(cdr_filter)
        .await
        .map_err(|e| view.page.fail(e))?;
    if records.len() > PER_PAGE as usize {
        records.truncate(PER_PAGE as usize);
        view.older_href = Some(view.filter.page_href(page_no + 1));
    }
    view.rows = records.into_iter().map(row).collect();
    Ok(view.into_response())
}
