//! What the store keeps for calls, on SQLite (a temp file) and PostgreSQL (a scratch schema in
//! database `test` on 127.0.0.1:5432; skipped with a printed reason when no server answers):
//! extension features, the dial plan and its cache, call records written behind.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use pbx::dialplan::{Rule, RuleAction};
use pbx::{
    CallClass, CallRecord, CallRecords, DialPlanSource, Directory, Disposition, Features, LegStats,
};
use sqlx::Connection;
use store::{FeaturesUpdate, Store, StoreError};

/// Features: defaults for a new extension, a round trip of every field, only named fields
/// change, clearing, unknown numbers and bad values refused.
async fn features_suite(url: &str) {
    let store = Store::connect(url).await.expect("connect");
    store
        .add_extension("1001", "Alice", "pw")
        .await
        .expect("add");
    store.add_extension("1002", "Bob", "pw").await.expect("add");
    let alice = store
        .extension("1001")
        .await
        .expect("lookup")
        .expect("1001");
    assert_eq!(alice.features, Features::default(), "new extensions");
    assert_eq!(
        alice.features.class,
        CallClass::National,
        "no international"
    );

    let all = FeaturesUpdate {
        class: Some(CallClass::International),
        forward_always: Some(Some("+15551234567".into())),
        forward_busy: Some(Some("1002".into())),
        forward_noanswer: Some(Some("1003".into())),
        ring_timeout: Some(35),
        dnd: Some(true),
        max_calls: Some(Some(2)),
    };
    store
        .set_extension_features("1001", &all)
        .await
        .expect("set");
    let want = Features {
        class: CallClass::International,
        forward_always: Some("+15551234567".into()),
        forward_busy: Some("1002".into()),
        forward_noanswer: Some("1003".into()),
        ring_timeout: 35,
        dnd: true,
        max_calls: Some(2),
    };
    // The cache was invalidated by the change: the next lookup sees it.
    let got = store
        .extension("1001")
        .await
        .expect("lookup")
        .expect("1001");
    assert_eq!(got.features, want);
    assert_eq!(got.name, "Alice", "other columns untouched");

    // Clearing a forward and the limit; the rest stays.
    let clear = FeaturesUpdate {
        forward_always: Some(None),
        max_calls: Some(None),
        dnd: Some(false),
        ..FeaturesUpdate::default()
    };
    store
        .set_extension_features("1001", &clear)
        .await
        .expect("clear");
    let mut want2 = want.clone();
    clear.apply_to(&mut want2);
    assert_eq!(want2.forward_always, None);
    let listed = store.list_extensions().await.expect("list");
    assert_eq!(listed[0].features, want2, "read from the database too");
    assert_eq!(listed[1].features, Features::default(), "1002 untouched");
    assert_eq!(
        store
            .extension("1001")
            .await
            .expect("lookup")
            .expect("1001")
            .features,
        want2
    );

    match store.set_extension_features("9999", &all).await {
        Err(StoreError::NoSuchExtension(n)) => assert_eq!(n, "9999"),
        other => panic!("unknown extension gave {other:?}"),
    }
    let bad = FeaturesUpdate {
        ring_timeout: Some(0),
        ..FeaturesUpdate::default()
    };
    assert!(matches!(
        store.set_extension_features("1001", &bad).await,
        Err(StoreError::InvalidFeature(_))
    ));

    // Another process (the CLI) changes features: the server's copy follows.
    let cli = Store::connect(url).await.expect("connect cli");
    let dnd = FeaturesUpdate {
        dnd: Some(true),
        ..FeaturesUpdate::default()
    };
    cli.set_extension_features("1002", &dnd).await.expect("set");
    assert!(
        eventually(|| async {
            store
                .extension("1002")
                .await
                .expect("lookup")
                .is_some_and(|e| e.features.dnd)
        })
        .await,
        "a feature changed by another process becomes known"
    );
    cli.close().await;
    store.close().await;
}

fn ids(rules: &[Rule]) -> Vec<i64> {
    rules.iter().map(|r| r.id).collect()
}

