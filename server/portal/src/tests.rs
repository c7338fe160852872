use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::*;

/// Echoes every WebSocket frame back, upper-cased, and records the peers it saw.
#[derive(Default)]
struct Echo {
    peers: Mutex<Vec<WsPeer>>,
}

impl Backend for Echo {
    fn status(&self) -> Pin<Box<dyn Future<Output = Status> + Send + '_>> {
        Box::pin(async {
            Status {
                server: "Switchboard".into(),
                version: "9.9.9".into(),
                domain: "pbx.<test>".into(),
                listeners: vec![StatusListener {
                    name: "SIP UDP".into(),
                    address: "127.0.0.1:5060".into(),
                }],
                bindings: Ok(3),
            }
        })
    }

    fn sip_socket(&self, peer: WsPeer) -> WsChannels {
        if let Ok(mut p) = self.peers.lock() {
            p.push(peer);
        }
        let (from_tx, mut from_rx) = mpsc::channel::<Vec<u8>>(8);
        let (to_tx, to_rx) = mpsc::channel(8);
        tokio::spawn(async move {
            while let Some(bytes) = from_rx.recv().await {
                if bytes == b"bye" {
                    let _ = to_tx.send(WsOutbound::Close).await;
                    break;
                }
                let _ = to_tx
                    .send(WsOutbound::Frame(bytes.to_ascii_uppercase()))
                    .await;
            }
        });
        WsChannels {
            from_client: from_tx,
            to_client: to_rx,
        }
    }
}

async fn serve(backend: Arc<Echo>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let local = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let app = router(
        backend,
        ListenerInfo {
            local,
            secure: false,
        },
    );
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<PeerAddr>(),
        )
        .await;
    });
    local
}

async fn get(addr: SocketAddr, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let req = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    s.read_to_string(&mut out)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

#[tokio::test]
async fn healthz_and_status_page() {
    let addr = serve(Arc::new(Echo::default())).await;
    let health = get(addr, "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("ok"), "{health}");
    let page = get(addr, "/").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Switchboard 9.9.9"), "{page}");
    assert!(page.contains("pbx.&#60;test&#62;"), "escaped: {page}");
    assert!(!page.contains("pbx.<test>"), "escaped: {page}");
    assert!(
        page.contains("id=\"bindings\" class=\"figure\">3</span>"),
        "{page}"
    );
    assert!(page.contains("127.0.0.1:5060"), "{page}");
    let css = get(addr, "/static/style.css").await;
    assert!(css.starts_with("HTTP/1.1 200"), "{css}");
    assert!(css.contains("text/css"), "{css}");
}

#[tokio::test]
async fn sip_websocket_needs_the_sip_subprotocol() {
    let addr = serve(Arc::new(Echo::default())).await;
    let result = tokio_tungstenite::connect_async(format!("ws://{addr}/sip")).await;
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
    let backend = Arc::new(Echo::default());
    let addr = serve(backend.clone()).await;
    let mut req = format!("ws://{addr}/sip")
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
    use tokio_tungstenite::tungstenite::Message;
    ws.send(Message::text("options sip:x"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let back = ws.next().await;
    match back {
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
    let peers = backend.peers.lock().map(|p| p.clone()).unwrap_or_default();
    assert_eq!(peers.len(), 1);
    assert_eq!(
        peers.first().map(|p| (p.local, p.secure)),
        Some((addr, false))
    );
}
