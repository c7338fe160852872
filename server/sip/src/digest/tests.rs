use super::*;

// RFC 7616 §3.9.1: user "Mufasa", password "Circle of Life", GET /dir/index.html.
const REALM: &str = "http-auth@example.org";
const NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
const OPAQUE: &str = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";

fn rfc_authorization(alg: &str, response: &str) -> String {
    format!(
        "Digest username=\"Mufasa\",\r\n realm=\"{REALM}\",\r\n uri=\"/dir/index.html\",\r\n \
         algorithm={alg},\r\n nonce=\"{NONCE}\",\r\n nc=00000001,\r\n cnonce=\"{CNONCE}\",\r\n \
         qop=auth,\r\n response=\"{response}\",\r\n opaque=\"{OPAQUE}\""
    )
}

const MD5_RESPONSE: &str = "8ca523f5e9506fed4657c9700eebdbec";
const SHA256_RESPONSE: &str = "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1";

#[test]
fn rfc7616_md5_vector_verifies() {
    let c = Credentials::parse(&rfc_authorization("MD5", MD5_RESPONSE));
    let Ok(c) = c else {
        panic!("parse failed: {c:?}")
    };
    assert_eq!(c.username, "Mufasa");
    assert_eq!(c.nc, Some(1));
    assert_eq!(c.algorithm, Algorithm::Md5);
    let h = ha1(Algorithm::Md5, "Mufasa", REALM, "Circle of Life");
    assert!(verify(&c, "GET", &h));
    assert!(!verify(&c, "POST", &h));
    let wrong = ha1(Algorithm::Md5, "Mufasa", REALM, "circle of life");
    assert!(!verify(&c, "GET", &wrong));
}

#[test]
fn rfc7616_sha256_vector_verifies() {
    let c = Credentials::parse(&rfc_authorization("SHA-256", SHA256_RESPONSE));
    let Ok(c) = c else {
        panic!("parse failed: {c:?}")
    };
    assert_eq!(c.algorithm, Algorithm::Sha256);
    let h = ha1(Algorithm::Sha256, "Mufasa", REALM, "Circle of Life");
    assert!(verify(&c, "GET", &h));
    // The upper-case hex of the same digest is the same answer.
    let upper = Credentials {
        response: SHA256_RESPONSE.to_uppercase(),
        ..c.clone()
    };
    assert!(verify(&upper, "GET", &h));
    let short = Credentials {
        response: SHA256_RESPONSE[..63].to_owned(),
        ..c
    };
    assert!(!verify(&short, "GET", &h));
}

#[test]
fn answer_reproduces_rfc_vectors() {
    for (alg, expected) in [
        (Algorithm::Md5, MD5_RESPONSE),
        (Algorithm::Sha256, SHA256_RESPONSE),
    ] {
        let mut ch = Challenge::new(REALM, NONCE, alg);
        ch.opaque = Some(OPAQUE.to_owned());
        let c = Credentials::answer(
            &ch,
            "Mufasa",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            CNONCE,
            1,
        );
        assert_eq!(c.response, expected);
        // Display -> parse round trip keeps every field.
        assert_eq!(Credentials::parse(&c.to_string()), Ok(c));
    }
}

#[test]
fn rfc7616_challenge_parses_and_prints() {
    let www = format!(
        "Digest\r\n realm=\"{REALM}\",\r\n qop=\"auth, auth-int\",\r\n algorithm=SHA-256,\r\n \
         nonce=\"{NONCE}\",\r\n opaque=\"{OPAQUE}\""
    );
    let Ok(ch) = Challenge::parse(&www) else {
        panic!("challenge did not parse")
    };
    assert_eq!(ch.algorithm, Algorithm::Sha256);
    assert_eq!(ch.qop.as_deref(), Some("auth"));
    assert_eq!(ch.opaque.as_deref(), Some(OPAQUE));
    let printed = ch.to_string();
    assert_eq!(
        printed,
        format!(
            "Digest realm=\"{REALM}\", nonce=\"{NONCE}\", opaque=\"{OPAQUE}\", algorithm=SHA-256, qop=\"auth\""
        )
    );
    assert_eq!(Challenge::parse(&printed), Ok(ch));
    let stale = Challenge {
        stale: true,
        ..Challenge::new("r\"x", "n", Algorithm::Md5)
    };
    assert_eq!(
        stale.to_string(),
        "Digest realm=\"r\\\"x\", nonce=\"n\", algorithm=MD5, qop=\"auth\", stale=TRUE"
    );
    assert_eq!(Challenge::parse(&stale.to_string()), Ok(stale));
}

#[test]
fn sip_register_round_trip_and_session_algorithm() {
    let ch = Challenge::new("switchboard", "abc", Algorithm::Sha256);
    let c = Credentials::answer(
        &ch,
        "1001",
        "s3cret",
        "REGISTER",
        "sip:switchboard",
        "xyz",
        7,
    );
    let h = ha1(Algorithm::Sha256, "1001", "switchboard", "s3cret");
    assert!(verify(&c, "REGISTER", &h));
    assert!(!verify(
        &Credentials {
            nc: Some(8),
            ..c.clone()
        },
        "REGISTER",
        &h
    ));
    // -sess: HA1' = H(HA1:nonce:cnonce), computed by hand here.
    let sess_ha1 = Algorithm::Md5.hash_joined(&[&ha1(Algorithm::Md5, "u", "r", "p"), "n", "cn"]);
    let ha2 = Algorithm::Md5.hash_joined(&["INVITE", "sip:x"]);
    let resp = Algorithm::Md5.hash_joined(&[&sess_ha1, "n", "00000002", "cn", "auth", &ha2]);
    let header = format!(
        "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", response=\"{resp}\", \
         algorithm=MD5-sess, qop=auth, nc=00000002, cnonce=\"cn\""
    );
    let Ok(c) = Credentials::parse(&header) else {
        panic!("parse failed")
    };
    assert!(c.session);
    assert!(verify(&c, "INVITE", &ha1(Algorithm::Md5, "u", "r", "p")));
}

