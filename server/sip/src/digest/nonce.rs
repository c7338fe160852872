//! Stateless nonces: `hex(issued_secs ‖ salt ‖ HMAC-SHA256(key, issued_secs ‖ salt)[..16])`.
//! The registrar learns from the nonce alone that it minted it and when, so it needs no table
//! of outstanding challenges (and a restart with the same key keeps clients' nonces valid).
//! Replay of a nonce-count within a nonce's lifetime is tracked by the registrar.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

const TAG_LEN: usize = 16;
const RAW_LEN: usize = 8 + 8 + TAG_LEN;

/// Mints and checks nonces with a server secret. Keep the key secret and stable across nodes
/// that share registrations.
#[derive(Clone)]
pub struct NonceMint {
    pub key: [u8; 32],
    /// HMAC state with the key already absorbed: cloning it skips the key setup (two SHA-256
    /// block compressions) that `new_from_slice` does on every mint and check.
    prepared: Hmac<Sha256>,
}

impl std::fmt::Debug for NonceMint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NonceMint { key: <secret> }")
    }
}

/// What a nonce from a client's credentials turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceStatus {
    /// Minted by us, issued at `issued` (unix seconds) and not older than the maximum age.
    Valid { issued: u64 },
    /// Minted by us but too old: challenge again with `stale=TRUE` (no password prompt).
    Stale,
    /// Not ours (forged, truncated, another key).
    Invalid,
}

impl NonceMint {
    pub fn new(key: [u8; 32]) -> Self {
        // HMAC pads a key shorter than the block with zeros (RFC 2104), so the 32-byte key
        // padded to SHA-256's 64-byte block is the same key, and this form cannot fail.
        let mut block = [0u8; 64];
        for (b, k) in block.iter_mut().zip(key.iter()) {
            *b = *k;
        }
        let prepared = <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into());
        NonceMint { key, prepared }
    }

    /// A fresh nonce for a challenge at `now_secs` (unix seconds): 64 lower-case hex digits.
    pub fn mint(&self, now_secs: u64) -> String {
        let mut raw = [0u8; RAW_LEN];
        let (head, tag) = raw.split_at_mut(16);
        let (ts, salt) = head.split_at_mut(8);
        ts.copy_from_slice(&now_secs.to_be_bytes());
        salt.copy_from_slice(&unique_salt().to_be_bytes());
        let full = self.mac(head).finalize().into_bytes();
        for (t, m) in tag.iter_mut().zip(full.iter()) {
            *t = *m;
        }
        crate::hexfmt::encode(&raw)
    }

    /// Checks a nonce that came back in credentials: ours and at most `max_age_secs` old?
    /// The MAC comparison is constant-time.
    pub fn check(&self, nonce: &str, now_secs: u64, max_age_secs: u64) -> NonceStatus {
        let mut raw = [0u8; RAW_LEN];
        if hex::decode_to_slice(nonce, &mut raw).is_err() {
            return NonceStatus::Invalid;
        }
        let (head, tag) = raw.split_at(16);
        if self.mac(head).verify_truncated_left(tag).is_err() {
            return NonceStatus::Invalid;
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(head.get(..8).unwrap_or(&[0; 8]));
        let issued = u64::from_be_bytes(ts);
        // A nonce "from the future" means the wall clock stepped back; it is still ours.
        if now_secs.saturating_sub(issued) > max_age_secs {
            NonceStatus::Stale
        } else {
            NonceStatus::Valid { issued }
        }
    }

    fn mac(&self, data: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.prepared.clone();
        mac.update(data);
        mac
    }
}

/// 64 bits that differ per call and per process: SipHash of a counter under the std library's
/// randomly seeded key. Not a CSPRNG, and it need not be: the HMAC makes nonces unforgeable;
/// the salt only makes two nonces of the same second distinct (nonce-count tracking is per
/// nonce) and unpredictable across restarts.
fn unique_salt() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(n);
    h.finish()
}
