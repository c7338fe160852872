//! The call records table in SQL: written in batches by `cdr_writer`, read by `cdr list`.
//!
//! A row is inserted when a call starts and overwritten with the final record when it ends.
//! Both are upserts: a start reported again (at answer, with `answer_ms`) updates a record
//! that is still open, so a record a crash leaves open says whether the call was up; and an
//! end whose start was never saved (the database refused it for a moment) still leaves its
//! record. A start never reopens a closed record.

use pbx::accounts::CdrFilter;
use pbx::{CallRecord, Disposition, LegStats};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::backend::{Backend, with_pool};
use crate::error::StoreError;

/// Every column, in the order `INSERT` binds them and `record` reads them.
macro_rules! columns {
    () => {
        "id, call_id, caller, callee, dialed, start_ms, answer_ms, end_ms, duration, billable, \
         disposition, sip_cause, codec_a, codec_b, \
         a_packets_in, a_bytes_in, a_packets_out, a_lost, a_jitter_ms, a_rtcp_lost, \
         a_rtcp_jitter_ms, \
         b_packets_in, b_bytes_in, b_packets_out, b_lost, b_jitter_ms, b_rtcp_lost, \
         b_rtcp_jitter_ms"
    };
}

/// Every column but the id from `excluded`, for both upserts.
macro_rules! update_all {
    () => {
        " ON CONFLICT (id) DO UPDATE SET call_id = excluded.call_id, caller = excluded.caller, \
     callee = excluded.callee, dialed = excluded.dialed, start_ms = excluded.start_ms, \
     answer_ms = excluded.answer_ms, end_ms = excluded.end_ms, duration = excluded.duration, \
     billable = excluded.billable, disposition = excluded.disposition, \
     sip_cause = excluded.sip_cause, codec_a = excluded.codec_a, codec_b = excluded.codec_b, \
     a_packets_in = excluded.a_packets_in, a_bytes_in = excluded.a_bytes_in, \
     a_packets_out = excluded.a_packets_out, a_lost = excluded.a_lost, \
     a_jitter_ms = excluded.a_jitter_ms, a_rtcp_lost = excluded.a_rtcp_lost, \
     a_rtcp_jitter_ms = excluded.a_rtcp_jitter_ms, \
     b_packets_in = excluded.b_packets_in, b_bytes_in = excluded.b_bytes_in, \
     b_packets_out = excluded.b_packets_out, b_lost = excluded.b_lost, \
     b_jitter_ms = excluded.b_jitter_ms, b_rtcp_lost = excluded.b_rtcp_lost, \
     b_rtcp_jitter_ms = excluded.b_rtcp_jitter_ms"
    };
}

/// After the rows of a start: a start only updates a record that is still open.
const UPSERT_OPEN_TAIL: &str = concat!(update_all!(), " WHERE cdrs.end_ms IS NULL");

/// After the rows of an end.
const UPSERT_ENDED_TAIL: &str = update_all!();

/// Rows in one INSERT: 28 parameters each, well within SQLite's 32766 and PostgreSQL's 65535.
const ROWS_PER_STATEMENT: usize = 256;

/// A leg's counters as bound: packets in, bytes in, packets out, lost, jitter, and RTCP's
/// lost and jitter.
#[allow(clippy::type_complexity)]
fn leg_columns(l: &LegStats) -> (i64, i64, i64, i64, f64, Option<i64>, Option<f64>) {
    (
        to_i64(l.packets_in),
        to_i64(l.bytes_in),
        to_i64(l.packets_out),
        to_i64(l.lost),
        l.jitter_ms,
        l.rtcp_lost.map(to_i64),
        l.rtcp_jitter_ms,
    )
}

const SELECT_SINCE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM cdrs WHERE start_ms >= $1 ORDER BY start_ms DESC, id DESC LIMIT $2"
);

/// Most records one filtered listing returns (a page of the admin's list, a CSV export).
pub const MAX_FILTERED_RECORDS: u32 = 10_000;

