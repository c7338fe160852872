use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{CryptoAttribute, CryptoSuite, SrtpError, answer_crypto};

/// RFC 4568 §10's example key (30 bytes), also what baresip and Asterisk lines look like.
const KEY_30: &str = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

fn counter(start: u8) -> impl FnMut(&mut [u8]) {
    let mut next = start;
    move |buf: &mut [u8]| {
        for b in buf {
            *b = next;
            next = next.wrapping_add(1);
        }
    }
}

#[derive(Debug, PartialEq)]
enum Want {
    /// Parses to this tag and suite, and prints back as this exact value.
    Ok(u32, CryptoSuite, &'static str),
    Unsupported,
    Invalid,
}

#[test]
fn parse_table() {
    use CryptoSuite::*;
    let b64_28 = STANDARD.encode([7u8; 28]);
    let b64_30 = STANDARD.encode([7u8; 30]);
    let b64_46 = STANDARD.encode((0u8..46).collect::<Vec<_>>());
    let b64_46_nopad = b64_46.trim_end_matches('=').to_owned();
    let b64_44 = STANDARD.encode([9u8; 44]);
    let rows: Vec<(String, Want)> = vec![
        // baresip (src/srtp: "%u %s inline:%s") and Asterisk (res_sdp_srtp): no lifetime.
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}"),
            Want::Ok(1, AesCm128HmacSha1_80, "AES_CM_128_HMAC_SHA1_80"),
        ),
        (
            format!("2 AES_CM_128_HMAC_SHA1_32 inline:{KEY_30}"),
            Want::Ok(2, AesCm128HmacSha1_32, "AES_CM_128_HMAC_SHA1_32"),
        ),
        // Polycom / Cisco style lifetimes, power of two or decimal, with extra spaces.
        (
            format!("1  AES_CM_128_HMAC_SHA1_80   inline:{KEY_30}|2^31"),
            Want::Ok(1, AesCm128HmacSha1_80, "AES_CM_128_HMAC_SHA1_80"),
        ),
        (
            format!("7 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}|1048576"),
            Want::Ok(7, AesCm128HmacSha1_80, "AES_CM_128_HMAC_SHA1_80"),
        ),
        // Session parameters we may ignore, known and unknown.
        (
            format!(
                "3 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}|2^20 WSH=128 FEC_ORDER=FEC_SRTP X-VENDOR=1"
            ),
            Want::Ok(3, AesCm128HmacSha1_80, "AES_CM_128_HMAC_SHA1_80"),
        ),
        (
            format!("1 aes_cm_128_hmac_sha1_80 INLINE:{KEY_30}"),
            Want::Ok(1, AesCm128HmacSha1_80, "AES_CM_128_HMAC_SHA1_80"),
        ),
        (
            format!("999999999 AES_256_CM_HMAC_SHA1_80 inline:{b64_46}"),
            Want::Ok(999_999_999, Aes256CmHmacSha1_80, "AES_256_CM_HMAC_SHA1_80"),
        ),
        (
            format!("4 AES_256_CM_HMAC_SHA1_32 inline:{b64_46_nopad}"),
            Want::Ok(4, Aes256CmHmacSha1_32, "AES_256_CM_HMAC_SHA1_32"),
        ),
        (
            format!("5 AEAD_AES_128_GCM inline:{b64_28}"),
            Want::Ok(5, AeadAes128Gcm, "AEAD_AES_128_GCM"),
        ),
        (
            format!("6 AEAD_AES_256_GCM inline:{b64_44}"),
            Want::Ok(6, AeadAes256Gcm, "AEAD_AES_256_GCM"),
        ),
        // RFC 4568 §10 example (also what some baresip builds copy): MKI 1, 32 bytes long.
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}|2^20|1:32"),
            Want::Unsupported,
        ),
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}|1:4"),
            Want::Unsupported,
        ),
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}|2^20|1:4;inline:{KEY_30}|2^20|2:4"),
            Want::Unsupported,
        ),
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30};inline:{KEY_30}"),
            Want::Unsupported,
        ),
        // Suites rtc-srtp lacks, and FreeSWITCH's non-standard 8-byte-tag GCM.
        (
            format!("1 F8_128_HMAC_SHA1_80 inline:{KEY_30}"),
            Want::Unsupported,
        ),
        (
            format!("1 AES_192_CM_HMAC_SHA1_80 inline:{KEY_30}"),
            Want::Unsupported,
        ),
        (
            format!("1 AEAD_AES_256_GCM_8 inline:{b64_44}"),
            Want::Unsupported,
        ),
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30} UNENCRYPTED_SRTCP"),
            Want::Unsupported,
        ),
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30} unauthenticated_srtp"),
            Want::Unsupported,
        ),
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30} KDR=1"),
            Want::Unsupported,
        ),
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 uri:{KEY_30}"),
            Want::Unsupported,
        ),
        (String::new(), Want::Invalid),
        ("1 AES_CM_128_HMAC_SHA1_80".into(), Want::Invalid),
        (
            format!("x AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}"),
            Want::Invalid,
        ),
        (
            format!("-1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}"),
            Want::Invalid,
        ),
        (
            format!("1234567890 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}"),
            Want::Invalid,
        ),
        (
            "1 AES_CM_128_HMAC_SHA1_80 inline:!!!!X19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz".into(),
            Want::Invalid,
        ),
        (
            "1 AES_CM_128_HMAC_SHA1_80 inline:ÿÿÿÿX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubG".into(),
            Want::Invalid,
        ),
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{b64_28}"),
            Want::Invalid,
        ),
        (format!("1 AEAD_AES_128_GCM inline:{b64_30}"), Want::Invalid),
        (
            format!("1 AES_256_CM_HMAC_SHA1_80 inline:{KEY_30}"),
            Want::Invalid,
        ),
        ("1 AES_CM_128_HMAC_SHA1_80 inline:".into(), Want::Invalid),
        ("1 AES_CM_128_HMAC_SHA1_80 inline".into(), Want::Invalid),
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}|2^x"),
            Want::Invalid,
        ),
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}|"),
            Want::Invalid,
        ),
        (
            format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}|2^20|2^20"),
            Want::Invalid,
        ),
    ];
    for (line, want) in &rows {
        let got = CryptoAttribute::parse(line);
        match (want, &got) {
            (Want::Ok(tag, suite, name), Ok(attr)) => {
                assert_eq!((attr.tag, attr.suite), (*tag, *suite), "{line}");
                assert_eq!(attr.key_salt.len(), suite.key_salt_len(), "{line}");
                let key = line
                    .split("inline:")
                    .nth(1)
                    .or_else(|| line.split("INLINE:").nth(1))
                    .and_then(|k| k.split(['|', ' ']).next())
                    .unwrap_or_default();
                let decoded = STANDARD
                    .decode(format!("{key}{}", "=".repeat((4 - key.len() % 4) % 4)))
                    .unwrap_or_default();
                assert_eq!(attr.key_salt, decoded, "{line}");
                // Exact out: no lifetime, no session parameters, canonical padding.
                assert_eq!(
                    attr.to_value(),
                    format!("{tag} {name} inline:{}", STANDARD.encode(&decoded)),
                    "{line}"
                );
            }
            (Want::Unsupported, Err(SrtpError::Unsupported(_)))
            | (Want::Invalid, Err(SrtpError::Invalid(_))) => {}
            _ => panic!("{line:?}: want {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn print_is_exact_and_parses_back() {
    let attr = CryptoAttribute::parse(&format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}|2^20"));
    assert_eq!(
        attr.as_ref().map(CryptoAttribute::to_value),
        Ok(format!("1 AES_CM_128_HMAC_SHA1_80 inline:{KEY_30}"))
    );
    for (i, suite) in CryptoSuite::ALL.into_iter().enumerate() {
        let tag = i as u32 + 1;
        let attr = CryptoAttribute::generate(tag, suite, &mut counter(0));
        let expected: Vec<u8> = (0..suite.key_salt_len() as u8).collect();
        assert_eq!(attr.key_salt, expected);
        assert_eq!(attr.master_key(), &expected[..suite.key_len()]);
        assert_eq!(attr.master_salt(), &expected[suite.key_len()..]);
        let value = attr.to_value();
        assert_eq!(
            value,
            format!(
                "{tag} {} inline:{}",
                suite.name(),
                STANDARD.encode(&expected)
            )
        );
        assert_eq!(CryptoAttribute::parse(&value), Ok(attr));
        assert_eq!(CryptoSuite::from_name(suite.name()), Some(suite));
    }
    // Key material sizes from RFC 4568 §6.2, RFC 6188 §5, RFC 7714 §12.
    let sizes: Vec<usize> = CryptoSuite::ALL.iter().map(|s| s.key_salt_len()).collect();
    assert_eq!(sizes, [30, 30, 46, 46, 28, 44]);
}

#[test]
fn debug_hides_the_key() {
    let attr = CryptoAttribute::generate(1, CryptoSuite::AesCm128HmacSha1_80, &mut counter(0xa0));
    let shown = format!("{attr:?}");
    assert_eq!(
        shown,
        "CryptoAttribute { tag: 1, suite: AesCm128HmacSha1_80, key_salt: <30 bytes> }"
    );
}

#[test]
fn answer_takes_first_usable_offer_with_its_tag_and_suite() {
    // An Asterisk-style offer: 32-bit tag first, then 80; FreeSWITCH's GCM_8 line fails to
    // parse and is dropped by the caller before we get here.
    let offer = [
        format!("1 AEAD_AES_256_GCM_8 inline:{}", STANDARD.encode([1u8; 44])),
        format!("2 AES_CM_128_HMAC_SHA1_32 inline:{KEY_30}"),
        "3 AES_CM_128_HMAC_SHA1_80 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj".to_owned(),
    ];
    let mut offered: Vec<CryptoAttribute> = offer
        .iter()
        .filter_map(|l| CryptoAttribute::parse(l).ok())
        .collect();
    assert_eq!(offered.len(), 2);
    // A hand-built attribute with a short key is not usable and must be skipped.
    offered.insert(
        0,
        CryptoAttribute {
            tag: 9,
            suite: CryptoSuite::AesCm128HmacSha1_80,
            key_salt: vec![0; 16],
        },
    );
    let (theirs, ours) = answer_crypto(&offered, &mut counter(100)).unwrap_or_else(|| {
        panic!("no answer");
    });
    assert_eq!(theirs, offered[1]);
    assert_eq!(
        (ours.tag, ours.suite),
        (2, CryptoSuite::AesCm128HmacSha1_32)
    );
    assert_eq!(ours.key_salt, (100u8..130).collect::<Vec<_>>());
    assert_eq!(
        ours.to_value(),
        format!(
            "2 AES_CM_128_HMAC_SHA1_32 inline:{}",
            STANDARD.encode((100u8..130).collect::<Vec<_>>())
        )
    );
    assert_eq!(answer_crypto(&[], &mut counter(0)), None);
}
