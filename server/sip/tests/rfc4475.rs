//! RFC 4475 torture tests: every message of the RFC's archive (../shared/testdata/rfc4475/,
//! described by MANIFEST.tsv) parsed, printed and re-parsed, or answered as the RFC says.
//!
//! Choices where the RFC leaves one (each also noted at its table row):
//! - lwsstart, trws (§3.1.2.9-10): tolerated. Extra SP in the request line is accepted; the
//!   printer writes single SP, so the damage is never forwarded.
//! - baddate (§3.1.2.12): accepted; Date is never parsed.
//! - ltgtruri (§3.1.2.7): 400, not the liberal strip of `<>`.
//! - escruri (§3.1.2.11): 400 from `check_request` (headers in the Request-URI are refused,
//!   never turned into header fields), not the liberal ignore.
//! - quotbal (§3.1.2.6), regbadct (§3.1.2.13): 400, we do not infer the missing `"` or `<>`.
//! - mismatch02 (§3.1.2.18): 501 (unknown method is checked before the CSeq mismatch).
//! - clerr (§3.1.2.2): 400 for a datagram; on a stream the framer waits for the body.
//! - ncl (§3.1.2.3): 400 for a datagram; fatal framing error on a stream.
//! - badbranch (§3.2.1): accepted; the transaction layer falls back to RFC 2543 matching.
//! - intmeth, esc02: valid; a UAS answers 501 (unknown method), a proxy forwards.
//! - zeromf (§3.3.11): 483 with `Policy { proxy: true }`; a UAS (the target) answers it.
//! - bext01 (§3.3.5): 420 + Unsupported listing the Require tags (UAS) or the Proxy-Require
//!   tags (proxy).
//! - unksm2 (§3.3.4): 400 for REGISTER whose To is not sip/sips; a proxy routes it.
//! - regaut01 (§3.3.7): accepted here; the registrar answers with its own 401 challenge.
//! - sdp01 (§3.3.15): 406, the INVITE's Accept rules out an SDP answer.
//! - baddn (§3.1.2.15): the datagram has no final empty line; datagrams are parsed with the
//!   end of the buffer as the end of the head, so the answer is the 400 for the display name.
//! - test.dat (not in the RFC): 400 (no SIP-Version in the request line).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code, fixed inputs

use std::collections::BTreeSet;
use std::path::PathBuf;

use sip::validate::{Policy, check_request, check_request_with};
use sip::{
    Framed, HeaderName, Message, ParseError, Request, StreamFramer, Uri, multipart, parse_message,
};

fn dir() -> PathBuf {
    std::env::var_os("RFC4475_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/rfc4475")
        })
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What we do with each message.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Parses, prints, re-parses equivalent; `check_request` as a UAS gives `uas` (None =
    /// accepted) and as a proxy gives `proxy`.
    Valid {
        uas: Option<u16>,
        proxy: Option<u16>,
    },
    /// `parse_message` fails with this status.
    ParseStatus(u16),
    /// `parse_message` fails and the message is dropped (a response).
    Drop,
}

const OK: Expect = Expect::Valid {
    uas: None,
    proxy: None,
};
const fn uas(s: u16) -> Expect {
    Expect::Valid {
        uas: Some(s),
        proxy: Some(s),
    }
}