/// The filtered listing: the time window ($1 inclusive, $2 exclusive), then `$condition`
/// (the number and disposition conditions given, binding $5 and on), limit $3, offset $4.
macro_rules! select_filtered {
    ($($condition:literal)?) => {
        concat!(
            "SELECT ",
            columns!(),
            " FROM cdrs WHERE start_ms >= $1 AND start_ms < $2",
            $($condition,)?
            " ORDER BY start_ms DESC, id DESC LIMIT $3 OFFSET $4"
        )
    };
}

/// Closes what a stopped server left open: answered calls end answered, the rest failed;
/// the SIP cause stays what it was.
const CLOSE_OPEN: &str = "UPDATE cdrs SET end_ms = $1, \
     disposition = CASE WHEN answer_ms IS NULL THEN 'failed' ELSE 'answered' END, \
     duration = CASE WHEN $1 > start_ms THEN ($1 - start_ms) / 1000 ELSE 0 END, \
     billable = CASE WHEN answer_ms IS NOT NULL AND $1 > answer_ms \
     THEN ($1 - answer_ms) / 1000 ELSE 0 END \
     WHERE end_ms IS NULL";

/// One queued write: the record as it was when the call started (or was answered: the
/// start reported again) or ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CdrWrite {
    Started(Box<CallRecord>),
    Ended(Box<CallRecord>),
}

impl CdrWrite {
    pub fn record(&self) -> &CallRecord {
        match self {
            CdrWrite::Started(r) | CdrWrite::Ended(r) => r,
        }
    }
}

