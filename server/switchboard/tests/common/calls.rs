//! Helpers for call tests: SIP dialogs played by hand from the caller's and the callee's
//! side over UDP, SDP builders and readers, RTP packets. The INVITE builder, `answer_for`,
//! `sdp_port` and `rtp` started as copies of the ones at the top of `tests/calls.rs`.

use std::net::SocketAddr;
use std::time::Duration;

use pbx::CallRecord;
use sip::digest::{Challenge, Credentials};
use sip::{HeaderName, Message, Method, Request, Response};
use switchboard::RunningServer;
use tokio::net::UdpSocket;

use super::{Conn, DOMAIN, Phone, eventually, token};

// --- SDP --------------------------------------------------------------------------------

/// An audio offer (or answer) for `rtp` with the given direction attribute ("sendrecv",
/// "sendonly", "recvonly", "inactive").
pub fn sdp(user: &str, rtp: SocketAddr, direction: &str) -> String {
    format!(
        "v=0\r\no={user} 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na={direction}\r\n",
        ip = rtp.ip(),
        port = rtp.port()
    )
}

pub fn sdp_port(body: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(body);
    let m = text
        .lines()
        .find(|l| l.starts_with("m=audio "))
        .unwrap_or_else(|| panic!("no m=audio in:\n{text}"));
    m.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The address of every `c=` line.
pub fn sdp_connections(body: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(body)
        .lines()
        .filter_map(|l| l.strip_prefix("c=IN IP4 ").or(l.strip_prefix("c=IN IP6 ")))
        .map(|s| s.trim().to_owned())
        .collect()
}

/// The direction attribute of the SDP (sendrecv when none is given).
pub fn sdp_direction(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    for d in ["sendonly", "recvonly", "inactive", "sendrecv"] {
        if text.lines().any(|l| l.trim() == format!("a={d}")) {
            return d.to_owned();
        }
    }
    "sendrecv".to_owned()
}

/// Asserts the SDP is anchored at the server: every c= is `server_ip`, the audio port is in
/// `ports` and is none of `not_ports` (the phones' own).
pub fn assert_anchored(body: &[u8], server_ip: &str, ports: (u16, u16), not_ports: &[u16]) {
    let text = String::from_utf8_lossy(body).into_owned();
    assert!(!body.is_empty(), "expected SDP, got an empty body");
    let conns = sdp_connections(body);
    assert!(!conns.is_empty(), "no c= line:\n{text}");
    assert!(
        conns.iter().all(|c| c == server_ip),
        "c= not the server's {server_ip}:\n{text}"
    );
    let port = sdp_port(body);
    assert!(
        (ports.0..=ports.1).contains(&port),
        "audio port {port} outside the relay range {ports:?}:\n{text}"
    );
    assert!(
        !not_ports.contains(&port),
        "audio port {port} is a phone's own:\n{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("o=switchboard ")),
        "origin not ours:\n{text}"
    );
}

pub fn is_sdp(content_type: Option<String>) -> bool {
    content_type.is_some_and(|c| c.trim().eq_ignore_ascii_case("application/sdp"))
}

// --- RTP --------------------------------------------------------------------------------

pub fn rtp(seq: u16, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p[8..12].copy_from_slice(&ssrc.to_be_bytes());
    p.extend(std::iter::repeat_n(0xff, 160));
    p
}

pub async fn recv_rtp(sock: &UdpSocket) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 2048];
    match tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut buf)).await {
        Ok(Ok((n, _))) => Some(buf[..n].to_vec()),
        _ => None,
    }
}

pub async fn rtp_socket() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.unwrap()
}

// --- messages ---------------------------------------------------------------------------

/// A dialog-creating INVITE from `from_user` at `local` (copied from tests/calls.rs's
/// builder, with the body and extra headers chosen by the caller).
#[allow(clippy::too_many_arguments)]
pub fn invite(
    local: SocketAddr,
    from_user: &str,
    to: &str,
    cseq: u32,
    call_id: &str,
    tag: &str,
    body: Option<&str>,
    extra: &str,
    auth: Option<&str>,
) -> Vec<u8> {
    let mut text = format!(
        "INVITE sip:{to}@{DOMAIN} SIP/2.0\r\n\
Via: SIP/2.0/UDP {local};branch=z9hG4bK{b};rport\r\n\
Max-Forwards: 70\r\n\
From: \"Caller\" <sip:{from_user}@{DOMAIN}>;tag={tag}\r\n\
To: <sip:{to}@{DOMAIN}>\r\n\
Call-ID: {call_id}\r\n\
CSeq: {cseq} INVITE\r\n\
Contact: <sip:{from_user}@{local}>\r\n\
{extra}",
        b = token(),
    );
    if let Some(a) = auth {
        text.push_str(&format!("Proxy-Authorization: {a}\r\n"));
    }
    match body {
        Some(b) => text.push_str(&format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )),
        None => text.push_str("Content-Length: 0\r\n\r\n"),
    }
    text.into_bytes()
}