fn table() -> Vec<(&'static str, Expect)> {
    use Expect::*;
    vec![
        ("wsinv.dat", OK),
        (
            "intmeth.dat",
            Valid {
                uas: Some(501),
                proxy: None,
            },
        ),
        ("esc01.dat", OK),
        ("escnull.dat", OK),
        (
            "esc02.dat",
            Valid {
                uas: Some(501),
                proxy: None,
            },
        ),
        ("lwsdisp.dat", OK),
        ("longreq.dat", OK),
        ("dblreq.dat", OK),
        ("semiuri.dat", OK),
        ("transports.dat", OK),
        ("mpart01.dat", OK),
        ("unreason.dat", OK),
        ("noreason.dat", OK),
        ("badinv01.dat", uas(400)),
        ("clerr.dat", ParseStatus(400)),
        ("ncl.dat", ParseStatus(400)),
        ("scalar02.dat", uas(400)),
        ("scalarlg.dat", Drop),
        ("quotbal.dat", uas(400)),
        ("ltgtruri.dat", ParseStatus(400)),
        ("lwsruri.dat", ParseStatus(400)),
        ("lwsstart.dat", OK), // liberal: tolerated, printed with single SP
        ("trws.dat", OK),     // liberal: tolerated
        ("escruri.dat", uas(400)),
        ("baddate.dat", OK), // Date is not interpreted
        ("regbadct.dat", uas(400)),
        ("badaspec.dat", uas(400)),
        ("baddn.dat", uas(400)),
        ("badvers.dat", ParseStatus(505)),
        ("mismatch01.dat", uas(400)),
        (
            "mismatch02.dat",
            Valid {
                uas: Some(501),
                proxy: Some(400),
            },
        ),
        ("bigcode.dat", Drop),
        ("badbranch.dat", OK), // transaction layer: RFC 2543 matching
        ("insuf.dat", uas(400)),
        ("unkscm.dat", uas(416)),
        ("novelsc.dat", uas(416)),
        (
            "unksm2.dat",
            Valid {
                uas: Some(400),
                proxy: None,
            },
        ),
        ("bext01.dat", uas(420)),
        (
            "invut.dat",
            Valid {
                uas: Some(415),
                proxy: None,
            },
        ),
        ("regaut01.dat", OK), // the registrar challenges (401)
        ("multi01.dat", uas(400)),
        ("mcl01.dat", uas(400)),
        ("bcast.dat", OK),
        (
            "zeromf.dat",
            Valid {
                uas: None,
                proxy: Some(483),
            },
        ),
        ("cparam01.dat", OK),
        ("cparam02.dat", OK),
        ("regescrt.dat", OK),
        (
            "sdp01.dat",
            Valid {
                uas: Some(406),
                proxy: None,
            },
        ),
        ("inv2543.dat", OK),
        ("test.dat", ParseStatus(400)),
    ]
}

struct Row {
    file: String,
    class: String,
    expected: String,
}

fn manifest() -> Vec<Row> {
    let text = String::from_utf8(read("MANIFEST.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("file\t") && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 7, "{l}");
            Row {
                file: cols[0].to_owned(),
                class: cols[5].to_owned(),
                expected: cols[6].to_owned(),
            }
        })
        .collect()
}

/// Three-digit numbers in the `expected` text.
fn statuses_in(text: &str) -> BTreeSet<u16> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 3)
        .filter_map(|w| w.parse().ok())
        .filter(|s| (100..700).contains(s))
        .collect()
}

#[test]
fn table_covers_manifest_and_directory() {
    let rows = manifest();
    let listed: BTreeSet<String> = rows.iter().map(|r| r.file.clone()).collect();
    let ours: BTreeSet<String> = table().iter().map(|(f, _)| (*f).to_owned()).collect();
    assert_eq!(listed, ours);
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".dat"))
        .collect();
    assert_eq!(on_disk, ours);
    assert_eq!(ours.len(), 50);
}

