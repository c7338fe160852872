//! The RFC 4475 messages addressed to a registrar, byte-exact from ../shared/testdata.

use std::path::PathBuf;

use sip::{HeaderName, Message, Request};

use crate::testing::MemoryDirectory;

use super::*;

fn torture(name: &str) -> Request {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/rfc4475")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match sip::parse_message(&bytes) {
        Ok(Message::Request(r)) => r,
        other => panic!("{name}: {other:?}"),
    }
}

fn torture_registrar() -> TestRegistrar {
    let directory = MemoryDirectory::new()
        .with("watson", "w-pw")
        .with("user", "u-pw")
        .with("j.user", "j-pw");
    Registrar::new(config(), directory, crate::testing::MemoryLocations::new())
}

/// Answers the registrar's challenge for `req` as `user` and sends it again.
async fn authenticated(r: &TestRegistrar, mut req: Request, user: &str, pw: &str) -> Response {
    let challenge = r.handle(&req, &flow(), T0).await;
    assert_eq!(challenge.status, 401);
    let mut phone = Phone::new(user, pw);
    phone.learn(&challenge);
    let creds = phone.authorization().expect("challenged");
    req.headers.remove(&HeaderName::Authorization);
    req.headers.push(HeaderName::Authorization, creds);
    r.handle(&req, &flow(), T0).await
}

#[tokio::test]
async fn unksm2_non_sip_aor_is_400() {
    let r = torture_registrar();
    assert_eq!(
        r.handle(&torture("unksm2.dat"), &flow(), T0).await.status,
        400
    );
}

#[tokio::test]
async fn regaut01_unknown_scheme_gets_our_challenge() {
    let r = torture_registrar();
    let resp = r.handle(&torture("regaut01.dat"), &flow(), T0).await;
    assert_eq!(resp.status, 401);
    assert_eq!(header(&resp, &HeaderName::WwwAuthenticate).len(), 2);
}

#[tokio::test]
async fn cparam01_parameter_belongs_to_the_contact() {
    let r = torture_registrar();
    let resp = authenticated(&r, torture("cparam01.dat"), "watson", "w-pw").await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        contacts(&resp),
        ["<sip:+19725552222@gw1.example.net>;expires=3600"]
    );
}

#[tokio::test]
async fn cparam02_parameter_belongs_to_the_uri() {
    let r = torture_registrar();
    let resp = authenticated(&r, torture("cparam02.dat"), "watson", "w-pw").await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        contacts(&resp),
        ["<sip:+19725552222@gw1.example.net;unknownparam>;expires=3600"]
    );
}

#[tokio::test]
async fn regescrt_keeps_the_escaped_header_in_the_binding() {
    let r = torture_registrar();
    let resp = authenticated(&r, torture("regescrt.dat"), "user", "u-pw").await;
    assert_eq!(resp.status, 200);
    let raw = r.locations().raw();
    assert_eq!(raw.len(), 1);
    assert_eq!(
        raw[0].contact,
        "sip:user@example.com?Route=%3Csip:sip.example.com%3E"
    );
}
