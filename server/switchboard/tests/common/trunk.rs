//! Helpers for the trunk call tests (included with `#[path]` by tests/trunk_*.rs): a trunk
//! record, a provider's SIP socket on a loopback address of its own, the provider's side of
//! a dialog made from the INVITE it got, and SDP / RTP pieces for its media; for the trunk
//! driver's tests, a provider's end of a TCP/TLS connection, waiting for a trunk's live
//! state, and `switchboard trunk list`.
// Each test file uses part of these.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use pbx::trunk::{SrtpPolicy, Trunk, TrunkTransport};
use sip::framer::{Framed, StreamFramer};
use sip::{HeaderName, Message, Method, NameAddr, Request, Uri};
use switchboard::RunningServer;
use switchboard::trunks::TrunkLive;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

use crate::common::calls::CalleeDialog;
use crate::common::{Conn, Io, token};

/// A UDP trunk to `host` (no registration, no health checks) offering PCMU then PCMA.
pub fn trunk(name: &str, host: SocketAddr) -> Trunk {
    Trunk {
        id: 0,
        name: name.into(),
        host: host.ip().to_string(),
        port: Some(host.port()),
        transport: TrunkTransport::Udp,
        registration: None,
        allow: Vec::new(),
        codecs: vec!["PCMU".into(), "PCMA".into()],
        srtp: SrtpPolicy::Off,
        channels: Some(4),
        options_interval: 0,
        caller_id: Some("+12125550100".into()),
        ca_file: None,
    }
}

/// A provider's SIP socket on `ip` (phones use 127.0.0.1), talking to the server at `server`.
pub async fn provider(ip: &str, server: SocketAddr) -> Conn {
    let sock = UdpSocket::bind(format!("{ip}:0")).await.unwrap();
    Conn::Udp { sock, server }
}

/// The provider's side of the dialog the server's INVITE creates.
pub fn provider_dialog(local: SocketAddr, inv: &Request) -> CalleeDialog {
    CalleeDialog {
        local,
        user: "provider".into(),
        tag: token(),
        call_id: inv.call_id().unwrap().to_owned(),
        remote: inv.headers.get(&HeaderName::From).unwrap().to_owned(),
        local_uri: inv.headers.get(&HeaderName::To).unwrap().to_owned(),
        remote_target: inv
            .contacts()
            .ok()
            .and_then(|c| c.into_iter().next())
            .and_then(|c| match c {
                sip::Contact::Addr(a) => Some(a.uri.to_string()),
                _ => None,
            })
            .expect("INVITE without Contact"),
        cseq: 0,
        invite_cseq: 0,
        invite: inv.clone(),
    }
}

/// An SDP answer (or offer) for `rtp` speaking only PCMU, on `proto` (RTP/AVP or
/// RTP/SAVP), with an `a=crypto:` line when `crypto` is given.
pub fn pcmu_sdp(rtp: SocketAddr, proto: &str, crypto: Option<&str>) -> String {
    let crypto = crypto
        .map(|c| format!("a=crypto:{c}\r\n"))
        .unwrap_or_default();
    format!(
        "v=0\r\no=provider 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
m=audio {port} {proto} 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
{crypto}a=sendrecv\r\n",
        ip = rtp.ip(),
        port = rtp.port()
    )
}

/// The transport of the SDP's audio line (`RTP/AVP`, `RTP/SAVP`...).
pub fn audio_proto(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|m| m.split_whitespace().nth(1))
        .unwrap_or_default()
        .to_owned()
}

/// The values of the SDP's `a=crypto:` lines.
pub fn crypto_lines(sdp: &str) -> Vec<String> {
    sdp.lines()
        .filter_map(|l| l.trim().strip_prefix("a=crypto:"))
        .map(str::to_owned)
        .collect()
}

/// One RTP packet (version 2, no extensions).
pub fn rtp_packet(pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt & 0x7f];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// Every datagram waiting on `sock`, without blocking.
pub fn drain_datagrams(sock: &UdpSocket) -> Vec<Vec<u8>> {
    let mut buf = vec![0u8; 2048];
    let mut out = Vec::new();
    while let Ok((n, _)) = sock.try_recv_from(&mut buf) {
        out.push(buf[..n].to_vec());
    }
    out
}

/// The payloads of the RTP packets among `datagrams` with payload type `pt`.
pub fn payloads_of(datagrams: &[Vec<u8>], pt: u8) -> Vec<Vec<u8>> {
    datagrams
        .iter()
        .filter_map(|d| {
            let h = media::rtp::parse(d).ok()?;
            (h.payload_type == pt)
                .then(|| d.get(h.payload_offset..h.payload_offset + h.payload_len))
                .flatten()
                .map(<[u8]>::to_vec)
        })
        .collect()
}

/// Lets the server's snapshot of trunk source addresses (at most a second old) see trunks
/// just added.
pub async fn let_trunks_settle() {
    tokio::time::sleep(Duration::from_millis(1100)).await;
}

/// A provider's end of one TCP or TLS connection a trunk opened.
pub struct StreamPeer {
    io: Box<dyn Io>,
    framer: StreamFramer,
}

