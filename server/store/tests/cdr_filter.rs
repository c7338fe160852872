//! Listing call records by filter on SQLite (a temp file) and PostgreSQL (a scratch schema in
//! database `test` on 127.0.0.1:5432; skipped with a printed reason when no server answers):
//! number, disposition, time window, paging, the cap, and queued records written first.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use pbx::accounts::CdrFilter;
use pbx::{CallRecord, CallRecords, Disposition, LegStats};
use sqlx::Connection;
use store::{MAX_FILTERED_RECORDS, Store};

const T0: i64 = 1_800_000_000_000;

fn ended(
    id: &str,
    start_ms: i64,
    (caller, callee, dialed): (&str, &str, &str),
    d: Disposition,
) -> CallRecord {
    CallRecord {
        id: id.into(),
        call_id: format!("{id}@192.0.2.1"),
        caller: caller.into(),
        callee: callee.into(),
        dialed: dialed.into(),
        start_ms,
        answer_ms: (d == Disposition::Answered).then_some(start_ms + 1_000),
        end_ms: Some(start_ms + 5_000),
        disposition: d,
        sip_cause: None,
        codec_a: None,
        codec_b: None,
        leg_a: LegStats::default(),
        leg_b: LegStats::default(),
    }
}

async fn ids(store: &Store, filter: CdrFilter) -> Vec<String> {
    store
        .list_records_filtered(&filter)
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect()
}

