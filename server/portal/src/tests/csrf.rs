//! CSRF: writes with a session need the session's token (header or form field); writes from
//! another origin are refused outright; bearer tokens need no CSRF token.

use serde_json::json;

use crate::fake::{PASSWORD, TestApp, login, standard};

#[tokio::test]
async fn session_writes_without_the_token_are_refused() {
    let app = TestApp::start(standard()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let body = json!({"number": "2000", "name": "Lobby"});

    let none = app
        .post("/api/extensions")
        .cookie(&admin.cookie)
        .json(&body)
        .send()
        .await;
    assert_eq!(none.status, 403);
    assert!(
        none.json()["error"]
            .as_str()
            .is_some_and(|m| m.contains("CSRF"))
    );
    let wrong = app
        .post("/api/extensions")
        .cookie(&admin.cookie)
        .header("X-CSRF-Token", "x".repeat(43).as_str())
        .json(&body)
        .send()
        .await;
    assert_eq!(wrong.status, 403);
    // Another session's token is just as wrong.
    let other = login(&app, "alice", PASSWORD).await;
    let swapped = app
        .post("/api/extensions")
        .cookie(&admin.cookie)
        .header("X-CSRF-Token", &other.csrf)
        .json(&body)
        .send()
        .await;
    assert_eq!(swapped.status, 403);
    assert!(
        !app.backend.state().extensions.contains_key("2000"),
        "nothing changed"
    );

    let right = app
        .post("/api/extensions")
        .session(&admin)
        .json(&body)
        .send()
        .await;
    assert_eq!(right.status, 201, "{}", right.body);
}

#[tokio::test]
async fn patch_and_delete_need_it_too() {
    let app = TestApp::start(standard()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let patch = app
        .patch("/api/extensions/1001")
        .cookie(&admin.cookie)
        .json(&json!({"dnd": true}))
        .send()
        .await;
    assert_eq!(patch.status, 403);
    let delete = app
        .delete("/api/extensions/1001")
        .cookie(&admin.cookie)
        .send()
        .await;
    assert_eq!(delete.status, 403);
    assert!(app.backend.state().extensions.contains_key("1001"));
}

#[tokio::test]
async fn a_form_field_carries_the_token_for_html_forms() {
    let app = TestApp::start(standard()).await;
    let s = login(&app, "alice", PASSWORD).await;
    // The page's logout form, without its field, does nothing.
    let bare = app.post("/logout").cookie(&s.cookie).form(&[]).send().await;
    assert_eq!(bare.status, 403);
    assert_eq!(
        app.get("/api/me").cookie(&s.cookie).send().await.status,
        200
    );
    let wrong = app
        .post("/api/logout")
        .cookie(&s.cookie)
        .form(&[("csrf", "nope")])
        .send()
        .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(
        app.get("/api/me").cookie(&s.cookie).send().await.status,
        200
    );
    let right = app
        .post("/api/logout")
        .cookie(&s.cookie)
        .form(&[("other", "x"), ("csrf", &s.csrf)])
        .send()
        .await;
    assert_eq!(right.status, 204);
    assert_eq!(
        app.get("/api/me").cookie(&s.cookie).send().await.status,
        401
    );
}

#[tokio::test]
async fn cross_origin_writes_are_refused_even_at_login() {
    let app = TestApp::start(standard()).await;
    let evil = app
        .post("/api/login")
        .header("Origin", "http://evil.example")
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(evil.status, 403);
    assert!(evil.set_cookies().is_empty());
    let fetch = app
        .post("/api/login")
        .header("Sec-Fetch-Site", "cross-site")
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(fetch.status, 403);
    // The same origin, as a browser sends it, is fine.
    let origin = format!("http://{}", app.addr);
    let ok = app
        .post("/api/login")
        .header("Origin", &origin)
        .header("Sec-Fetch-Site", "same-origin")
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // A page POST from another site is refused in plain text.
    let page = app
        .post("/logout")
        .header("Origin", "null")
        .form(&[("csrf", "x")])
        .send()
        .await;
    assert_eq!(page.status, 403);
    assert!(
        page.header("content-type")
            .is_some_and(|v| v.starts_with("text/plain"))
    );
}

#[tokio::test]
async fn bearer_tokens_need_no_csrf_token() {
    let app = TestApp::start(standard()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let created = app
        .post("/api/tokens")
        .session(&admin)
        .json(&json!({"label": "ci"}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let token = created.json()["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let bearer = format!("Bearer {token}");
    let resp = app
        .post("/api/extensions")
        .header("Authorization", &bearer)
        .json(&json!({"number": "2000", "name": "Lobby"}))
        .send()
        .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
}

#[tokio::test]
async fn get_changes_nothing() {
    let app = TestApp::start(standard()).await;
    let s = login(&app, "alice", PASSWORD).await;
    // Write endpoints do not answer GET, so a link or an <img> cannot trigger them.
    for path in ["/api/logout", "/api/me/password", "/api/calls/c1/hangup"] {
        let resp = app.get(path).cookie(&s.cookie).send().await;
        assert_eq!(resp.status, 405, "{path}");
    }
    assert_eq!(
        app.get("/api/me").cookie(&s.cookie).send().await.status,
        200
    );
}
