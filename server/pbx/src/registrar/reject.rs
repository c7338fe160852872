//! A registrar's refusal: status, reason and the extra headers it needs (Min-Expires,
//! WWW-Authenticate...). Turned into a response for the request by the handler.

use sip::{HeaderName, Request, Response};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reject {
    pub status: u16,
    pub reason: &'static str,
    pub headers: Vec<(HeaderName, String)>,
}

impl Reject {
    pub fn new(status: u16, reason: &'static str) -> Reject {
        Reject {
            status,
            reason,
            headers: Vec::new(),
        }
    }

    pub fn bad_request(reason: &'static str) -> Reject {
        Reject::new(400, reason)
    }

    /// The one 403 every authentication failure gets, so that a scanner cannot tell a wrong
    /// password from an unknown extension.
    pub fn forbidden() -> Reject {
        Reject::new(403, "Forbidden")
    }

    /// Storage failed: RFC 3261 §10.3 step 8 says 500, and nothing was committed.
    pub fn server_error() -> Reject {
        Reject::new(500, "Server Internal Error")
    }

    pub fn with(mut self, name: HeaderName, value: impl Into<String>) -> Reject {
        self.headers.push((name, value.into()));
        self
    }

    pub fn into_response(self, req: &Request) -> Response {
        let mut resp = Response::for_request(req, self.status, self.reason);
        for (name, value) in self.headers {
            resp.headers.push(name, value);
        }
        resp
    }
}
