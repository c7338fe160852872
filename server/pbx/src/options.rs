//! Answering OPTIONS addressed to us (RFC 3261 §11.2): 200 with what we can do.
//!
//! `Supported` is deliberately empty. `path` (RFC 3327) would oblige us to store Path headers
//! with bindings and route by them; we do not. `outbound` (RFC 5626) would tell phones to
//! keep their flows alive with STUN on UDP and to expect flow-failure semantics; the
//! registrar does key bindings by `+sip.instance`/`reg-id` and requests go back over the
//! registering connection, but we answer no STUN keepalives, so we do not claim it.
//! A tag goes here once its whole behaviour exists.

use sip::{HeaderName, Request, Response};

/// Methods we handle today.
pub const ALLOW: &str = "REGISTER, OPTIONS";
/// Body types we accept.
pub const ACCEPT: &str = "application/sdp";
/// Option tags we fully implement (none yet; see the module comment).
pub const SUPPORTED: &str = "";

/// 200 OK with Allow, Accept and Supported, and a To tag.
pub fn answer_options(req: &Request) -> Response {
    answer_options_with(req, ALLOW, SUPPORTED)
}

/// Same, with the caller's Allow and Supported values (for the binary to advertise methods
/// it handles elsewhere).
pub fn answer_options_with(req: &Request, allow: &str, supported: &str) -> Response {
    let mut resp = Response::for_request(req, 200, "OK");
    resp.headers.push(HeaderName::Allow, allow);
    resp.headers.push(HeaderName::Accept, ACCEPT);
    resp.headers.push(HeaderName::Supported, supported);
    crate::tag::add_to_tag(&mut resp);
    resp
}
