//! Requests for a registered contact go back over the flow it registered on (RFC 5626,
//! RFC 7118): the keepalive OPTIONS ("qualify") is the first such request, so it must arrive
//! on the very TCP connection / WebSocket the REGISTER came over.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use sip::{Method, Response};

async fn qualify_comes_back_over(
    mut phone: Phone,
    server: &switchboard::RunningServer,
    transport: &str,
) {
    let ok = phone.register(600).await;
    assert_eq!(ok.status, 200);
    // qualify_interval is 1 s: wait for the next round (bounded by the client's receive wait).
    let req = phone
        .conn
        .request()
        .await
        .unwrap_or_else(|| panic!("no qualify OPTIONS over {transport}"));
    assert_eq!(req.method, Method::Options);
    assert_eq!(req.uri.to_string(), phone.contact());
    let via = req.top_via().unwrap();
    assert_eq!(via.transport, transport);
    let answered_before = server.qualify_answered();
    phone
        .conn
        .send(&Response::for_request(&req, 200, "OK").to_bytes())
        .await;
    assert!(
        eventually(|| async { server.qualify_answered() > answered_before }).await,
        "answer was matched"
    );
}

#[tokio::test]
async fn qualify_options_use_the_registering_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 1)).await;
    add_extension(&server, "100", "pw-tcp").await;
    add_extension(&server, "101", "pw-ws").await;
    add_extension(&server, "102", "pw-udp").await;
    let tcp = Phone::new(Conn::tcp(server.sip_tcp.unwrap()).await, "100", "pw-tcp");
    qualify_comes_back_over(tcp, &server, "TCP").await;
    let ws = Phone::new(Conn::ws(server.http.unwrap()).await, "101", "pw-ws");
    qualify_comes_back_over(ws, &server, "WS").await;
    let udp = Phone::new(Conn::udp(server.sip_udp.unwrap()).await, "102", "pw-udp");
    qualify_comes_back_over(udp, &server, "UDP").await;
    server.shutdown().await;
}
