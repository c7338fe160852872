//! A small HTTP/1.1 client for the portal tests: one request per connection, over plain TCP
//! or TLS, with the cookie and CSRF header a browser would send.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Io, tls_stream};

/// Where requests go.
#[derive(Clone)]
pub enum Origin {
    Http(SocketAddr),
    Https(SocketAddr, std::path::PathBuf),
}

impl Origin {
    pub fn https(addr: SocketAddr, cert: &Path) -> Origin {
        Origin::Https(addr, cert.to_path_buf())
    }

    async fn connect(&self) -> Box<dyn Io> {
        match self {
            Origin::Http(a) => Box::new(tokio::net::TcpStream::connect(a).await.unwrap()),
            Origin::Https(a, cert) => tls_stream(*a, cert, vec![b"http/1.1".to_vec()]).await.0,
        }
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Header lines as (lower-case name, value).
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// `name=value` of the session cookie this reply sets, and the whole Set-Cookie line.
    pub fn session_cookie(&self) -> Option<(String, String)> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "set-cookie")
            .map(|(_, v)| v)
            .find(|v| v.contains("sb_session=") && !v.contains("Max-Age=0"))
            .map(|v| (v.split(';').next().unwrap_or("").to_owned(), v.clone()))
    }
}

/// A logged-in (or not) client.
#[derive(Clone, Default)]
pub struct Client {
    pub cookie: Option<String>,
    pub csrf: Option<String>,
}

impl Client {
    pub async fn request(
        &self,
        origin: &Origin,
        method: &str,
        path: &str,
        json: Option<&serde_json::Value>,
    ) -> Reply {
        let mut head =
            format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        if let Some(c) = &self.cookie {
            head.push_str(&format!("Cookie: {c}\r\n"));
        }
        if let Some(t) = &self.csrf {
            head.push_str(&format!("X-CSRF-Token: {t}\r\n"));
        }
        let body = json.map(|j| j.to_string()).unwrap_or_default();
        if json.is_some() {
            head.push_str("Content-Type: application/json\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut io = origin.connect().await;
        io.write_all(head.as_bytes()).await.unwrap();
        io.write_all(body.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        let _ = io.read_to_end(&mut raw).await;
        parse(&String::from_utf8_lossy(&raw))
    }

    /// Logs in through the JSON API; the client then carries the cookie and CSRF token.
    pub async fn login(origin: &Origin, name: &str, password: &str) -> (Client, Reply) {
        let body = serde_json::json!({"username": name, "password": password});
        let reply = Client::default()
            .request(origin, "POST", "/api/login", Some(&body))
            .await;
        let client = Client {
            cookie: reply.session_cookie().map(|(c, _)| c),
            csrf: serde_json::from_str::<serde_json::Value>(&reply.body)
                .ok()
                .and_then(|j| j["csrf"].as_str().map(str::to_owned)),
        };
        (client, reply)
    }
}

fn parse(raw: &str) -> Reply {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        unchunk(body)
    } else {
        body.to_owned()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn unchunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}
