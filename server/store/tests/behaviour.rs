//! One behaviour suite, run against SQLite (a temp file) and PostgreSQL (a scratch schema in
//! database `test` on 127.0.0.1:5432; skipped with a printed reason when no server answers).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use pbx::{Binding, BindingChanges, Directory, Flow, Locations, Transport};
use sqlx::Connection;
use store::{Store, StoreError};

const NOW: u64 = 1_800_000_000;

fn addr(s: &str) -> SocketAddr {
    s.parse()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
}

fn binding(aor: &str, contact: &str, expires_at: u64) -> Binding {
    Binding {
        aor: aor.into(),
        contact: contact.into(),
        instance: Some("<urn:uuid:00000000-0000-0000-0000-000000000001>".into()),
        reg_id: Some(1),
        q: Some("0.5".into()),
        call_id: "call-1@host".into(),
        cseq: 7,
        expires_at,
        flow: Flow {
            transport: Transport::Wss,
            remote: addr("[2001:db8::1]:40000"),
            local: addr("127.0.0.1:5061"),
            connection: Some(u64::MAX - 3),
        },
        user_agent: Some("Test UA/1.0".into()),
    }
}

fn upsert(aor: &str, bindings: Vec<Binding>) -> BindingChanges {
    BindingChanges {
        aor: aor.into(),
        remove: vec![],
        upsert: bindings,
    }
}

/// The behaviours both backends must share. `reopen` opens a second Store on the same database
/// (a restart).
async fn suite(url: String) {
    let store = Store::connect(&url).await.expect("connect");

    // Extensions: add, duplicate, list, lookup.
    store
        .add_extension("1001", "Alice", "s3cret")
        .await
        .expect("add 1001");
    store
        .add_extension("1002", "Bob", "hunter2")
        .await
        .expect("add 1002");
    match store.add_extension("1001", "Again", "x").await {
        Err(StoreError::Duplicate(n)) => assert_eq!(n, "1001"),
        other => panic!("duplicate extension gave {other:?}"),
    }
    assert!(matches!(
        store.add_extension("10@01", "Bad", "x").await,
        Err(StoreError::InvalidNumber(_))
    ));
    let list = store.list_extensions().await.expect("list");
    let numbers: Vec<&str> = list.iter().map(|e| e.number.as_str()).collect();
    assert_eq!(numbers, ["1001", "1002"]);
    let alice = store
        .extension("1001")
        .await
        .expect("lookup")
        .expect("1001 exists");
    assert_eq!(
        (alice.name.as_str(), alice.sip_secret.as_str()),
        ("Alice", "s3cret")
    );
    assert_eq!(store.extension("9999").await.expect("lookup"), None);

    // Bindings: insert several contacts, round trip every field.
    let a = binding("1001", "sip:1001@192.0.2.1:5060", NOW + 60);
    let mut b = binding("1001", "sip:1001@192.0.2.2:5060;transport=tcp", NOW + 3600);
    b.instance = None;
    b.reg_id = None;
    b.q = None;
    b.user_agent = None;
    b.flow.connection = None;
    b.flow.transport = Transport::Udp;
    store
        .apply(&upsert("1001", vec![a.clone(), b.clone()]))
        .await
        .expect("apply");
    let got = store.lookup("1001", NOW).await.expect("lookup");
    assert_eq!(got, vec![a.clone(), b.clone()]);

    // Upsert replaces by (aor, contact); removal and upsert in one change set.
    let mut a2 = a.clone();
    a2.cseq = 8;
    a2.expires_at = NOW + 120;
    store
        .apply(&upsert("1001", vec![a2.clone()]))
        .await
        .expect("update");
    assert_eq!(
        store.lookup("1001", NOW).await.expect("lookup"),
        vec![a2.clone(), b.clone()]
    );
    let c = binding("1001", "sip:1001@192.0.2.3", NOW + 30);
    let changes = BindingChanges {
        aor: "1001".into(),
        remove: vec![b.contact.clone()],
        upsert: vec![c.clone()],
    };
    store.apply(&changes).await.expect("swap");
    assert_eq!(
        store.lookup("1001", NOW).await.expect("lookup"),
        vec![a2.clone(), c.clone()]
    );

    // An atomic change set: a failing upsert (unknown AoR breaks the foreign key) keeps the
    // removal from happening too.
    let bad = BindingChanges {
        aor: "1001".into(),
        remove: vec![a2.contact.clone()],
        upsert: vec![binding("no-such-extension", "sip:x@192.0.2.9", NOW + 60)],
    };
    assert!(store.apply(&bad).await.is_err());
    assert_eq!(
        store.lookup("1001", NOW).await.expect("lookup"),
        vec![a2.clone(), c.clone()]
    );

    // Expiry: lookup hides expired bindings, purge deletes them.
    let d = binding("1002", "sip:1002@192.0.2.4", NOW + 10);
    store
        .apply(&upsert("1002", vec![d.clone()]))
        .await
        .expect("apply 1002");
    assert_eq!(store.all(NOW).await.expect("all").len(), 3);
    assert_eq!(
        store.lookup("1001", NOW + 40).await.expect("lookup"),
        vec![a2.clone()]
    );
    assert_eq!(store.all(NOW + 40).await.expect("all"), vec![a2.clone()]);
    assert_eq!(store.purge_expired(NOW + 40).await.expect("purge"), 2);
    assert_eq!(store.purge_expired(NOW + 40).await.expect("purge"), 0);
    assert_eq!(store.all(NOW).await.expect("all"), vec![a2.clone()]);

    // A restart keeps extensions and bindings.
    store.close().await;
    let reopened = Store::connect(&url).await.expect("reconnect");
    assert_eq!(
        reopened.lookup("1001", NOW).await.expect("lookup"),
        vec![a2.clone()]
    );
    assert_eq!(reopened.list_extensions().await.expect("list").len(), 2);

    // Removing an extension removes its bindings.
    assert!(reopened.remove_extension("1001").await.expect("remove"));
    assert!(
        !reopened
            .remove_extension("1001")
            .await
            .expect("remove again")
    );
    assert_eq!(reopened.all(NOW).await.expect("all"), vec![]);
    assert_eq!(reopened.extension("1001").await.expect("lookup"), None);
    reopened.close().await;
}

