//! Digest authentication of REGISTER and INVITE (RFC 3261 §22, RFC 7616, RFC 8760): one challenge
//! offering SHA-256 and MD5 with `qop="auth"`, self-validating nonces with a lifetime
//! (`stale=true` when a correct answer used an expired one), nonce-count replay refused.
//!
//! What a scanner can learn is nothing: the challenge does not depend on the username, every
//! failure is the same 403, and an unknown user costs the same hashing as a known one (an
//! HA1 of a dummy secret is computed and checked).

use sip::digest::{self, Algorithm, Challenge, Credentials, DigestError, NonceMint, NonceStatus};
use sip::{HeaderName, Request};

use crate::ports::{Directory, Extension};

use super::reject::Reject;
use super::replay::{self, NonceCounts};

/// Who asks: the registrar (401, WWW-Authenticate / Authorization) or the call server acting
/// as a proxy for the caller (407, Proxy-Authenticate / Proxy-Authorization, RFC 3261 §22.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asker {
    Registrar,
    Proxy,
}

#[derive(Debug)]
pub(crate) struct Authenticator {
    asker: Asker,
    mint: NonceMint,
    counts: NonceCounts,
    realm: String,
    max_age: u64,
    sha256_first: bool,
    /// Offer SHA-256 at all (some phones refuse a challenge set that names an algorithm
    /// they lack instead of picking the MD5 one).
    sha256: bool,
    /// Hashed for unknown users so they take as long as known ones.
    dummy_secret: String,
}

impl Authenticator {
    pub fn new(
        asker: Asker,
        realm: &str,
        key: [u8; 32],
        max_age: u64,
        sha256_first: bool,
        sha256: bool,
    ) -> Authenticator {
        let mint = NonceMint::new(key);
        // Not a secret that protects anything (nobody can register as an unknown user); it
        // only has to look like a password to the hash.
        let dummy_secret = mint.mint(0);
        Authenticator {
            asker,
            mint,
            counts: NonceCounts::new(replay::DEFAULT_CAPACITY),
            realm: realm.to_owned(),
            max_age,
            sha256_first,
            sha256,
            dummy_secret,
        }
    }

    /// The extension the request authenticates as, or the 401/403/400 to answer.
    pub async fn authenticate<D: Directory>(
        &self,
        req: &Request,
        directory: &D,
        now: u64,
    ) -> Result<Extension, Reject> {
        let Some(creds) = self.credentials(req)? else {
            return Err(self.challenge(now, false));
        };
        let status = self.mint.check(&creds.nonce, now, self.max_age);
        if status == NonceStatus::Invalid {
            // Not our nonce (another key, a restart with a new key, garbage): a fresh
            // challenge, as if no credentials had come.
            return Err(self.challenge(now, false));
        }
        let extension = directory.extension(&creds.username).await.map_err(|e| {
            tracing::warn!(error = %e, "registrar: directory lookup failed");
            Reject::server_error()
        })?;
        let secret = extension
            .as_ref()
            .map_or(self.dummy_secret.as_str(), |e| e.sip_secret.as_str());
        let ha1 = digest::ha1(creds.algorithm, &creds.username, &self.realm, secret);
        let answered = digest::verify(&creds, req.method.as_str(), &ha1);
        // We challenge with qop=auth only; an answer without it (RFC 2069) has no
        // nonce-count, so replays could not be told apart.
        let with_qop = creds
            .qop
            .as_deref()
            .is_some_and(|q| q.eq_ignore_ascii_case("auth"));
        let Some(extension) = extension.filter(|_| answered && with_qop) else {
            return Err(Reject::forbidden());
        };
        match status {
            NonceStatus::Valid { issued } => {
                let nc = creds.nc.unwrap_or(0);
                if self
                    .counts
                    .accept(&creds.nonce, issued, nc, now, self.max_age)
                {
                    Ok(extension)
                } else {
                    // A replayed (or forgotten) nonce-count: the client knows the password
                    // if this is not a replay, so let it retry at once with a new nonce.
                    Err(self.challenge(now, true))
                }
            }
            NonceStatus::Stale | NonceStatus::Invalid => Err(self.challenge(now, true)),
        }
    }

    /// The credentials for our realm, if any. Credentials for other realms and other schemes
    /// are not ours to judge; broken Digest syntax is a 400.
    fn credentials(&self, req: &Request) -> Result<Option<Credentials>, Reject> {
        let header = match self.asker {
            Asker::Registrar => HeaderName::Authorization,
            Asker::Proxy => HeaderName::ProxyAuthorization,
        };
        for value in req.headers.fields(&header) {
            match Credentials::parse(value) {
                Ok(c) if c.realm == self.realm => return Ok(Some(c)),
                Ok(_)
                | Err(DigestError::UnknownScheme(_))
                | Err(DigestError::UnsupportedAlgorithm(_))
                | Err(DigestError::UnsupportedQop(_)) => {}
                Err(_) => return Err(Reject::bad_request("Malformed Credentials")),
            }
        }
        Ok(None)
    }

    /// 401 with one WWW-Authenticate per algorithm sharing one nonce, the preferred first
    /// (RFC 8760 §2.4: a client takes the first it supports).
    pub fn challenge(&self, now: u64, stale: bool) -> Reject {
        let nonce = self.mint.mint(now);
        let order = if self.sha256_first {
            [Algorithm::Sha256, Algorithm::Md5]
        } else {
            [Algorithm::Md5, Algorithm::Sha256]
        };
        let (mut reject, header) = match self.asker {
            Asker::Registrar => (
                Reject::new(401, "Unauthorized"),
                HeaderName::WwwAuthenticate,
            ),
            Asker::Proxy => (
                Reject::new(407, "Proxy Authentication Required"),
                HeaderName::ProxyAuthenticate,
            ),
        };
        for algorithm in order {
            if algorithm == Algorithm::Sha256 && !self.sha256 {
                continue;
            }
            let mut challenge = Challenge::new(self.realm.as_str(), nonce.as_str(), algorithm);
            challenge.stale = stale;
            reject = reject.with(header.clone(), challenge.to_string());
        }
        reject
    }
}