/// Our answers agree with the status the manifest names, except where the answer is another
/// layer's (regaut01: registrar 401; badbranch: transaction-layer fallback).
#[test]
fn table_agrees_with_manifest() {
    let table = table();
    for row in manifest() {
        let expect = table
            .iter()
            .find(|(f, _)| *f == row.file)
            .map(|(_, e)| *e)
            .unwrap();
        let named = statuses_in(&row.expected);
        let drop =
            row.expected.contains("discard response") || row.expected.contains("drop response");
        if drop {
            assert_eq!(expect, Expect::Drop, "{}", row.file);
            continue;
        }
        let ours: BTreeSet<u16> = match expect {
            Expect::Valid { uas, proxy } => uas.into_iter().chain(proxy).collect(),
            Expect::ParseStatus(s) => [s].into(),
            Expect::Drop => panic!("{} dropped but manifest says {}", row.file, row.expected),
        };
        let valid = row.class == "valid" && expect == OK;
        if matches!(row.file.as_str(), "regaut01.dat" | "badbranch.dat")
            || named.is_empty()
            || valid
        {
            continue;
        }
        assert!(
            !ours.is_disjoint(&named),
            "{}: ours {ours:?}, manifest {:?} ({})",
            row.file,
            named,
            row.class
        );
    }
}

/// Same message after a print/parse round trip: RFC 3261 equivalence for the Request-URI,
/// the same header fields (Content-Length is rewritten by the printer), the same body.
fn assert_equivalent(name: &str, a: &Message, b: &Message) {
    let strip = |m: &Message| -> Vec<(HeaderName, String)> {
        m.headers()
            .iter()
            .filter(|h| h.name != HeaderName::ContentLength)
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect()
    };
    match (a, b) {
        (Message::Request(x), Message::Request(y)) => {
            assert_eq!(x.method, y.method, "{name}");
            assert!(x.uri.equivalent(&y.uri), "{name}: {} vs {}", x.uri, y.uri);
        }
        (Message::Response(x), Message::Response(y)) => {
            assert_eq!((x.status, &x.reason), (y.status, &y.reason), "{name}");
        }
        _ => panic!("{name}: kind changed"),
    }
    assert_eq!(strip(a), strip(b), "{name}");
    assert_eq!(a.body(), b.body(), "{name}");
}

fn request(m: &Message) -> Option<&Request> {
    m.as_request()
}

#[test]
fn every_message_gets_its_answer() {
    let proxy = Policy {
        proxy: true,
        ..Policy::default()
    };
    for (name, expect) in table() {
        let bytes = read(name);
        let parsed = parse_message(&bytes);
        match expect {
            Expect::Valid {
                uas,
                proxy: proxy_status,
            } => {
                let msg = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
                let printed = msg.to_bytes();
                let again = parse_message(&printed).unwrap_or_else(|e| {
                    panic!("{name} reparse: {e}\n{}", String::from_utf8_lossy(&printed))
                });
                assert_equivalent(name, &msg, &again);
                assert_eq!(again.to_bytes(), printed, "{name}: printing is not stable");
                // Also equivalent to itself through the typed views.
                if let Some(req) = request(&msg) {
                    assert_eq!(
                        check_request(req).err().map(|r| r.status),
                        uas,
                        "{name} as UAS"
                    );
                    assert_eq!(
                        check_request_with(req, &proxy).err().map(|r| r.status),
                        proxy_status,
                        "{name} as proxy"
                    );
                    // Our answer parses at the other end whenever the copied headers do.
                    let routable = req.vias().is_ok()
                        && req.from_header().is_ok()
                        && req.to_header().is_ok()
                        && req.cseq().is_ok();
                    if let (Err(rej), true) = (check_request(req), routable) {
                        let resp = rej.to_response(req);
                        assert_eq!(resp.status, rej.status);
                        parse_message(&resp.to_bytes()).unwrap_or_else(|e| {
                            panic!("{name}: our {} does not parse: {e}", rej.status)
                        });
                    }
                }
            }
            Expect::ParseStatus(status) => {
                let err = parsed.err().unwrap_or_else(|| panic!("{name} parsed"));
                assert_eq!(err.status_code(), Some(status), "{name}: {err}");
                // A stateless answer can still be built from the readable lines.
                let resp = sip::error_response(&bytes, &err);
                if name != "test.dat" {
                    let resp = resp.unwrap_or_else(|| panic!("{name}: no stateless answer"));
                    assert_eq!(resp.status, status);
                    assert!(resp.headers.contains(&HeaderName::Via), "{name}");
                }
            }
            Expect::Drop => {
                let err = parsed.err().unwrap_or_else(|| panic!("{name} parsed"));
                assert_eq!(err.status_code(), None, "{name}: {err}");
                assert!(sip::error_response(&bytes, &err).is_none());
            }
        }
    }
}

