//! Topology hiding: what may cross from one leg to the other. A request or response on a leg
//! is built from that leg's own dialog; from the other leg only the content and a short list
//! of end-to-end headers are copied. Via, Contact, Record-Route, Route, Call-ID, tags and
//! anything a proxy or phone added about its own network stay on their side.

use sip::{HeaderName, Headers};

/// End-to-end headers that describe the body or the request's meaning, not the path.
const END_TO_END: &[HeaderName] = &[
    HeaderName::ContentType,
    HeaderName::Event,
    HeaderName::SubscriptionState,
    HeaderName::Accept,
];

/// Extension headers (not in `HeaderName`) that are safe to pass, lower case.
const END_TO_END_OTHER: &[&str] = &[
    "content-disposition",
    "content-language",
    "info-package",
    "recv-info",
];

/// Copies the content and end-to-end headers of `from` into `to`.
pub fn copy_end_to_end(from: &Headers, to: &mut Headers) {
    for h in from.iter() {
        let pass = END_TO_END.contains(&h.name)
            || END_TO_END_OTHER
                .iter()
                .any(|n| h.name.as_str().eq_ignore_ascii_case(n));
        if pass {
            to.push(h.name.clone(), h.value.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_and_end_to_end_headers_cross() {
        let text = "INFO sip:x@pbx SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK1\r\n\
Record-Route: <sip:10.1.1.2;lr>\r\nContact: <sip:a@10.1.1.1>\r\nFrom: <sip:a@pbx>;tag=1\r\n\
To: <sip:x@pbx>;tag=2\r\nCall-ID: secret-call-id@10.1.1.1\r\nCSeq: 2 INFO\r\n\
X-Internal: 10.1.1.1\r\nContent-Type: application/dtmf-relay\r\nContent-Disposition: signal\r\n\
Content-Length: 0\r\n\r\n";
        let Ok(sip::Message::Request(req)) = sip::parse_message(text.as_bytes()) else {
            panic!("parse")
        };
        let mut out = Headers::new();
        copy_end_to_end(&req.headers, &mut out);
        let names: Vec<String> = out
            .iter()
            .map(|h| h.name.as_str().to_ascii_lowercase())
            .collect();
        assert_eq!(names, ["content-type", "content-disposition"]);
    }
}
