//! Logging in and out over the API: sessions, equal answers for unknown names and wrong
//! passwords, and the throttle.

use serde_json::json;

use crate::PortalConfig;
use crate::fake::{PASSWORD, TestApp, TestClock, login, standard};

async fn try_login(app: &TestApp, name: &str, password: &str) -> crate::fake::TestResponse {
    app.post("/api/login")
        .json(&json!({"username": name, "password": password}))
        .send()
        .await
}

#[tokio::test]
async fn login_me_and_logout() {
    let app = TestApp::start(standard()).await;
    assert_eq!(app.get("/api/me").send().await.status, 401);

    let resp = try_login(&app, " Alice ", PASSWORD).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let body = resp.json();
    assert_eq!(body["user"]["name"], "alice");
    assert_eq!(body["user"]["admin"], false);
    assert_eq!(body["user"]["extension"], "1001");
    assert!(body["user"].get("password_hash").is_none());
    let cookie = resp.cookie().unwrap_or_default();
    let csrf = body["csrf"].as_str().unwrap_or_default().to_owned();

    let me = app.get("/api/me").cookie(&cookie).send().await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["name"], "alice");
    assert_eq!(me.json()["csrf"], csrf.as_str());

    let out = app
        .post("/api/logout")
        .cookie(&cookie)
        .header("X-CSRF-Token", &csrf)
        .send()
        .await;
    assert_eq!(out.status, 204);
    assert!(out.set_cookies().iter().any(|c| c.contains("Max-Age=0")));
    // The session is gone on the server, not just in the browser.
    assert_eq!(app.get("/api/me").cookie(&cookie).send().await.status, 401);
    assert!(app.backend.state().sessions.is_empty());
}

#[tokio::test]
async fn every_login_gets_a_new_session_and_ends_the_old_one() {
    let app = TestApp::start(standard()).await;
    let first = login(&app, "alice", PASSWORD).await;
    let again = app
        .post("/api/login")
        .cookie(&first.cookie)
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(again.status, 200);
    let second = again.cookie().unwrap_or_default();
    assert_ne!(first.cookie, second);
    assert_eq!(
        app.get("/api/me").cookie(&first.cookie).send().await.status,
        401
    );
    assert_eq!(app.get("/api/me").cookie(&second).send().await.status, 200);
    // Only the hash is stored.
    let token = second
        .split_once('=')
        .map(|(_, t)| t.to_owned())
        .unwrap_or_default();
    let st = app.backend.state();
    assert!(!st.sessions.contains_key(&token));
    assert!(
        st.sessions
            .contains_key(&crate::auth::session::token_hash(&token))
    );
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = TestApp::start(standard()).await;
    let wrong = try_login(&app, "alice", "not the password").await;
    let unknown = try_login(&app, "mallory", "not the password").await;
    let invalid = try_login(&app, "<script>", "not the password").await;
    for resp in [&wrong, &unknown, &invalid] {
        assert_eq!(resp.status, 401, "{}", resp.body);
        assert_eq!(
            resp.json(),
            json!({"error": "Wrong user name or password."})
        );
        assert!(resp.set_cookies().is_empty());
    }
}

#[tokio::test]
async fn failures_are_throttled_per_account_for_known_and_unknown_names() {
    let clock = TestClock::new(1_000_000);
    let config = PortalConfig {
        clock: clock.clock(),
        ..PortalConfig::default()
    };
    let app = TestApp::start_with(standard(), false, config).await;
    for name in ["alice", "nobody"] {
        for _ in 0..5 {
            assert_eq!(try_login(&app, name, "wrong password").await.status, 401);
        }
        let locked = try_login(&app, name, "wrong password").await;
        assert_eq!(locked.status, 429, "{name}");
        assert_eq!(
            locked.json()["error"],
            "Too many attempts, try again in 900 s."
        );
        assert_eq!(locked.header("retry-after"), Some("900"));
    }
    // Even the right password waits: the lock does not tell whether a guess was right.
    assert_eq!(try_login(&app, "alice", PASSWORD).await.status, 429);
    // Another account from the same address is not locked by these ten failures.
    assert_eq!(try_login(&app, "bob", PASSWORD).await.status, 200);
    clock.advance(15 * 60);
    assert_eq!(try_login(&app, "alice", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn failures_are_throttled_per_address() {
    let app = TestApp::start(standard()).await;
    for i in 0..20 {
        let name = format!("guess{i}");
        assert_eq!(try_login(&app, &name, "wrong password").await.status, 401);
    }
    let locked = try_login(&app, "alice", PASSWORD).await;
    assert_eq!(locked.status, 429);
    assert!(
        locked.json()["error"]
            .as_str()
            .is_some_and(|m| m.starts_with("Too many attempts, try again in "))
    );
}

#[tokio::test]
async fn malformed_login_bodies_are_json_errors() {
    let app = TestApp::start(standard()).await;
    let bad = app
        .post("/api/login")
        .header("Content-Type", "application/json")
        .send()
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].is_string());
    let missing = app
        .post("/api/login")
        .json(&json!({"username": "alice"}))
        .send()
        .await;
    assert_eq!(missing.status, 422);
    assert!(missing.json()["error"].is_string());
    let no_type = app.post("/api/login").send().await;
    assert_eq!(no_type.status, 415);
    assert!(no_type.json()["error"].is_string());
}
