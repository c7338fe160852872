//! The trunk driver's status reports (`trunk_status`) on SQLite and PostgreSQL (skipped with
//! a printed reason when no server answers): written, replaced, not written for a trunk that
//! does not exist, dropped with their trunk, cleared at a server's start.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::trunk;
use store::{Store, TrunkStatus};

fn status(
    name: &str,
    until: Option<i64>,
    reachable: Option<bool>,
    err: Option<&str>,
) -> TrunkStatus {
    TrunkStatus {
        name: name.into(),
        registered_until: until,
        reachable,
        last_error: err.map(str::to_owned),
        updated_at: 1_700_000_000,
    }
}

async fn suite(url: String) {
    let store = Store::connect(&url).await.expect("connect");
    store.add_trunk(&trunk("acme")).await.expect("add");
    store.add_trunk(&trunk("backup")).await.expect("add");
    assert!(store.trunk_statuses().await.expect("list").is_empty());

    let first = status("acme", Some(1_700_000_600), None, None);
    assert!(store.set_trunk_status(&first).await.expect("set"));
    let down = status("backup", None, Some(false), Some("no answer to OPTIONS"));
    assert!(store.set_trunk_status(&down).await.expect("set"));
    let replaced = status("acme", None, Some(true), Some("403 Forbidden"));
    assert!(store.set_trunk_status(&replaced).await.expect("set"));
    assert_eq!(
        store.trunk_statuses().await.expect("list"),
        [replaced.clone(), down.clone()]
    );

    let ghost = status("ghost", None, None, None);
    assert!(
        !store.set_trunk_status(&ghost).await.expect("set"),
        "no such trunk"
    );
    assert!(store.remove_trunk("backup").await.expect("remove"));
    assert_eq!(store.trunk_statuses().await.expect("list"), [replaced]);

    store.clear_trunk_statuses().await.expect("clear");
    assert!(store.trunk_statuses().await.expect("list").is_empty());
    store.close().await;
}

#[tokio::test]
async fn sqlite_trunk_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("sb.db").display());
    suite(url).await;
}

#[tokio::test]
async fn postgres_trunk_status() {
    common::on_scratch_postgres("postgres_trunk_status", suite).await;
}
