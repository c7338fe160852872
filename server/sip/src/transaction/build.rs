//! Requests a transaction user builds from an INVITE: the ACK for a non-2xx final response
//! (§17.1.1.3, sent by the client transaction itself) and a CANCEL (§9.1).

use crate::{HeaderName, Headers, Method, ParseError, Request, Response};

/// The ACK for a 300-699 response to `invite`: same Request-URI, Call-ID, From, CSeq number
/// and top Via (so it matches the server transaction), the To of the response (with its tag),
/// and the INVITE's Route set.
pub fn ack_for(invite: &Request, response: &Response) -> Result<Request, ParseError> {
    let to = response
        .headers
        .get(&HeaderName::To)
        .or_else(|| invite.headers.get(&HeaderName::To))
        .unwrap_or_default()
        .to_owned();
    derived(invite, Method::Ack, to)
}

/// A CANCEL for `invite` (its To without any response tag, a new client transaction with the
/// INVITE's branch: the far end matches it to the INVITE by that branch).
pub fn cancel_for(invite: &Request) -> Result<Request, ParseError> {
    let to = invite
        .headers
        .get(&HeaderName::To)
        .unwrap_or_default()
        .to_owned();
    derived(invite, Method::Cancel, to)
}

fn derived(invite: &Request, method: Method, to: String) -> Result<Request, ParseError> {
    let via = invite.top_via()?;
    let cseq = invite.cseq()?;
    let mut headers = Headers::new();
    headers.push(HeaderName::Via, via.to_string());
    headers.push(HeaderName::MaxForwards, "70");
    for route in invite.headers.fields(&HeaderName::Route) {
        headers.push(HeaderName::Route, route);
    }
    if let Some(from) = invite.headers.get(&HeaderName::From) {
        headers.push(HeaderName::From, from);
    }
    headers.push(HeaderName::To, to);
    if let Some(call_id) = invite.headers.get(&HeaderName::CallId) {
        headers.push(HeaderName::CallId, call_id);
    }
    headers.push(HeaderName::CSeq, format!("{} {}", cseq.seq, method));
    Ok(Request {
        method,
        uri: invite.uri.clone(),
        headers,
        body: Vec::new(),
    })
}