/// Dial plan: add in order, positions, list order, bad input refused, remove, and the
/// server's cached copy following another handle's changes.
async fn dialplan_suite(url: &str) {
    let server = Store::connect(url).await.expect("connect");
    assert!(
        server.rules().await.expect("rules").is_empty(),
        "fresh install"
    );
    let cli = Store::connect(url).await.expect("connect cli");

    let a = cli
        .add_rule(
            "_1NXXNXXXXXX",
            &RuleAction::Route("trunk".into()),
            None,
            None,
        )
        .await
        .expect("add a");
    let b = cli
        .add_rule(
            "_011.",
            &RuleAction::Route("trunk".into()),
            Some(CallClass::International),
            None,
        )
        .await
        .expect("add b");
    let c = cli
        .add_rule("900", &RuleAction::Reject(403), None, Some(5))
        .await
        .expect("add c");
    let d = cli
        .add_rule("_8XXX", &RuleAction::Busy, None, Some(10))
        .await
        .expect("add d");
    let e = cli
        .add_rule("0", &RuleAction::Extension("1001".into()), None, None)
        .await
        .expect("add e");
    let rules = cli.list_rules().await.expect("list");
    // (position, id): c at 5; a and d both at 10, a first (lower id); b at 20; e at 30.
    assert_eq!(ids(&rules), [c, a, d, b, e]);
    let positions: Vec<i64> = rules.iter().map(|r| r.position).collect();
    assert_eq!(positions, [5, 10, 10, 20, 30]);
    assert_eq!(
        rules[3],
        Rule {
            id: b,
            position: 20,
            pattern: "_011.".into(),
            action: RuleAction::Route("trunk".into()),
            class: Some(CallClass::International),
        }
    );
    assert_eq!(rules[0].action, RuleAction::Reject(403));
    assert_eq!(rules[2].action, RuleAction::Busy);
    assert_eq!(rules[4].action, RuleAction::Extension("1001".into()));

    for (pattern, action) in [
        ("_1[5-", RuleAction::Busy),
        ("", RuleAction::Busy),
        ("12a", RuleAction::Busy),
        ("_X.", RuleAction::Reject(200)),
        ("_X.", RuleAction::Extension("a b".into())),
    ] {
        assert!(
            matches!(
                cli.add_rule(pattern, &action, None, None).await,
                Err(StoreError::InvalidRule(_))
            ),
            "{pattern:?} {action:?}"
        );
    }
    assert_eq!(cli.list_rules().await.expect("list").len(), 5, "none added");

    // The server serves its copy and notices the CLI's changes.
    let wait_for = |want: Vec<i64>| {
        let server = server.clone();
        async move {
            eventually(|| {
                let (server, want) = (server.clone(), want.clone());
                async move { ids(&server.rules().await.expect("rules")) == want }
            })
            .await
        }
    };
    assert!(wait_for(vec![c, a, d, b, e]).await, "added rules show up");
    let first: Arc<Vec<Rule>> = server.rules().await.expect("rules");
    assert!(cli.remove_rule(d).await.expect("remove"));
    assert!(!cli.remove_rule(d).await.expect("remove again"));
    assert!(wait_for(vec![c, a, b, e]).await, "a removed rule goes");
    assert_eq!(first.len(), 5, "a snapshot in use is not changed under it");
    let f = cli
        .add_rule("_9!", &RuleAction::Busy, None, Some(1))
        .await
        .expect("add f");
    assert!(
        wait_for(vec![f, c, a, b, e]).await,
        "an added rule goes first"
    );

    // The server's own changes are seen at once (no recheck delay).
    assert!(server.remove_rule(f).await.expect("remove"));
    assert_eq!(ids(&server.rules().await.expect("rules")), [c, a, b, e]);
    cli.close().await;
    server.close().await;
}

fn record(id: &str, start_ms: i64) -> CallRecord {
    CallRecord {
        id: id.into(),
        call_id: format!("{id}@192.0.2.1"),
        caller: "1001".into(),
        callee: "1002".into(),
        dialed: "1002".into(),
        start_ms,
        answer_ms: None,
        end_ms: None,
        disposition: Disposition::InProgress,
        sip_cause: None,
        codec_a: None,
        codec_b: None,
        leg_a: LegStats::default(),
        leg_b: LegStats::default(),
    }
}

const T0: i64 = 1_800_000_000_000;

