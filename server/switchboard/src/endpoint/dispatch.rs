//! Which answer a request gets when no call takes it: the registrar's and OPTIONS requests,
//! and everything calls do not claim (or all INVITEs when calls are off, as in unit tests).

use sip::{HeaderName, Method, Request, Response};

/// What to do with a request that passed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Register,
    Options,
    /// Answered 200 when it matches an INVITE transaction, else 481 (RFC 3261 §9.2).
    Cancel,
    /// A final answer decided here.
    Reply(u16),
}

pub fn route(req: &Request) -> Route {
    let in_dialog = req.headers.get(&HeaderName::To).is_some_and(|to| {
        to.split(';')
            .skip(1)
            .any(|p| p.trim().to_ascii_lowercase().starts_with("tag="))
    });
    match &req.method {
        Method::Register => Route::Register,
        Method::Options => Route::Options,
        Method::Cancel => Route::Cancel,
        // No dialogs exist yet, so a BYE names none (RFC 3261 §15.1.2). (ACKs never get
        // here: the transaction layer absorbs or drops them.)
        Method::Bye | Method::Ack => Route::Reply(481),
        // This server has no dialogs yet, so any request inside one names a dialog we do not
        // know (RFC 3261 §12.2.2).
        _ if in_dialog => Route::Reply(481),
        // An INVITE reaches this table only when calls are off. 480 Temporarily Unavailable is what a PBX says when the callee
        // cannot be reached right now: the caller's phone shows "unavailable" and may retry
        // later. 501 would tell phones and trunks this server can never take calls, 404
        // would claim the extension does not exist (leaking nothing useful and being wrong),
        // and 503 would make RFC 3263 clients fail over to another server as if this one
        // were broken.
        Method::Invite => Route::Reply(480),
        // Methods SIP defines that this server does not serve (yet): 405 with an Allow
        // header listing what it does (RFC 3261 §21.4.6).
        Method::Subscribe
        | Method::Notify
        | Method::Message
        | Method::Refer
        | Method::Info
        | Method::Update
        | Method::Prack
        | Method::Publish => Route::Reply(405),
        // An extension method we do not know at all: 501 (RFC 3261 §8.2.1).
        _ => Route::Reply(501),
    }
}

/// The methods this server answers meaningfully, for Allow headers.
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER";

/// A final response decided by `route`, with the headers its status requires.
pub fn reply(req: &Request, status: u16, allow: &str) -> Response {
    let mut resp = Response::for_request(req, status, sip::reason_phrase(status));
    if status == 405 {
        resp.headers.push(HeaderName::Allow, allow);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, to_params: &str) -> Request {
        let text = format!(
            "{method} sip:100@pbx SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
Max-Forwards: 70\r\nFrom: <sip:a@pbx>;tag=1\r\nTo: <sip:100@pbx>{to_params}\r\nCall-ID: c\r\n\
CSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
        );
        match sip::parse_message(text.as_bytes()) {
            Ok(sip::Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_answer_table() {
        let table: &[(&str, &str, Route)] = &[
            ("REGISTER", "", Route::Register),
            ("OPTIONS", "", Route::Options),
            ("OPTIONS", ";tag=x", Route::Options),
            ("CANCEL", "", Route::Cancel),
            ("INVITE", "", Route::Reply(480)),
            ("INVITE", ";tag=x", Route::Reply(481)),
            ("BYE", "", Route::Reply(481)),
            ("SUBSCRIBE", "", Route::Reply(405)),
            ("MESSAGE", "", Route::Reply(405)),
            ("FOO", "", Route::Reply(501)),
        ];
        for (method, to, want) in table {
            assert_eq!(route(&req(method, to)), *want, "{method} To{to}");
        }
    }

    #[test]
    fn a_405_lists_what_is_allowed() {
        let r = req("SUBSCRIBE", "");
        let resp = reply(&r, 405, ALLOW);
        assert_eq!(resp.headers.get(&HeaderName::Allow), Some(ALLOW));
        assert_eq!(reply(&r, 481, ALLOW).headers.get(&HeaderName::Allow), None);
    }
}
