//! Shared helpers for the integration tests: boot the whole server in-process on 127.0.0.1
//! with port 0 listeners, and small SIP clients over UDP, TCP, TLS and WebSocket.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use sip::digest::{Challenge, Credentials};
use sip::{Framed, HeaderName, Message, Request, Response, StreamFramer};
use switchboard::config::{Config, Listen};
use switchboard::{RunningServer, start};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio_tungstenite::tungstenite;

pub mod browser;
pub mod calls;
pub mod http;

pub const DOMAIN: &str = "switchboard.test";
const WAIT: Duration = Duration::from_secs(10);

pub fn any_port() -> Listen {
    Listen::On("127.0.0.1:0".parse().unwrap())
}

/// A configuration with every listener on 127.0.0.1 port 0 and the database in `data_dir`
/// (or at `database_url`).
pub fn test_config(data_dir: &Path, database_url: Option<&str>, qualify_secs: u32) -> Config {
    let mut c = Config::defaults().unwrap();
    c.data_dir = data_dir.to_path_buf();
    c.database_url = match database_url {
        Some(u) => u.to_owned(),
        None => Config::sqlite_url_for(data_dir),
    };
    c.domain = DOMAIN.to_owned();
    c.sip.udp = any_port();
    c.sip.tcp = any_port();
    c.sip.tls = any_port();
    c.http.listen = any_port();
    c.http.tls = any_port();
    c.registrar.qualify_interval = qualify_secs;
    c
}

pub async fn boot(config: Config) -> RunningServer {
    // `SB_TEST_LOG=debug cargo test ...` shows what the server did (captured per
    // test like any output, so only a failing test's log is printed).
    if let Ok(filter) = std::env::var("SB_TEST_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init()
            .ok();
    }
    start(config)
        .await
        .unwrap_or_else(|e| panic!("server did not start: {e:#}"))
}

pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Ws = tokio_tungstenite::WebSocketStream<Box<dyn Io>>;

/// One client connection (or UDP socket) to the server.
pub enum Conn {
    Udp {
        sock: UdpSocket,
        server: SocketAddr,
    },
    Stream {
        io: Box<dyn Io>,
        framer: StreamFramer,
        local: SocketAddr,
        tls: bool,
    },
    Ws {
        ws: Box<Ws>,
        local: SocketAddr,
        secure: bool,
    },
}

impl Conn {
    pub async fn udp(server: SocketAddr) -> Conn {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        Conn::Udp { sock, server }
    }

    pub async fn tcp(server: SocketAddr) -> Conn {
        let s = TcpStream::connect(server).await.unwrap();
        let local = s.local_addr().unwrap();
        Conn::Stream {
            io: Box::new(s),
            framer: StreamFramer::new(),
            local,
            tls: false,
        }
    }

    /// TLS trusting only the server's (generated) certificate.
    pub async fn tls(server: SocketAddr, cert_pem: &Path) -> Conn {
        let (s, local) = tls_stream(server, cert_pem, Vec::new()).await;
        Conn::Stream {
            io: s,
            framer: StreamFramer::new(),
            local,
            tls: true,
        }
    }

    /// `ws://addr/sip` offering the `sip` subprotocol.
    pub async fn ws(http: SocketAddr) -> Conn {
        let tcp = TcpStream::connect(http).await.unwrap();
        let local = tcp.local_addr().unwrap();
        Conn::websocket(Box::new(tcp), format!("ws://{http}/sip"), local, false).await
    }

    /// `wss://addr/sip`, trusting only the server's certificate.
    pub async fn wss(https: SocketAddr, cert_pem: &Path) -> Conn {
        let (s, local) = tls_stream(https, cert_pem, vec![b"http/1.1".to_vec()]).await;
        Conn::websocket(
            s,
            format!("wss://localhost:{}/sip", https.port()),
            local,
            true,
        )
        .await
    }

    async fn websocket(io: Box<dyn Io>, url: String, local: SocketAddr, secure: bool) -> Conn {
        use tungstenite::client::IntoClientRequest;
        let mut req = url.into_client_request().unwrap();
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", "sip".parse().unwrap());
        let (ws, resp) = tokio_tungstenite::client_async(req, io).await.unwrap();
        assert_eq!(resp.headers().get("sec-websocket-protocol").unwrap(), "sip");
        Conn::Ws {
            ws: Box::new(ws),
            local,
            secure,
        }
    }

