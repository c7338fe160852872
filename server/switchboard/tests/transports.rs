//! REGISTER with digest authentication and OPTIONS over every transport, against the whole
//! server booted in-process on 127.0.0.1 (SQLite in a temp dir).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use pbx::Transport;
use sip::{HeaderName, Message};

async fn register_over(
    conn: Conn,
    server: &switchboard::RunningServer,
    user: &str,
    want: Transport,
) {
    add_extension(server, user, "s3cret-pw").await;
    let mut phone = Phone::new(conn, user, "s3cret-pw");
    let ok = phone.register(600).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert!(
        ok.headers.get(&HeaderName::Contact).is_some(),
        "200 lists the bindings"
    );
    let b = bindings(server, user).await;
    assert_eq!(b.len(), 1, "{b:?}");
    let b = &b[0];
    assert_eq!(b.flow.transport, want);
    assert_eq!(b.flow.remote, phone.conn.local());
    assert_eq!(b.flow.connection.is_some(), want != Transport::Udp);
    // Unregister: the binding goes.
    let creds_free = phone.register(0).await;
    assert_eq!(creds_free.status, 200);
    assert!(bindings(server, user).await.is_empty());
}

#[tokio::test]
async fn register_over_udp_tcp_tls_and_ws() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let cert = server.cert_path.clone().unwrap();
    assert!(server.cert_generated);
    register_over(
        Conn::udp(server.sip_udp.unwrap()).await,
        &server,
        "100",
        Transport::Udp,
    )
    .await;
    register_over(
        Conn::tcp(server.sip_tcp.unwrap()).await,
        &server,
        "101",
        Transport::Tcp,
    )
    .await;
    register_over(
        Conn::tls(server.sip_tls.unwrap(), &cert).await,
        &server,
        "102",
        Transport::Tls,
    )
    .await;
    register_over(
        Conn::ws(server.http.unwrap()).await,
        &server,
        "103",
        Transport::Ws,
    )
    .await;
    register_over(
        Conn::wss(server.https.unwrap(), &cert).await,
        &server,
        "104",
        Transport::Wss,
    )
    .await;
    server.shutdown().await;

    // A second start reuses the generated certificate.
    let again = boot(test_config(dir.path(), None, 0)).await;
    assert!(!again.cert_generated);
    assert_eq!(again.cert_path.as_deref(), Some(cert.as_path()));
    again.shutdown().await;
}

#[tokio::test]
async fn wrong_password_gets_no_binding() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    add_extension(&server, "200", "right").await;
    for conn in [
        Conn::udp(server.sip_udp.unwrap()).await,
        Conn::tcp(server.sip_tcp.unwrap()).await,
    ] {
        let mut phone = Phone::new(conn, "200", "wrong");
        let resp = phone.register(600).await;
        assert!(matches!(resp.status, 401 | 403), "{resp:?}");
    }
    // An unknown extension is challenged exactly like a known one, and fails the same way.
    let mut ghost = Phone::new(Conn::udp(server.sip_udp.unwrap()).await, "299", "whatever");
    let resp = ghost.register(600).await;
    assert!(matches!(resp.status, 401 | 403), "{resp:?}");
    assert!(bindings(&server, "200").await.is_empty());
    assert!(bindings(&server, "299").await.is_empty());
    server.shutdown().await;
}

fn options(conn: &Conn, branch: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/{t} {l};branch=z9hG4bK{branch};rport\r\n\
Max-Forwards: 70\r\nFrom: <sip:probe@{DOMAIN}>;tag=p1\r\nTo: <sip:{DOMAIN}>\r\n\
Call-ID: {branch}@test\r\nCSeq: 1 OPTIONS\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n",
        t = conn.transport(),
        l = conn.local(),
    )
    .into_bytes()
}

