//! Helpers for the trunk call tests (included with `#[path]` by tests/trunk_*.rs): a trunk
//! record, a provider's SIP socket on a loopback address of its own, the provider's side of
//! a dialog made from the INVITE it got, and SDP / RTP pieces for its media.
// Each test file uses part of these.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use pbx::trunk::{SrtpPolicy, Trunk, TrunkTransport};
use sip::{HeaderName, Request};
use tokio::net::UdpSocket;

use crate::common::calls::CalleeDialog;
use crate::common::{Conn, token};

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
