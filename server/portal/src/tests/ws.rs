//! `/healthz`, the stylesheet and the SIP WebSocket (RFC 7118) at `/sip`.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::fake::{FakeBackend, TestApp};

#[tokio::test]
async fn healthz_and_stylesheet() {
    let app = TestApp::start(FakeBackend::new()).await;
    let health = app.get("/healthz").send().await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body, "ok");
    let css = app.get("/static/style.css").send().await;
    assert_eq!(css.status, 200);
    assert!(
        css.header("content-type")
            .is_some_and(|v| v.contains("text/css"))
    );
    // Static files keep their own caching; everything gets the security headers.
    assert_eq!(css.header("cache-control"), Some("public, max-age=3600"));
    assert_eq!(css.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn sip_websocket_needs_the_sip_subprotocol() {
    let app = TestApp::start(FakeBackend::new()).await;
    let result = tokio_tungstenite::connect_async(format!("ws://{}/sip", app.addr)).await;
    match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 400),
        other => panic!(
            "expected a refused upgrade, got {:?}",
            other.map(|(_, r)| r.status())
        ),
    }
}

#[tokio::test]
async fn sip_websocket_pumps_frames_both_ways() {
    let app = TestApp::start(FakeBackend::new()).await;
    let mut req = format!("ws://{}/sip", app.addr)
        .into_client_request()
        .unwrap_or_else(|e| panic!("{e}"));
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
    let (mut ws, resp) = tokio_tungstenite::connect_async(req)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        resp.headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some("sip")
    );
    ws.send(Message::text("options sip:x"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    match ws.next().await {
        Some(Ok(Message::Text(t))) => assert_eq!(t.as_str(), "OPTIONS SIP:X"),
        other => panic!("{other:?}"),
    }
    ws.send(Message::text("bye"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The backend closed: the client sees a close frame, then the end.
    loop {
        match ws.next().await {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }
    let peers = app.backend.state().ws_peers.clone();
    assert_eq!(peers.len(), 1);
    assert_eq!(
        peers.first().map(|p| (p.local, p.secure)),
        Some((app.addr, false))
    );
}