fn req(name: &str) -> Request {
    match parse_message(&read(name)) {
        Ok(Message::Request(r)) => r,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn wsinv_details() {
    let r = req("wsinv.dat");
    assert_eq!(r.to_header().unwrap().tag(), Some("1918181833n"));
    let from = r.from_header().unwrap();
    assert_eq!(from.display.as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(r.max_forwards().unwrap(), Some(68));
    assert_eq!(r.cseq().unwrap().seq, 9);
    let vias = r.vias().unwrap();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[1].transport, "TCP");
    assert_eq!(vias[1].branch(), Some("z9hG4bK9ikj8"));
    assert_eq!(vias[2].host, "192.168.255.111");
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(r.headers.get(&HeaderName::Subject), Some(""));
    assert_eq!(
        r.headers.get(&HeaderName::parse("newfangledheader")),
        Some("newfangled value continued newfangled value")
    );
    let contacts = r.contacts().unwrap();
    let sip::Contact::Addr(c) = &contacts[0] else {
        panic!()
    };
    assert_eq!(c.display.as_deref(), Some("Quoted string \"\""));
    assert_eq!(c.param("q"), Some("0.33"));
    assert_eq!(c.param("newparam"), Some("newvalue"));
    assert_eq!(c.param("secondparam"), Some(""));
    assert_eq!(r.body.len(), 150);
}

#[test]
fn escaping_details() {
    let r = req("esc01.dat");
    let u = r.uri.as_sip().unwrap();
    assert_eq!(u.user_unescaped().as_deref(), Some("sips:user@example.com"));
    assert_eq!(u.host.to_string(), "example.net");
    let to = r.to_header().unwrap();
    assert!(
        to.uri
            .equivalent(&Uri::parse("sip:user@example.com").unwrap())
    );
    let sip::Contact::Addr(c) = &r.contacts().unwrap()[0] else {
        panic!()
    };
    let cu = c.uri.as_sip().unwrap();
    assert!(cu.has_param("lr"));
    assert!(
        c.uri
            .equivalent(&Uri::parse("sip:caller@host5.example.net;lr;name=value%2541").unwrap())
    );

    let r = req("escnull.dat");
    let cs = r.contacts().unwrap();
    assert_eq!(cs.len(), 2);
    let (sip::Contact::Addr(a), sip::Contact::Addr(b)) = (&cs[0], &cs[1]) else {
        panic!()
    };
    assert!(!a.uri.equivalent(&b.uri));
    assert_eq!(
        r.to_header()
            .unwrap()
            .uri
            .as_sip()
            .unwrap()
            .user_unescaped()
            .as_deref(),
        Some("null-\0-null")
    );

    let r = req("esc02.dat");
    assert_eq!(r.method.as_str(), "RE%47IST%45R");
    assert_ne!(r.method, sip::Method::Register);
    assert_eq!(r.contacts().unwrap().len(), 2);
    assert_eq!(
        r.headers.get(&HeaderName::parse("C%6Fntact")),
        Some("<sip:alias2@host2.example.com>")
    );
    assert_eq!(r.from_header().unwrap().display.as_deref(), Some("%Z%45"));

    let r = req("semiuri.dat");
    assert_eq!(
        r.uri.as_sip().unwrap().user.as_deref(),
        Some("user;par=u%40example.net")
    );
    assert_eq!(r.uri.as_sip().unwrap().host.to_string(), "example.com");
    assert_eq!(r.headers.get_all(&HeaderName::Accept).count(), 6);
}

#[test]
fn contact_parameter_placement() {
    let c = |name: &str| match req(name).contacts().unwrap().remove(0) {
        sip::Contact::Addr(a) => a,
        sip::Contact::Star => panic!(),
    };
    let a = c("cparam01.dat");
    assert_eq!(a.param("unknownparam"), Some(""));
    assert!(!a.uri.as_sip().unwrap().has_param("unknownparam"));
    let b = c("cparam02.dat");
    assert_eq!(b.param("unknownparam"), None);
    assert!(b.uri.as_sip().unwrap().has_param("unknownparam"));
    let e = c("regescrt.dat");
    assert_eq!(
        e.uri.as_sip().unwrap().headers,
        vec![("Route".to_owned(), "%3Csip:sip.example.com%3E".to_owned())]
    );
}

#[test]
fn other_details() {
    let r = req("dblreq.dat");
    assert_eq!(r.method, sip::Method::Register);
    assert!(r.body.is_empty());
    let r = req("transports.dat");
    let t: Vec<String> = r.vias().unwrap().into_iter().map(|v| v.transport).collect();
    assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    let r = req("lwsstart.dat");
    assert!(
        r.to_bytes()
            .starts_with(b"INVITE sip:user@example.com SIP/2.0\r\n")
    );
    let r = req("trws.dat");
    assert!(
        r.to_bytes()
            .starts_with(b"OPTIONS sip:remote-target@example.com SIP/2.0\r\n")
    );
    let r = req("inv2543.dat");
    assert_eq!(r.top_via().unwrap().branch(), None);
    assert!(r.body.starts_with(b"v=0"));
    let r = req("longreq.dat");
    assert_eq!(r.vias().unwrap().len(), 34);
    assert!(
        r.to_header()
            .unwrap()
            .display
            .unwrap()
            .contains("extremeextreme")
    );
    let Ok(Message::Response(resp)) = parse_message(&read("noreason.dat")) else {
        panic!()
    };
    assert_eq!((resp.status, resp.reason.as_str()), (100, ""));
    let Ok(Message::Response(resp)) = parse_message(&read("unreason.dat")) else {
        panic!()
    };
    assert!(resp.reason.starts_with("= 2**3 * 5**2 "));
    let r = req("bext01.dat");
    let rej = check_request(&r).unwrap_err();
    assert_eq!(
        rej.headers,
        vec![(
            HeaderName::Unsupported,
            "nothingSupportsThis, nothingSupportsThisEither".to_owned()
        )]
    );
    let rej = check_request(&req("invut.dat")).unwrap_err();
    assert!(
        rej.headers
            .iter()
            .any(|(n, v)| *n == HeaderName::Accept && v.contains("application/sdp"))
    );
}

#[test]
fn multipart_body_is_split_binary_safe() {
    let r = req("mpart01.dat");
    let ct = r.headers.get(&HeaderName::ContentType).unwrap();
    let parts = multipart::split(ct, &r.body).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].content_type(), "text/plain");
    assert_eq!(parts[0].body, b"Hello");
    assert_eq!(parts[1].content_type(), "application/octet-stream");
    assert!(parts[1].body.contains(&b'\r') && parts[1].body.len() > 300);
    // The binary part survives a print/parse round trip byte for byte.
    let again = match parse_message(&r.to_bytes()) {
        Ok(Message::Request(a)) => a,
        other => panic!("{other:?}"),
    };
    assert_eq!(multipart::split(ct, &again.body).unwrap(), parts);
}