/// Call records: start + end give one row with the right durations and every field; open
/// records are closed; listing since a time, newest first, limited.
async fn records_suite(url: &str) {
    let server = Store::connect(url).await.expect("connect");
    assert!(
        server
            .list_records(None, None)
            .await
            .expect("list")
            .is_empty()
    );

    // An answered call: opened, then closed with media figures.
    let mut answered = record("call-1", T0);
    server.call_started(&answered);
    answered.answer_ms = Some(T0 + 2_500);
    answered.end_ms = Some(T0 + 65_900);
    answered.disposition = Disposition::Answered;
    answered.sip_cause = Some(200);
    answered.codec_a = Some("PCMU/8000".into());
    answered.codec_b = Some("opus/48000".into());
    answered.leg_a = LegStats {
        packets_in: 3_150,
        bytes_in: 504_000,
        packets_out: 3_140,
        lost: 3,
        jitter_ms: 1.25,
        rtcp_lost: Some(2),
        rtcp_jitter_ms: Some(0.5),
    };
    answered.leg_b = LegStats {
        packets_in: 3_140,
        bytes_in: 400_000,
        packets_out: 3_150,
        lost: u64::MAX,
        jitter_ms: 0.0,
        rtcp_lost: None,
        rtcp_jitter_ms: None,
    };
    server.call_ended(&answered);

    // A busy call, and one still up.
    let mut busy = record("call-2", T0 + 10_000);
    server.call_started(&busy);
    server.flush().await;
    busy.end_ms = Some(T0 + 12_000);
    busy.disposition = Disposition::Busy;
    busy.sip_cause = Some(486);
    server.call_ended(&busy);
    // Up when the server stops: the start is reported again at answer.
    let mut open_answered = record("call-3", T0 + 20_000);
    server.call_started(&open_answered);
    server.flush().await;
    open_answered.answer_ms = Some(T0 + 21_000);
    open_answered.sip_cause = Some(200);
    server.call_started(&open_answered);
    let open_ringing = record("call-4", T0 + 30_000);
    server.call_started(&open_ringing);
    // A start reported after the end (a caller's slip) does not reopen the record.
    server.call_started(&record("call-2", T0 + 10_000));
    server.flush().await;

    // Another handle reads what was flushed: one row a call, newest first.
    let reader = Store::connect(url).await.expect("connect reader");
    let got = reader.list_records(None, None).await.expect("list");
    let got_ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(got_ids, ["call-4", "call-3", "call-2", "call-1"]);
    let mut want_answered = answered.clone();
    want_answered.leg_b.lost = i64::MAX as u64; // stored as BIGINT
    assert_eq!(got[3], want_answered, "every field round trips");
    assert_eq!((got[3].duration_secs(), got[3].billable_secs()), (65, 63));
    assert_eq!(got[2], busy);
    assert_eq!((got[2].duration_secs(), got[2].billable_secs()), (2, 0));
    assert_eq!(got[1], open_answered, "still up, answered");

    // Durations are stored too (for SQL reports).
    let (duration, billable): (i64, i64) = durations(url, "call-1").await;
    assert_eq!((duration, billable), (65, 63));

    // A restart closes what was left open.
    let now = T0 + 90_000;
    assert_eq!(reader.close_open_records(now).await.expect("close"), 2);
    assert_eq!(reader.close_open_records(now).await.expect("close"), 0);
    let got = reader
        .list_records(Some(T0 + 20_000), None)
        .await
        .expect("list");
    assert_eq!(got.len(), 2, "since is inclusive");
    let (ringing, up) = (&got[0], &got[1]);
    assert_eq!(
        (ringing.end_ms, ringing.disposition, ringing.sip_cause),
        (Some(now), Disposition::Failed, None)
    );
    assert_eq!(
        (up.end_ms, up.disposition, up.sip_cause),
        (Some(now), Disposition::Answered, Some(200))
    );
    assert_eq!((up.duration_secs(), up.billable_secs()), (70, 69));
    assert_eq!(durations(url, "call-3").await, (70, 69));
    assert_eq!(durations(url, "call-4").await, (60, 0));

    // Since and limit.
    let since: Vec<String> = reader
        .list_records(Some(T0 + 1), None)
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(since, ["call-4", "call-3", "call-2"]);
    let limited = reader.list_records(None, Some(1)).await.expect("list");
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].id, "call-4");
    assert!(
        reader
            .list_records(Some(T0 + 1_000_000), Some(10))
            .await
            .expect("list")
            .is_empty()
    );

    // Records queued and not yet flushed are written by close.
    let late = CallRecord {
        end_ms: Some(T0 + 101_000),
        disposition: Disposition::Cancelled,
        sip_cause: Some(487),
        ..record("call-5", T0 + 100_000)
    };
    server.call_started(&record("call-5", T0 + 100_000));
    server.call_ended(&late);
    server.close().await;
    let got = reader
        .list_records(Some(T0 + 100_000), None)
        .await
        .expect("list");
    assert_eq!(got, [late]);
    reader.close().await;
}

/// The stored duration and billable columns of one record, read with plain SQL.
async fn durations(url: &str, id: &str) -> (i64, i64) {
    let sql = "SELECT duration, billable FROM cdrs WHERE id = $1";
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("open");
        sqlx::query_as(sql)
            .bind(id)
            .fetch_one(&mut conn)
            .await
            .expect("row")
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("open");
        sqlx::query_as(sql)
            .bind(id)
            .fetch_one(&mut conn)
            .await
            .expect("row")
    }
}

/// A busy hour's batch: more records than one INSERT carries (the writer splits it), starts
/// and ends mixed, each landing as itself.
async fn busy_batch_suite(url: &str) {
    let server = Store::connect(url).await.expect("connect");
    let since = T0 + 1_000_000_000;
    for i in 0..600_i64 {
        let mut r = record(&format!("busy-{i}"), since + i);
        server.call_started(&r);
        if i % 2 == 0 {
            r.end_ms = Some(since + i + 30_000);
            r.disposition = Disposition::Answered;
            server.call_ended(&r);
        }
    }
    server.flush().await;
    let got = server
        .list_records(Some(since), Some(1000))
        .await
        .expect("list");
    assert_eq!(got.len(), 600);
    for r in &got {
        let i: i64 = r.id.trim_start_matches("busy-").parse().expect("id");
        assert_eq!(r.start_ms, since + i, "{}", r.id);
        assert_eq!(r.end_ms.is_some(), i % 2 == 0, "{}", r.id);
    }
    server.close().await;
}

async fn all_suites(url: String) {
    features_suite(&url).await;
    dialplan_suite(&url).await;
    records_suite(&url).await;
    busy_batch_suite(&url).await;
}

/// Waits (bounded, 5 s) until `check` holds.
async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..50 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn sqlite_calls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("sb.db").display());
    all_suites(url).await;
}

#[tokio::test]
async fn postgres_calls() {
    common::on_scratch_postgres("postgres_calls", all_suites).await;
}
