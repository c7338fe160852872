//! Web login passwords: argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane), stored
//! as PHC strings. Hashing costs tens of milliseconds of CPU, so async callers go through
//! [`hash`] / [`verify`], which run it on tokio's blocking pool instead of a worker thread.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Shortest password accepted (NIST SP 800-63B asks for at least 8; we ask a little more).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted: long enough for any passphrase, short enough that nobody makes
/// the server hash megabytes.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Why a password could not be hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// The password breaks the rule; the message says which part.
    #[error("{0}")]
    Weak(String),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// A hash that no password matches (its output is all zeros), with the same parameters as
/// real ones: logins for unknown users verify against it so they take as long as logins
/// with a wrong password, and the answer time does not reveal which names exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$\
    c3dpdGNoYm9hcmQtZHVtbXk$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn argon2() -> Result<Argon2<'static>, PasswordError> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks the password rule: [`MIN_PASSWORD_CHARS`] to [`MAX_PASSWORD_CHARS`] characters.
pub fn check_rule(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::Weak(format!(
            "The password must have at least {MIN_PASSWORD_CHARS} characters."
        )));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordError::Weak(format!(
            "The password must have at most {MAX_PASSWORD_CHARS} characters."
        )));
    }
    Ok(())
}

/// Checks the rule and hashes on the calling thread (the CLI, and `spawn_blocking` tasks).
pub fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    check_rule(password)?;
    let hash = argon2()?
        .hash_password(password.as_bytes())
        .map_err(|e| PasswordError::Hashing(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash`. A malformed stored hash is a mismatch
/// (logged), never a panic. `None` verifies against the dummy hash and returns false.
pub fn verify_blocking(password: &str, hash: Option<&str>) -> bool {
    let stored = hash.unwrap_or(DUMMY_HASH);
    // The parameters come from the stored string; this instance only supplies the code.
    match argon2() {
        Ok(a) => match a.verify_password(password.as_bytes(), stored) {
            Ok(()) => hash.is_some(),
            Err(argon2::password_hash::Error::PasswordInvalid) => false,
            Err(e) => {
                tracing::warn!("unusable password hash: {e}");
                false
            }
        },
        Err(e) => {
            tracing::warn!("{e}");
            false
        }
    }
}

/// [`hash_blocking`] on the blocking pool.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| PasswordError::Hashing(e.to_string()))?
}

/// [`verify_blocking`] on the blocking pool (false if the task died).
pub async fn verify(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify_blocking(&password, hash.as_deref()))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_owasp_parameters() {
        let h = hash_blocking("a long enough password").unwrap_or_default();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("a long enough password", Some(&h)));
        assert!(!verify_blocking("a long enough passworD", Some(&h)));
    }

    #[test]
    fn short_and_huge_passwords_are_refused_with_a_reason() {
        let short = hash_blocking("123456789");
        assert!(matches!(&short, Err(PasswordError::Weak(m)) if m.contains("at least 10")));
        assert!(hash_blocking(&"x".repeat(257)).is_err());
        // Characters, not bytes: ten accented letters are enough.
        assert!(check_rule("éééééééééé").is_ok());
    }

    #[test]
    fn the_dummy_hash_parses_and_matches_nothing() {
        // A parse error would return at once and make unknown users answer faster.
        assert!(argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH).is_ok());
        // Same algorithm and cost as real hashes, so verifying against it takes as long.
        let real = hash_blocking("a long enough password").unwrap_or_default();
        let params = |h: &str| h.split('$').take(4).collect::<Vec<_>>().join("$");
        assert_eq!(params(DUMMY_HASH), params(&real));
        assert!(!verify_blocking("", None));
        assert!(!verify_blocking("anything at all", None));
        assert!(!verify_blocking("x", Some("not a hash")));
    }
}