impl StreamPeer {
    pub fn new(io: impl Io + 'static) -> StreamPeer {
        StreamPeer {
            io: Box::new(io),
            framer: StreamFramer::new(),
        }
    }

    /// The next TCP connection to `listener`, within 10 s.
    pub async fn accept_tcp(listener: &TcpListener) -> StreamPeer {
        let (tcp, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("the trunk connects within 10 s")
            .unwrap();
        StreamPeer::new(tcp)
    }

    /// The next request (keepalives skipped), within 10 s.
    pub async fn request(&mut self) -> Request {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            while let Some(item) = self.framer.next() {
                if let Ok(Framed::Message(Message::Request(req))) = item {
                    return req;
                }
            }
            let n = tokio::time::timeout(Duration::from_secs(10), self.io.read(&mut buf))
                .await
                .expect("a request within 10 s")
                .unwrap();
            assert!(n > 0, "the server closed the connection");
            self.framer.push(&buf[..n]);
        }
    }

    pub async fn expect(&mut self, method: Method) -> Request {
        let req = self.request().await;
        assert_eq!(req.method, method, "{req:?}");
        req
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.io.write_all(bytes).await.unwrap();
        self.io.flush().await.unwrap();
    }
}

/// The port of a Contact header value such as `<sip:user@127.0.0.1:5070;transport=tcp>`.
pub fn contact_port(contact: &str) -> Option<u16> {
    match NameAddr::parse(contact).ok()?.uri {
        Uri::Sip(uri) => uri.port,
        _ => None,
    }
}

/// The trunk's live state once `check` holds; panics naming `what` after 10 s.
pub async fn trunk_live_until(
    server: &RunningServer,
    name: &str,
    what: &str,
    check: impl Fn(&TrunkLive) -> bool,
) -> TrunkLive {
    for _ in 0..100 {
        if let Some(live) = server.trunks().live(name)
            && check(&live)
        {
            return live;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "trunk {name}: never {what}: {:?}",
        server.trunks().live(name)
    );
}

/// `switchboard trunk list` against the server's database, as an operator runs it.
pub fn trunk_list(dir: &std::path::Path) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("SWITCHBOARD_") {
            c.env_remove(k);
        }
    }
    let out = c
        .env("SWITCHBOARD_DATA_DIR", dir)
        .args(["trunk", "list"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// A trunk that `carrier` belongs to by its address (IP authentication: how calls come in).
pub fn ip_trunk(name: &str, carrier: SocketAddr) -> Trunk {
    let mut t = trunk(name, carrier);
    t.allow = vec![pbx::trunk::Cidr {
        addr: carrier.ip(),
        prefix: 32,
    }];
    t
}

/// A DID on `trunk` that rings `to`, without failover.
pub fn did(number: &str, trunk: &str, to: &[&str]) -> pbx::trunk::Did {
    pbx::trunk::Did {
        number: number.into(),
        trunk: trunk.into(),
        to: to.iter().map(|s| (*s).to_owned()).collect(),
        failover: None,
    }
}

/// An SDP offer (or answer) for `rtp` with `codecs` as (payload type, `NAME/clock`) in that
/// order and telephone-event 101, on `proto`, with an `a=crypto:` line when `crypto` is given.
pub fn audio_sdp(
    rtp: SocketAddr,
    proto: &str,
    codecs: &[(u8, &str)],
    crypto: Option<&str>,
) -> String {
    let formats: String = codecs.iter().map(|(pt, _)| format!("{pt} ")).collect();
    let rtpmaps: String = codecs
        .iter()
        .map(|(pt, name)| format!("a=rtpmap:{pt} {name}\r\n"))
        .collect();
    let crypto = crypto
        .map(|c| format!("a=crypto:{c}\r\n"))
        .unwrap_or_default();
    format!(
        "v=0\r\no=provider 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
m=audio {port} {proto} {formats}101\r\n{rtpmaps}a=rtpmap:101 telephone-event/8000\r\n\
{crypto}a=sendrecv\r\n",
        ip = rtp.ip(),
        port = rtp.port()
    )
}

/// The payload types of the SDP's audio line, in order.
pub fn audio_formats(sdp: &str) -> Vec<u8> {
    sdp.lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .map(|m| {
            m.split_whitespace()
                .skip(2)
                .filter_map(|f| f.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// A server (media on `rtp_ports`) with alice (1001) registered from a UDP phone, a provider
/// on 127.0.0.3 and a trunk "acme" to it, PCMU only, that the route for North American
/// numbers (`_1NXXNXXXXXX`) uses.
pub async fn office_with_pcmu_trunk(
    rtp_ports: (u16, u16),
) -> (RunningServer, tempfile::TempDir, crate::common::Phone, Conn) {
    let (server, dir, [alice]) = crate::common::calls::office::<1>(rtp_ports).await;
    let prov = provider("127.0.0.3", server.sip_udp.unwrap()).await;
    let mut acme = trunk("acme", prov.local());
    acme.codecs = vec!["PCMU".into()];
    server.store.add_trunk(&acme).await.unwrap();
    server
        .store
        .add_route("_1NXXNXXXXXX", &["acme".to_owned()], 0, "+", None)
        .await
        .unwrap();
    let_trunks_settle().await;
    (server, dir, alice, prov)
}
