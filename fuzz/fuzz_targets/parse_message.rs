//! Any datagram: parse must not panic; whatever parses prints, and the print re-parses to a
//! message that prints the same (the printer never emits what the parser refuses).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip::{HeaderName, Message, parse_message, validate};

fuzz_target!(|data: &[u8]| {
    match parse_message(data) {
        Ok(msg) => {
            let printed = msg.to_bytes();
            match parse_message(&printed) {
                Ok(again) => assert_eq!(again.to_bytes(), printed),
                Err(e) => panic!("printed message does not re-parse: {e}"),
            }
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
                let _ = sip::multipart::split(ct, msg.body());
            }
            if let Message::Request(r) = &msg {
                if let Err(rej) = validate::check_request(r) {
                    let _ = rej.to_response(r).to_bytes();
                }
            }
        }
        Err(e) => {
            let _ = e.status_code();
            let _ = sip::error_response(data, &e).map(|r| r.to_bytes());
        }
    }
});