/// On a stream: clerr waits for its 9999 bytes; ncl kills the stream; the valid messages
/// come out one by one from a single concatenated stream fed in odd-sized chunks.
#[test]
fn stream_framing() {
    let mut f = StreamFramer::new();
    f.push(&read("clerr.dat"));
    assert!(f.next().is_none());
    let mut f = StreamFramer::new();
    f.push(&read("ncl.dat"));
    assert!(matches!(f.next(), Some(Err(_))));
    assert!(f.next().is_none());

    let names = [
        "wsinv.dat",
        "esc01.dat",
        "mpart01.dat",
        "unreason.dat",
        "longreq.dat",
        "transports.dat",
    ];
    let stream: Vec<u8> = names.iter().flat_map(|n| read(n)).collect();
    let mut f = StreamFramer::new();
    let mut got = Vec::new();
    for chunk in stream.chunks(37) {
        f.push(chunk);
        while let Some(r) = f.next() {
            got.push(r);
        }
    }
    assert_eq!(got.len(), names.len());
    for (name, r) in names.iter().zip(got) {
        let Ok(Framed::Message(m)) = r else {
            panic!("{name}: {r:?}")
        };
        assert_equivalent(name, &m, &parse_message(&read(name)).unwrap());
    }
}

/// Deterministic, bounded mutation of every file: truncations, byte replacements, deletions
/// and duplications. Nothing panics, and whatever parses also prints and re-parses.
#[test]
fn mutations_never_panic() {
    const REPLACEMENTS: &[u8] = &[
        0x00, 0xff, b' ', b'\r', b'\n', b':', b';', b'<', b'>', b'"', b'%', b',', b'\\', b'9',
    ];
    let mut checked = 0usize;
    for (name, _) in table() {
        let orig = read(name);
        let mut cases: Vec<Vec<u8>> = Vec::new();
        // Every position of the short files; long ones (longreq, mpart01) sampled evenly.
        let step = (orig.len() / 600).max(1);
        for i in (0..orig.len()).step_by(step) {
            cases.push(orig[..i].to_vec());
            let mut m = orig.clone();
            m[i] = REPLACEMENTS[i % REPLACEMENTS.len()];
            cases.push(m);
            if i % 3 == 0 {
                let mut del = orig.clone();
                del.remove(i);
                cases.push(del);
            } else if i % 3 == 1 {
                let mut dup = orig.clone();
                dup.insert(i, orig[i]);
                cases.push(dup);
            }
        }
        for case in &cases {
            exercise(case);
        }
        // The whole file through a stream, byte by byte.
        let mut f = StreamFramer::new();
        for b in &orig {
            f.push(std::slice::from_ref(b));
            while f.next().is_some() {}
        }
        checked += cases.len();
    }
    assert!(checked > 30_000, "{checked}");
}

