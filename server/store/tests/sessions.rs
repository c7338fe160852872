//! Portal sessions and API tokens on SQLite (a temp file) and PostgreSQL (a scratch schema in
//! database `test` on 127.0.0.1:5432; skipped with a printed reason when no server answers):
//! round trips, touching, logging out one browser or all, purging expired sessions, token
//! use and revocation, and both going when their user does.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use pbx::accounts::{ApiToken, NewUser, User, WebSession};
use store::Store;

const T: i64 = 1_800_000_000;

async fn user(store: &Store, name: &str) -> User {
    store
        .add_user(&NewUser {
            name: name.into(),
            password_hash: "hash".into(),
            extension: None,
            admin: true,
        })
        .await
        .expect("add user")
}

fn session(token: &str, user: &User, created_at: i64, last_seen: i64) -> WebSession {
    WebSession {
        token_hash: format!("{token:0>64}"),
        user_id: user.id,
        csrf: format!("csrf-{token}"),
        created_at,
        last_seen,
    }
}

async fn exists(store: &Store, s: &WebSession) -> bool {
    store
        .get_session(&s.token_hash)
        .await
        .expect("get")
        .is_some()
}

async fn sessions_suite(store: &Store) {
    let alice = user(store, "alice").await;
    let bob = user(store, "bob").await;

    // Round trip; an unknown hash finds nothing.
    let a1 = session("a1", &alice, T, T);
    let a2 = session("a2", &alice, T + 10, T + 20);
    let b1 = session("b1", &bob, T, T + 5);
    for s in [&a1, &a2, &b1] {
        store.add_session(s).await.expect("add session");
    }
    assert_eq!(
        store.get_session(&a2.token_hash).await.expect("get"),
        Some(a2.clone())
    );
    assert_eq!(store.get_session("0").await.expect("get"), None);
    // The same token twice, or a session for nobody, is refused.
    assert!(store.add_session(&a1).await.is_err());
    let nobody = WebSession {
        user_id: -1,
        ..session("n1", &alice, T, T)
    };
    assert!(store.add_session(&nobody).await.is_err());
    assert!(!exists(store, &nobody).await);

    // Touch moves last_seen forward only; touching an unknown session is harmless.
    store
        .touch_session(&a1.token_hash, T + 100)
        .await
        .expect("touch");
    store
        .touch_session(&a1.token_hash, T + 50)
        .await
        .expect("touch back");
    store
        .touch_session("unknown", T + 100)
        .await
        .expect("touch unknown");
    assert_eq!(
        store.get_session(&a1.token_hash).await.expect("get"),
        Some(WebSession {
            last_seen: T + 100,
            ..a1.clone()
        })
    );

    // Logging one browser out.
    assert!(store.remove_session(&a2.token_hash).await.expect("remove"));
    assert!(
        !store
            .remove_session(&a2.token_hash)
            .await
            .expect("remove again")
    );
    assert!(!exists(store, &a2).await);
    assert!(exists(store, &a1).await && exists(store, &b1).await);

    // Logging a user out everywhere leaves the others.
    let a3 = session("a3", &alice, T, T);
    store.add_session(&a3).await.expect("add");
    assert_eq!(
        store
            .remove_user_sessions(alice.id)
            .await
            .expect("remove all"),
        2
    );
    assert_eq!(
        store.remove_user_sessions(alice.id).await.expect("again"),
        0
    );
    assert!(!exists(store, &a1).await && !exists(store, &a3).await);
    assert!(exists(store, &b1).await);
    assert!(store.remove_session(&b1.token_hash).await.expect("remove"));

    // Purge: idle since before the first bound or created before the second; a session
    // exactly at a bound stays.
    let fresh = session("p1", &alice, T + 500, T + 900);
    let idle = session("p2", &alice, T + 500, T + 599);
    let at_idle_bound = session("p3", &bob, T + 500, T + 600);
    let old = session("p4", &bob, T + 99, T + 1000);
    let at_age_bound = session("p5", &bob, T + 100, T + 1000);
    for s in [&fresh, &idle, &at_idle_bound, &old, &at_age_bound] {
        store.add_session(s).await.expect("add");
    }
    assert_eq!(
        store.purge_sessions(T + 600, T + 100).await.expect("purge"),
        2
    );
    assert_eq!(
        store.purge_sessions(T + 600, T + 100).await.expect("purge"),
        0
    );
    for (s, kept) in [
        (&fresh, true),
        (&idle, false),
        (&at_idle_bound, true),
        (&old, false),
        (&at_age_bound, true),
    ] {
        assert_eq!(exists(store, s).await, kept, "{}", s.token_hash);
    }
    assert_eq!(
        store
            .purge_sessions(i64::MAX, i64::MAX)
            .await
            .expect("purge"),
        3
    );
}

