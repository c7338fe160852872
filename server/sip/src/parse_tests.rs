//! Unit tests of the datagram parser and the printer.

use super::*;
use crate::{Contact, Host};

fn req(text: &str) -> Request {
    match parse_message(text.as_bytes()) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

const COMPACT: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
v: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\r\n\
f: Alice <sip:alice@example.com>;tag=1928301774\r\n\
t: <sip:bob@example.com>\r\n\
i: a84b4c76e66710@pc33.example.com\r\n\
CSeq: 314159 INVITE\r\n\
m: <sip:alice@pc33.example.com>\r\n\
k: timer, 100rel\r\n\
s: lunch\r\n\
o: presence\r\n\
c: application/sdp\r\n\
l: 4\r\n\
\r\n\
v=0\r\n";

#[test]
fn compact_forms_round_trip_to_long_names() {
    let r = req(COMPACT);
    assert_eq!(r.call_id().ok(), Some("a84b4c76e66710@pc33.example.com"));
    assert_eq!(r.headers.get(&HeaderName::Supported), Some("timer, 100rel"));
    assert_eq!(r.headers.get(&HeaderName::Event), Some("presence"));
    assert_eq!(r.body, b"v=0\r");
    let printed = String::from_utf8(r.to_bytes()).unwrap_or_default();
    for long in [
        "\r\nVia: ",
        "\r\nFrom: ",
        "\r\nTo: ",
        "\r\nCall-ID: ",
        "\r\nContact: ",
        "\r\nSupported: ",
        "\r\nSubject: ",
        "\r\nEvent: ",
        "\r\nContent-Type: ",
        "\r\nContent-Length: 4\r\n",
    ] {
        assert!(printed.contains(long), "{long} in {printed}");
    }
    let again = req(&printed);
    assert_eq!(again, r);
}

#[test]
fn folding_and_bare_lf_and_leading_crlf() {
    let r = req(
        "\r\n\r\nOPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h\n ;branch=z9hG4bK1\nTo:\n\t<sip:a@b>\nFrom: <sip:c@d>;tag=1\nCall-ID: x\nCSeq: 1\n  OPTIONS\n\n",
    );
    assert_eq!(
        r.headers.get(&HeaderName::Via),
        Some("SIP/2.0/UDP h ;branch=z9hG4bK1")
    );
    assert_eq!(
        r.top_via()
            .ok()
            .and_then(|v| v.branch().map(str::to_owned))
            .as_deref(),
        Some("z9hG4bK1")
    );
    assert_eq!(r.headers.get(&HeaderName::To), Some("<sip:a@b>"));
    assert_eq!(r.cseq().map(|c| c.seq).ok(), Some(1));
    assert!(r.body.is_empty());
}

#[test]
fn body_framing_in_datagrams() {
    let base = "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n";
    assert_eq!(req(&format!("{base}\r\nhello")).body, b"hello");
    assert_eq!(
        req(&format!("{base}Content-Length: 2\r\n\r\nhello")).body,
        b"he"
    );
    let short = parse_message(format!("{base}Content-Length: 9\r\n\r\nhello").as_bytes());
    assert_eq!(short.err().and_then(|e| e.status_code()), Some(400));
    for bad in ["-1", "x", "99999999999999999999", "70000"] {
        let e = parse_message(format!("{base}Content-Length: {bad}\r\n\r\n").as_bytes()).err();
        assert_eq!(e.and_then(|e| e.status_code()), Some(400), "{bad}");
    }
}

#[test]
fn size_limit_is_413() {
    let mut big = b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n".to_vec();
    big.resize(MAX_MESSAGE_SIZE + 1, b'x');
    let e = parse_message(&big).err();
    assert_eq!(
        e,
        Some(ParseError::TooLarge {
            limit: MAX_MESSAGE_SIZE
        })
    );
    assert_eq!(e.and_then(|e| e.status_code()), Some(413));
    big.truncate(MAX_MESSAGE_SIZE);
    assert!(parse_message(&big).is_ok());
    // The same bytes as a response are dropped, not answered.
    let mut resp = b"SIP/2.0 200 OK\r\n".to_vec();
    resp.resize(MAX_MESSAGE_SIZE + 1, b'x');
    assert_eq!(
        parse_message(&resp).err().map(|e| e.status_code()),
        Some(None)
    );
}

#[test]
fn header_count_limit_is_400() {
    let head = |n: usize| {
        let mut s = String::from("OPTIONS sip:a@b SIP/2.0\r\n");
        for i in 0..n {
            s.push_str(&format!("X-H{i}: v\r\n continued\r\n"));
        }
        s.push_str("\r\n");
        s
    };
    assert!(parse_message(head(MAX_HEADERS).as_bytes()).is_ok());
    let e = parse_message(head(MAX_HEADERS + 1).as_bytes()).err();
    assert_eq!(e, Some(ParseError::TooManyHeaders { limit: MAX_HEADERS }));
    assert_eq!(e.and_then(|e| e.status_code()), Some(400));
    // Without the final empty line too (the datagram path counts before allocating).
    let mut s = head(MAX_HEADERS + 1);
    s.truncate(s.len() - 2);
    assert_eq!(
        parse_message(s.as_bytes()).err(),
        Some(ParseError::TooManyHeaders { limit: MAX_HEADERS })
    );
}

#[test]
fn start_lines() {
    let st = |s: &str| parse_message(s.as_bytes()).err().map(|e| e.status_code());
    assert_eq!(st("OPTIONS sip:a@b SIP/3.0\r\n\r\n"), Some(Some(505)));
    assert_eq!(st("OPTIONS sip:a@b HTTP/1.1\r\n\r\n"), Some(Some(400)));
    assert_eq!(st("OPTIONS sip:a@b\r\n\r\n"), Some(Some(400)));
    assert_eq!(st("OPT<ONS sip:a@b SIP/2.0\r\n\r\n"), Some(Some(400)));
    assert_eq!(
        st("OPTIONS sip:a@b SIP/2.0\r\nNoColon\r\n\r\n"),
        Some(Some(400))
    );
    assert_eq!(
        st("OPTIONS sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n"),
        Some(Some(400))
    );
    assert_eq!(
        st("OPTIONS sip:a@b SIP/2.0\r\n continuation\r\n\r\n"),
        Some(Some(400))
    );
    // UTF-8 in values is fine; anything else is not.
    assert!(parse_message("OPTIONS sip:a@b SIP/2.0\r\nX: \u{ff}\r\n\r\n".as_bytes()).is_ok());
    assert_eq!(
        parse_message(b"OPTIONS sip:a@b SIP/2.0\r\nX: \xff\r\n\r\n")
            .err()
            .and_then(|e| e.status_code()),
        Some(400)
    );
    for bad in [
        "SIP/2.0 99 Low",
        "SIP/2.0 700 High",
        "SIP/2.0 2000 OK",
        "SIP/2.0 abc OK",
        "SIP/3.0 200 OK",
    ] {
        assert_eq!(st(&format!("{bad}\r\n\r\n")), Some(None), "{bad}");
    }
}

const RESPONSE_HEAD: &str = "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n";

#[test]
fn responses() {
    let r = match parse_message(format!("SIP/2.0 180 Ringing\r\n{RESPONSE_HEAD}\r\n").as_bytes()) {
        Ok(Message::Response(r)) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!((r.status, r.reason.as_str()), (180, "Ringing"));
    assert_eq!(
        r.to_bytes(),
        format!("SIP/2.0 180 Ringing\r\n{RESPONSE_HEAD}Content-Length: 0\r\n\r\n").into_bytes()
    );
    // A response without its CSeq cannot be matched: dropped.
    let no_cseq = RESPONSE_HEAD.replace("CSeq: 1 INVITE\r\n", "");
    assert_eq!(
        parse_message(format!("SIP/2.0 200 OK\r\n{no_cseq}\r\n").as_bytes())
            .err()
            .map(|e| e.status_code()),
        Some(None)
    );
}

#[test]
fn ipv6_everywhere() {
    let r = req(
        "INVITE sip:bob@[2001:db8::1]:5070;transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bK1;received=[2001:db8::2]\r\nFrom: <sip:a@[::1]>;tag=1\r\nTo: sip:bob@[2001:db8::1]\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContact: <sips:a@[2001:db8::3]:5061>\r\n\r\n",
    );
    let u = r.uri.as_sip().cloned().unwrap_or_else(|| panic!());
    assert_eq!(
        u.host,
        Host::V6(
            "2001:db8::1"
                .parse()
                .unwrap_or(std::net::Ipv6Addr::UNSPECIFIED)
        )
    );
    assert_eq!(u.port, Some(5070));
    let v = r.top_via().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (v.host.as_str(), v.port, v.received()),
        ("[2001:db8::9]", Some(5061), Some("[2001:db8::2]"))
    );
    let contacts = r.contacts().unwrap_or_default();
    let Some(Contact::Addr(c)) = contacts.first() else {
        panic!("{contacts:?}")
    };
    assert_eq!(c.uri.to_string(), "sips:a@[2001:db8::3]:5061");
    assert!(
        r.to_bytes()
            .starts_with(b"INVITE sip:bob@[2001:db8::1]:5070;transport=tcp SIP/2.0\r\n")
    );
}

#[test]
fn response_for_request_and_to_tag() {
    let r = req(
        "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b;branch=z9hG4bK2\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: sip:bob@example.com\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContact: <sip:a@h>\r\nContent-Length: 0\r\n\r\n",
    );
    let mut resp = Response::for_request(&r, 486, "");
    assert_eq!(resp.reason, "Busy Here");
    let names: Vec<&str> = resp.headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["Via", "Via", "From", "To", "Call-ID", "CSeq"]);
    assert_eq!(resp.to_tag(), None);
    assert!(resp.set_to_tag("abc").is_ok());
    assert_eq!(
        resp.headers.get(&HeaderName::To),
        Some("sip:bob@example.com;tag=abc")
    );
    assert!(resp.set_to_tag("def").is_ok());
    assert_eq!(resp.to_tag().as_deref(), Some("def"));
    assert_eq!(Response::for_request(&r, 200, "Fine").reason, "Fine");
}

#[test]
fn printer_recomputes_content_length() {
    let mut r =
        req("MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 2\r\nVia: SIP/2.0/UDP h\r\nl: 7\r\n\r\nhi");
    r.body = b"changed body".to_vec();
    let printed = r.to_bytes();
    let text = String::from_utf8_lossy(&printed);
    assert_eq!(text.matches("Content-Length").count(), 1);
    assert!(text.starts_with(
        "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 12\r\nVia: SIP/2.0/UDP h\r\n\r\nchanged body"
    ));
    r.headers.remove(&HeaderName::ContentLength);
    assert!(String::from_utf8_lossy(&r.to_bytes()).contains("Content-Length: 12\r\n\r\n"));
}