#[test]
fn rfc2069_answer_without_qop() {
    let ch = Challenge {
        qop: None,
        ..Challenge::new("r", "n", Algorithm::Md5)
    };
    let c = Credentials::answer(&ch, "u", "p", "REGISTER", "sip:r", "ignored", 1);
    assert_eq!(
        (c.qop.as_deref(), c.nc, c.cnonce.as_deref()),
        (None, None, None)
    );
    assert!(verify(&c, "REGISTER", &ha1(Algorithm::Md5, "u", "r", "p")));
}

#[test]
fn credentials_errors() {
    let ok = "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"00\"";
    assert!(Credentials::parse(ok).is_ok());
    assert_eq!(
        Credentials::parse("Basic dTpw"),
        Err(DigestError::UnknownScheme("Basic".into()))
    );
    assert_eq!(
        Credentials::parse("Digest realm=\"r\", nonce=\"n\", uri=\"u\", response=\"0\""),
        Err(DigestError::Missing("username"))
    );
    assert_eq!(
        Credentials::parse(&format!("{ok}, qop=auth, cnonce=\"c\", nc=1")),
        Err(DigestError::BadNonceCount)
    );
    assert_eq!(
        Credentials::parse(&format!("{ok}, qop=auth, nc=00000001")),
        Err(DigestError::Missing("cnonce"))
    );
    assert_eq!(
        Credentials::parse(&format!("{ok}, algorithm=SHA-512-256")),
        Err(DigestError::UnsupportedAlgorithm("SHA-512-256".into()))
    );
    assert!(!verify(
        &Credentials {
            qop: Some("auth-int".into()),
            ..Credentials::answer(
                &Challenge::new("r", "n", Algorithm::Md5),
                "u",
                "p",
                "M",
                "x",
                "c",
                1
            )
        },
        "M",
        &ha1(Algorithm::Md5, "u", "r", "p")
    ));
}

#[test]
fn username_star_is_decoded() {
    let v = "Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=\"r\", nonce=\"n\", uri=\"u\", response=\"0\"";
    assert_eq!(
        Credentials::parse(v).map(|c| c.username),
        Ok("Jäsøn Doe".to_owned())
    );
    let bad = "Digest username*=UTF-8''%C3, realm=\"r\", nonce=\"n\", uri=\"u\", response=\"0\"";
    assert!(Credentials::parse(bad).is_err());
}

#[test]
fn parse_never_panics_on_garbage() {
    // Every prefix and a few byte mutations of a real header: errors are fine, panics are not.
    let base = rfc_authorization("SHA-256", SHA256_RESPONSE);
    for cut in 0..=base.len() {
        if let Some(prefix) = base.get(..cut) {
            let _ = Credentials::parse(prefix);
            let _ = Challenge::parse(prefix);
        }
    }
    for junk in [
        "Digest \"",
        "Digest ,,,,",
        "Digest a=\"\\",
        "Digest\u{0}a=b",
        "Digest é=ü",
        "Digest username*=''",
    ] {
        let _ = Credentials::parse(junk);
    }
}

#[test]
fn nonce_mac_is_hmac_sha256_under_the_key() {
    use hmac::{Hmac, Mac};
    let key = [7; 32];
    let n = NonceMint::new(key).mint(1_000);
    let raw = hex::decode(&n).unwrap_or_default();
    let (head, tag) = raw.split_at(16);
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        panic!("HMAC takes any key length");
    };
    mac.update(head);
    assert_eq!(mac.finalize().into_bytes().get(..16), Some(tag));
}

#[test]
fn nonce_mint_valid_stale_invalid() {
    let mint = NonceMint::new([7; 32]);
    let n = mint.mint(1_000);
    assert_eq!(n.len(), 64);
    assert_ne!(n, mint.mint(1_000), "two nonces of the same second differ");
    assert_eq!(
        mint.check(&n, 1_030, 60),
        NonceStatus::Valid { issued: 1_000 }
    );
    assert_eq!(mint.check(&n, 1_061, 60), NonceStatus::Stale);
    assert_eq!(
        NonceMint::new([8; 32]).check(&n, 1_000, 60),
        NonceStatus::Invalid
    );
    let mut forged = n.clone().into_bytes();
    if let Some(b) = forged.get_mut(15) {
        *b = if *b == b'0' { b'1' } else { b'0' };
    }
    let forged = String::from_utf8(forged).unwrap_or_default();
    assert_eq!(mint.check(&forged, 1_000, 60), NonceStatus::Invalid);
    for bad in ["", "zz", &n[..62], &format!("{n}00")] {
        assert_eq!(mint.check(bad, 1_000, 60), NonceStatus::Invalid);
    }
}