#[tokio::test]
async fn options_is_answered_on_every_transport() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let cert = server.cert_path.clone().unwrap();
    let conns = vec![
        Conn::udp(server.sip_udp.unwrap()).await,
        Conn::tcp(server.sip_tcp.unwrap()).await,
        Conn::tls(server.sip_tls.unwrap(), &cert).await,
        Conn::ws(server.http.unwrap()).await,
        Conn::wss(server.https.unwrap(), &cert).await,
    ];
    for mut conn in conns {
        let branch = token();
        conn.send(&options(&conn, &branch)).await;
        let resp = conn.response().await;
        assert_eq!(resp.status, 200, "over {}", conn.transport());
        assert!(
            resp.headers
                .get(&HeaderName::Allow)
                .is_some_and(|a| a.contains("REGISTER"))
        );
        assert!(resp.to_tag().is_some(), "final responses carry a To tag");
        let via = resp.top_via().unwrap();
        assert_eq!(via.branch(), Some(format!("z9hG4bK{branch}").as_str()));
        assert_eq!(
            via.rport(),
            Some(Some(conn.local().port())),
            "rport filled (RFC 3581)"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn udp_retransmission_gets_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    add_extension(&server, "300", "pw300").await;
    let mut phone = Phone::new(Conn::udp(server.sip_udp.unwrap()).await, "300", "pw300");
    let req = phone.register_request(600, None);
    phone.conn.send(&req).await;
    let first = phone.conn.response().await;
    phone.conn.send(&req).await;
    let second = phone.conn.response().await;
    assert_eq!(first.status, 401);
    assert_eq!(
        first, second,
        "a retransmission is answered from the cache, not re-run"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn via_of_a_natted_client_gets_received_and_rport() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let mut conn = Conn::udp(server.sip_udp.unwrap()).await;
    // The client claims a private address; the answer still reaches its real one.
    let text = format!(
        "OPTIONS sip:{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.2.3:5062;branch=z9hG4bKnat;rport\r\n\
Max-Forwards: 70\r\nFrom: <sip:probe@{DOMAIN}>;tag=p1\r\nTo: <sip:{DOMAIN}>\r\n\
Call-ID: nat@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    conn.send(text.as_bytes()).await;
    let resp = conn.response().await;
    let via = resp.top_via().unwrap();
    assert_eq!(via.received(), Some("127.0.0.1"));
    assert_eq!(via.rport(), Some(Some(conn.local().port())));
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_and_unsupported_requests_get_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let mut conn = Conn::udp(server.sip_udp.unwrap()).await;
    let l = conn.local();
    let base = |method: &str, extra: &str| {
        format!(
            "{method} sip:100@{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP {l};branch=z9hG4bK{b};rport\r\n\
Max-Forwards: 70\r\nFrom: <sip:probe@{DOMAIN}>;tag=p1\r\nTo: <sip:100@{DOMAIN}>{extra}\r\n\
Call-ID: {b}@test\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n",
            b = token()
        )
    };
    for (text, want) in [
        // No credentials: the caller is challenged (RFC 3261 §22.3).
        (base("INVITE", ""), 407),
        (base("BYE", ";tag=x"), 481),
        (base("CANCEL", ""), 481),
        (base("SUBSCRIBE", ""), 405),
        (base("FROBNICATE", ""), 501),
        // Version 7.0 does not parse: answered statelessly with 505.
        (
            base("OPTIONS", "").replacen("SIP/2.0\r\n", "SIP/7.0\r\n", 1),
            505,
        ),
    ] {
        conn.send(text.as_bytes()).await;
        let resp = conn.final_response().await;
        assert_eq!(resp.status, want, "{text}");
        if want == 405 {
            assert!(resp.headers.get(&HeaderName::Allow).is_some());
        }
        if text.starts_with("INVITE") {
            // ACK the non-2xx final so its retransmissions (Timer G) stop.
            let Ok(Message::Request(invite)) = sip::parse_message(text.as_bytes()) else {
                panic!()
            };
            let ack = sip::transaction::ack_for(&invite, &resp).unwrap();
            conn.send(&ack.to_bytes()).await;
        }
    }
    // Garbage and bad responses are dropped without an answer and without harm.
    conn.send(b"\x00\x01\x02 not sip at all").await;
    conn.send(b"SIP/2.0 999999 Nonsense\r\n\r\n").await;
    conn.send(&options(&conn, "after-garbage")).await;
    assert_eq!(conn.response().await.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn oversized_stream_message_closes_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let mut conn = Conn::tcp(server.sip_tcp.unwrap()).await;
    let l = conn.local();
    let text = format!(
        "MESSAGE sip:100@{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/TCP {l};branch=z9hG4bKbig\r\n\
Max-Forwards: 70\r\nFrom: <sip:probe@{DOMAIN}>;tag=p1\r\nTo: <sip:100@{DOMAIN}>\r\n\
Call-ID: big@test\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n"
    );
    conn.send(text.as_bytes()).await;
    match conn.recv().await {
        Some(Message::Response(r)) => assert_eq!(r.status, 413),
        other => panic!("expected 413, got {other:?}"),
    }
    assert!(
        conn.recv().await.is_none(),
        "connection closed after the 413"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn crlf_keepalive_gets_a_pong() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let mut s = tokio::net::TcpStream::connect(server.sip_tcp.unwrap())
        .await
        .unwrap();
    s.write_all(b"\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 2];
    tokio::time::timeout(std::time::Duration::from_secs(10), s.read_exact(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf, b"\r\n");
    let mut ws = Conn::ws(server.http.unwrap()).await;
    ws.send(b"\r\n\r\n").await;
    assert_eq!(ws.recv_frame().await.as_deref(), Some(&b"\r\n"[..]));
    server.shutdown().await;
}

#[tokio::test]
async fn invite_final_response_is_retransmitted_until_acked() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let mut conn = Conn::udp(server.sip_udp.unwrap()).await;
    let text = format!(
        "INVITE sip:100@{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP {l};branch=z9hG4bKinv;rport\r\n\
Max-Forwards: 70\r\nFrom: <sip:probe@{DOMAIN}>;tag=p1\r\nTo: <sip:100@{DOMAIN}>\r\n\
Call-ID: inv@test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
        l = conn.local()
    );
    conn.send(text.as_bytes()).await;
    let first = conn.final_response().await;
    // Unauthenticated: 407, a final response like any other for Timer G.
    assert_eq!(first.status, 407);
    // Not acknowledged: Timer G sends it again (T1 = 500 ms later).
    let again = conn.final_response().await;
    assert_eq!(again, first);
    let Ok(Message::Request(invite)) = sip::parse_message(text.as_bytes()) else {
        panic!()
    };
    conn.send(
        &sip::transaction::ack_for(&invite, &first)
            .unwrap()
            .to_bytes(),
    )
    .await;
    server.shutdown().await;
}

#[tokio::test]
async fn websocket_without_the_sip_subprotocol_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    let url = format!("ws://{}/sip", server.http.unwrap());
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 400),
        other => panic!(
            "expected a refused upgrade, got {:?}",
            other.map(|(_, r)| r.status())
        ),
    }
    server.shutdown().await;
}

/// A browser that closes its WebSocket (a reload, a closed tab) leaves no binding behind:
/// nothing could reach it any more. A phone on UDP keeps its binding.
#[tokio::test]
async fn a_closed_websocket_takes_its_binding_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    add_extension(&server, "1001", "s3cret-pw").await;
    let mut udp = Phone::new(
        Conn::udp(server.sip_udp.unwrap()).await,
        "1001",
        "s3cret-pw",
    );
    assert_eq!(udp.register(600).await.status, 200);
    let mut browser = Phone::new(Conn::ws(server.http.unwrap()).await, "1001", "s3cret-pw");
    assert_eq!(browser.register(600).await.status, 200);
    assert_eq!(bindings(&server, "1001").await.len(), 2);
    drop(browser);
    let gone = eventually(|| async { bindings(&server, "1001").await.len() == 1 }).await;
    let left = bindings(&server, "1001").await;
    assert!(gone, "{left:?}");
    assert_eq!(left[0].flow.transport, Transport::Udp);
    server.shutdown().await;
}
