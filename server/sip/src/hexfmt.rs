//! Lower-case hex for the hot path (nonces, digests, tags): a byte at a time through a
//! table into a buffer sized up front. The `hex` crate's `encode` pushes char by char
//! through an iterator, which showed up in REGISTER profiles.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lower-case hex.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 0xf));
    }
    // Only ASCII digits went in.
    String::from_utf8(out).unwrap_or_default()
}

/// `n` as 16 lower-case hex digits (big-endian), written into `buf`.
pub fn encode_u64(n: u64, buf: &mut [u8; 16]) -> &str {
    for (i, b) in n.to_be_bytes().iter().enumerate() {
        if let Some(pair) = buf.get_mut(2 * i..2 * i + 2) {
            pair.copy_from_slice(&[digit(b >> 4), digit(b & 0xf)]);
        }
    }
    std::str::from_utf8(buf).unwrap_or_default()
}

fn digit(nibble: u8) -> u8 {
    DIGITS
        .get(usize::from(nibble & 0xf))
        .copied()
        .unwrap_or(b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_hex_crate() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(encode(&bytes), hex::encode(&bytes));
        assert_eq!(encode(&[]), "");
        let mut buf = [0; 16];
        assert_eq!(
            encode_u64(0x0123_4567_89ab_cdef, &mut buf),
            "0123456789abcdef"
        );
        assert_eq!(encode_u64(u64::MAX, &mut buf), "ffffffffffffffff");
    }
}
