//! The 200 OK listing the bindings (RFC 3261 §10.3 step 8).

use sip::{HeaderName, Request, Response};

use crate::binding::Binding;

/// 200 with one Contact per current binding, each with its remaining `expires`.
pub(crate) fn ok(req: &Request, bindings: &[Binding], now: u64) -> Response {
    let mut resp = Response::for_request(req, 200, "OK");
    for b in bindings {
        resp.headers
            .push(HeaderName::Contact, contact_value(b, now));
    }
    resp
}

fn contact_value(b: &Binding, now: u64) -> String {
    let mut v = format!("<{}>;expires={}", b.contact, b.remaining(now));
    if let Some(q) = &b.q {
        v.push_str(";q=");
        v.push_str(q);
    }
    if let Some(instance) = &b.instance {
        v.push_str(";+sip.instance=\"");
        for c in instance.chars() {
            if matches!(c, '"' | '\\') {
                v.push('\\');
            }
            v.push(c);
        }
        v.push('"');
        if let Some(reg_id) = b.reg_id {
            v.push_str(";reg-id=");
            v.push_str(&reg_id.to_string());
        }
    }
    v
}
