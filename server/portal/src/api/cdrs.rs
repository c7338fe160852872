//! `/api/cdrs` and `/api/cdrs.csv` (admins): call records with filters, as JSON or as a CSV
//! file for spreadsheets (the admin page's export link points here).

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use pbx::accounts::CdrFilter;
use pbx::{CallRecord, Disposition};
use serde_json::Value;

use super::json::cdr_json;
use super::time::{parse_time, rfc3339_ms};
use crate::AppState;
use crate::auth::Admin;
use crate::error::AppError;
use crate::form;

/// Records per JSON answer by default; a CSV export takes up to the maximum.
const DEFAULT_LIMIT: u32 = 100;
pub(crate) const MAX_LIMIT: u32 = 10_000;

/// Reads `since`, `until` (RFC 3339 or YYYY-MM-DD; a bare `until` date includes that day),
/// `number`, `disposition`, `limit` and `offset`. Empty values are no filter (that is what
/// an untouched form field sends); other parameters are ignored.
pub(crate) fn filter_from_query(query: &str, default_limit: u32) -> Result<CdrFilter, AppError> {
    let mut f = CdrFilter {
        limit: default_limit,
        ..CdrFilter::default()
    };
    for (key, value) in form::pairs(query) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key.as_str() {
            "since" => f.since_ms = Some(parse_time(value, false).map_err(since_until("since"))?),
            "until" => f.until_ms = Some(parse_time(value, true).map_err(since_until("until"))?),
            "number" => f.party = Some(value.to_owned()),
            "disposition" => {
                f.disposition = Some(value.parse::<Disposition>().map_err(|_| {
                    let names: Vec<&str> = Disposition::ALL.iter().map(|d| d.as_str()).collect();
                    AppError::bad_request(format!(
                        "disposition: {value:?} is not one of {}",
                        names.join(", ")
                    ))
                })?);
            }
            "limit" => {
                f.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        AppError::bad_request(format!("limit: give a number from 1 to {MAX_LIMIT}"))
                    })?;
            }
            "offset" => {
                f.offset = value
                    .parse()
                    .map_err(|_| AppError::bad_request("offset: give a number, 0 or more"))?;
            }
            _ => {}
        }
    }
    Ok(f)
}

fn since_until(name: &'static str) -> impl Fn(String) -> AppError {
    move |m| AppError::bad_request(format!("{name}: {m}"))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    _: Admin,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<Value>>, AppError> {
    let filter = filter_from_query(query.as_deref().unwrap_or_default(), DEFAULT_LIMIT)?;
    let records = state.backend.call_records(filter).await?;
    Ok(Json(records.iter().map(cdr_json).collect()))
}

pub(crate) async fn csv(
    State(state): State<AppState>,
    _: Admin,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let filter = filter_from_query(query.as_deref().unwrap_or_default(), MAX_LIMIT)?;
    let records = state.backend.call_records(filter).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"call-records.csv\"",
            ),
        ],
        csv_of(&records),
    )
        .into_response())
}

const CSV_HEADER: &str = "id,call_id,caller,callee,dialed,start,answer,end,duration,billable,\
    disposition,sip_cause,codec_a,codec_b\r\n";

/// RFC 4180 CSV (CRLF line ends, quotes where needed), one row per record.
fn csv_of(records: &[CallRecord]) -> String {
    let mut out = String::from(CSV_HEADER);
    for r in records {
        let cells = [
            r.id.clone(),
            r.call_id.clone(),
            r.caller.clone(),
            r.callee.clone(),
            r.dialed.clone(),
            rfc3339_ms(r.start_ms),
            r.answer_ms.map(rfc3339_ms).unwrap_or_default(),
            r.end_ms.map(rfc3339_ms).unwrap_or_default(),
            r.duration_secs().to_string(),
            r.billable_secs().to_string(),
            r.disposition.as_str().to_owned(),
            r.sip_cause.map(|c| c.to_string()).unwrap_or_default(),
            r.codec_a.clone().unwrap_or_default(),
            r.codec_b.clone().unwrap_or_default(),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One cell. Caller ids can come from outside (a trunk), so a cell that a spreadsheet would
/// run as a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with `'`; a phone number such
/// as `+4930123` is left alone, it is not a formula.
fn csv_cell(value: &str) -> String {
    let is_number = value
        .strip_prefix(['+', '-'])
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()));
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_number;
    let value = if formula {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("1001"), "1001");
        assert_eq!(csv_cell("+4930123"), "+4930123");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-1+2"), "'-1+2");
    }

    #[test]
    fn filters_parse_and_refuse_bad_values() {
        let f = filter_from_query(
            "since=2024-05-01&until=2024-05-01&number=1001&disposition=no+answer&limit=5&offset=10&x=1",
            100,
        );
        let f = f.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.since_ms, Some(1_714_521_600_000));
        assert_eq!(f.until_ms, Some(1_714_608_000_000));
        assert_eq!(f.party.as_deref(), Some("1001"));
        assert_eq!(f.disposition, Some(Disposition::NoAnswer));
        assert_eq!((f.limit, f.offset), (5, 10));
        let empty = filter_from_query("since=&number=&disposition=", 7);
        assert_eq!(empty.map(|f| (f.since_ms, f.limit)), Ok((None, 7)));
        for bad in [
            "since=x",
            "until=2024-02-30",
            "disposition=lost",
            "limit=0",
            "limit=10001",
            "offset=-1",
        ] {
            let e = filter_from_query(bad, 100).err().map(|e| e.status.as_u16());
            assert_eq!(e, Some(400), "{bad}");
        }
    }
}
