//! Session cookies per listener, and the idle and absolute timeouts on an injected clock.

use std::time::Duration;

use crate::PortalConfig;
use crate::fake::{PASSWORD, TestApp, TestClock, login, standard};

#[tokio::test]
async fn plain_http_cookie_is_httponly_strict_without_secure() {
    let app = TestApp::start(standard()).await;
    let s = login(&app, "alice", PASSWORD).await;
    assert!(s.cookie.starts_with("sb_session="), "{}", s.cookie);
    let resp = app
        .post("/api/login")
        .json(&serde_json::json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await;
    let set = resp
        .set_cookies()
        .first()
        .map(|c| c.to_string())
        .unwrap_or_default();
    assert!(set.contains("; HttpOnly"), "{set}");
    assert!(set.contains("; SameSite=Strict"), "{set}");
    assert!(set.contains("; Path=/"), "{set}");
    assert!(!set.contains("Secure"), "{set}");
    // The token is 32 random bytes, base64url.
    let token = s.cookie.trim_start_matches("sb_session=");
    assert_eq!(token.len(), 43);
}

#[tokio::test]
async fn https_cookie_is_host_prefixed_and_secure() {
    let app = TestApp::start_with(standard(), true, PortalConfig::default()).await;
    let resp = app
        .post("/api/login")
        .json(&serde_json::json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(resp.status, 200);
    let set = resp
        .set_cookies()
        .first()
        .map(|c| c.to_string())
        .unwrap_or_default();
    assert!(set.starts_with("__Host-sb_session="), "{set}");
    for flag in ["; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/"] {
        assert!(set.contains(flag), "{flag} in {set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    let cookie = resp.cookie().unwrap_or_default();
    assert_eq!(app.get("/api/me").cookie(&cookie).send().await.status, 200);
    // The plain-HTTP cookie name is not accepted on HTTPS (it could have been planted).
    let planted = cookie.replace("__Host-sb_session=", "sb_session=");
    assert_eq!(app.get("/api/me").cookie(&planted).send().await.status, 401);
}

fn timed(clock: &TestClock) -> PortalConfig {
    PortalConfig {
        session_idle: Duration::from_secs(3600),
        session_max: Duration::from_secs(4 * 3600),
        clock: clock.clock(),
        ..PortalConfig::default()
    }
}

#[tokio::test]
async fn an_idle_session_expires() {
    let clock = TestClock::new(1_000_000);
    let app = TestApp::start_with(standard(), false, timed(&clock)).await;
    let s = login(&app, "alice", PASSWORD).await;
    clock.advance(3600);
    assert_eq!(
        app.get("/api/me").cookie(&s.cookie).send().await.status,
        200
    );
    // That request counted as activity: another idle hour is allowed from here.
    clock.advance(3600);
    assert_eq!(
        app.get("/api/me").cookie(&s.cookie).send().await.status,
        200
    );
    clock.advance(3601);
    let late = app.get("/api/me").cookie(&s.cookie).send().await;
    assert_eq!(late.status, 401);
    // The dead session is deleted and the browser told to drop the cookie.
    assert!(app.backend.state().sessions.is_empty());
    assert!(late.set_cookies().iter().any(|c| c.contains("Max-Age=0")));
}

#[tokio::test]
async fn a_busy_session_still_ends_at_the_absolute_limit() {
    let clock = TestClock::new(1_000_000);
    let app = TestApp::start_with(standard(), false, timed(&clock)).await;
    let s = login(&app, "alice", PASSWORD).await;
    for _ in 0..8 {
        clock.advance(30 * 60);
        assert_eq!(
            app.get("/api/me").cookie(&s.cookie).send().await.status,
            200
        );
    }
    clock.advance(1);
    assert_eq!(
        app.get("/api/me").cookie(&s.cookie).send().await.status,
        401
    );
}

#[tokio::test]
async fn garbage_cookies_are_just_not_logged_in() {
    let app = TestApp::start(standard()).await;
    for cookie in [
        "sb_session=",
        "sb_session=nope",
        "sb_session=%00%ff",
        "other=1; sb_session",
        &format!("sb_session={}", "a".repeat(5000)),
    ] {
        let resp = app.get("/api/me").cookie(cookie).send().await;
        assert_eq!(resp.status, 401, "{cookie}");
    }
}

#[tokio::test]
async fn a_deleted_user_loses_their_sessions() {
    let app = TestApp::start(standard()).await;
    let s = login(&app, "alice", PASSWORD).await;
    let id = app
        .backend
        .user_named("alice")
        .map(|u| u.id)
        .unwrap_or_default();
    app.backend.state().users.remove(&id);
    assert_eq!(
        app.get("/api/me").cookie(&s.cookie).send().await.status,
        401
    );
}
