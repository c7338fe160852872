//! The SRTP crypto suites an SDES `a=crypto` line can name, as far as `rtc-srtp` implements
//! them.

use std::fmt;

use rtc_srtp::protection_profile::ProtectionProfile;

/// An SDES crypto suite: RFC 4568 §6.2 (AES_CM_128_*), RFC 6188 (AES_256_CM_*), RFC 7714
/// (AEAD_AES_*_GCM). F8 and AES-192 suites are not implemented by `rtc-srtp`, so they parse
/// as `SrtpError::Unsupported`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CryptoSuite {
    AesCm128HmacSha1_80,
    AesCm128HmacSha1_32,
    Aes256CmHmacSha1_80,
    Aes256CmHmacSha1_32,
    AeadAes128Gcm,
    AeadAes256Gcm,
}

impl CryptoSuite {
    /// Every suite, in the order we would offer them: AES_CM_128_HMAC_SHA1_80 first because
    /// it is the one every SDES peer (baresip, Asterisk, FreeSWITCH, phones) implements.
    pub const ALL: [CryptoSuite; 6] = [
        CryptoSuite::AesCm128HmacSha1_80,
        CryptoSuite::AesCm128HmacSha1_32,
        CryptoSuite::Aes256CmHmacSha1_80,
        CryptoSuite::Aes256CmHmacSha1_32,
        CryptoSuite::AeadAes128Gcm,
        CryptoSuite::AeadAes256Gcm,
    ];

    /// The name on the `a=crypto` line.
    pub fn name(self) -> &'static str {
        match self {
            CryptoSuite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            CryptoSuite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            CryptoSuite::Aes256CmHmacSha1_80 => "AES_256_CM_HMAC_SHA1_80",
            CryptoSuite::Aes256CmHmacSha1_32 => "AES_256_CM_HMAC_SHA1_32",
            CryptoSuite::AeadAes128Gcm => "AEAD_AES_128_GCM",
            CryptoSuite::AeadAes256Gcm => "AEAD_AES_256_GCM",
        }
    }

    /// Case-insensitive: the grammar says the names are case-sensitive, but accepting
    /// `aes_cm_128_hmac_sha1_80` costs nothing and some phones send it.
    pub fn from_name(name: &str) -> Option<CryptoSuite> {
        CryptoSuite::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }

    pub fn key_len(self) -> usize {
        self.profile().key_len()
    }

    pub fn salt_len(self) -> usize {
        self.profile().salt_len()
    }

    /// Bytes in the `inline:` key material: master key followed by master salt.
    pub fn key_salt_len(self) -> usize {
        self.key_len() + self.salt_len()
    }

    /// Bytes an SRTP packet grows by (the RTP auth tag, or the GCM tag).
    pub fn rtp_overhead(self) -> usize {
        let p = self.profile();
        p.rtp_auth_tag_len() + p.aead_auth_tag_len()
    }

    /// Whether the SRTCP auth tag is an HMAC after the E|index word (as opposed to a GCM tag
    /// inside the authenticated data).
    pub(crate) fn is_hmac(self) -> bool {
        self.profile().auth_key_len() > 0
    }

    pub(crate) fn profile(self) -> ProtectionProfile {
        match self {
            CryptoSuite::AesCm128HmacSha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
            CryptoSuite::AesCm128HmacSha1_32 => ProtectionProfile::Aes128CmHmacSha1_32,
            CryptoSuite::Aes256CmHmacSha1_80 => ProtectionProfile::Aes256CmHmacSha1_80,
            CryptoSuite::Aes256CmHmacSha1_32 => ProtectionProfile::Aes256CmHmacSha1_32,
            CryptoSuite::AeadAes128Gcm => ProtectionProfile::AeadAes128Gcm,
            CryptoSuite::AeadAes256Gcm => ProtectionProfile::AeadAes256Gcm,
        }
    }
}

impl fmt::Display for CryptoSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