/// A response to `req` (copied from tests/calls.rs): adds `;tag=` to To only when the
/// request's To has none (a dialog-creating request).
pub fn answer_for(
    req: &Request,
    status: u16,
    tag: &str,
    contact: &str,
    body: Option<String>,
) -> Vec<u8> {
    let mut text = format!("SIP/2.0 {status} {}\r\n", sip::reason_phrase(status));
    for h in req.headers.iter() {
        if matches!(
            h.name,
            HeaderName::Via | HeaderName::From | HeaderName::CallId | HeaderName::CSeq
        ) {
            text.push_str(&format!("{}: {}\r\n", h.name, h.value));
        }
    }
    let to = req.headers.get(&HeaderName::To).unwrap();
    let has_tag = req
        .to_header()
        .ok()
        .and_then(|t| t.tag().map(str::to_owned));
    if has_tag.is_some() || status == 100 {
        text.push_str(&format!("To: {to}\r\n"));
    } else {
        text.push_str(&format!("To: {to};tag={tag}\r\n"));
    }
    if status != 100 {
        text.push_str(&format!("Contact: <{contact}>\r\n"));
    }
    match body {
        Some(b) => text.push_str(&format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )),
        None => text.push_str("Content-Length: 0\r\n\r\n"),
    }
    text.into_bytes()
}

/// The next response, ignoring (and not answering) any request that arrives meanwhile, such
/// as a retransmitted INVITE.
pub async fn next_response(conn: &mut Conn) -> Response {
    loop {
        match conn.recv().await {
            Some(Message::Response(r)) => return r,
            Some(Message::Request(_)) => {}
            None => panic!("no response over {}", conn.transport()),
        }
    }
}

/// The next final response to a request with CSeq method `method`, provisionals and
/// requests skipped.
pub async fn final_for(conn: &mut Conn, method: Method) -> Response {
    loop {
        let r = next_response(conn).await;
        let m = r.cseq().map(|c| c.method).ok();
        if r.status >= 200 && m.as_ref() == Some(&method) {
            return r;
        }
    }
}

/// The next request with method `method`; other requests (retransmissions) and responses
/// are skipped. None when nothing comes within the wait.
pub async fn request_of(conn: &mut Conn, method: Method) -> Option<Request> {
    loop {
        match conn.recv().await? {
            Message::Request(r) if r.method == method => return Some(r),
            _ => {}
        }
    }
}

/// Waits up to `ms` for any SIP message; None when nothing came.
pub async fn quiet_for(conn: &mut Conn, ms: u64) -> Option<Message> {
    tokio::time::timeout(Duration::from_millis(ms), conn.recv())
        .await
        .ok()
        .flatten()
}

