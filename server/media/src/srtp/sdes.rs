//! SDES key exchange (RFC 4568): the `a=crypto` attribute and the answerer's choice.

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::{CryptoSuite, SrtpError};

/// Padding is optional on input: 30-byte AES_CM_128 keys need none, and some stacks strip
/// the `==` of 46-byte AES-256 keys. We always print it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One `a=crypto:` line with a single inline key. Debug output hides the key.
#[derive(Clone, PartialEq, Eq)]
pub struct CryptoAttribute {
    pub tag: u32,
    pub suite: CryptoSuite,
    /// Master key followed by master salt (`suite.key_salt_len()` bytes).
    pub key_salt: Vec<u8>,
}

impl CryptoAttribute {
    /// Parses the value after `a=crypto:`:
    /// `TAG SUITE inline:KEY_SALT[|LIFETIME][|MKI:LEN] [session params]`.
    ///
    /// Liberal where it costs nothing (lifetime as `2^31` or decimal, which we do not enforce
    /// because every peer re-keys by re-INVITE long before 2^31 packets; unknown session
    /// parameters ignored; suite and `inline` in any case). Refused as `Unsupported`: unknown
    /// suites, MKI (`rtc-srtp` has no MKI field, and a peer that sets one puts MKI bytes in
    /// every packet), several keys, and the session parameters that change the transform
    /// (KDR, UNENCRYPTED_SRTP, UNENCRYPTED_SRTCP, UNAUTHENTICATED_SRTP).
    pub fn parse(value: &str) -> Result<CryptoAttribute, SrtpError> {
        let mut fields = value.split_ascii_whitespace();
        let (Some(tag), Some(suite), Some(key_params)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(invalid("need tag, suite and key parameters"));
        };
        let tag = parse_tag(tag)?;
        let suite = CryptoSuite::from_name(suite)
            .ok_or_else(|| SrtpError::Unsupported(format!("crypto suite {suite}")))?;
        for param in fields {
            check_session_param(param)?;
        }
        let key_salt = parse_key_params(key_params)?;
        if key_salt.len() != suite.key_salt_len() {
            return Err(invalid(&format!(
                "{suite} needs {} key and salt bytes, got {}",
                suite.key_salt_len(),
                key_salt.len()
            )));
        }
        Ok(CryptoAttribute {
            tag,
            suite,
            key_salt,
        })
    }

    /// `TAG SUITE inline:BASE64`, with no lifetime or MKI: the defaults are what we mean.
    pub fn to_value(&self) -> String {
        format!(
            "{} {} inline:{}",
            self.tag,
            self.suite.name(),
            BASE64.encode(&self.key_salt)
        )
    }

    /// A fresh key and salt from `random` (which must be a CSPRNG in production).
    pub fn generate(
        tag: u32,
        suite: CryptoSuite,
        random: &mut impl FnMut(&mut [u8]),
    ) -> CryptoAttribute {
        let mut key_salt = vec![0; suite.key_salt_len()];
        random(&mut key_salt);
        CryptoAttribute {
            tag,
            suite,
            key_salt,
        }
    }

    /// The master key part of `key_salt` (empty if the length is wrong).
    pub fn master_key(&self) -> &[u8] {
        self.key_salt
            .get(..self.suite.key_len())
            .unwrap_or_default()
    }

    /// The master salt part of `key_salt` (empty if the length is wrong).
    pub fn master_salt(&self) -> &[u8] {
        self.key_salt
            .get(self.suite.key_len()..self.suite.key_salt_len())
            .unwrap_or_default()
    }
}

impl fmt::Debug for CryptoAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CryptoAttribute")
            .field("tag", &self.tag)
            .field("suite", &self.suite)
            .field("key_salt", &format_args!("<{} bytes>", self.key_salt.len()))
            .finish()
    }
}

/// The answerer's side of RFC 4568 §7.1.2: the first offered attribute we can use (offer
/// order is the offerer's preference), and our answer to it with the same tag and suite and
/// a key of our own. `offered` holds the lines that parsed; the caller drops the others.
pub fn answer_crypto(
    offered: &[CryptoAttribute],
    random: &mut impl FnMut(&mut [u8]),
) -> Option<(CryptoAttribute, CryptoAttribute)> {
    let theirs = offered
        .iter()
        .find(|a| a.key_salt.len() == a.suite.key_salt_len())?;
    let ours = CryptoAttribute::generate(theirs.tag, theirs.suite, random);
    Some((theirs.clone(), ours))
}

fn invalid(why: &str) -> SrtpError {
    SrtpError::Invalid(why.to_owned())
}

fn unsupported(what: &str) -> SrtpError {
    SrtpError::Unsupported(what.to_owned())
}

/// `tag = 1*9DIGIT`.
fn parse_tag(tag: &str) -> Result<u32, SrtpError> {
    if tag.is_empty() || tag.len() > 9 || !tag.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("tag must be 1 to 9 digits"));
    }
    tag.parse()
        .map_err(|_| invalid("tag must be 1 to 9 digits"))
}

/// `key-params = key-param *(";" key-param)`, `key-param = "inline:" key-salt ["|" lifetime]
/// ["|" mki]`. Returns the decoded key and salt.
fn parse_key_params(params: &str) -> Result<Vec<u8>, SrtpError> {
    let mut keys = params.split(';').filter(|k| !k.is_empty());
    let key = keys.next().ok_or_else(|| invalid("no key parameter"))?;
    if keys.next().is_some() {
        return Err(unsupported("more than one key (needs MKI)"));
    }
    let (method, info) = key
        .split_once(':')
        .ok_or_else(|| invalid("key parameter is not method:info"))?;
    if !method.eq_ignore_ascii_case("inline") {
        return Err(unsupported("key method other than inline"));
    }
    let mut parts = info.split('|');
    let key_salt = parts.next().unwrap_or_default();
    let mut seen_lifetime = false;
    for part in parts {
        if part.contains(':') {
            return Err(unsupported("MKI"));
        }
        if seen_lifetime || !is_lifetime(part) {
            return Err(invalid("bad lifetime"));
        }
        seen_lifetime = true;
    }
    BASE64
        .decode(key_salt)
        .map_err(|e| invalid(&format!("key is not base64: {e}")))
}

/// `lifetime = ["2^"] 1*(DIGIT)`.
fn is_lifetime(s: &str) -> bool {
    let digits = s.strip_prefix("2^").unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Refuses the RFC 4568 §6.3 session parameters whose meaning we cannot honour; every other
/// parameter (WSH, FEC_ORDER, FEC_KEY, vendor ones) is advice we can ignore safely.
fn check_session_param(param: &str) -> Result<(), SrtpError> {
    let name = param.split('=').next().unwrap_or_default();
    const REFUSED: [&str; 4] = [
        // rtc-srtp derives session keys once (key derivation rate 0); any KDR=n means 2^n.
        "KDR",
        "UNENCRYPTED_SRTP",
        "UNENCRYPTED_SRTCP",
        "UNAUTHENTICATED_SRTP",
    ];
    match REFUSED.iter().find(|r| r.eq_ignore_ascii_case(name)) {
        Some(r) => Err(unsupported(&format!("session parameter {r}"))),
        None => Ok(()),
    }
}
