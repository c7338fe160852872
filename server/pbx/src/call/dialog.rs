//! One leg's dialog as a user agent sees it (RFC 3261 §12): the identifiers, the remote
//! target and route set, and the CSeq counters. The B2BUA owns two of these per call and
//! builds every request of a leg from its own dialog, so nothing of the other leg's headers
//! can leak across.

use sip::{HeaderName, Method, NameAddr, ParseError, Request, Response, Uri};

#[derive(Debug, Clone, PartialEq)]
pub struct Dialog {
    pub call_id: String,
    pub local_tag: String,
    /// Unknown on an outgoing leg until a response with a To tag arrives.
    pub remote_tag: Option<String>,
    /// Our side's address (From of our requests), without tag.
    pub local: NameAddr,
    pub remote: NameAddr,
    /// Where in-dialog requests go: the peer's Contact.
    pub remote_target: Uri,
    /// Route headers of our requests, in order.
    pub route_set: Vec<String>,
    pub local_cseq: u32,
    /// The highest CSeq seen from the peer (RFC 3261 §12.2.2).
    pub remote_cseq: Option<u32>,
    /// The Contact we send on this leg.
    pub contact: String,
}

impl Dialog {
    /// The UAS side of an INVITE we received: the caller's leg.
    pub fn for_incoming(
        invite: &Request,
        local_tag: &str,
        contact: &str,
    ) -> Result<Dialog, ParseError> {
        let from = invite.from_header()?;
        let mut to = invite.to_header()?;
        to.remove_param("tag");
        let remote_tag = from.tag().map(str::to_owned);
        let mut remote = from;
        remote.remove_param("tag");
        let remote_target = invite
            .contacts()?
            .into_iter()
            .find_map(|c| match c {
                sip::Contact::Addr(a) => Some(a.uri),
                sip::Contact::Star => None,
            })
            .unwrap_or_else(|| remote.uri.clone());
        Ok(Dialog {
            call_id: invite.call_id()?.to_owned(),
            local_tag: local_tag.to_owned(),
            remote_tag,
            local: to,
            remote,
            remote_target,
            route_set: invite
                .headers
                .fields(&HeaderName::RecordRoute)
                .map(str::to_owned)
                .collect(),
            local_cseq: 0,
            remote_cseq: Some(invite.cseq()?.seq),
            contact: contact.to_owned(),
        })
    }

    /// The UAC side of an INVITE we are about to send: a callee's leg.
    pub fn outgoing(
        call_id: &str,
        local_tag: &str,
        local: NameAddr,
        remote: NameAddr,
        target: Uri,
        contact: &str,
    ) -> Dialog {
        Dialog {
            call_id: call_id.to_owned(),
            local_tag: local_tag.to_owned(),
            remote_tag: None,
            local,
            remote,
            remote_target: target,
            route_set: Vec::new(),
            local_cseq: 0,
            remote_cseq: None,
            contact: contact.to_owned(),
        }
    }

    /// Learns the remote tag, target and route set from a response to our INVITE (a 2xx, or
    /// a provisional that creates an early dialog).
    pub fn on_invite_response(&mut self, resp: &Response) {
        if let Some(tag) = resp.to_tag() {
            self.remote_tag = Some(tag);
        }
        if let Ok(contacts) = resp.contacts()
            && let Some(sip::Contact::Addr(a)) = contacts.into_iter().next()
        {
            self.remote_target = a.uri;
        }
        let mut routes: Vec<String> = resp
            .headers
            .fields(&HeaderName::RecordRoute)
            .map(str::to_owned)
            .collect();
        routes.reverse();
        if !routes.is_empty() || resp.status >= 200 {
            self.route_set = routes;
        }
    }

    /// Whether a request from the peer with this CSeq is in order; a lower one gets 500.
    pub fn accept_remote_cseq(&mut self, seq: u32) -> bool {
        match self.remote_cseq {
            Some(last) if seq < last => false,
            _ => {
                self.remote_cseq = Some(seq);
                true
            }
        }
    }

    /// A new request in this dialog with the next CSeq. `via` is a full Via value with a
    /// fresh branch.
    pub fn request(&mut self, method: Method, via: &str) -> Request {
        self.local_cseq = self.local_cseq.wrapping_add(1).max(1);
        self.build(method, via, self.local_cseq)
    }

    /// The ACK for a 2xx to our INVITE with CSeq `seq` (RFC 3261 §13.2.2.4).
    pub fn ack(&self, seq: u32, via: &str) -> Request {
        self.build(Method::Ack, via, seq)
    }

    fn build(&self, method: Method, via: &str, seq: u32) -> Request {
        let mut req = Request::new(method.clone(), self.remote_target.clone());
        let h = &mut req.headers;
        h.push(HeaderName::Via, via);
        h.push(HeaderName::MaxForwards, "70");
        for route in &self.route_set {
            h.push(HeaderName::Route, route.as_str());
        }
        let mut from = self.local.clone();
        from.set_param("tag", Some(&self.local_tag));
        h.push(HeaderName::From, from.to_string());
        let mut to = self.remote.clone();
        if let Some(tag) = &self.remote_tag {
            to.set_param("tag", Some(tag));
        }
        h.push(HeaderName::To, to.to_string());
        h.push(HeaderName::CallId, self.call_id.as_str());
        h.push(HeaderName::CSeq, format!("{seq} {method}"));
        if matches!(
            method,
            Method::Invite | Method::Update | Method::Refer | Method::Notify | Method::Subscribe
        ) {
            h.push(HeaderName::Contact, self.contact.as_str());
        }
        req
    }