async fn suite(url: String) {
    let store = Store::connect(&url).await.expect("connect");
    assert!(ids(&store, CdrFilter::default()).await.is_empty());

    use Disposition::{Answered, Busy, NoAnswer};
    // c1..c6, one a second; the party to look for (1001) is caller, callee or only dialed
    // (a number that forwarded to 1003).
    let calls = [
        ended("c1", T0, ("1001", "1002", "1002"), Answered),
        ended("c2", T0 + 1_000, ("1002", "1001", "1001"), Busy),
        ended("c3", T0 + 2_000, ("1002", "1003", "1001"), Answered),
        ended("c4", T0 + 3_000, ("1003", "1002", "1002"), NoAnswer),
        ended(
            "c5",
            T0 + 4_000,
            ("1001", "+15551234567", "915551234567"),
            Answered,
        ),
        ended("c6", T0 + 5_000, ("1003", "1004", "1004"), Answered),
    ];
    for call in &calls {
        store.call_started(call);
        store.call_ended(call);
    }
    // Not flushed by hand: the listing writes what this handle queued first.
    assert_eq!(
        ids(&store, CdrFilter::default()).await,
        ["c6", "c5", "c4", "c3", "c2", "c1"],
        "everything, newest first"
    );
    let got = store
        .list_records_filtered(&CdrFilter::default())
        .await
        .expect("list");
    assert_eq!(got.last(), calls.first(), "whole records come back");

    let party = |p: &str| CdrFilter {
        party: Some(p.into()),
        ..CdrFilter::default()
    };
    assert_eq!(ids(&store, party("1001")).await, ["c5", "c3", "c2", "c1"]);
    assert_eq!(ids(&store, party("+15551234567")).await, ["c5"], "callee");
    assert_eq!(ids(&store, party("915551234567")).await, ["c5"], "dialed");
    assert!(
        ids(&store, party("100")).await.is_empty(),
        "whole numbers only"
    );

    let disposition = |d: Disposition| CdrFilter {
        disposition: Some(d),
        ..CdrFilter::default()
    };
    assert_eq!(
        ids(&store, disposition(Answered)).await,
        ["c6", "c5", "c3", "c1"]
    );
    assert_eq!(ids(&store, disposition(NoAnswer)).await, ["c4"]);
    assert!(
        ids(&store, disposition(Disposition::Cancelled))
            .await
            .is_empty()
    );
    assert_eq!(
        ids(
            &store,
            CdrFilter {
                disposition: Some(Answered),
                ..party("1001")
            }
        )
        .await,
        ["c5", "c3", "c1"],
        "both conditions hold"
    );

    // Since is inclusive, until exclusive.
    let window = CdrFilter {
        since_ms: Some(T0 + 1_000),
        until_ms: Some(T0 + 4_000),
        ..CdrFilter::default()
    };
    assert_eq!(ids(&store, window.clone()).await, ["c4", "c3", "c2"]);
    assert_eq!(
        ids(
            &store,
            CdrFilter {
                party: Some("1002".into()),
                disposition: Some(Busy),
                ..window.clone()
            }
        )
        .await,
        ["c2"],
        "every condition at once"
    );
    assert!(
        ids(
            &store,
            CdrFilter {
                until_ms: Some(T0),
                ..CdrFilter::default()
            }
        )
        .await
        .is_empty()
    );

    // Paging.
    let page = |limit, offset| CdrFilter {
        limit,
        offset,
        ..CdrFilter::default()
    };
    assert_eq!(ids(&store, page(2, 0)).await, ["c6", "c5"]);
    assert_eq!(ids(&store, page(2, 2)).await, ["c4", "c3"]);
    assert_eq!(ids(&store, page(2, 5)).await, ["c1"]);
    assert!(ids(&store, page(2, 6)).await.is_empty());
    assert_eq!(
        ids(&store, page(0, 4)).await,
        ["c2", "c1"],
        "0 is no limit of its own"
    );
    assert_eq!(
        ids(
            &store,
            CdrFilter {
                limit: 1,
                offset: 1,
                ..party("1001")
            }
        )
        .await,
        ["c3"]
    );

    // The cap: more stored records than it, older than the others.
    let cap = i64::from(MAX_FILTERED_RECORDS);
    bulk_insert(&url, cap + 1).await;
    let bulk = |limit, offset| CdrFilter {
        party: Some("bulk".into()),
        limit,
        offset,
        ..CdrFilter::default()
    };
    let all = store
        .list_records_filtered(&bulk(0, 0))
        .await
        .expect("list");
    assert_eq!(
        all.len(),
        MAX_FILTERED_RECORDS as usize,
        "limit 0 is the cap"
    );
    assert_eq!(all.first().map(|r| r.id.as_str()), Some("bulk-1"));
    assert_eq!(
        store
            .list_records_filtered(&bulk(u32::MAX, 0))
            .await
            .expect("list")
            .len(),
        MAX_FILTERED_RECORDS as usize,
        "so is anything above it"
    );
    let rest = ids(&store, bulk(0, MAX_FILTERED_RECORDS)).await;
    assert_eq!(
        rest,
        [format!("bulk-{}", cap + 1)],
        "the oldest, one page on"
    );
    assert_eq!(
        ids(&store, page(3, 0)).await,
        ["c6", "c5", "c4"],
        "the others are still newest"
    );
    store.close().await;
}

/// `count` answered records from "bulk" to 1001, one a millisecond before T0 counting back,
/// written with one statement (the same SQL runs on both databases).
async fn bulk_insert(url: &str, count: i64) {
    let sql = "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO cdrs (id, call_id, caller, callee, dialed, start_ms, disposition) \
         SELECT 'bulk-' || i, 'bulk-' || i, 'bulk', '1001', '1001', $2 - i, 'answered' FROM n";
    let done = if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("open");
        sqlx::query(sql)
            .bind(count)
            .bind(T0)
            .execute(&mut conn)
            .await
            .map(|r| r.rows_affected())
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("open");
        sqlx::query(sql)
            .bind(count)
            .bind(T0)
            .execute(&mut conn)
            .await
            .map(|r| r.rows_affected())
    };
    assert_eq!(done.expect("bulk insert"), count as u64);
}

#[tokio::test]
async fn sqlite_cdr_filter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("sb.db").display());
    suite(url).await;
}

#[tokio::test]
async fn postgres_cdr_filter() {
    common::on_scratch_postgres("postgres_cdr_filter", suite).await;
}
