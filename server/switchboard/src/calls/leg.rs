//! One side of a call: its dialog, where its messages go, and its half of the media relay.

use std::net::IpAddr;

use media::relay::Side;
use media::sdp::Anchor;
use pbx::call::Dialog;
use sip::{HeaderName, Method, Request, Response};

use crate::endpoint::transactions::Peer;
use crate::random;

pub(super) struct Leg {
    pub dialog: Dialog,
    pub peer: Peer,
    pub side: Side,
    /// Origin line bookkeeping for the SDP we send this leg.
    pub anchor: Anchor,
    /// Who is on this leg (an extension number).
    pub party: String,
    /// The last SDP this leg's peer sent (offer or answer).
    pub remote_sdp: Option<String>,
    /// CSeq of our INVITE on an outgoing leg (for its ACK).
    pub invite_cseq: u32,
    /// The ACK we sent for this leg's last 2xx, sent again if the 2xx is retransmitted.
    pub last_ack: Option<Request>,
}

impl Leg {
    pub fn new(dialog: Dialog, peer: Peer, side: Side, party: &str) -> Leg {
        Leg {
            dialog,
            peer,
            side,
            anchor: Anchor::new(rand::random()),
            party: party.to_owned(),
            remote_sdp: None,
            invite_cseq: 0,
            last_ack: None,
        }
    }

    /// A request in this leg's dialog, with a fresh branch.
    pub fn request(&mut self, method: Method, sent_by: &str) -> Request {
        let via = via_value(sent_by);
        self.dialog.request(method, &via)
    }

    pub fn ack(&self, seq: u32, sent_by: &str) -> Request {
        self.dialog.ack(seq, &via_value(sent_by))
    }

    /// A response to `req` from this leg's peer, carrying the end-to-end parts of `from`
    /// (the other leg's response) but nothing of its path.
    pub fn relay_response(&self, req: &Request, from: &Response) -> Response {
        let mut resp = self.dialog.response(req, from.status);
        resp.reason = from.reason.clone();
        pbx::call::hiding::copy_end_to_end(&from.headers, &mut resp.headers);
        resp
    }

    pub fn is(&self, call_id: &str, local_tag: &str) -> bool {
        self.dialog.call_id == call_id && self.dialog.local_tag == local_tag
    }
}

/// A Via for a request we send: our sent-by, a new branch, rport (RFC 3581) so answers
/// come back through NAT.
pub(super) fn via_value(sent_by: &str) -> String {
    format!(
        "{sent_by};branch={}{};rport",
        sip::transaction::MAGIC_COOKIE,
        random::token(20)
    )
}

/// The Contact we put on a leg: reachable at the address the peer sends to.
pub(super) fn contact_for(via_sent_by: &str) -> String {
    // "SIP/2.0/UDP 127.0.0.1:5060" -> host:port and transport
    let mut parts = via_sent_by.split_whitespace();
    let proto = parts.next().unwrap_or("SIP/2.0/UDP");
    let hostport = parts.next().unwrap_or("invalid");
    let transport = proto
        .rsplit('/')
        .next()
        .unwrap_or("UDP")
        .to_ascii_lowercase();
    format!("<sip:switchboard@{hostport};transport={transport}>")
}

/// Our sent-by ("SIP/2.0/UDP 203.0.113.10:5060") in the top Via of a response to one of
/// our requests: the address that peer was given.
pub(super) fn sent_by_in(response: &sip::Response) -> Option<String> {
    let via = response.top_via().ok()?;
    Some(format!(
        "SIP/2.0/{} {}:{}",
        via.transport, via.host, via.port?
    ))
}

/// The IP the peer reaches us at, from our sent-by.
pub(super) fn local_ip(via_sent_by: &str) -> Option<IpAddr> {
    let hostport = via_sent_by.split_whitespace().nth(1)?;
    if let Ok(sa) = hostport.parse::<std::net::SocketAddr>() {
        return Some(sa.ip());
    }
    hostport.parse().ok()
}

/// Whether a message carries SDP.
pub(super) fn sdp_body(content_type: Option<String>, body: &[u8]) -> Option<String> {
    let ct = content_type?;
    if !ct.trim().eq_ignore_ascii_case("application/sdp") || body.is_empty() {
        return None;
    }
    String::from_utf8(body.to_vec()).ok()
}

/// Makes `sdp` the body (headers and body of one message).
pub(super) fn set_sdp(headers: &mut sip::Headers, body: &mut Vec<u8>, sdp: &str) {
    headers.set(HeaderName::ContentType, "application/sdp");
    *body = sdp.as_bytes().to_vec();
}