    pub fn transport(&self) -> &'static str {
        match self {
            Conn::Udp { .. } => "UDP",
            Conn::Stream { tls: false, .. } => "TCP",
            Conn::Stream { tls: true, .. } => "TLS",
            Conn::Ws { secure: false, .. } => "WS",
            Conn::Ws { secure: true, .. } => "WSS",
        }
    }

    pub fn local(&self) -> SocketAddr {
        match self {
            Conn::Udp { sock, .. } => sock.local_addr().unwrap(),
            Conn::Stream { local, .. } | Conn::Ws { local, .. } => *local,
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        match self {
            Conn::Udp { sock, server } => {
                sock.send_to(bytes, *server).await.unwrap();
            }
            Conn::Stream { io, .. } => io.write_all(bytes).await.unwrap(),
            Conn::Ws { ws, .. } => {
                let text = String::from_utf8(bytes.to_vec()).unwrap();
                ws.send(tungstenite::Message::text(text)).await.unwrap();
            }
        }
    }

    /// Raw bytes; over WebSocket as one binary message (they may not be UTF-8).
    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        match self {
            Conn::Ws { ws, .. } => ws
                .send(tungstenite::Message::binary(bytes.to_vec()))
                .await
                .unwrap(),
            other => other.send(bytes).await,
        }
    }

    /// The next WebSocket message's bytes, unparsed (None after the wait or on close).
    pub async fn recv_frame(&mut self) -> Option<Vec<u8>> {
        let Conn::Ws { ws, .. } = self else {
            panic!("recv_frame is for WebSockets")
        };
        let next = async {
            loop {
                match ws.next().await? {
                    Ok(tungstenite::Message::Text(t)) => return Some(t.as_bytes().to_vec()),
                    Ok(tungstenite::Message::Binary(b)) => return Some(b.to_vec()),
                    Ok(tungstenite::Message::Close(_)) | Err(_) => return None,
                    Ok(_) => {}
                }
            }
        };
        tokio::time::timeout(WAIT, next).await.ok().flatten()
    }

    /// The next SIP message, or None after `WAIT` (or when the peer closed).
    pub async fn recv(&mut self) -> Option<Message> {
        tokio::time::timeout(WAIT, self.recv_inner())
            .await
            .ok()
            .flatten()
    }

    async fn recv_inner(&mut self) -> Option<Message> {
        match self {
            Conn::Udp { sock, .. } => {
                let mut buf = vec![0u8; 65_535];
                let (n, _) = sock.recv_from(&mut buf).await.ok()?;
                sip::parse_message(buf.get(..n)?).ok()
            }
            Conn::Stream { io, framer, .. } => loop {
                while let Some(item) = framer.next() {
                    match item {
                        Ok(Framed::Message(m)) => return Some(m),
                        Ok(_) => {}
                        Err(e) => panic!("server sent a message our parser refuses: {e}"),
                    }
                }
                let mut buf = vec![0u8; 16 * 1024];
                let n = io.read(&mut buf).await.ok()?;
                if n == 0 {
                    return None;
                }
                framer.push(buf.get(..n)?);
            },
            Conn::Ws { ws, .. } => loop {
                match ws.next().await? {
                    Ok(tungstenite::Message::Text(t)) => {
                        return sip::parse_message(t.as_bytes()).ok();
                    }
                    Ok(tungstenite::Message::Binary(b)) => return sip::parse_message(&b).ok(),
                    Ok(tungstenite::Message::Close(_)) | Err(_) => return None,
                    Ok(_) => {}
                }
            },
        }
    }

    /// The next response (requests arriving meanwhile, e.g. keepalive OPTIONS, are answered
    /// 200 and skipped).
    pub async fn response(&mut self) -> Response {
        loop {
            match self.recv().await {
                Some(Message::Response(r)) => return r,
                Some(Message::Request(req)) => {
                    let ok = Response::for_request(&req, 200, "OK");
                    self.send(&ok.to_bytes()).await;
                }
                None => panic!("no response over {}", self.transport()),
            }
        }
    }

    /// The next final response (provisionals such as 100 Trying skipped).
    pub async fn final_response(&mut self) -> Response {
        loop {
            let r = self.response().await;
            if r.status >= 200 {
                return r;
            }
        }
    }

    /// The next request from the server.
    pub async fn request(&mut self) -> Option<Request> {
        loop {
            match self.recv().await? {
                Message::Request(r) => return Some(r),
                Message::Response(_) => {}
            }
        }
    }
}

