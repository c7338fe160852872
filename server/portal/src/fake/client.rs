//! The portal served on a loopback port, and a small HTTP/1.1 client for it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::FakeBackend;
use crate::{Clock, ListenerInfo, PeerAddr, PortalConfig};

/// A test clock (unix seconds) that tests move by hand.
#[derive(Clone)]
pub(crate) struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn new(start: i64) -> TestClock {
        TestClock(Arc::new(AtomicI64::new(start)))
    }

    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }

    pub fn clock(&self) -> Clock {
        let now = self.0.clone();
        Clock::from_fn(move || now.load(Ordering::SeqCst))
    }
}

/// The portal served on a loopback port.
pub(crate) struct TestApp {
    pub addr: SocketAddr,
    pub backend: Arc<FakeBackend>,
}

impl TestApp {
    /// Serves `backend` over plain HTTP with the default config.
    pub async fn start(backend: FakeBackend) -> TestApp {
        TestApp::start_with(backend, false, PortalConfig::default()).await
    }

    /// `secure` makes the router believe it is on the HTTPS listener (the connection itself
    /// stays plain TCP: only the cookie names and flags and the `wss` URLs change).
    pub async fn start_with(backend: FakeBackend, secure: bool, config: PortalConfig) -> TestApp {
        let backend = Arc::new(backend);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let app = crate::router(
            backend.clone(),
            ListenerInfo {
                local: addr,
                secure,
            },
            config,
        );
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<PeerAddr>(),
            )
            .await;
        });
        TestApp { addr, backend }
    }

    pub fn get(&self, path: &str) -> TestRequest<'_> {
        self.request("GET", path)
    }

    pub fn post(&self, path: &str) -> TestRequest<'_> {
        self.request("POST", path)
    }

    pub fn patch(&self, path: &str) -> TestRequest<'_> {
        self.request("PATCH", path)
    }

    pub fn delete(&self, path: &str) -> TestRequest<'_> {
        self.request("DELETE", path)
    }

    pub fn request(&self, method: &str, path: &str) -> TestRequest<'_> {
        TestRequest {
            app: self,
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// A request being built; `send` it.
pub(crate) struct TestRequest<'a> {
    app: &'a TestApp,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl TestRequest<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `Cookie: <cookie>` (as returned by [`login`]: `name=value`).
    pub fn cookie(self, cookie: &str) -> Self {
        self.header("Cookie", cookie)
    }

    /// A logged-in browser's request: its cookie and, for writes, its CSRF header.
    pub fn session(self, session: &Session) -> Self {
        self.cookie(&session.cookie)
            .header("X-CSRF-Token", &session.csrf)
    }

    pub fn json(mut self, value: &serde_json::Value) -> Self {
        self.body = value.to_string().into_bytes();
        self.header("Content-Type", "application/json")
    }

    /// An HTML form post; values are percent-encoded here.
    pub fn form(mut self, fields: &[(&str, &str)]) -> Self {
        let encoded: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect();
        self.body = encoded.join("&").into_bytes();
        self.header("Content-Type", "application/x-www-form-urlencoded")
    }

    pub async fn send(self) -> TestResponse {
        let mut stream = tokio::net::TcpStream::connect(self.app.addr)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut head = format!(
            "{} {} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.method,
            self.path,
            self.body.len()
        );
        if !self
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("host"))
        {
            head.push_str(&format!("Host: {}\r\n", self.app.addr));
        }
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        stream
            .write_all(&bytes)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        TestResponse::parse(&raw)
    }
}

fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A response as the client saw it.
#[derive(Debug)]
pub(crate) struct TestResponse {
    pub status: u16,
    /// Names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl TestResponse {
    fn parse(raw: &[u8]) -> TestResponse {
        let text = String::from_utf8_lossy(raw);
        let (head, rest) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {text:?}"));
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line in {head:?}"));
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
        let body = if chunked {
            dechunk(rest)
        } else {
            rest.to_owned()
        };
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// `name=value` of the first `Set-Cookie`, ready for a `Cookie` header.
    pub fn cookie(&self) -> Option<String> {
        self.set_cookies()
            .first()
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(after.get(..n).unwrap_or_default());
        rest = after
            .get(n..)
            .unwrap_or_default()
            .trim_start_matches("\r\n");
    }
    out
}

/// The state handlers get, over `backend` (for tests of the shared rules without HTTP).
pub(crate) fn app_state(backend: Arc<FakeBackend>) -> crate::AppState {
    let config = PortalConfig::default();
    crate::AppState {
        backend,
        listener: ListenerInfo {
            local: SocketAddr::from(([127, 0, 0, 1], 0)),
            secure: false,
        },
        throttle: config.login_throttle.0.clone(),
        config: Arc::new(config),
    }
}

/// A logged-in browser: its `Cookie` value (`name=value`) and its CSRF token.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// Logs in through `POST /api/login`, panicking unless it works.
pub(crate) async fn login(app: &TestApp, name: &str, password: &str) -> Session {
    let resp = app
        .post("/api/login")
        .json(&serde_json::json!({"username": name, "password": password}))
        .send()
        .await;
    assert_eq!(resp.status, 200, "login of {name}: {}", resp.body);
    let cookie = resp
        .cookie()
        .unwrap_or_else(|| panic!("no cookie in {resp:?}"));
    let csrf = resp.json()["csrf"]
        .as_str()
        .unwrap_or_else(|| panic!("no csrf in {}", resp.body))
        .to_owned();
    Session { cookie, csrf }
}
