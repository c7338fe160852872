//! Security headers on every response, and JSON answers for unknown API paths.

use crate::fake::{PASSWORD, TestApp, login, standard};
use crate::headers::CONTENT_SECURITY_POLICY;

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::start(standard()).await;
    let s = login(&app, "alice", PASSWORD).await;
    for (path, cookie) in [
        ("/api/me", Some(&s.cookie)),
        ("/api/me", None),
        ("/login", None),
        ("/phone", Some(&s.cookie)),
        ("/healthz", None),
        ("/static/style.css", None),
        ("/no/such/page", None),
    ] {
        let mut req = app.get(path);
        if let Some(c) = cookie {
            req = req.cookie(c);
        }
        let resp = req.send().await;
        assert_eq!(
            resp.header("content-security-policy"),
            Some(CONTENT_SECURITY_POLICY),
            "{path}"
        );
        assert_eq!(
            resp.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            resp.header("referrer-policy"),
            Some("same-origin"),
            "{path}"
        );
    }
    assert_eq!(
        CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         media-src 'self' blob: mediastream:; connect-src 'self' ws: wss:; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    );
    let api = app.get("/api/me").cookie(&s.cookie).send().await;
    assert_eq!(api.header("cache-control"), Some("no-store"));
    let page = app.get("/phone").cookie(&s.cookie).send().await;
    assert_eq!(page.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn unknown_api_paths_are_json_404s() {
    let app = TestApp::start(standard()).await;
    for path in ["/api", "/api/nothing", "/api/users/1/extra"] {
        let resp = app.get(path).send().await;
        assert_eq!(resp.status, 404, "{path}");
        assert_eq!(resp.json()["error"], "No such API endpoint.", "{path}");
        assert_eq!(resp.header("cache-control"), Some("no-store"));
    }
}

#[tokio::test]
async fn the_softphone_gets_its_credentials_and_websocket_url() {
    let app = TestApp::start(standard()).await;
    let s = login(&app, "alice", PASSWORD).await;
    let sip = app.get("/api/me/sip").cookie(&s.cookie).send().await.json();
    assert_eq!(sip["ws_url"], format!("ws://{}/sip", app.addr));
    assert_eq!(sip["domain"], "pbx.test");
    assert_eq!(sip["display_name"], "alice");
    let tls = TestApp::start_with(standard(), true, crate::PortalConfig::default()).await;
    let resp = tls
        .post("/api/login")
        .json(&serde_json::json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await;
    let cookie = resp.cookie().unwrap_or_default();
    let sip = tls
        .get("/api/me/sip")
        .cookie(&cookie)
        .header("Host", "pbx.example.com:8443")
        .send()
        .await
        .json();
    assert_eq!(sip["ws_url"], "wss://pbx.example.com:8443/sip");
}
