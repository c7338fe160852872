//! The browser-like caller: SIP over WebSocket (RFC 7118, subprotocol `sip`) with digest
//! REGISTER and INVITE, and a full-ICE str0m peer (Opus, DTLS-SRTP) on its own UDP socket
//! sending one Opus frame every 20 ms once connected.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use media::codec::Codec;
use media::webrtc::{TestPeer, WebRtcOutput};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{oneshot, watch};
use tokio::time::{sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::call::{Call, next_tick, ticker};
use crate::sip::{Msg, answer_challenge, branch, random_token, request, tag_of, uri_of};
use crate::tone::Tones;

pub struct Target {
    pub ws_url: String,
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

/// The SIP side of one browser: its WebSocket and identity.
struct Ua {
    ws: Ws,
    user: String,
    id: usize,
    host: String,
    contact: String,
    cseq: u32,
}

/// An established INVITE dialog, as the caller (UAC) sees it.
struct Dialog {
    call_id: String,
    from: String,
    to: String,
    target: String,
    route: Vec<String>,
}

const SIP_TIMEOUT: Duration = Duration::from_secs(8);

impl Ua {
    async fn send(&mut self, text: String) -> Result<()> {
        self.ws
            .send(Message::text(text))
            .await
            .context("WebSocket send")
    }

    /// The next SIP message; requests from the server are answered here and skipped.
    async fn next_response(&mut self) -> Result<Msg> {
        loop {
            let msg = self.next_msg().await?;
            if msg.method().is_some() {
                self.answer_request(&msg).await?;
                continue;
            }
            return Ok(msg);
        }
    }

    async fn next_msg(&mut self) -> Result<Msg> {
        loop {
            let frame = timeout(SIP_TIMEOUT, self.ws.next())
                .await
                .map_err(|_| anyhow!("no SIP message for {SIP_TIMEOUT:?}"))?
                .ok_or_else(|| anyhow!("WebSocket closed"))?
                .context("WebSocket")?;
            let text = match frame {
                Message::Text(t) => t.as_str().to_string(),
                Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                Message::Close(_) => bail!("WebSocket closed by the server"),
                _ => continue,
            };
            if let Some(msg) = Msg::parse(&text) {
                return Ok(msg);
            }
        }
    }

    /// Answers a request from the server: 200 to BYE/OPTIONS/anything else, 488 to re-INVITE.
    async fn answer_request(&mut self, req: &Msg) -> Result<()> {
        match req.method() {
            Some("ACK") => Ok(()),
            Some("INVITE") => {
                let r = req.response(488, "Not Acceptable Here", None, &[], "");
                self.send(r).await
            }
            _ => {
                let r = req.response(200, "OK", None, &[], "");
                self.send(r).await
            }
        }
    }

    /// Sends a request and waits for its final response (provisional ones skipped).
    async fn transact(&mut self, text: String, call_id: &str, cseq: u32) -> Result<Msg> {
        self.send(text).await?;
        loop {
            let resp = self.next_response().await?;
            if resp.call_id() != call_id || resp.cseq().0 != cseq {
                continue;
            }
            if resp.status().is_some_and(|s| s >= 200) {
                return Ok(resp);
            }
        }
    }

    fn via(&self, branch: &str) -> String {
        format!("SIP/2.0/WS {};branch={branch};rport", self.host)
    }

    async fn register(&mut self, t: &Target) -> Result<()> {
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
    async fn invite(&mut self, t: &Target, sdp: &str) -> Result<(Dialog, String)> {
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
                self.send(ack).await?;
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
            self.send(ack).await?;
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

    async fn bye(&mut self, d: &Dialog) -> Result<()> {
        self.cseq += 1;
        let cseq = self.cseq;
        let bye = self.in_dialog(d, "BYE", cseq);
        let resp = self.transact(bye, &d.call_id, cseq).await?;
        match resp.status() {
            Some(200..=299) => Ok(()),
            _ => bail!("BYE answered {}", resp.start),
        }
    }
}

/// One browser call: REGISTER, INVITE, media until `stop`, BYE. `setup` learns whether the
/// call got answered; afterwards failures are recorded on the call.
pub async fn run(
    call: Rc<Call>,
    target: Rc<Target>,
    tones: Rc<Tones>,
    epoch: Instant,
    setup: oneshot::Sender<Result<()>>,
    stop: watch::Receiver<bool>,
) {
    let mut setup = Some(setup);
    let result = run_inner(&call, &target, &tones, epoch, &mut setup, stop).await;
    if let Err(e) = result {
        let why = format!("{e:#}");
        match setup.take() {
            Some(s) => {
                let _ = s.send(Err(e));
            }
            None => call.fail(why),
        }
    }
    call.ended.set(true);
}

async fn run_inner(
    call: &Rc<Call>,
    target: &Target,
    tones: &Tones,
    epoch: Instant,
    setup: &mut Option<oneshot::Sender<Result<()>>>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let mut req = target.ws_url.as_str().into_client_request()?;
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
    let (ws, _) = timeout(SIP_TIMEOUT, tokio_tungstenite::connect_async(req))
        .await
        .map_err(|_| anyhow!("WebSocket connect timed out"))?
        .context("WebSocket connect")?;
    let host = format!("c{}-{}.invalid", call.id, random_token());
    let user = target.user(call.id);
    let mut ua = Ua {
        ws,
        id: call.id,
        contact: format!("sip:{user}@{host};transport=ws"),
        user,
        host,
        cseq: 0,
    };
    ua.register(target).await?;

    let sock = UdpSocket::bind("127.0.0.1:0").await?;
    let local = sock.local_addr()?;
    let (mut peer, offer) =
        TestPeer::offer(Instant::now(), local).map_err(|e| anyhow!("WebRTC offer: {e}"))?;
    let (dialog, answer) = ua.invite(target, &opus_only(&offer)).await?;
    let answer = with_bundle(&answer);
    if std::env::var_os("MEDIA_LOAD_DEBUG").is_some() && call.id == 0 {
        eprintln!(
            "--- offer sent\n{}\n--- answer\n{answer}",
            opus_only(&offer)
        );
    }
    peer.accept_answer(Instant::now(), &answer)
        .map_err(|e| anyhow!("WebRTC answer: {e}; the answer was:\n{answer}"))?;
    let pt = match peer.audio() {
        Some((Codec::Opus, pt)) => pt,
        other => bail!("the answer chose {other:?}, not Opus; the answer was:\n{answer}"),
    };
    if let Some(s) = setup.take() {
        let _ = s.send(Ok(()));
    }

    let mut buf = vec![0u8; 2048];
    let mut tick = None;
    let mut frame: u32 = 0;
    let mut hung_up_by_server = false;
    loop {
        drain(&mut peer, &sock, call, &mut tick, epoch, pt).await?;
        let wake = peer
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_millis(100));
        tokio::select! {
            r = sock.recv_from(&mut buf) => {
                let (n, from) = r?;
                let now = Instant::now();
                if let Some(bytes) = buf.get(..n) {
                    // Timed from the SRTP header, which is in the clear: str0m only surfaces
                    // packets whose SSRC was signalled (a=ssrc) or that carry the mid header
                    // extension, and rtpengine's answer has neither (a browser takes them).
                    if let Some(ts) = srtp_timestamp(bytes, pt) {
                        call.down.borrow_mut().on_receive(now, ts);
                    }
                    peer.handle_receive(now, from, local, bytes);
                }
                drain(&mut peer, &sock, call, &mut tick, epoch, pt).await?;
            }
            _ = sleep_until(wake.into()) => peer.handle_timeout(Instant::now()),
            at = next_tick(&mut tick) => {
                let payload = tones.opus.get(frame as usize % tones.opus.len()).map_or(&[][..], |p| p);
                let now = Instant::now().max(at);
                peer.send_audio(now, pt, frame.wrapping_mul(960), frame == 0, payload)
                    .map_err(|e| anyhow!("send_audio: {e}"))?;
                frame = frame.wrapping_add(1);
            }
            msg = ua.ws.next() => {
                let Some(Ok(Message::Text(t))) = msg else { bail!("WebSocket closed during the call") };
                if let Some(m) = Msg::parse(t.as_str()) && m.method().is_some() {
                    ua.answer_request(&m).await?;
                    if m.method() == Some("BYE") {
                        hung_up_by_server = true;
                        break;
                    }
                }
            }
            _ = stop.changed() => break,
        }
    }
    if hung_up_by_server {
        bail!("the server hung up (BYE)");
    }
    ua.bye(&dialog).await?;
    let _ = ua.ws.close(None).await;
    Ok(())
}

/// Sends what the peer wants sent (timing our audio frames as they leave) and starts the
/// 20 ms ticker once the peer is connected.
async fn drain(
    peer: &mut TestPeer,
    sock: &UdpSocket,
    call: &Call,
    tick: &mut Option<tokio::time::Interval>,
    epoch: Instant,
    pt: u8,
) -> Result<()> {
    while let Some(out) = peer.poll() {
        match out {
            WebRtcOutput::Transmit { to, bytes, .. } => {
                send_to(sock, &bytes, to).await;
                // an audio frame's send time is when its datagram left, not when it was queued
                if srtp_timestamp(&bytes, pt).is_some() {
                    call.up.borrow_mut().on_send(Instant::now());
                }
            }
            WebRtcOutput::Media { .. } => call.decrypted.set(call.decrypted.get() + 1),
            WebRtcOutput::Connected => {
                if tick.is_none() {
                    *tick = Some(ticker(epoch, call.phase, Instant::now()));
                }
            }
            WebRtcOutput::Failed(why) => bail!("WebRTC leg failed: {why}"),
        }
    }
    Ok(())
}

async fn send_to(sock: &UdpSocket, bytes: &[u8], to: SocketAddr) {
    // A full socket buffer or an ICMP error is a lost packet, which the stats will show.
    let _ = sock.send_to(bytes, to).await;
}

/// The test peer offers Opus and PCMU; a gateway that sees PCMU on both sides would just
/// relay it, so the offer keeps Opus alone (what the transcoding scenario needs).
fn opus_only(offer: &str) -> String {
    let opus_pt = offer.lines().find_map(|l| {
        let rest = l.strip_prefix("a=rtpmap:")?;
        let (pt, enc) = rest.split_once(' ')?;
        enc.to_ascii_lowercase()
            .starts_with("opus/")
            .then(|| pt.to_string())
    });
    let Some(opus_pt) = opus_pt else {
        return offer.to_string();
    };
    let per_pt = ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"];
    let mut out = String::with_capacity(offer.len());
    for line in offer.lines() {
        if line.starts_with("m=audio ") {
            let f: Vec<&str> = line.split(' ').collect();
            out.push_str(&f.iter().take(3).copied().collect::<Vec<_>>().join(" "));
            out.push(' ');
            out.push_str(&opus_pt);
        } else if let Some(p) = per_pt.iter().find_map(|p| line.strip_prefix(p)) {
            if p.split([' ', ':']).next() != Some(opus_pt.as_str()) {
                continue;
            }
            out.push_str(line);
        } else {
            out.push_str(line);
        }
        out.push_str("\r\n");
    }
    out
}

/// str0m wants `a=group:BUNDLE` in an answer with a=mid; rtpengine leaves it out (browsers
/// accept that), so add it back.
fn with_bundle(answer: &str) -> String {
    if answer.contains("a=group:BUNDLE") {
        return answer.to_string();
    }
    let Some(mid) = answer.lines().find_map(|l| l.strip_prefix("a=mid:")) else {
        return answer.to_string();
    };
    let mut out = String::with_capacity(answer.len() + 32);
    let mut added = false;
    for line in answer.lines() {
        if !added && line.starts_with("m=") {
            out.push_str(&format!("a=group:BUNDLE {}\r\n", mid.trim()));
            added = true;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

/// The RTP timestamp of an SRTP packet of payload type `pt` (STUN, DTLS and RTCP: None).
fn srtp_timestamp(b: &[u8], pt: u8) -> Option<u32> {
    let head = b.get(..12)?;
    if head.first()? >> 6 != 2 || head.get(1)? & 0x7f != pt {
        return None;
    }
    Some(u32::from_be_bytes([
        *head.get(4)?,
        *head.get(5)?,
        *head.get(6)?,
        *head.get(7)?,
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_keeps_opus_alone_and_answer_gets_bundle() {
        let offer = "v=0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0 101\r\n\
            a=mid:0\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10\r\n\
            a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";
        let out = opus_only(offer);
        assert!(out.contains("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
        assert!(out.contains("a=fmtp:111 minptime=10"));
        assert!(
            !out.contains("PCMU") && !out.contains("telephone-event") && !out.contains("fmtp:101")
        );
        let answer = "v=0\r\nt=0 0\r\nm=audio 30000 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n";
        assert!(with_bundle(answer).contains("t=0 0\r\na=group:BUNDLE 0\r\nm=audio"));
    }
}
