//! Registrar behaviour on in-memory ports, with `sip::digest`'s client side answering the
//! challenges. Requests are built as wire text and parsed, as they would arrive.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod auth;
mod bindings;
mod rfc4475;

use std::net::SocketAddr;

use sip::digest::{Challenge, Credentials};
use sip::{HeaderName, Message, Request, Response};

use crate::flow::{Flow, Transport};
use crate::testing::{MemoryDirectory, MemoryLocations};

use super::{Registrar, RegistrarConfig};

pub const DOMAIN: &str = "example.test";
pub const T0: u64 = 1_800_000_000;

pub type TestRegistrar = Registrar<MemoryDirectory, MemoryLocations>;

pub fn config() -> RegistrarConfig {
    RegistrarConfig {
        domain: DOMAIN.into(),
        min_expires: 60,
        max_expires: 7200,
        default_expires: 3600,
        nonce_key: [7; 32],
        nonce_max_age: 300,
        sha256_first: true,
        sha256: true,
    }
}

pub fn registrar_with(config: RegistrarConfig) -> TestRegistrar {
    let directory = MemoryDirectory::new()
        .with("1001", "alice-pw")
        .with("1002", "bob-pw");
    Registrar::new(config, directory, MemoryLocations::new())
}

pub fn registrar() -> TestRegistrar {
    registrar_with(config())
}

pub fn flow() -> Flow {
    Flow {
        transport: Transport::Tcp,
        remote: SocketAddr::from(([192, 0, 2, 10], 40_000)),
        local: SocketAddr::from(([127, 0, 0, 1], 5060)),
        connection: Some(42),
    }
}

/// A REGISTER under construction.
#[derive(Debug, Clone)]
pub struct Reg {
    pub to: String,
    pub call_id: String,
    pub cseq: u32,
    pub contacts: Vec<String>,
    pub expires: Option<String>,
    pub authorization: Vec<String>,
    pub method: String,
}

impl Reg {
    pub fn new(user: &str) -> Reg {
        Reg {
            to: format!("<sip:{user}@{DOMAIN}>"),
            call_id: format!("call-{user}@192.0.2.10"),
            cseq: 1,
            contacts: vec![format!("<sip:{user}@192.0.2.10:5060;transport=tcp>")],
            expires: None,
            authorization: vec![],
            method: "REGISTER".into(),
        }
    }

    pub fn contacts(mut self, contacts: &[&str]) -> Reg {
        self.contacts = contacts.iter().map(|c| c.to_string()).collect();
        self
    }

    pub fn expires(mut self, e: &str) -> Reg {
        self.expires = Some(e.into());
        self
    }

    pub fn call_id(mut self, id: &str) -> Reg {
        self.call_id = id.into();
        self
    }

    pub fn cseq(mut self, n: u32) -> Reg {
        self.cseq = n;
        self
    }

    pub fn to(mut self, to: &str) -> Reg {
        self.to = to.into();
        self
    }

    pub fn build(&self) -> Request {
        let m = &self.method;
        let mut text = format!(
            "{m} sip:{DOMAIN} SIP/2.0\r\n\
             Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-{}\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:1001@{DOMAIN}>;tag=from1\r\n\
             To: {}\r\n\
             Call-ID: {}\r\n\
             CSeq: {} {m}\r\n\
             User-Agent: TestPhone/1.0\r\n",
            self.cseq, self.to, self.call_id, self.cseq
        );
        for c in &self.contacts {
            text.push_str(&format!("Contact: {c}\r\n"));
        }
        if let Some(e) = &self.expires {
            text.push_str(&format!("Expires: {e}\r\n"));
        }
        for a in &self.authorization {
            text.push_str(&format!("Authorization: {a}\r\n"));
        }
        text.push_str("Content-Length: 0\r\n\r\n");
        match sip::parse_message(text.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("test request did not parse: {other:?}\n{text}"),
        }
    }
}

/// A phone: answers challenges like a real UA, reusing the last nonce with a rising nc.
#[derive(Debug)]
pub struct Phone {
    pub user: String,
    pub password: String,
    pub challenge: Option<Challenge>,
    pub nc: u32,
}

impl Phone {
    pub fn new(user: &str, password: &str) -> Phone {
        Phone {
            user: user.into(),
            password: password.into(),
            challenge: None,
            nc: 0,
        }
    }

    pub fn authorization(&mut self) -> Option<String> {
        let ch = self.challenge.as_ref()?;
        self.nc += 1;
        let c = Credentials::answer(
            ch,
            &self.user,
            &self.password,
            "REGISTER",
            &format!("sip:{DOMAIN}"),
            "0a4f113b",
            self.nc,
        );
        Some(c.to_string())
    }

    /// Takes the first challenge of a 401 (the preferred algorithm).
    pub fn learn(&mut self, resp: &Response) {
        let first = resp.headers.fields(&HeaderName::WwwAuthenticate).next();
        if let Some(ch) = first.and_then(|v| Challenge::parse(v).ok()) {
            self.challenge = Some(ch);
            self.nc = 0;
        }
    }

    /// Sends `reg` with credentials, getting challenged first when needed (CSeq + 1 for the
    /// retry, as RFC 3261 §8.1.3.5 wants). Returns the final answer.
    pub async fn register(&mut self, r: &TestRegistrar, reg: Reg, now: u64) -> Response {
        let mut reg = reg;
        if let Some(a) = self.authorization() {
            reg.authorization = vec![a];
        }
        let resp = r.handle(&reg.build(), &flow(), now).await;
        if resp.status != 401 {
            return resp;
        }
        self.learn(&resp);
        reg.cseq += 1;
        reg.authorization = self.authorization().into_iter().collect();
        r.handle(&reg.build(), &flow(), now).await
    }
}

pub fn header<'a>(resp: &'a Response, name: &HeaderName) -> Vec<&'a str> {
    resp.headers.fields(name).collect()
}

pub fn contacts(resp: &Response) -> Vec<String> {
    resp.headers
        .get_all(&HeaderName::Contact)
        .map(str::to_owned)
        .collect()
}
