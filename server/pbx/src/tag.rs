//! To tags for the final responses we generate (RFC 3261 §8.2.6.2).

use sha2::{Digest, Sha256};
use sip::{HeaderName, Request, Response};

/// Adds a To tag unless the To has one: a keyed hash of Call-ID and CSeq, so it is
/// unpredictable without the key (§19.3 wants 32 random bits; this has 64) and a
/// retransmitted request gets the same tag even when answered statelessly.
pub(crate) fn add_to_tag(resp: &mut Response, req: &Request, key: &[u8; 32]) {
    if resp.to_tag().is_some() {
        return;
    }
    let mut h = Sha256::new();
    h.update(key);
    h.update(
        req.headers
            .get(&HeaderName::CallId)
            .unwrap_or_default()
            .as_bytes(),
    );
    h.update(b"\n");
    h.update(
        req.headers
            .get(&HeaderName::CSeq)
            .unwrap_or_default()
            .as_bytes(),
    );
    let digest = h.finalize();
    let tag = hex::encode(digest.get(..8).unwrap_or_default());
    // Fails only when the To header is malformed; the response then goes out without a tag.
    let _ = resp.set_to_tag(&tag);
}