fn contact_uri(msg_contacts: Result<Vec<sip::Contact>, sip::ParseError>) -> Option<String> {
    match msg_contacts.ok()?.into_iter().next() {
        Some(sip::Contact::Addr(a)) => Some(a.uri.to_string()),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn in_dialog(
    method: &str,
    uri: &str,
    local: SocketAddr,
    from: &str,
    to: &str,
    call_id: &str,
    cseq: u32,
    contact: &str,
    body: Option<&str>,
    extra: &str,
) -> Vec<u8> {
    let mut text = format!(
        "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{b};rport\r\n\
Max-Forwards: 70\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n",
        b = token()
    );
    if method == "INVITE" {
        text.push_str(&format!("Contact: <{contact}>\r\n"));
    }
    text.push_str(extra);
    match body {
        Some(b) => text.push_str(&format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )),
        None => text.push_str("Content-Length: 0\r\n\r\n"),
    }
    text.into_bytes()
}

// --- the caller's side --------------------------------------------------------------------

/// The caller's dialog with the server (the A leg seen from the phone).
pub struct CallerDialog {
    pub local: SocketAddr,
    pub user: String,
    pub to: String,
    pub call_id: String,
    pub tag: String,
    pub cseq: u32,
    /// CSeq of the last INVITE sent.
    pub invite_cseq: u32,
    pub remote_tag: Option<String>,
    pub remote_target: Option<String>,
}

impl CallerDialog {
    pub fn new(local: SocketAddr, user: &str, to: &str) -> CallerDialog {
        CallerDialog {
            local,
            user: user.to_owned(),
            to: to.to_owned(),
            call_id: format!("{}@caller", token()),
            tag: token(),
            cseq: 0,
            invite_cseq: 0,
            remote_tag: None,
            remote_target: None,
        }
    }

    fn from(&self) -> String {
        format!("\"Caller\" <sip:{}@{DOMAIN}>;tag={}", self.user, self.tag)
    }

    fn to_header(&self) -> String {
        match &self.remote_tag {
            Some(t) => format!("<sip:{}@{DOMAIN}>;tag={t}", self.to),
            None => format!("<sip:{}@{DOMAIN}>", self.to),
        }
    }

    /// The initial INVITE (with or without credentials).
    pub fn invite(&mut self, body: Option<&str>, extra: &str, auth: Option<&str>) -> Vec<u8> {
        self.cseq += 1;
        self.invite_cseq = self.cseq;
        invite(
            self.local,
            &self.user,
            &self.to,
            self.cseq,
            &self.call_id,
            &self.tag,
            body,
            extra,
            auth,
        )
    }

    /// ACK for a non-2xx final response to the initial INVITE (same branch: the response's
    /// Via).
    pub fn ack_failure(&self, resp: &Response) -> Vec<u8> {
        let via = resp.headers.get(&HeaderName::Via).unwrap().to_owned();
        let to = resp.headers.get(&HeaderName::To).unwrap().to_owned();
        let seq = resp.cseq().unwrap().seq;
        format!(
            "ACK sip:{}@{DOMAIN} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n\
From: {}\r\nTo: {to}\r\nCall-ID: {}\r\nCSeq: {seq} ACK\r\nContent-Length: 0\r\n\r\n",
            self.to,
            self.from(),
            self.call_id
        )
        .into_bytes()
    }

    /// Learns the remote tag and target from a 2xx to an INVITE.
    pub fn on_2xx(&mut self, resp: &Response) {
        self.remote_tag = resp.to_tag();
        if let Some(c) = contact_uri(resp.contacts()) {
            self.remote_target = Some(c);
        }
    }

    fn target(&self) -> String {
        self.remote_target
            .clone()
            .unwrap_or_else(|| format!("sip:{}@{DOMAIN}", self.to))
    }

    /// ACK for the 2xx of the last INVITE, with an optional SDP body (late offer's answer).
    pub fn ack(&self, body: Option<&str>) -> Vec<u8> {
        in_dialog(
            "ACK",
            &self.target(),
            self.local,
            &self.from(),
            &self.to_header(),
            &self.call_id,
            self.invite_cseq,
            "",
            body,
            "",
        )
    }

    /// A new in-dialog request (BYE, re-INVITE, INFO...).
    pub fn request(&mut self, method: &str, body: Option<&str>) -> Vec<u8> {
        self.cseq += 1;
        if method == "INVITE" {
            self.invite_cseq = self.cseq;
        }
        let contact = format!("sip:{}@{}", self.user, self.local);
        in_dialog(
            method,
            &self.target(),
            self.local,
            &self.from(),
            &self.to_header(),
            &self.call_id,
            self.cseq,
            &contact,
            body,
            "",
        )
    }

    pub fn contact(&self) -> String {
        format!("sip:{}@{}", self.user, self.local)
    }
}

/// Sends the INVITE, takes the 407, ACKs it and sends the INVITE again with credentials for
/// `auth_user`/`auth_password`. The caller then waits for what follows.
pub async fn invite_with_auth(
    conn: &mut Conn,
    dialog: &mut CallerDialog,
    auth_user: &str,
    auth_password: &str,
    body: Option<&str>,
    extra: &str,
) {
    let first = dialog.invite(body, extra, None);
    conn.send(&first).await;
    let challenge = final_for(conn, Method::Invite).await;
    assert_eq!(challenge.status, 407, "first INVITE must be challenged");
    conn.send(&dialog.ack_failure(&challenge)).await;
    let header = challenge
        .headers
        .get(&HeaderName::ProxyAuthenticate)
        .expect("407 without Proxy-Authenticate")
        .to_owned();
    let creds = Credentials::answer(
        &Challenge::parse(&header).unwrap(),
        auth_user,
        auth_password,
        "INVITE",
        &format!("sip:{}@{DOMAIN}", dialog.to),
        &token(),
        1,
    );
    let second = dialog.invite(body, extra, Some(&creds.to_string()));
    conn.send(&second).await;
}

// --- the callee's side --------------------------------------------------------------------

/// The callee's dialog with the server (the B leg seen from the phone), made from the
/// INVITE it received.
pub struct CalleeDialog {
    pub local: SocketAddr,
    pub user: String,
    pub tag: String,
    pub call_id: String,
    /// The server's From (with its tag), our To.
    pub remote: String,
    /// Our To value from the INVITE, without our tag.
    pub local_uri: String,
    pub remote_target: String,
    pub cseq: u32,
    pub invite_cseq: u32,
    /// The INVITE that created the dialog.
    pub invite: Request,
}

impl CalleeDialog {
    pub fn new(phone: &Phone, invite: &Request) -> CalleeDialog {
        CalleeDialog {
            local: phone.conn.local(),
            user: phone.user.clone(),
            tag: token(),
            call_id: invite.call_id().unwrap().to_owned(),
            remote: invite.headers.get(&HeaderName::From).unwrap().to_owned(),
            local_uri: invite.headers.get(&HeaderName::To).unwrap().to_owned(),
            remote_target: contact_uri(invite.contacts()).expect("INVITE without Contact"),
            cseq: 0,
            invite_cseq: 0,
            invite: invite.clone(),
        }
    }

    pub fn contact(&self) -> String {
        format!("sip:{}@{}", self.user, self.local)
    }

    /// A response to `req` (the initial INVITE or any later request in the dialog).
    pub fn respond(&self, req: &Request, status: u16, body: Option<String>) -> Vec<u8> {
        answer_for(req, status, &self.tag, &self.contact(), body)
    }

    fn from(&self) -> String {
        format!("{};tag={}", self.local_uri, self.tag)
    }

    pub fn request(&mut self, method: &str, body: Option<&str>) -> Vec<u8> {
        self.cseq += 1;
        if method == "INVITE" {
            self.invite_cseq = self.cseq;
        }
        in_dialog(
            method,
            &self.remote_target,
            self.local,
            &self.from(),
            &self.remote,
            &self.call_id,
            self.cseq,
            &self.contact(),
            body,
            "",
        )
    }

    /// A request in the dialog with a body of any type (INFO with dtmf-relay, say).
    pub fn request_with(&mut self, method: &str, content_type: &str, body: &str) -> Vec<u8> {
        let bare = String::from_utf8(self.request(method, None)).unwrap();
        bare.replace(
            "Content-Length: 0\r\n\r\n",
            &format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
        )
        .into_bytes()
    }

    /// ACK for the 2xx to our last re-INVITE.
    pub fn ack(&self, body: Option<&str>) -> Vec<u8> {
        in_dialog(
            "ACK",
            &self.remote_target,
            self.local,
            &self.from(),
            &self.remote,
            &self.call_id,
            self.invite_cseq,
            "",
            body,
            "",
        )
    }

    /// ACK for a non-2xx to our re-INVITE: the response's Via (same branch).
    pub fn ack_failure(&self, resp: &Response) -> Vec<u8> {
        let via = resp.headers.get(&HeaderName::Via).unwrap().to_owned();
        let seq = resp.cseq().unwrap().seq;
        format!(
            "ACK {} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\n\
Call-ID: {}\r\nCSeq: {seq} ACK\r\nContent-Length: 0\r\n\r\n",
            self.remote_target,
            self.from(),
            self.remote,
            self.call_id
        )
        .into_bytes()
    }
}

// --- servers ------------------------------------------------------------------------------

/// A server with its media relay on `rtp_ports`, and the given extensions (number,
/// secret) added. Keep the directory alive as long as the server.
pub async fn boot_with(
    rtp_ports: (u16, u16),
    extensions: &[(&str, &str)],
) -> (RunningServer, SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = super::test_config(dir.path(), None, 0);
    config.media.rtp_ports = rtp_ports;
    let server = super::boot(config).await;
    let udp = server.sip_udp.unwrap();
    // Usable at once: the directory cache never serves a copy older than an add made here
    // (tests/calls_directory_race.rs).
    for (number, secret) in extensions {
        super::add_extension(&server, number, secret).await;
    }
    (server, udp, dir)
}

/// The people of the call tests: (extension, SIP secret).
pub const PEOPLE: [(&str, &str); 3] = [
    ("1001", "alice-secret"),
    ("1002", "bob-secret"),
    ("1003", "carol-secret"),
];

/// A server (media relay on `rtp_ports`) with the first `N` of `PEOPLE` added and each
/// registered from a UDP phone of its own: alice (1001), bob (1002), carol (1003).
pub async fn office<const N: usize>(
    rtp_ports: (u16, u16),
) -> (RunningServer, tempfile::TempDir, [Phone; N]) {
    let people = PEOPLE.get(..N).expect("at most three people");
    let (server, udp, dir) = boot_with(rtp_ports, people).await;
    let mut phones = Vec::with_capacity(N);
    for (number, secret) in people {
        phones.push(registered(udp, number, secret).await);
    }
    let phones: [Phone; N] = phones.try_into().ok().expect("N phones");
    (server, dir, phones)
}

/// Changes `number`'s features as `extension set` would.
pub async fn set_features(server: &RunningServer, number: &str, update: store::FeaturesUpdate) {
    server
        .store
        .set_extension_features(number, &update)
        .await
        .unwrap();
}

/// A UDP phone for `user`, registered.
pub async fn registered(udp: SocketAddr, user: &str, secret: &str) -> Phone {
    let mut p = Phone::new(Conn::udp(udp).await, user, secret);
    assert_eq!(p.register(600).await.status, 200, "{user} registers");
    p
}

// --- whole calls ----------------------------------------------------------------------------

/// An answered call between a caller and a callee phone.
pub struct UpCall {
    pub a: CallerDialog,
    pub b: CalleeDialog,
    pub a_rtp: UdpSocket,
    pub b_rtp: UdpSocket,
    /// The caller's 200 OK.
    pub ok: Response,
}

/// Places a call from `caller` to `callee_number`, answered by `callee` (which must be the
/// only phone the INVITE reaches): 407 dance, 180, 200 with SDP, both ACKs.
pub async fn establish(caller: &mut Phone, callee: &mut Phone, callee_number: &str) -> UpCall {
    establish_with(caller, callee, callee_number, "").await
}

/// `establish` with extra headers in the caller's INVITE.
pub async fn establish_with(
    caller: &mut Phone,
    callee: &mut Phone,
    callee_number: &str,
    extra: &str,
) -> UpCall {
    let a_rtp = rtp_socket().await;
    let b_rtp = rtp_socket().await;
    let mut a = CallerDialog::new(caller.conn.local(), &caller.user, callee_number);
    let offer = sdp("caller", a_rtp.local_addr().unwrap(), "sendrecv");
    let (user, pw) = (caller.user.clone(), caller.password.clone());
    invite_with_auth(&mut caller.conn, &mut a, &user, &pw, Some(&offer), extra).await;
    let Some(inv) = request_of(&mut callee.conn, Method::Invite).await else {
        let mut seen = Vec::new();
        for _ in 0..3 {
            if let Ok(Some(m)) =
                tokio::time::timeout(Duration::from_millis(500), caller.conn.recv()).await
            {
                seen.push(format!("{m:?}"));
            }
        }
        // What the caller got instead tells a refused INVITE from a lost one.
        panic!("INVITE reaches the callee; the caller got instead: {seen:#?}");
    };
    let b = CalleeDialog::new(callee, &inv);
    callee.conn.send(&b.respond(&inv, 180, None)).await;
    let answer = sdp("callee", b_rtp.local_addr().unwrap(), "sendrecv");
    callee.conn.send(&b.respond(&inv, 200, Some(answer))).await;
    let b_ack = request_of(&mut callee.conn, Method::Ack)
        .await
        .expect("ACK for the callee's 200");
    assert_eq!(b_ack.call_id().unwrap(), b.call_id);
    let ok = final_for(&mut caller.conn, Method::Invite).await;
    assert_eq!(ok.status, 200, "caller's final: {ok:?}");
    a.on_2xx(&ok);
    caller.conn.send(&a.ack(None)).await;
    UpCall {
        a,
        b,
        a_rtp,
        b_rtp,
        ok,
    }
}

/// The caller hangs up; the callee answers its BYE 200.
pub async fn hang_up_from_caller(caller: &mut Phone, callee: &mut Phone, call: &mut UpCall) {
    let bye = call.a.request("BYE", None);
    caller.conn.send(&bye).await;
    assert_eq!(final_for(&mut caller.conn, Method::Bye).await.status, 200);
    let b_bye = request_of(&mut callee.conn, Method::Bye)
        .await
        .expect("BYE reaches the callee");
    callee.conn.send(&call.b.respond(&b_bye, 200, None)).await;
}

/// Waits until no call is up, then returns every call record.
pub async fn records_after_calls(server: &RunningServer) -> Vec<CallRecord> {
    assert!(
        eventually(|| async { server.active_calls().is_empty() }).await,
        "calls still up: {:?}",
        server.active_calls()
    );
    server.store.flush().await;
    server.store.list_records(None, None).await.unwrap()
}