impl Backend {
    /// Applies the writes in one transaction.
    pub async fn write_records(&self, writes: &[CdrWrite]) -> Result<(), StoreError> {
        // One statement for many rows: each statement is a round trip to the database (for
        // SQLite, to its worker thread and back: two thread wake-ups), and a busy server ends
        // hundreds of calls between two batches. A batch holds one write per call (the
        // writer folds a start into its end), so grouping starts apart from ends cannot
        // reorder two writes of one record.
        let (started, ended): (Vec<&CdrWrite>, Vec<&CdrWrite>) = writes
            .iter()
            .partition(|w| matches!(w, CdrWrite::Started(_)));
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (records, upsert) in [(&started, UPSERT_OPEN_TAIL), (&ended, UPSERT_ENDED_TAIL)] {
                for chunk in records.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::new(concat!("INSERT INTO cdrs (", columns!(), ") "));
                    q.push_values(chunk, |mut row, w| {
                        let r = w.record();
                        let (a, b) = (leg_columns(&r.leg_a), leg_columns(&r.leg_b));
                        row.push_bind(&r.id)
                            .push_bind(&r.call_id)
                            .push_bind(&r.caller)
                            .push_bind(&r.callee)
                            .push_bind(&r.dialed)
                            .push_bind(r.start_ms)
                            .push_bind(r.answer_ms)
                            .push_bind(r.end_ms)
                            .push_bind(r.duration_secs())
                            .push_bind(r.billable_secs())
                            .push_bind(r.disposition.as_str())
                            .push_bind(r.sip_cause.map(i64::from))
                            .push_bind(r.codec_a.as_deref())
                            .push_bind(r.codec_b.as_deref())
                            .push_bind(a.0).push_bind(a.1).push_bind(a.2).push_bind(a.3)
                            .push_bind(a.4).push_bind(a.5).push_bind(a.6)
                            .push_bind(b.0).push_bind(b.1).push_bind(b.2).push_bind(b.3)
                            .push_bind(b.4).push_bind(b.5).push_bind(b.6);
                    });
                    q.push(upsert);
                    q.build().execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Ends every open record at `now_ms` (see `CLOSE_OPEN`); returns how many.
    pub async fn close_open_records(&self, now_ms: i64) -> Result<u64, StoreError> {
        Ok(with_pool!(self, pool => {
            sqlx::query(CLOSE_OPEN)
                .bind(now_ms)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Records of calls that started at or after `since_ms`, newest first, at most `limit`.
    /// A row that does not read back is skipped with a warning.
    pub async fn list_records(
        &self,
        since_ms: Option<i64>,
        limit: Option<u32>,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let records = with_pool!(self, pool => {
            sqlx::query(SELECT_SINCE)
                .bind(since_ms.unwrap_or(i64::MIN))
                .bind(limit.map_or(i64::MAX, i64::from))
                .fetch_all(pool)
                .await?
                .iter()
                .filter_map(|row| {
                    record(row)
                        .inspect_err(|e| tracing::warn!("skipping a call record: {e}"))
                        .ok()
                })
                .collect()
        });
        Ok(records)
    }

    /// Records matching every condition of `filter`, newest first; a `limit` of 0 or above
    /// `MAX_FILTERED_RECORDS` means that many. A row that does not read back is skipped with
    /// a warning.
    pub async fn list_records_filtered(
        &self,
        filter: &CdrFilter,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let limit = match filter.limit {
            0 => MAX_FILTERED_RECORDS,
            n => n.min(MAX_FILTERED_RECORDS),
        };
        let party = filter.party.as_deref();
        let disposition = filter.disposition.map(Disposition::as_str);
        // One text per combination rather than `$5 IS NULL OR ...`, so PostgreSQL's cached
        // plan for each can use the indexes on caller, callee and dialed.
        let sql = match (party.is_some(), disposition.is_some()) {
            (false, false) => select_filtered!(),
            (true, false) => select_filtered!(" AND (caller = $5 OR callee = $5 OR dialed = $5)"),
            (false, true) => select_filtered!(" AND disposition = $5"),
            (true, true) => select_filtered!(
                " AND (caller = $5 OR callee = $5 OR dialed = $5) AND disposition = $6"
            ),
        };
        let records = with_pool!(self, pool => {
            let mut query = sqlx::query(sql)
                .bind(filter.since_ms.unwrap_or(i64::MIN))
                .bind(filter.until_ms.unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .bind(i64::from(filter.offset));
            if let Some(party) = party {
                query = query.bind(party);
            }
            if let Some(disposition) = disposition {
                query = query.bind(disposition);
            }
            query
                .fetch_all(pool)
                .await?
                .iter()
                .filter_map(|row| {
                    record(row)
                        .inspect_err(|e| tracing::warn!("skipping a call record: {e}"))
                        .ok()
                })
                .collect()
        });
        Ok(records)
    }
}

/// Counters past i64::MAX (never in practice) are stored as i64::MAX.
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Reads one row of `SELECT_SINCE` or `select_filtered!` (either database's row type).
fn record<'r, R>(row: &'r R) -> Result<CallRecord, StoreError>
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    f64: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("call record {id}: {what}"));
    let disposition: String = row.try_get("disposition")?;
    let sip_cause: Option<i64> = row.try_get("sip_cause")?;
    let leg = |p: &str| -> Result<LegStats, StoreError> {
        let col = |name: &str| format!("{p}_{name}");
        let int = |name: &str| row.try_get::<i64, _>(col(name).as_str()).map(to_u64);
        Ok(LegStats {
            packets_in: int("packets_in")?,
            bytes_in: int("bytes_in")?,
            packets_out: int("packets_out")?,
            lost: int("lost")?,
            jitter_ms: row.try_get(col("jitter_ms").as_str())?,
            rtcp_lost: row
                .try_get::<Option<i64>, _>(col("rtcp_lost").as_str())?
                .map(to_u64),
            rtcp_jitter_ms: row.try_get(col("rtcp_jitter_ms").as_str())?,
        })
    };
    Ok(CallRecord {
        call_id: row.try_get("call_id")?,
        caller: row.try_get("caller")?,
        callee: row.try_get("callee")?,
        dialed: row.try_get("dialed")?,
        start_ms: row.try_get("start_ms")?,
        answer_ms: row.try_get("answer_ms")?,
        end_ms: row.try_get("end_ms")?,
        disposition: disposition
            .parse::<Disposition>()
            .map_err(|_| corrupt("disposition"))?,
        sip_cause: sip_cause
            .map(u16::try_from)
            .transpose()
            .map_err(|_| corrupt("sip_cause"))?,
        codec_a: row.try_get("codec_a")?,
        codec_b: row.try_get("codec_b")?,
        leg_a: leg("a")?,
        leg_b: leg("b")?,
        id,
    })
}