/// What the in-memory copies add: another process's changes to the extensions show up within
/// about a second (and take their bindings with them), binding changes reach the database
/// after a flush without a close, and one refused row does not lose the rest of its batch.
/// Uses extensions 2001-2003, so it can follow `suite` on the same database.
async fn cache_suite(url: String) {
    let server = Store::connect(&url).await.expect("connect");
    // The CLI: another connection to the same database, as `switchboard extension ...` is.
    let cli = Store::connect(&url).await.expect("connect cli");
    cli.add_extension("2001", "A", "pw-a").await.expect("add");
    cli.add_extension("2002", "B", "pw-b").await.expect("add");

    // Known and unknown numbers are answered from memory once loaded.
    assert!(server.extension("2001").await.expect("lookup").is_some());
    assert_eq!(server.extension("2003").await.expect("lookup"), None);
    cli.add_extension("2003", "C", "pw-c").await.expect("add");
    assert!(
        eventually(|| async { server.extension("2003").await.expect("lookup").is_some() }).await,
        "an extension added by another process becomes known"
    );

    // Binding changes reach the database with a flush; a second store reads them back.
    let b1 = binding("2001", "sip:2001@192.0.2.1", NOW + 600);
    server
        .apply(&upsert("2001", vec![b1.clone()]))
        .await
        .expect("apply");
    assert_eq!(
        server.lookup("2001", NOW).await.expect("lookup"),
        vec![b1.clone()]
    );
    server.flush().await;
    let reader = Store::connect(&url).await.expect("connect reader");
    assert_eq!(
        reader.lookup("2001", NOW).await.expect("lookup"),
        vec![b1.clone()]
    );
    reader.close().await;

    // Many changes to one row in a burst: the last one is what the database keeps.
    let mut last = b1.clone();
    for cseq in 8..40 {
        last.cseq = cseq;
        server
            .apply(&upsert("2001", vec![last.clone()]))
            .await
            .expect("apply");
    }

    // 2002 is removed by the CLI while the server still believes in it: its binding cannot
    // be saved, the others in the same batch still are.
    let b2 = binding("2002", "sip:2002@192.0.2.2", NOW + 600);
    let b3 = binding("2003", "sip:2003@192.0.2.3", NOW + 600);
    assert!(server.extension("2002").await.expect("lookup").is_some());
    assert!(cli.remove_extension("2002").await.expect("remove"));
    for (aor, b) in [("2002", &b2), ("2003", &b3)] {
        // Within the recheck interval the server may or may not know yet; both are fine.
        let _ = server.apply(&upsert(aor, vec![b.clone()])).await;
    }
    server.flush().await;
    assert!(
        eventually(|| async {
            server.extension("2002").await.expect("lookup").is_none()
                && server.lookup("2002", NOW).await.expect("lookup").is_empty()
        })
        .await,
        "an extension removed by another process goes, with its bindings"
    );
    assert!(
        server
            .apply(&upsert("2002", vec![b2.clone()]))
            .await
            .is_err(),
        "no bindings for an extension that is gone"
    );

    // Purge expires in memory and in the database.
    assert_eq!(server.purge_expired(NOW + 601).await.expect("purge"), 2);
    assert_eq!(server.all(NOW + 601).await.expect("all"), vec![]);
    last.expires_at = NOW + 1200;
    let expiring = binding("2001", "sip:2001@192.0.2.9", NOW + 700);
    server
        .apply(&upsert("2001", vec![last.clone(), expiring.clone()]))
        .await
        .expect("apply");
    server.close().await;
    cli.close().await;

    let reopened = Store::connect(&url).await.expect("reopen");
    let mut want = vec![last.clone(), expiring.clone()];
    want.sort_by(|a, b| a.contact.cmp(&b.contact));
    assert_eq!(
        reopened.all(NOW + 601).await.expect("all"),
        want,
        "flushed on close"
    );
    assert_eq!(reopened.purge_expired(NOW + 700).await.expect("purge"), 1);
    reopened.close().await;
    let reopened = Store::connect(&url).await.expect("reopen");
    assert_eq!(
        reopened.all(0).await.expect("all"),
        [last],
        "the purge reached the database"
    );

    // Lookups alone notice an extension removed elsewhere (no REGISTER needed).
    let cli = Store::connect(&url).await.expect("connect cli");
    assert!(cli.remove_extension("2001").await.expect("remove"));
    assert!(
        eventually(|| async {
            reopened
                .lookup("2001", NOW)
                .await
                .expect("lookup")
                .is_empty()
        })
        .await,
        "bindings of an extension removed by another process go"
    );
    cli.close().await;
    reopened.close().await;
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
async fn sqlite_backend() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The data directory does not exist yet: connect creates it.
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("data/sb.db").display()
    );
    suite(url.clone()).await;
    cache_suite(url.clone()).await;
    // WAL is a property of the file: a fresh connection sees it.
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .expect("pragma");
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn sqlite_rejects_unknown_urls() {
    assert!(matches!(
        Store::connect("mysql://localhost/x").await,
        Err(StoreError::UnsupportedUrl(_))
    ));
}

#[tokio::test]
async fn postgres_backend() {
    common::on_scratch_postgres("postgres_backend", |url: String| async move {
        suite(url.clone()).await;
        cache_suite(url).await;
    })
    .await;
}