fn exercise(bytes: &[u8]) {
    match parse_message(bytes) {
        Ok(msg) => {
            let printed = msg.to_bytes();
            let again = parse_message(&printed).unwrap_or_else(|e| {
                panic!(
                    "printed message does not re-parse: {e}\n{:?}\n{:?}",
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(&printed)
                )
            });
            assert_eq!(again.to_bytes(), printed);
            let h = msg.headers();
            let _ = (
                h.vias(),
                h.from_header(),
                h.to_header(),
                h.contacts(),
                h.cseq(),
                h.expires(),
                h.max_forwards(),
            );
            if let Some(ct) = h.get(&HeaderName::ContentType) {
                let _ = multipart::split(ct, msg.body());
            }
            if let Message::Request(r) = &msg {
                if let Err(rej) = check_request(r) {
                    let _ = rej.to_response(r).to_bytes();
                }
                let _ = sip::Response::for_request(r, 200, "").to_bytes();
            }
        }
        Err(e) => {
            let _ = e.status_code();
            if let Some(resp) = sip::error_response(bytes, &e) {
                let _ = resp.to_bytes();
            }
        }
    }
    let mut f = StreamFramer::new();
    f.push(bytes);
    f.push(b"\r\n\r\n");
    for _ in 0..4 {
        if f.next().is_none() {
            break;
        }
    }
}

#[test]
fn error_kinds() {
    let e = parse_message(&read("badvers.dat")).unwrap_err();
    assert!(matches!(e, ParseError::Version(_)));
    let e = parse_message(&read("bigcode.dat")).unwrap_err();
    assert!(matches!(e, ParseError::Response(_)));
}
