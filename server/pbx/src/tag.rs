//! To tags for the responses we generate (RFC 3261 §8.2.6.2), for the registrar, OPTIONS
//! and everything else the endpoint answers.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::OnceLock;

use sip::{HeaderName, Response};

/// Adds a To tag to a response other than 100 unless its To has one.
///
/// The tag is a per-process keyed SipHash of the response's Call-ID and CSeq (copied from the
/// request), so a retransmitted request gets the same tag even when answered statelessly, and
/// it is unpredictable without the process's random key (§19.3 wants 32 random bits; this has
/// 64). A cryptographic hash bought nothing here and cost a SHA-256 per answer.
pub fn add_to_tag(resp: &mut Response) {
    if resp.status <= 100 {
        return;
    }
    let Some(to) = resp.headers.get(&HeaderName::To) else {
        return;
    };
    let tagged = match textual_tag(to) {
        Some(tagged) => tagged,
        None => resp.to_tag().is_some(),
    };
    if tagged {
        return;
    }
    let mut h = tag_hasher().build_hasher();
    h.write(
        resp.headers
            .get(&HeaderName::CallId)
            .unwrap_or_default()
            .as_bytes(),
    );
    // Separator: Call-ID "a1" + CSeq "2 X" must not hash like "a" + "12 X".
    h.write_u8(b'\n');
    h.write(
        resp.headers
            .get(&HeaderName::CSeq)
            .unwrap_or_default()
            .as_bytes(),
    );
    let mut buf = [0u8; 16];
    let tag = sip::hexfmt::encode_u64(h.finish(), &mut buf);
    // Fails only when the To header is malformed; the response then goes out without a tag.
    let _ = resp.set_to_tag(tag);
}

/// The per-process SipHash key, drawn once.
fn tag_hasher() -> &'static RandomState {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    KEY.get_or_init(RandomState::new)
}

/// Whether a `<uri>;params` To value has a non-empty `tag` parameter, read from the text
/// without parsing the URI; None when the value has another shape (quotes, no angle
/// brackets), for `Response::to_tag` to decide. Only a malformed To could make the two
/// disagree, and tagging one fails either way. Saves a To parse per response, since the
/// endpoint checks again responses the registrar has already tagged.
fn textual_tag(to: &str) -> Option<bool> {
    if to.contains('"') {
        return None;
    }
    let open = to.find('<')?;
    let close = open + to.get(open..)?.find('>')?;
    let params = to.get(close + 1..)?;
    Some(params.split(';').skip(1).any(|p| {
        let (name, value) = p.split_once('=').unwrap_or((p, ""));
        name.trim().eq_ignore_ascii_case("tag") && !value.trim().is_empty()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip::Message;

    fn response(to: &str, call_id: &str) -> Response {
        let text = format!(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=f\r\n\
             To: {to}\r\nCall-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        match sip::parse_message(text.as_bytes()) {
            Ok(Message::Response(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn same_request_same_tag_other_request_other_tag() {
        let tag = |call_id| {
            let mut r = response("<sip:a@h>", call_id);
            add_to_tag(&mut r);
            r.to_tag()
        };
        let first = tag("c1").unwrap_or_default();
        assert_eq!(first.len(), 16);
        assert_eq!(Some(first.clone()), tag("c1"));
        assert_ne!(Some(first), tag("c2"));
    }

    #[test]
    fn an_existing_tag_is_kept() {
        for to in ["<sip:a@h>;tag=x", "\"A\" <sip:a@h>;tag=x", "sip:a@h;tag=x"] {
            let mut r = response(to, "c1");
            add_to_tag(&mut r);
            assert_eq!(r.to_tag().as_deref(), Some("x"), "{to}");
        }
    }

    #[test]
    fn to_tags_are_read_from_the_text() {
        for (to, want) in [
            ("<sip:a@h>", Some(false)),
            ("<sip:a@h;tag=x>", Some(false)),
            ("Bob <sip:a@h> ; TAG = abc", Some(true)),
            ("<sip:a@h>;x=1;tag=9f", Some(true)),
            ("\"B<o>b\" <sip:a@h>;tag=1", None),
            ("sip:a@h;tag=1", None),
        ] {
            assert_eq!(textual_tag(to), want, "{to}");
            if let Some(tagged) = want {
                assert_eq!(response(to, "c").to_tag().is_some(), tagged, "{to}");
            }
        }
    }
}
