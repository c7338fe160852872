//! The calling side's SIP: one user agent per call, over a WebSocket of its own (RFC 7118,
//! subprotocol `sip`: a browser) or a UDP socket of its own (a phone), with digest REGISTER
//! and INVITE, ACK, and BYE. Over UDP requests are retransmitted (RFC 3261 Timer A/E,
//! until the first response) and a retransmitted 200 to the INVITE is ACKed again.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{timeout, timeout_at};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::sip::{Msg, answer_challenge, branch, random_token, request, tag_of, uri_of};

/// Where and as whom the callers call.
pub struct Target {
    pub ws_url: String,
    /// The server's SIP UDP address, for phone callers.
    pub sip: SocketAddr,
    pub domain: String,
    pub user: String,
    pub password: String,
    pub callee: String,
    /// Caller i is user `base + i` when set.
    pub caller_base: Option<u32>,
}

impl Target {
    fn user(&self, id: usize) -> String {
        match self.caller_base {
            Some(base) => (u64::from(base) + id as u64).to_string(),
            None => self.user.clone(),
        }
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

enum Link {
    Ws(Box<Ws>),
    Udp {
        sock: UdpSocket,
        server: SocketAddr,
        buf: Vec<u8>,
    },
}

impl Link {
    async fn send(&mut self, text: &str) -> Result<()> {
        match self {
            Link::Ws(ws) => ws.send(Message::text(text)).await.context("WebSocket send"),
            Link::Udp { sock, server, .. } => {
                sock.send_to(text.as_bytes(), *server)
                    .await
                    .context("UDP send")?;
                Ok(())
            }
        }
    }

    /// The next SIP message (unparsable ones skipped).
    async fn recv(&mut self) -> Result<Msg> {
        loop {
            let text = match self {
                Link::Ws(ws) => match ws.next().await {
                    None => bail!("WebSocket closed"),
                    Some(frame) => match frame.context("WebSocket")? {
                        Message::Text(t) => t.as_str().to_string(),
                        Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                        Message::Close(_) => bail!("WebSocket closed by the server"),
                        _ => continue,
                    },
                },
                Link::Udp { sock, buf, .. } => {
                    let (n, _) = sock.recv_from(buf).await.context("UDP receive")?;
                    String::from_utf8_lossy(buf.get(..n).unwrap_or(&[])).into_owned()
                }
            };
            if let Some(msg) = Msg::parse(&text) {
                return Ok(msg);
            }
        }
    }

    fn reliable(&self) -> bool {
        matches!(self, Link::Ws(_))
    }
}

/// An established INVITE dialog, as the caller (UAC) sees it.
pub struct Dialog {
    call_id: String,
    from: String,
    to: String,
    target: String,
    route: Vec<String>,
}

/// The SIP side of one caller: its link and identity.
pub struct Ua {
    link: Link,
    user: String,
    id: usize,
    /// Via sent-by and Call-ID host.
    host: String,
    contact: String,
    cseq: u32,
    /// The ACK of the 200 to our INVITE, sent again when the 200 is.
    ack: Option<String>,
}

const SIP_TIMEOUT: Duration = Duration::from_secs(8);
/// RFC 3261 T1: the first retransmission interval over UDP, doubled each time.
const T1: Duration = Duration::from_millis(500);

impl Ua {
    /// A browser: SIP over a WebSocket of its own.
    pub async fn websocket(t: &Target, id: usize) -> Result<Ua> {
        let mut req = t.ws_url.as_str().into_client_request()?;
        req.headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
        let (ws, _) = timeout(SIP_TIMEOUT, tokio_tungstenite::connect_async(req))
            .await
            .map_err(|_| anyhow!("WebSocket connect timed out"))?
            .context("WebSocket connect")?;
        let host = format!("c{id}-{}.invalid", random_token());
        let user = t.user(id);
        Ok(Ua {
            link: Link::Ws(Box::new(ws)),
            contact: format!("sip:{user}@{host};transport=ws"),
            user,
            id,
            host,
            cseq: 0,
            ack: None,
        })
    }

    /// A phone: SIP over a UDP socket of its own.
    pub async fn udp(t: &Target, id: usize) -> Result<Ua> {
        let sock = UdpSocket::bind("127.0.0.1:0").await?;
        let host = sock.local_addr()?.to_string();
        let user = t.user(id);
        Ok(Ua {
            link: Link::Udp {
                sock,
                server: t.sip,
                buf: vec![0; 16 * 1024],
            },
            contact: format!("sip:{user}@{host}"),
            user,
            id,
            host,
            cseq: 0,
            ack: None,
        })
    }

    /// The next request from the server, for the call loop; responses are dropped, but a
    /// retransmitted 200 to our INVITE is ACKed again (its ACK was lost).
    pub async fn next_request(&mut self) -> Result<Msg> {
        loop {
            let msg = self.link.recv().await?;
            if msg.method().is_some() {
                return Ok(msg);
            }
            if msg.cseq().1 == "INVITE"
                && msg.status().is_some_and(|s| (200..300).contains(&s))
                && let Some(ack) = self.ack.clone()
            {
                self.link.send(&ack).await?;
            }
        }
    }

    /// Answers a request from the server: 200 to BYE/OPTIONS/anything else, 488 to a
    /// re-INVITE (no change of media mid-load).
    pub async fn answer_request(&mut self, req: &Msg) -> Result<()> {
        match req.method() {
            Some("ACK") => Ok(()),
            Some("INVITE") => {
                let r = req.response(488, "Not Acceptable Here", None, &[], "");
                self.link.send(&r).await
            }
            _ => {
                let r = req.response(200, "OK", None, &[], "");
                self.link.send(&r).await
            }
        }
    }

    /// Sends a request and waits for its final response (provisional ones skipped;
    /// requests from the server answered meanwhile).
    async fn transact(&mut self, text: String, call_id: &str, cseq: u32) -> Result<Msg> {
        self.link.send(&text).await?;
        let deadline = Instant::now() + SIP_TIMEOUT;
        let mut interval = T1;
        let mut resend_at = Instant::now() + interval;
        let mut answered = self.link.reliable();
        loop {
            let wait = if answered {
                deadline
            } else {
                resend_at.min(deadline)
            };
            let Ok(msg) = timeout_at(wait.into(), self.link.recv()).await else {
                if Instant::now() >= deadline {
                    bail!("no final response within {SIP_TIMEOUT:?}");
                }
                self.link.send(&text).await?;
                interval *= 2;
                resend_at = Instant::now() + interval;
                continue;
            };
            let msg = msg?;
            if msg.method().is_some() {
                self.answer_request(&msg).await?;
                continue;
            }
            if msg.call_id() != call_id || msg.cseq().0 != cseq {
                continue;
            }
            answered = true;
            if msg.status().is_some_and(|s| s >= 200) {
                return Ok(msg);
            }
        }
    }

    fn via(&self, branch: &str) -> String {
        let proto = if self.link.reliable() { "WS" } else { "UDP" };
        format!("SIP/2.0/{proto} {};branch={branch};rport", self.host)
    }

    pub async fn register(&mut self, t: &Target) -> Result<()> {
        let call_id = format!("{}@{}", random_token(), self.host);
        let tag = random_token();
        let uri = format!("sip:{}", t.domain);
        let aor = format!("<sip:{}@{}>", self.user, t.domain);
        let mut auth: Option<(&str, String)> = None;
        for _ in 0..3 {
            self.cseq += 1;
            let mut h = vec![
                ("Via", self.via(&branch())),
                ("Max-Forwards", "70".to_string()),
                ("From", format!("{aor};tag={tag}")),
                ("To", aor.clone()),
                ("Call-ID", call_id.clone()),
                ("CSeq", format!("{} REGISTER", self.cseq)),
                ("Contact", format!("<{}>;expires=3600", self.contact)),
                ("Expires", "3600".to_string()),
                ("User-Agent", "media-load".to_string()),
            ];
            if let Some(a) = auth.take() {
                h.push(a);
            }
            let resp = self
                .transact(request("REGISTER", &uri, &h, ""), &call_id, self.cseq)
                .await?;
            match resp.status() {
                Some(200..=299) => return Ok(()),
                Some(401 | 407) => {
                    auth = Some(
                        answer_challenge(&resp, "REGISTER", &uri, &self.user, &t.password)
                            .ok_or_else(|| {
                                anyhow!("REGISTER: no MD5 challenge in {}", resp.start)
                            })?,
                    );
                }
                _ => bail!("REGISTER answered {}", resp.start),
            }
        }
        bail!("REGISTER: still challenged after answering")
    }

    /// INVITE with `sdp` (answering 401/407 once), ACK of the 200; returns the dialog and
    /// the answer SDP.
    pub async fn invite(&mut self, t: &Target, sdp: &str) -> Result<(Dialog, String)> {
        let call_id = format!("{}@{}", random_token(), self.host);
        let from = format!(
            "\"load-{}\" <sip:{}@{}>;tag={}",
            self.id,
            self.user,
            t.domain,
            random_token()
        );
        let uri = format!("sip:{}@{}", t.callee, t.domain);
        let mut auth: Option<(&str, String)> = None;
        for _ in 0..3 {
            self.cseq += 1;
            let cseq = self.cseq;
            let br = branch();
            let mut h = vec![
                ("Via", self.via(&br)),
                ("Max-Forwards", "70".to_string()),
                ("From", from.clone()),
                ("To", format!("<{uri}>")),
                ("Call-ID", call_id.clone()),
                ("CSeq", format!("{cseq} INVITE")),
                ("Contact", format!("<{}>", self.contact)),
                (
                    "Allow",
                    "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY".to_string(),
                ),
                ("User-Agent", "media-load".to_string()),
            ];
            if let Some(a) = auth.take() {
                h.push(a);
            }
            let resp = self
                .transact(request("INVITE", &uri, &h, sdp), &call_id, cseq)
                .await?;
            let status = resp.status().unwrap_or(0);
            if status >= 300 {
                // ACK of a non-2xx: same branch, the response's To
                let ack = request(
                    "ACK",
                    &uri,
                    &[
                        ("Via", self.via(&br)),
                        ("Max-Forwards", "70".to_string()),
                        ("From", from.clone()),
                        ("To", resp.header("To").unwrap_or("").to_string()),
                        ("Call-ID", call_id.clone()),
                        ("CSeq", format!("{cseq} ACK")),
                    ],
                    "",
                );
                self.link.send(&ack).await?;
                if status == 401 || status == 407 {
                    auth = Some(
                        answer_challenge(&resp, "INVITE", &uri, &self.user, &t.password)
                            .ok_or_else(|| anyhow!("INVITE: no MD5 challenge in {}", resp.start))?,
                    );
                    continue;
                }
                bail!("INVITE answered {}", resp.start);
            }
            let to = resp.header("To").unwrap_or("").to_string();
            if tag_of(&to).is_none() {
                bail!("200 to INVITE without a To tag");
            }
            let target = resp
                .header("Contact")
                .map(|c| uri_of(c).to_string())
                .ok_or_else(|| anyhow!("200 to INVITE without Contact"))?;
            let mut route = resp.record_routes();
            route.reverse();
            let dialog = Dialog {
                call_id: call_id.clone(),
                from: from.clone(),
                to,
                target,
                route,
            };
            let ack = self.in_dialog(&dialog, "ACK", cseq);
            self.link.send(&ack).await?;
            self.ack = Some(ack);
            return Ok((dialog, resp.body));
        }
        bail!("INVITE: still challenged after answering")
    }

    fn in_dialog(&self, d: &Dialog, method: &str, cseq: u32) -> String {
        let mut h = vec![
            ("Via", self.via(&branch())),
            ("Max-Forwards", "70".to_string()),
        ];
        if !d.route.is_empty() {
            h.push(("Route", d.route.join(", ")));
        }
        h.extend([
            ("From", d.from.clone()),
            ("To", d.to.clone()),
            ("Call-ID", d.call_id.clone()),
            ("CSeq", format!("{cseq} {method}")),
        ]);
        request(method, &d.target, &h, "")
    }

    pub async fn bye(&mut self, d: &Dialog) -> Result<()> {
        self.cseq += 1;
        let cseq = self.cseq;
        let bye = self.in_dialog(d, "BYE", cseq);
        let resp = self.transact(bye, &d.call_id, cseq).await?;
        match resp.status() {
            Some(200..=299) => Ok(()),
            _ => bail!("BYE answered {}", resp.start),
        }
    }

    /// Closes a WebSocket politely (nothing to do for UDP).
    pub async fn close(&mut self) {
        if let Link::Ws(ws) = &mut self.link {
            let _ = ws.close(None).await;
        }
    }
}
