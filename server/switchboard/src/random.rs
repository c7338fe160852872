//! Random strings from the thread-local CSPRNG: SIP identifiers and phone passwords differ
//! only in alphabet and length.

use rand::Rng;

/// For tags, branches and Call-IDs: lower-case letters and digits.
const TOKEN_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// For passwords people may have to type: no look-alikes (0/O, 1/l/I).
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| {
            let i = rng.random_range(0..alphabet.len());
            char::from(alphabet.get(i).copied().unwrap_or(b'x'))
        })
        .collect()
}

/// A random token for tags, branches and Call-IDs.
pub fn token(len: usize) -> String {
    random_string(TOKEN_ALPHABET, len)
}

/// A SIP password for a phone: 20 characters (about 115 bits), typed rarely and pasted mostly.
pub fn secret() -> String {
    random_string(SECRET_ALPHABET, 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_use_their_alphabet_and_differ() {
        let a = token(12);
        assert_eq!(a.len(), 12);
        assert!(a.bytes().all(|b| TOKEN_ALPHABET.contains(&b)));
        assert_ne!(a, token(12));
    }

    #[test]
    fn secrets_avoid_look_alikes() {
        let s = secret();
        assert_eq!(s.len(), 20);
        assert!(!s.contains(['0', 'O', '1', 'l', 'I']));
    }
}
