//! The portal's edits of extensions on SQLite (a temp file) and PostgreSQL (a scratch schema
//! in database `test` on 127.0.0.1:5432; skipped with a printed reason when no server
//! answers): rename, new SIP secret, name and features together all or nothing; each seen at
//! once by the server's in-memory copy, and by another process's within a second or so.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::time::Duration;

use pbx::{CallClass, Directory, Extension, Features};
use store::{FeaturesUpdate, Store, StoreError};

/// What the server's in-memory copy answers.
async fn served(store: &Store, number: &str) -> Extension {
    store
        .extension(number)
        .await
        .expect("lookup")
        .expect("extension exists")
}

async fn suite(url: String) {
    let store = Store::connect(&url).await.expect("connect");
    store
        .add_extension("1001", "Alice", "s1")
        .await
        .expect("add");
    store.add_extension("1002", "Bob", "s2").await.expect("add");
    // Load the copy, so the checks below show it is refreshed, not merely filled.
    assert_eq!(served(&store, "1001").await.name, "Alice");

    // Rename.
    assert!(
        store
            .rename_extension("1001", "Alice Smith")
            .await
            .expect("rename")
    );
    assert!(
        !store
            .rename_extension("9999", "X")
            .await
            .expect("rename unknown")
    );
    let alice = served(&store, "1001").await;
    assert_eq!(
        (alice.name.as_str(), alice.sip_secret.as_str()),
        ("Alice Smith", "s1")
    );

    // New secret.
    assert!(
        store
            .set_extension_secret("1001", "s1-new")
            .await
            .expect("secret")
    );
    assert!(
        !store
            .set_extension_secret("9999", "x")
            .await
            .expect("secret unknown")
    );
    let alice = served(&store, "1001").await;
    assert_eq!(
        (alice.name.as_str(), alice.sip_secret.as_str()),
        ("Alice Smith", "s1-new")
    );
    assert_eq!(
        served(&store, "1002").await.sip_secret,
        "s2",
        "others untouched"
    );

    // Name and features together.
    let update = FeaturesUpdate {
        class: Some(CallClass::International),
        forward_busy: Some(Some("1002".into())),
        ring_timeout: Some(30),
        dnd: Some(true),
        max_calls: Some(Some(3)),
        ..FeaturesUpdate::default()
    };
    assert!(
        store
            .update_extension("1001", Some("Alice S."), &update)
            .await
            .expect("update")
    );
    let mut want = Features::default();
    update.apply_to(&mut want);
    let alice = served(&store, "1001").await;
    assert_eq!((alice.name.as_str(), &alice.features), ("Alice S.", &want));
    assert_eq!(
        store
            .get_extension("1001")
            .await
            .expect("get")
            .expect("1001"),
        alice,
        "the database says the same"
    );

    // Features alone keep the name; a name alone keeps the features.
    let clear = FeaturesUpdate {
        forward_busy: Some(None),
        ..FeaturesUpdate::default()
    };
    assert!(
        store
            .update_extension("1001", None, &clear)
            .await
            .expect("update")
    );
    clear.apply_to(&mut want);
    let alice = served(&store, "1001").await;
    assert_eq!((alice.name.as_str(), &alice.features), ("Alice S.", &want));
    assert!(
        store
            .update_extension("1001", Some("Alice"), &FeaturesUpdate::default())
            .await
            .expect("rename only")
    );
    let alice = served(&store, "1001").await;
    assert_eq!((alice.name.as_str(), &alice.features), ("Alice", &want));

    // A bad value refuses the whole change: the name stays too.
    let bad = FeaturesUpdate {
        dnd: Some(false),
        ring_timeout: Some(0),
        ..FeaturesUpdate::default()
    };
    assert!(matches!(
        store.update_extension("1001", Some("Mallory"), &bad).await,
        Err(StoreError::InvalidFeature(_))
    ));
    let alice = served(&store, "1001").await;
    assert_eq!((alice.name.as_str(), &alice.features), ("Alice", &want));

    // Unknown numbers: false here, the error set_extension_features has always given.
    assert!(
        !store
            .update_extension("9999", Some("X"), &update)
            .await
            .expect("unknown")
    );
    assert!(matches!(
        store.set_extension_features("9999", &update).await,
        Err(StoreError::NoSuchExtension(_))
    ));
    assert!(store.get_extension("9999").await.expect("get").is_none());

    // Another process (the CLI, another node) edits: the server's copy follows. Read first,
    // so the copy is current and only the change counter can tell it about the edits.
    assert_eq!(served(&store, "1002").await.name, "Bob");
    let other = Store::connect(&url).await.expect("connect other");
    assert!(
        other
            .rename_extension("1002", "Robert")
            .await
            .expect("rename")
    );
    assert!(
        other
            .set_extension_secret("1002", "s2-new")
            .await
            .expect("secret")
    );
    let dnd = FeaturesUpdate {
        dnd: Some(true),
        ..FeaturesUpdate::default()
    };
    assert!(
        other
            .update_extension("1002", Some("Rob"), &dnd)
            .await
            .expect("update")
    );
    assert!(
        eventually(|| async {
            let bob = served(&store, "1002").await;
            bob.name == "Rob" && bob.sip_secret == "s2-new" && bob.features.dnd
        })
        .await,
        "another process's edits become known"
    );
    other.close().await;
    store.close().await;
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
async fn sqlite_extension_edits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("sb.db").display());
    suite(url).await;
}

#[tokio::test]
async fn postgres_extension_edits() {
    common::on_scratch_postgres("postgres_extension_edits", suite).await;
}