async fn tokens_suite(store: &Store) {
    let carol = user(store, "carol").await;
    let dave = user(store, "dave").await;
    let hash = |t: &str| format!("{t:f>64}");

    let c1 = store
        .add_api_token(carol.id, &hash("c1"), "backup script", T)
        .await
        .expect("add");
    assert_eq!(
        c1,
        ApiToken {
            id: c1.id,
            token_hash: hash("c1"),
            user_id: carol.id,
            label: "backup script".into(),
            created_at: T,
            last_used: None,
        }
    );
    let c2 = store
        .add_api_token(carol.id, &hash("c2"), "", T + 1)
        .await
        .expect("add");
    let d1 = store
        .add_api_token(dave.id, &hash("d1"), "monitoring", T + 2)
        .await
        .expect("add");
    assert!(c1.id != c2.id && c2.id != d1.id);
    // A hash is unique; a token for nobody is refused.
    assert!(
        store
            .add_api_token(dave.id, &hash("c1"), "x", T)
            .await
            .is_err()
    );
    assert!(store.add_api_token(-1, &hash("n1"), "x", T).await.is_err());

    // Listing is per user, oldest first.
    assert_eq!(
        store.list_api_tokens(carol.id).await.expect("list"),
        [c1.clone(), c2.clone()]
    );
    assert_eq!(store.list_api_tokens(dave.id).await.expect("list"), [d1]);
    assert!(store.list_api_tokens(-1).await.expect("list").is_empty());

    // Use records the time and returns the token as it now is.
    let used = store
        .use_api_token(&hash("c2"), T + 60)
        .await
        .expect("use")
        .expect("c2 exists");
    assert_eq!(
        used,
        ApiToken {
            last_used: Some(T + 60),
            ..c2.clone()
        }
    );
    assert_eq!(
        store.list_api_tokens(carol.id).await.expect("list")[1].last_used,
        Some(T + 60)
    );
    assert_eq!(
        store.use_api_token(&hash("zz"), T).await.expect("use"),
        None
    );

    // Revoking: only the owner's token id counts.
    assert!(
        !store
            .remove_api_token(dave.id, c1.id)
            .await
            .expect("remove")
    );
    assert!(
        store
            .remove_api_token(carol.id, c1.id)
            .await
            .expect("remove")
    );
    assert!(
        !store
            .remove_api_token(carol.id, c1.id)
            .await
            .expect("again")
    );
    assert_eq!(
        store.use_api_token(&hash("c1"), T).await.expect("use"),
        None
    );
    assert_eq!(store.list_api_tokens(carol.id).await.expect("list"), [used]);
}

/// Removing a user removes their sessions and tokens (ON DELETE CASCADE), nobody else's.
async fn cascade_suite(store: &Store) {
    let erin = user(store, "erin").await;
    let frank = user(store, "frank").await;
    let e1 = session("e1", &erin, T, T);
    let f1 = session("f1", &frank, T, T);
    store.add_session(&e1).await.expect("add");
    store.add_session(&f1).await.expect("add");
    store
        .add_api_token(erin.id, "erin-token", "", T)
        .await
        .expect("add");
    let frank_token = store
        .add_api_token(frank.id, "frank-token", "", T)
        .await
        .expect("add");

    assert!(store.remove_user(erin.id).await.expect("remove"));
    assert!(!exists(store, &e1).await, "session went with its user");
    assert!(
        store
            .list_api_tokens(erin.id)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        store.use_api_token("erin-token", T).await.expect("use"),
        None
    );
    assert!(exists(store, &f1).await);
    assert_eq!(
        store.list_api_tokens(frank.id).await.expect("list"),
        [frank_token]
    );
}

async fn all_suites(url: String) {
    let store = Store::connect(&url).await.expect("connect");
    sessions_suite(&store).await;
    tokens_suite(&store).await;
    cascade_suite(&store).await;
    store.close().await;
}

#[tokio::test]
async fn sqlite_sessions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("sb.db").display());
    all_suites(url).await;
}

#[tokio::test]
async fn postgres_sessions() {
    common::on_scratch_postgres("postgres_sessions", all_suites).await;
}
