//! Portal users on SQLite (a temp file) and PostgreSQL (a scratch schema in database `test`
//! on 127.0.0.1:5432; skipped with a printed reason when no server answers): add, look up,
//! list, change, remove, and the rules the schema keeps (unique names, one user per
//! extension, an extension that exists, unlinked when the extension goes).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use pbx::accounts::{NewUser, User, UserUpdate};
use store::{Store, StoreError};

fn new_user(name: &str, extension: Option<&str>, admin: bool) -> NewUser {
    NewUser {
        name: name.into(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt${name}"),
        extension: extension.map(Into::into),
        admin,
    }
}

fn names(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.name.as_str()).collect()
}

async fn users_suite(url: String) {
    let store = Store::connect(&url).await.expect("connect");
    store
        .add_extension("1001", "Alice", "pw")
        .await
        .expect("add");
    store.add_extension("1002", "Bob", "pw").await.expect("add");
    assert!(store.list_users().await.expect("list").is_empty());

    // Add: every field comes back, with an id and the time of creation.
    let before = unix_now();
    let alice = store
        .add_user(&new_user("alice", Some("1001"), false))
        .await
        .expect("add alice");
    let bob = store
        .add_user(&new_user("bob", None, true))
        .await
        .expect("add bob");
    // Users without an extension do not clash with each other.
    let aaron = store
        .add_user(&new_user("aaron", None, false))
        .await
        .expect("add aaron");
    let want = new_user("alice", Some("1001"), false);
    assert_eq!(
        (
            &alice.name,
            &alice.password_hash,
            &alice.extension,
            alice.admin
        ),
        (&want.name, &want.password_hash, &want.extension, want.admin)
    );
    assert!((before..=unix_now()).contains(&alice.created_at));
    assert!(bob.admin && bob.extension.is_none());
    assert!(alice.id != bob.id && bob.id != aaron.id && alice.id != aaron.id);

    // Refusals, and nothing added by them.
    match store.add_user(&new_user("alice", Some("1002"), true)).await {
        Err(StoreError::DuplicateUser(n)) => assert_eq!(n, "alice"),
        other => panic!("duplicate name gave {other:?}"),
    }
    match store
        .add_user(&new_user("carol", Some("1001"), false))
        .await
    {
        Err(e @ StoreError::ExtensionTaken(_)) => {
            assert_eq!(
                e.to_string(),
                "extension 1001 already belongs to another user"
            );
        }
        other => panic!("taken extension gave {other:?}"),
    }
    match store
        .add_user(&new_user("carol", Some("9999"), false))
        .await
    {
        Err(StoreError::NoSuchExtension(n)) => assert_eq!(n, "9999"),
        other => panic!("unknown extension gave {other:?}"),
    }
    assert_eq!(
        StoreError::DuplicateUser("alice".into()).to_string(),
        "a user named \"alice\" already exists"
    );

    // Look-ups: by id and by the exact stored name; listed by name.
    let all = store.list_users().await.expect("list");
    assert_eq!(names(&all), ["aaron", "alice", "bob"]);
    assert_eq!(all[1], alice);
    assert_eq!(
        store.get_user(alice.id).await.expect("get"),
        Some(alice.clone())
    );
    assert_eq!(store.get_user(-1).await.expect("get"), None);
    assert_eq!(
        store.user_by_name("bob").await.expect("by name"),
        Some(bob.clone())
    );
    assert_eq!(store.user_by_name("Bob").await.expect("by name"), None);
    assert_eq!(store.user_by_name("carol").await.expect("by name"), None);

    // Update: only the named fields change.
    let empty = store
        .update_user(bob.id, &UserUpdate::default())
        .await
        .expect("update");
    assert_eq!(empty, Some(bob.clone()), "an empty update changes nothing");
    let bob2 = store
        .update_user(
            bob.id,
            &UserUpdate {
                password_hash: Some("new-hash".into()),
                extension: Some(Some("1002".into())),
                ..UserUpdate::default()
            },
        )
        .await
        .expect("update")
        .expect("bob exists");
    assert_eq!(
        bob2,
        User {
            password_hash: "new-hash".into(),
            extension: Some("1002".into()),
            ..bob.clone()
        }
    );
    assert_eq!(
        store.get_user(bob.id).await.expect("get"),
        Some(bob2.clone())
    );

    // A refused update changes none of its fields.
    let grab = UserUpdate {
        password_hash: Some("other-hash".into()),
        extension: Some(Some("1001".into())),
        admin: Some(false),
    };
    match store.update_user(bob.id, &grab).await {
        Err(StoreError::ExtensionTaken(n)) => assert_eq!(n, "1001"),
        other => panic!("taking alice's extension gave {other:?}"),
    }
    let missing = UserUpdate {
        extension: Some(Some("9999".into())),
        ..grab.clone()
    };
    match store.update_user(bob.id, &missing).await {
        Err(StoreError::NoSuchExtension(n)) => assert_eq!(n, "9999"),
        other => panic!("an unknown extension gave {other:?}"),
    }
    assert_eq!(
        store.get_user(bob.id).await.expect("get"),
        Some(bob2.clone())
    );

    // Keeping one's own extension is no clash; unlinking and demoting.
    let same = UserUpdate {
        extension: Some(Some("1002".into())),
        ..UserUpdate::default()
    };
    assert_eq!(
        store.update_user(bob.id, &same).await.expect("same"),
        Some(bob2.clone())
    );
    let unlinked = store
        .update_user(
            bob.id,
            &UserUpdate {
                extension: Some(None),
                admin: Some(false),
                ..UserUpdate::default()
            },
        )
        .await
        .expect("unlink")
        .expect("bob exists");
    assert_eq!((unlinked.extension, unlinked.admin), (None, false));
    assert_eq!(unlinked.password_hash, "new-hash");
    assert_eq!(
        store.update_user(-1, &grab).await.expect("no such user"),
        None
    );
    // 1002 is free again.
    let carol = store
        .add_user(&new_user("carol", Some("1002"), false))
        .await
        .expect("add carol");

    // Removing an extension unlinks its user (ON DELETE SET NULL), the user stays.
    assert!(store.remove_extension("1001").await.expect("remove"));
    let alice2 = store.get_user(alice.id).await.expect("get").expect("alice");
    assert_eq!(
        alice2,
        User {
            extension: None,
            ..alice.clone()
        }
    );
    store
        .add_extension("1001", "New", "pw")
        .await
        .expect("re-add");
    assert_eq!(
        store
            .get_user(alice.id)
            .await
            .expect("get")
            .and_then(|u| u.extension),
        None,
        "a new extension with the old number is not linked again"
    );

    // Remove.
    assert!(store.remove_user(carol.id).await.expect("remove"));
    assert!(!store.remove_user(carol.id).await.expect("remove again"));
    assert_eq!(store.get_user(carol.id).await.expect("get"), None);
    assert_eq!(
        names(&store.list_users().await.expect("list")),
        ["aaron", "alice", "bob"]
    );
    // The extension is still there; its number can be given to someone else.
    assert!(store.get_extension("1002").await.expect("get").is_some());
    store
        .update_user(
            aaron.id,
            &UserUpdate {
                extension: Some(Some("1002".into())),
                ..UserUpdate::default()
            },
        )
        .await
        .expect("link")
        .expect("aaron exists");

    // A restart keeps them.
    store.close().await;
    let reopened = Store::connect(&url).await.expect("reopen");
    let all = reopened.list_users().await.expect("list");
    assert_eq!(names(&all), ["aaron", "alice", "bob"]);
    assert_eq!(all[0].extension.as_deref(), Some("1002"));
    reopened.close().await;
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[tokio::test]
async fn sqlite_users() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("sb.db").display());
    users_suite(url).await;
}

#[tokio::test]
async fn postgres_users() {
    common::on_scratch_postgres("postgres_users", users_suite).await;
}
