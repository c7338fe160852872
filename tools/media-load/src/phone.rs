//! The callee phone: one SIP UA over UDP, registered as the callee, auto-answering every
//! INVITE with plain RTP/AVP in the scenario's callee codec (PCMU or G.729) on a socket of
//! its own per call, whose RTP `rtp_end` runs.
//!
//! Which caller an INVITE belongs to: the caller's From display name (`load-<id>`) when the
//! server passes it through, else the oldest call waiting to be answered (the generator sets
//! calls up one at a time, so there is only ever one).

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use tokio::net::UdpSocket;
use tokio::sync::{oneshot, watch};
use tokio::time::{sleep, timeout};

use crate::call::Call;
use crate::rtp_end::{self, End, RtpEnd};
use crate::rxtime;
use crate::scenario::PhoneMedia;
use crate::sip::{
    Msg, answer_challenge, branch, random_token, request, sdp_audio_addr, sdp_audio_proto,
};
use crate::tone::Tones;

/// Calls whose INVITE the phone has not seen yet.
pub type Pending = Rc<RefCell<VecDeque<Rc<Call>>>>;

pub struct Phone {
    sock: UdpSocket,
    local: SocketAddr,
    server: SocketAddr,
    user: String,
    password: String,
    domain: String,
    media: PhoneMedia,
    pending: Pending,
    tones: Rc<Tones>,
    epoch: Instant,
    dialogs: HashMap<String, Dialog>,
    /// INVITEs the phone could not place (no waiting call, not its codec): what it answered.
    pub refused: Rc<RefCell<Vec<String>>>,
}

struct Dialog {
    cseq: u32,
    response: String,
    peer: SocketAddr,
    acked: bool,
    sent_at: Instant,
    resent: u32,
    _stop_media: oneshot::Sender<()>,
}

impl Phone {
    #[allow(clippy::too_many_arguments)]
    pub async fn bind(
        server: SocketAddr,
        user: &str,
        password: &str,
        domain: &str,
        media: PhoneMedia,
        pending: Pending,
        tones: Rc<Tones>,
        epoch: Instant,
    ) -> Result<Phone> {
        let sock = UdpSocket::bind("127.0.0.1:0").await?;
        Ok(Phone {
            local: sock.local_addr()?,
            sock,
            server,
            user: user.to_string(),
            password: password.to_string(),
            domain: domain.to_string(),
            media,
            pending,
            tones,
            epoch,
            dialogs: HashMap::new(),
            refused: Rc::default(),
        })
    }

    /// REGISTER with digest; retransmitted every 500 ms as UDP needs.
    pub async fn register(&mut self) -> Result<()> {
        let call_id = format!("{}@127.0.0.1", random_token());
        let tag = random_token();
        let uri = format!("sip:{}", self.domain);
        let aor = format!("<sip:{}@{}>", self.user, self.domain);
        let mut auth: Option<(&str, String)> = None;
        for cseq in 1..=3u32 {
            let mut h = vec![
                (
                    "Via",
                    format!("SIP/2.0/UDP {};branch={};rport", self.local, branch()),
                ),
                ("Max-Forwards", "70".to_string()),
                ("From", format!("{aor};tag={tag}")),
                ("To", aor.clone()),
                ("Call-ID", call_id.clone()),
                ("CSeq", format!("{cseq} REGISTER")),
                ("Contact", format!("<sip:{}@{}>", self.user, self.local)),
                ("Expires", "3600".to_string()),
                ("User-Agent", "media-load".to_string()),
            ];
            if let Some(a) = auth.take() {
                h.push(a);
            }
            let req = request("REGISTER", &uri, &h, "");
            let resp = self.transact(&req, &call_id, cseq).await?;
            match resp.status() {
                Some(200..=299) => return Ok(()),
                Some(401 | 407) => {
                    auth = Some(
                        answer_challenge(&resp, "REGISTER", &uri, &self.user, &self.password)
                            .ok_or_else(|| anyhow!("REGISTER: no MD5 challenge: {}", resp.start))?,
                    );
                }
                _ => bail!("phone REGISTER answered {}", resp.start),
            }
        }
        bail!("phone REGISTER still challenged after answering")
    }

    async fn transact(&self, req: &str, call_id: &str, cseq: u32) -> Result<Msg> {
        let mut buf = vec![0u8; 65536];
        for _ in 0..8 {
            self.sock.send_to(req.as_bytes(), self.server).await?;
            let deadline = Instant::now() + Duration::from_millis(500);
            while let Ok(r) = timeout(
                deadline.saturating_duration_since(Instant::now()),
                self.sock.recv_from(&mut buf),
            )
            .await
            {
                let (n, _) = r?;
                let text = String::from_utf8_lossy(buf.get(..n).unwrap_or(&[])).into_owned();
                if let Some(m) = Msg::parse(&text)
                    && m.call_id() == call_id
                    && m.cseq().0 == cseq
                    && m.status().is_some_and(|s| s >= 200)
                {
                    return Ok(m);
                }
            }
        }
        bail!("no answer to REGISTER from {}", self.server)
    }

