//! Callers prove who they are the same way phones do when they register, with the proxy
//! flavour of digest (407 Proxy-Authenticate / Proxy-Authorization, RFC 3261 §22.3). The
//! extension that answers the challenge is the caller: the From header is not trusted, so no
//! one can place a call as someone else.

use sip::{Request, Response};

use crate::ports::{Directory, Extension};
use crate::registrar::auth::{Asker, Authenticator};

#[derive(Debug)]
pub struct CallAuthenticator(Authenticator);

impl CallAuthenticator {
    /// `realm` is the SIP domain; nonces are keyed by `key` and last `max_age` seconds.
    /// `sha256_first` and `sha256` as in `RegistrarConfig`.
    pub fn new(realm: &str, key: [u8; 32], max_age: u64, sha256_first: bool, sha256: bool) -> Self {
        CallAuthenticator(Authenticator::new(
            Asker::Proxy,
            realm,
            key,
            max_age,
            sha256_first,
            sha256,
        ))
    }

    /// The 407 for an INVITE without credentials: needs no lookup, so the caller of a
    /// fresh INVITE can answer it at once.
    pub fn challenge(&self, req: &Request, now_unix: u64) -> Response {
        self.0.challenge(now_unix, false).into_response(req)
    }

    /// The calling extension, or the response to send: 407 with a challenge, 403 for any
    /// failure (the same for an unknown user and a wrong password), 400, 500.
    pub async fn authenticate<D: Directory>(
        &self,
        req: &Request,
        directory: &D,
        now_unix: u64,
    ) -> Result<Extension, Response> {
        self.0
            .authenticate(req, directory, now_unix)
            .await
            .map_err(|reject| reject.into_response(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryDirectory;
    use sip::HeaderName;

    fn invite(extra: &str) -> Request {
        let text = format!(
            "INVITE sip:1002@pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
Max-Forwards: 70\r\nFrom: <sip:1001@pbx.test>;tag=1\r\nTo: <sip:1002@pbx.test>\r\n\
Call-ID: c1\r\nCSeq: 1 INVITE\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        match sip::parse_message(text.as_bytes()) {
            Ok(sip::Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn an_invite_without_credentials_gets_a_proxy_challenge() {
        let directory = MemoryDirectory::default();
        let auth = CallAuthenticator::new("pbx.test", [7; 32], 300, false, true);
        let resp = auth
            .authenticate(&invite(""), &directory, 1000)
            .await
            .err()
            .unwrap_or_else(|| panic!("no challenge"));
        assert_eq!(resp.status, 407);
        let challenges: Vec<_> = resp
            .headers
            .get_all(&HeaderName::ProxyAuthenticate)
            .collect();
        assert_eq!(challenges.len(), 2);
        assert!(challenges[0].contains("MD5"), "{challenges:?}");
        assert!(!resp.headers.contains(&HeaderName::WwwAuthenticate));
    }

    #[tokio::test]
    async fn a_correct_answer_names_the_extension_and_a_wrong_one_gets_403() {
        let directory = MemoryDirectory::new().with("1001", "s3cret");
        let auth = CallAuthenticator::new("pbx.test", [7; 32], 300, false, true);
        let challenge = auth
            .authenticate(&invite(""), &directory, 1000)
            .await
            .err()
            .unwrap_or_else(|| panic!("no challenge"));
        let header = challenge
            .headers
            .get(&HeaderName::ProxyAuthenticate)
            .unwrap_or_default()
            .to_owned();
        let parsed = sip::digest::Challenge::parse(&header).unwrap_or_else(|e| panic!("{e}"));
        for (secret, ok) in [("s3cret", true), ("wrong", false)] {
            let creds = sip::digest::Credentials::answer(
                &parsed,
                "1001",
                secret,
                "INVITE",
                "sip:1002@pbx.test",
                "abcdef",
                1,
            );
            let req = invite(&format!("Proxy-Authorization: {creds}\r\n"));
            let got = auth.authenticate(&req, &directory, 1001).await;
            match (got, ok) {
                (Ok(ext), true) => assert_eq!(ext.number, "1001"),
                (Err(resp), false) => assert_eq!(resp.status, 403),
                (other, _) => panic!("{secret}: {other:?}"),
            }
        }
    }
}
