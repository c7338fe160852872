//! A byte stream cut into chunks at fuzzer-chosen places: framing must not panic, must not
//! buffer past the message limit, and must give the same frames however the bytes are cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip::{MAX_MESSAGE_SIZE, StreamFramer};

fuzz_target!(|data: &[u8]| {
    // First byte: chunk size; the rest: the stream.
    let Some((&chunk, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut whole = StreamFramer::new();
    whole.push(stream);
    let mut expected = Vec::new();
    while let Some(f) = whole.next() {
        expected.push(f);
    }
    let mut pieces = StreamFramer::new();
    let mut got = Vec::new();
    for c in stream.chunks(chunk) {
        pieces.push(c);
        while let Some(f) = pieces.next() {
            got.push(f);
        }
        assert!(pieces.buffered() <= MAX_MESSAGE_SIZE + chunk);
    }
    // Cutting may only delay frames (a CRLF at the end waits to see whether it is a ping).
    // Which fatal error ends the stream may differ (too many headers vs too large), not
    // where it ends.
    let ok = |v: &[Result<sip::Framed, sip::ParseError>]| {
        v.iter()
            .map(|r| r.as_ref().ok().cloned())
            .collect::<Vec<_>>()
    };
    let (got, expected) = (ok(&got), ok(&expected));
    assert!(got.len() <= expected.len());
    assert_eq!(got[..], expected[..got.len()]);
});
