//! The registrar wired to the real store (SQLite): a phone registers with digest auth, the
//! server restarts, the binding is still there. Also proves the handler's future is Send
//! (the binary spawns it on tokio).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::net::SocketAddr;

use pbx::{Flow, Locations, Registrar, RegistrarConfig, Transport};
use sip::digest::{Challenge, Credentials};
use sip::{HeaderName, Message, Request};
use store::Store;

const NOW: u64 = 1_800_000_000;

fn register(cseq: u32, authorization: Option<&str>) -> Request {
    let mut text = format!(
        "REGISTER sip:pbx.test SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-{cseq}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:1001@pbx.test>;tag=a\r\n\
         To: <sip:1001@pbx.test>\r\n\
         Call-ID: restart-test\r\n\
         CSeq: {cseq} REGISTER\r\n\
         Contact: <sip:1001@192.0.2.10:5060>;+sip.instance=\"<urn:uuid:1>\";reg-id=1\r\n"
    );
    if let Some(a) = authorization {
        text.push_str(&format!("Authorization: {a}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    match sip::parse_message(text.as_bytes()) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

fn flow() -> Flow {
    Flow {
        transport: Transport::Udp,
        remote: SocketAddr::from(([192, 0, 2, 10], 5060)),
        local: SocketAddr::from(([127, 0, 0, 1], 5060)),
        connection: None,
    }
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[tokio::test]
async fn registration_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("pbx.db").display());
    let config = RegistrarConfig::new("pbx.test", [1; 32]);
    {
        let store = Store::connect(&url).await.expect("connect");
        store
            .add_extension("1001", "Alice", "pw1001")
            .await
            .expect("add");
        let registrar = Registrar::new(config.clone(), store.clone(), store.clone());
        let challenge = assert_send(registrar.handle(&register(1, None), &flow(), NOW)).await;
        assert_eq!(challenge.status, 401);
        let www = challenge
            .headers
            .get(&HeaderName::WwwAuthenticate)
            .expect("challenge");
        let ch = Challenge::parse(www).expect("parse");
        let creds = Credentials::answer(&ch, "1001", "pw1001", "REGISTER", "sip:pbx.test", "cn", 1);
        let ok = registrar
            .handle(&register(2, Some(&creds.to_string())), &flow(), NOW)
            .await;
        assert_eq!(ok.status, 200);
        store.close().await;
    }
    let store = Store::connect(&url).await.expect("reconnect");
    let bindings = store.lookup("1001", NOW + 1).await.expect("lookup");
    assert_eq!(bindings.len(), 1);
    assert_eq!(bindings[0].contact, "sip:1001@192.0.2.10:5060");
    assert_eq!(bindings[0].instance.as_deref(), Some("<urn:uuid:1>"));
    assert_eq!(bindings[0].flow, flow());
    assert_eq!(bindings[0].expires_at, NOW + 3600);
}