    /// A response to a request the peer sent in this dialog (our tag on the To).
    pub fn response(&self, req: &Request, status: u16) -> Response {
        let mut resp = Response::for_request(req, status, "");
        if resp.to_tag().is_none() {
            resp.set_to_tag(&self.local_tag).ok();
        }
        if (200..300).contains(&status)
            && matches!(
                req.method,
                Method::Invite | Method::Update | Method::Subscribe | Method::Refer
            )
        {
            resp.headers
                .push(HeaderName::Contact, self.contact.as_str());
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> sip::Message {
        sip::parse_message(text.replace('\n', "\r\n").as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn invite() -> Request {
        match parse(
            "INVITE sip:1002@pbx.test SIP/2.0\n\
Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKa\n\
Max-Forwards: 70\n\
From: \"Alice\" <sip:1001@pbx.test>;tag=alice1\n\
To: <sip:1002@pbx.test>\n\
Contact: <sip:1001@10.0.0.5:5062>\n\
Record-Route: <sip:edge.example;lr>\n\
Call-ID: abc@10.0.0.5\n\
CSeq: 7 INVITE\n\
Content-Length: 0\n\n",
        ) {
            sip::Message::Request(r) => r,
            m => panic!("{m:?}"),
        }
    }

    #[test]
    fn an_incoming_leg_answers_and_sends_in_its_own_dialog() {
        let mut d = Dialog::for_incoming(&invite(), "sb1", "<sip:pbx@192.0.2.9:5060>")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.remote_tag.as_deref(), Some("alice1"));
        assert_eq!(d.remote_target.to_string(), "sip:1001@10.0.0.5:5062");
        let ok = d.response(&invite(), 200);
        assert_eq!(ok.to_tag().as_deref(), Some("sb1"));
        assert_eq!(
            ok.headers.get(&HeaderName::Contact),
            Some("<sip:pbx@192.0.2.9:5060>")
        );
        let bye = d.request(Method::Bye, "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKb");
        assert_eq!(bye.uri.to_string(), "sip:1001@10.0.0.5:5062");
        assert_eq!(bye.headers.get(&HeaderName::CallId), Some("abc@10.0.0.5"));
        assert_eq!(
            bye.headers.get(&HeaderName::Route),
            Some("<sip:edge.example;lr>")
        );
        assert!(
            bye.headers
                .get(&HeaderName::From)
                .is_some_and(|f| f.contains("tag=sb1"))
        );
        assert!(
            bye.headers
                .get(&HeaderName::To)
                .is_some_and(|t| t.contains("tag=alice1"))
        );
        assert_eq!(bye.headers.get(&HeaderName::CSeq), Some("1 BYE"));
        assert!(!d.accept_remote_cseq(6));
        assert!(d.accept_remote_cseq(8));
    }

    #[test]
    fn an_outgoing_leg_learns_its_peer_from_the_answer() {
        let local =
            NameAddr::parse("\"Alice\" <sip:1001@pbx.test>").unwrap_or_else(|e| panic!("{e}"));
        let remote = NameAddr::parse("<sip:1002@pbx.test>").unwrap_or_else(|e| panic!("{e}"));
        let target = Uri::parse("sip:1002@10.0.0.7:5070").unwrap_or_else(|e| panic!("{e}"));
        let mut d = Dialog::outgoing("b-leg", "sb2", local, remote, target, "<sip:pbx@192.0.2.9>");
        let inv = d.request(Method::Invite, "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKc");
        assert_eq!(inv.headers.get(&HeaderName::CSeq), Some("1 INVITE"));
        assert_eq!(
            inv.headers.get(&HeaderName::To),
            Some("<sip:1002@pbx.test>")
        );
        let ok = match parse(
            "SIP/2.0 200 OK\n\
Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKc\n\
From: \"Alice\" <sip:1001@pbx.test>;tag=sb2\n\
To: <sip:1002@pbx.test>;tag=bob9\n\
Call-ID: b-leg\nCSeq: 1 INVITE\n\
Contact: <sip:bob@10.0.0.7:5070;transport=udp>\n\
Content-Length: 0\n\n",
        ) {
            sip::Message::Response(r) => r,
            m => panic!("{m:?}"),
        };
        d.on_invite_response(&ok);
        let ack = d.ack(1, "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKd");
        assert_eq!(ack.uri.to_string(), "sip:bob@10.0.0.7:5070;transport=udp");
        assert!(
            ack.headers
                .get(&HeaderName::To)
                .is_some_and(|t| t.contains("tag=bob9"))
        );
        assert_eq!(ack.headers.get(&HeaderName::CSeq), Some("1 ACK"));
        let bye = d.request(Method::Bye, "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKe");
        assert_eq!(bye.headers.get(&HeaderName::CSeq), Some("2 BYE"));
    }
}