    /// Answers INVITEs, ACKs and BYEs until `stop`.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut buf = vec![0u8; 65536];
        loop {
            tokio::select! {
                r = self.sock.recv_from(&mut buf) => {
                    let Ok((n, from)) = r else { continue };
                    let text = String::from_utf8_lossy(buf.get(..n).unwrap_or(&[])).into_owned();
                    if let Some(m) = Msg::parse(&text) && m.method().is_some() {
                        self.on_request(&m, from, &stop).await;
                    }
                }
                _ = sleep(Duration::from_millis(100)) => self.retransmit().await,
                _ = stop.changed() => {
                    // keep answering the callers' BYEs for a moment
                    let until = Instant::now() + Duration::from_secs(3);
                    while let Ok(Ok((n, from))) = timeout(until.saturating_duration_since(Instant::now()), self.sock.recv_from(&mut buf)).await {
                        let text = String::from_utf8_lossy(buf.get(..n).unwrap_or(&[])).into_owned();
                        if let Some(m) = Msg::parse(&text) && m.method().is_some() {
                            self.on_request(&m, from, &stop).await;
                        }
                    }
                    return;
                }
            }
        }
    }

    /// Timer G: the 200 to an INVITE again until its ACK comes.
    async fn retransmit(&mut self) {
        let now = Instant::now();
        for d in self.dialogs.values_mut() {
            let wait = Duration::from_millis(500) * 2u32.pow(d.resent.min(3));
            if !d.acked && d.resent < 7 && now >= d.sent_at + wait {
                let _ = self.sock.send_to(d.response.as_bytes(), d.peer).await;
                d.sent_at = now;
                d.resent += 1;
            }
        }
    }

    async fn reply(&self, text: String, to: SocketAddr) {
        let _ = self.sock.send_to(text.as_bytes(), to).await;
    }

    async fn on_request(&mut self, m: &Msg, from: SocketAddr, stop: &watch::Receiver<bool>) {
        let call_id = m.call_id().to_string();
        match m.method() {
            Some("INVITE") => {
                if let Some(d) = self.dialogs.get(&call_id) {
                    let resp = if d.cseq == m.cseq().0 {
                        d.response.clone()
                    } else {
                        // a re-INVITE: same media, no change
                        let sdp = d
                            .response
                            .split("\r\n\r\n")
                            .nth(1)
                            .unwrap_or("")
                            .to_string();
                        m.response(200, "OK", Some("p"), &self.contact(), &sdp)
                    };
                    self.reply(resp, from).await;
                    return;
                }
                match self.answer(m, from, stop).await {
                    Ok(()) => {}
                    Err((code, why)) => {
                        self.refused
                            .borrow_mut()
                            .push(format!("{code} {why}: {}", m.start));
                        let r = m.response(code, &why, Some(&random_token()), &[], "");
                        self.reply(r, from).await;
                    }
                }
            }
            Some("ACK") => {
                if let Some(d) = self.dialogs.get_mut(&call_id) {
                    d.acked = true;
                }
            }
            Some("BYE") | Some("CANCEL") => {
                self.dialogs.remove(&call_id);
                self.reply(m.response(200, "OK", None, &[], ""), from).await;
            }
            _ => self.reply(m.response(200, "OK", None, &[], ""), from).await,
        }
    }

    fn contact(&self) -> Vec<(&'static str, String)> {
        vec![("Contact", format!("<sip:{}@{}>", self.user, self.local))]
    }

    /// A new INVITE: find its call, open its RTP socket, answer 200 with our codec.
    async fn answer(
        &mut self,
        m: &Msg,
        from: SocketAddr,
        stop: &watch::Receiver<bool>,
    ) -> Result<(), (u16, String)> {
        let (ip, port, pts) = sdp_audio_addr(&m.body)
            .ok_or((488, "Not Acceptable Here (no audio in SDP)".to_string()))?;
        let pt = self.media.payload_type();
        if !pts.contains(&pt) {
            return Err((
                488,
                format!(
                    "Not Acceptable Here (no {} in {pts:?})",
                    self.media.codec.name()
                ),
            ));
        }
        let proto = sdp_audio_proto(&m.body).unwrap_or("");
        if !proto.eq_ignore_ascii_case(self.media.proto()) {
            return Err((
                488,
                format!("Not Acceptable Here ({proto}: a plain RTP phone)"),
            ));
        }
        let call = self
            .take_call(m)
            .ok_or((486, "Busy Here (no call waiting)".to_string()))?;
        let rtp = UdpSocket::bind("127.0.0.1:0")
            .await
            .map_err(|e| (500, format!("Server Internal Error ({e})")))?;
        rxtime::enable(&rtp).map_err(|e| (500, format!("Server Internal Error ({e})")))?;
        let rtp_port = rtp.local_addr().map(|a| a.port()).unwrap_or(0);
        let sdp = self.media.sdp(rtp_port, None);
        let resp = m.response(200, "OK", Some(&random_token()), &self.contact(), &sdp);
        self.reply(resp.clone(), from).await;
        let (stop_media, media_stopped) = oneshot::channel();
        let remote = SocketAddr::new(ip, port);
        let rtp = RtpEnd {
            end: End::Callee,
            media: self.media,
            sock: rtp,
            remote,
            srtp: None,
        };
        tokio::task::spawn_local(rtp_end::run(
            call,
            rtp,
            self.tones.clone(),
            self.epoch,
            media_stopped,
            stop.clone(),
        ));
        self.dialogs.insert(
            m.call_id().to_string(),
            Dialog {
                cseq: m.cseq().0,
                response: resp,
                peer: from,
                acked: false,
                sent_at: Instant::now(),
                resent: 0,
                _stop_media: stop_media,
            },
        );
        Ok(())
    }

    fn take_call(&self, m: &Msg) -> Option<Rc<Call>> {
        let mut pending = self.pending.borrow_mut();
        let from = m.header("From").unwrap_or("");
        let id: Option<usize> = from
            .split("load-")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok());
        if let Some(id) = id
            && let Some(i) = pending.iter().position(|c| c.id == id)
        {
            return pending.remove(i);
        }
        pending.pop_front()
    }
}
