//! `/api/users` and `/api/me/password`: creating and changing accounts, and the rules that
//! keep admins from locking themselves (or everyone) out.

use std::sync::Arc;

use pbx::accounts::User;
use serde_json::json;

use crate::auth::accounts::{self, ChangeUser};

use crate::fake::{PASSWORD, TestApp, login, standard};

fn id_of(app: &TestApp, name: &str) -> i64 {
    app.backend.user_named(name).map(|u| u.id).unwrap_or(-1)
}

#[tokio::test]
async fn admins_create_list_change_and_delete_users() {
    let app = TestApp::start(standard().with_extension("1003", "Spare")).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let created = app
        .post("/api/users")
        .session(&admin)
        .json(&json!({"name": "Carol", "password": "carols password", "extension": "1003"}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let carol = created.json();
    assert_eq!(carol["name"], "carol");
    assert_eq!(carol["extension"], "1003");
    assert_eq!(carol["admin"], false);
    assert!(carol.get("password_hash").is_none());
    let stored = app
        .backend
        .user_named("carol")
        .map(|u| u.password_hash)
        .unwrap_or_default();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    assert_eq!(login(&app, "carol", "carols password").await.csrf.len(), 43);

    let list = app
        .get("/api/users")
        .cookie(&admin.cookie)
        .send()
        .await
        .json();
    let names: Vec<&str> = list
        .as_array()
        .map(|a| a.iter().filter_map(|u| u["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["admin", "alice", "bob", "carol"]);

    let id = id_of(&app, "carol");
    let path = format!("/api/users/{id}");
    let changed = app
        .patch(&path)
        .session(&admin)
        .json(&json!({"extension": null, "admin": true}))
        .send()
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.json()["extension"], json!(null));
    assert_eq!(changed.json()["admin"], true);

    assert_eq!(app.delete(&path).session(&admin).send().await.status, 204);
    assert_eq!(
        app.get(&path).cookie(&admin.cookie).send().await.status,
        404
    );
    assert_eq!(app.delete(&path).session(&admin).send().await.status, 404);
}

#[tokio::test]
async fn bad_user_input_is_refused_with_a_reason() {
    let app = TestApp::start(standard()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let cases = [
        (
            json!({"name": "dave", "password": "short"}),
            422,
            "at least 10",
        ),
        (
            json!({"name": "bad name", "password": PASSWORD}),
            422,
            "not valid",
        ),
        (json!({"name": "ALICE", "password": PASSWORD}), 409, "taken"),
        (
            json!({"name": "dave", "password": PASSWORD, "extension": "1001"}),
            409,
            "belongs",
        ),
        (
            json!({"name": "dave", "password": PASSWORD, "extension": "7777"}),
            422,
            "7777",
        ),
        (
            json!({"name": "dave", "password": PASSWORD, "role": "root"}),
            422,
            "role",
        ),
    ];
    for (body, status, words) in cases {
        let resp = app
            .post("/api/users")
            .session(&admin)
            .json(&body)
            .send()
            .await;
        assert_eq!(resp.status, status, "{body}: {}", resp.body);
        let msg = resp.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(msg.contains(words), "{body}: {msg}");
    }
    assert_eq!(app.backend.state().users.len(), 3);
    for id in ["x", "-1", "99999999999999999999", "1.5"] {
        let resp = app
            .get(&format!("/api/users/{id}"))
            .cookie(&admin.cookie)
            .send()
            .await;
        assert_eq!(resp.status, 404, "{id}");
    }
}

#[tokio::test]
async fn an_admin_cannot_demote_or_delete_themself() {
    let app = TestApp::start(standard().with_user("root", PASSWORD, true, None)).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let me = format!("/api/users/{}", id_of(&app, "admin"));
    let demote = app
        .patch(&me)
        .session(&admin)
        .json(&json!({"admin": false}))
        .send()
        .await;
    assert_eq!(demote.status, 409);
    assert!(
        demote.json()["error"]
            .as_str()
            .is_some_and(|m| m.contains("own admin"))
    );
    let delete = app.delete(&me).session(&admin).send().await;
    assert_eq!(delete.status, 409);
    // Their own password only changes with the current one, under /api/me/password.
    let pw = app
        .patch(&me)
        .session(&admin)
        .json(&json!({"password": "a new password"}))
        .send()
        .await;
    assert_eq!(pw.status, 422);
    assert!(app.backend.user_named("admin").is_some_and(|u| u.admin));
    // Another admin may be demoted and deleted.
    let root = format!("/api/users/{}", id_of(&app, "root"));
    let ok = app
        .patch(&root)
        .session(&admin)
        .json(&json!({"admin": false}))
        .send()
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(app.delete(&root).session(&admin).send().await.status, 204);
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed() {
    // Through the API an admin can only act on others, so the last admin can only be hit by
    // an actor whose own rights went away meanwhile (two admins demoting each other at once).
    // Play that actor directly against the account rules.
    let backend = Arc::new(standard());
    let state = crate::fake::app_state(backend.clone());
    let Some(admin) = backend.user_named("admin") else {
        panic!("no admin")
    };
    let stale = User {
        id: 999,
        ..admin.clone()
    };
    let demote = ChangeUser {
        admin: Some(false),
        ..ChangeUser::default()
    };
    for result in [
        accounts::update_user(&state, &stale, admin.id, demote)
            .await
            .map(|_| ()),
        accounts::delete_user(&state, &stale, admin.id).await,
    ] {
        let e = result
            .err()
            .unwrap_or_else(|| panic!("the last admin went away"));
        assert_eq!(e.status.as_u16(), 409);
        assert!(e.message.contains("last admin"), "{e}");
    }
    assert!(backend.user_named("admin").is_some_and(|u| u.admin));
}

#[tokio::test]
async fn a_new_password_from_an_admin_logs_the_user_out() {
    let app = TestApp::start(standard()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let alice = login(&app, "alice", PASSWORD).await;
    let path = format!("/api/users/{}", id_of(&app, "alice"));
    let resp = app
        .patch(&path)
        .session(&admin)
        .json(&json!({"password": "alices new password"}))
        .send()
        .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(
        app.get("/api/me").cookie(&alice.cookie).send().await.status,
        401
    );
    login(&app, "alice", "alices new password").await;
}

#[tokio::test]
async fn changing_ones_own_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::start(standard()).await;
    let laptop = login(&app, "alice", PASSWORD).await;
    let phone = login(&app, "alice", PASSWORD).await;
    let wrong = app
        .post("/api/me/password")
        .session(&laptop)
        .json(&json!({"current": "not it at all", "new": "a brand new password"}))
        .send()
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.json()["error"], "The current password is wrong.");
    let weak = app
        .post("/api/me/password")
        .session(&laptop)
        .json(&json!({"current": PASSWORD, "new": "short"}))
        .send()
        .await;
    assert_eq!(weak.status, 422);

    let ok = app
        .post("/api/me/password")
        .session(&laptop)
        .json(&json!({"current": PASSWORD, "new": "a brand new password"}))
        .send()
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let fresh = ok.cookie().unwrap_or_default();
    assert_ne!(fresh, laptop.cookie);
    assert_ne!(ok.json()["csrf"], laptop.csrf.as_str());
    for old in [&laptop.cookie, &phone.cookie] {
        assert_eq!(app.get("/api/me").cookie(old).send().await.status, 401);
    }
    assert_eq!(app.get("/api/me").cookie(&fresh).send().await.status, 200);
    login(&app, "alice", "a brand new password").await;
}

#[tokio::test]
async fn guessing_the_current_password_is_throttled() {
    let app = TestApp::start(standard()).await;
    let s = login(&app, "alice", PASSWORD).await;
    for _ in 0..5 {
        let resp = app
            .post("/api/me/password")
            .session(&s)
            .json(&json!({"current": "guess guess", "new": "a brand new password"}))
            .send()
            .await;
        assert_eq!(resp.status, 422);
    }
    let locked = app
        .post("/api/me/password")
        .session(&s)
        .json(&json!({"current": PASSWORD, "new": "a brand new password"}))
        .send()
        .await;
    assert_eq!(locked.status, 429);
}
