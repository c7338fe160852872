//! Parse and print a typical INVITE (with SDP) and a REGISTER. Target: INVITE parse < 3 µs.
//! Run: cargo bench -p sip --bench parse -- --warm-up-time 1 --measurement-time 3

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sip::parse_message;

const INVITE: &[u8] = b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;rport\r\n\
Max-Forwards: 70\r\n\
From: \"Alice\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@client.atlanta.example.com;transport=udp>\r\n\
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY\r\n\
Supported: replaces, timer, 100rel\r\n\
User-Agent: Switchboard-bench/0.1\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 228\r\n\
\r\n\
v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com\r\n\
s=-\r\n\
c=IN IP4 192.0.2.101\r\n\
t=0 0\r\n\
m=audio 49172 RTP/AVP 0 8 9 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=sendrecv\r\n";

const REGISTER: &[u8] = b"REGISTER sip:pbx.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.33:5060;branch=z9hG4bKnashds7;rport\r\n\
Max-Forwards: 70\r\n\
From: <sip:1001@pbx.example.com>;tag=a73kszlfl\r\n\
To: <sip:1001@pbx.example.com>\r\n\
Call-ID: 1j9FpLxk3uxtm8tn@192.0.2.33\r\n\
CSeq: 2 REGISTER\r\n\
Contact: <sip:1001@192.0.2.33:5060;ob>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";reg-id=1;expires=3600\r\n\
Authorization: Digest username=\"1001\", realm=\"pbx.example.com\", nonce=\"ea9c8e88df84f1cec4341ae6cbe5a359\", uri=\"sip:pbx.example.com\", response=\"dfe56131d1958046689d83306477ecc\", algorithm=SHA-256, cnonce=\"0a4f113b\", nc=00000001, qop=auth\r\n\
Expires: 3600\r\n\
User-Agent: Switchboard-bench/0.1\r\n\
Content-Length: 0\r\n\
\r\n";

fn bench(c: &mut Criterion) {
    for (name, bytes) in [("invite", INVITE), ("register", REGISTER)] {
        let msg = match parse_message(bytes) {
            Ok(m) => m,
            Err(e) => panic!("bench message does not parse: {e}"),
        };
        c.bench_function(&format!("parse {name}"), |b| {
            b.iter(|| parse_message(black_box(bytes)))
        });
        c.bench_function(&format!("print {name}"), |b| {
            b.iter(|| black_box(&msg).to_bytes())
        });
        c.bench_function(&format!("parse+typed {name}"), |b| {
            b.iter(|| {
                let m = parse_message(black_box(bytes)).ok()?;
                let h = m.headers();
                Some((
                    h.top_via().ok()?,
                    h.cseq().ok()?,
                    h.from_header().ok()?,
                    h.to_header().ok()?,
                    h.contacts().ok()?,
                ))
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