/// A TLS client connection that trusts only `cert_pem`, verifying the name `localhost`.
pub async fn tls_stream(
    server: SocketAddr,
    cert_pem: &Path,
    alpn: Vec<Vec<u8>>,
) -> (Box<dyn Io>, SocketAddr) {
    let pem = std::fs::read(cert_pem).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(server).await.unwrap();
    let local = tcp.local_addr().unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let s = connector
        .connect(name, tcp)
        .await
        .unwrap_or_else(|e| panic!("TLS handshake: {e}"));
    (Box::new(s), local)
}

/// A phone: one extension registering over one connection.
pub struct Phone {
    pub conn: Conn,
    pub user: String,
    pub password: String,
    pub call_id: String,
    pub cseq: u32,
    tag: String,
}

impl Phone {
    pub fn new(conn: Conn, user: &str, password: &str) -> Phone {
        Phone {
            conn,
            user: user.to_owned(),
            password: password.to_owned(),
            call_id: format!("{}@test", token()),
            cseq: 0,
            tag: token(),
        }
    }

    pub fn contact(&self) -> String {
        match &self.conn {
            // RFC 7118 §5: a browser cannot be reached by address; it names itself .invalid.
            Conn::Ws { .. } => format!("sip:{}@{}.invalid;transport=ws", self.user, self.tag),
            c => format!(
                "sip:{}@{};transport={}",
                self.user,
                c.local(),
                c.transport().to_lowercase()
            ),
        }
    }

    pub fn register_request(&mut self, expires: u32, authorization: Option<&str>) -> Vec<u8> {
        self.cseq += 1;
        let via_host = match &self.conn {
            Conn::Ws { .. } => format!("{}.invalid", self.tag),
            c => c.local().to_string(),
        };
        let mut text = format!(
            "REGISTER sip:{DOMAIN} SIP/2.0\r\n\
Via: SIP/2.0/{t} {via_host};branch=z9hG4bK{b};rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:{u}@{DOMAIN}>;tag={tag}\r\n\
To: <sip:{u}@{DOMAIN}>\r\n\
Call-ID: {cid}\r\n\
CSeq: {cseq} REGISTER\r\n\
Contact: <{contact}>;expires={expires}\r\n\
User-Agent: switchboard-tests\r\n",
            t = self.conn.transport(),
            b = token(),
            u = self.user,
            tag = self.tag,
            cid = self.call_id,
            cseq = self.cseq,
            contact = self.contact(),
        );
        if let Some(a) = authorization {
            text.push_str(&format!("Authorization: {a}\r\n"));
        }
        text.push_str("Content-Length: 0\r\n\r\n");
        text.into_bytes()
    }

    /// REGISTER, answer the challenge, return the final response.
    pub async fn register(&mut self, expires: u32) -> Response {
        let first = self.register_request(expires, None);
        self.conn.send(&first).await;
        let challenge = self.conn.response().await;
        assert_eq!(challenge.status, 401, "first REGISTER must be challenged");
        let header = challenge
            .headers
            .get(&HeaderName::WwwAuthenticate)
            .expect("401 without WWW-Authenticate")
            .to_owned();
        let challenge = Challenge::parse(&header).expect("challenge parses");
        let creds = Credentials::answer(
            &challenge,
            &self.user,
            &self.password,
            "REGISTER",
            &format!("sip:{DOMAIN}"),
            &token(),
            1,
        );
        let second = self.register_request(expires, Some(&creds.to_string()));
        self.conn.send(&second).await;
        self.conn.response().await
    }
}

/// Waits (bounded) until `check` holds; a wait, not a timed assertion.
pub async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

pub async fn add_extension(server: &RunningServer, number: &str, secret: &str) {
    server
        .store
        .add_extension(number, "Test", secret)
        .await
        .unwrap();
}

pub async fn bindings(server: &RunningServer, aor: &str) -> Vec<pbx::Binding> {
    server.store.lookup_bindings(aor, now_unix()).await.unwrap()
}
