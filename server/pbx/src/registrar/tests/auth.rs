//! Digest authentication: challenges, answers, stale nonces, replays, and that a scanner
//! learns nothing about which extensions exist.

use sip::digest::{Algorithm, Challenge, Credentials, NonceMint};
use sip::{HeaderName, Response};

use super::*;

fn challenges(resp: &Response) -> Vec<Challenge> {
    header(resp, &HeaderName::WwwAuthenticate)
        .into_iter()
        .map(|v| Challenge::parse(v).expect("challenge parses"))
        .collect()
}

/// The order is a compatibility contract, not only RFC 8760's preference: JsSIP 3.13 (the
/// browser softphone) keeps only the LAST challenge and does MD5 only, so MD5 must stay last
/// by default; sipp 3.6 reads only the first, hence `sha256_first = false` for it.
#[tokio::test]
async fn challenges_with_sha256_then_md5_sharing_one_nonce() {
    let r = registrar();
    let resp = r.handle(&Reg::new("1001").build(), &flow(), T0).await;
    assert_eq!((resp.status, resp.reason.as_str()), (401, "Unauthorized"));
    let ch = challenges(&resp);
    assert_eq!(ch.len(), 2);
    assert_eq!(ch[0].algorithm, Algorithm::Sha256);
    assert_eq!(ch[1].algorithm, Algorithm::Md5);
    for c in &ch {
        assert_eq!(c.realm, DOMAIN);
        assert_eq!(c.qop.as_deref(), Some("auth"));
        assert!(!c.stale);
        assert_eq!(c.nonce, ch[0].nonce);
    }
    assert!(resp.to_tag().is_some(), "final responses carry a To tag");
    assert!(r.locations().raw().is_empty());
}

#[tokio::test]
async fn md5_first_when_configured() {
    let r = registrar_with(RegistrarConfig {
        sha256_first: false,
        ..config()
    });
    let resp = r.handle(&Reg::new("1001").build(), &flow(), T0).await;
    let algs: Vec<Algorithm> = challenges(&resp).iter().map(|c| c.algorithm).collect();
    assert_eq!(algs, [Algorithm::Md5, Algorithm::Sha256]);
}

/// baresip 1.0 (libre) gives up on a challenge set naming any algorithm it lacks instead of
/// answering the MD5 one, so SHA-256 can be switched off.
#[tokio::test]
async fn md5_only_when_sha256_is_off() {
    let r = registrar_with(RegistrarConfig {
        sha256: false,
        ..config()
    });
    let resp = r.handle(&Reg::new("1001").build(), &flow(), T0).await;
    let algs: Vec<Algorithm> = challenges(&resp).iter().map(|c| c.algorithm).collect();
    assert_eq!(algs, [Algorithm::Md5]);
}

#[tokio::test]
async fn both_algorithms_authenticate() {
    for index in [0, 1] {
        let r = registrar();
        let first = r.handle(&Reg::new("1001").build(), &flow(), T0).await;
        let ch = challenges(&first).remove(index);
        let creds = Credentials::answer(
            &ch,
            "1001",
            "alice-pw",
            "REGISTER",
            "sip:example.test",
            "c1",
            1,
        );
        let mut reg = Reg::new("1001").cseq(2);
        reg.authorization = vec![creds.to_string()];
        let resp = r.handle(&reg.build(), &flow(), T0).await;
        assert_eq!(resp.status, 200, "{:?}", ch.algorithm);
    }
}

/// Everything but the per-response parts (nonce, To tag) must match.
fn shape(resp: &Response) -> (u16, String, Vec<String>) {
    let www = challenges(resp)
        .into_iter()
        .map(|mut c| {
            c.nonce = "N".into();
            c.to_string()
        })
        .collect();
    (resp.status, resp.reason.clone(), www)
}

#[tokio::test]
async fn unknown_and_known_users_are_indistinguishable() {
    let r = registrar();
    // The first challenge does not depend on the user.
    let known = r.handle(&Reg::new("1001").build(), &flow(), T0).await;
    let unknown = r.handle(&Reg::new("7777").build(), &flow(), T0).await;
    assert_eq!(shape(&known), shape(&unknown));
    assert_eq!(known.headers.len(), unknown.headers.len());

    // A wrong password for a real extension and any password for a missing one: same 403,
    // and both looked the user up (the unknown one hashes a dummy secret).
    let before = r.directory().lookups();
    let wrong = Phone::new("1001", "guess")
        .register(&r, Reg::new("1001"), T0)
        .await;
    let missing = Phone::new("7777", "guess")
        .register(&r, Reg::new("7777"), T0)
        .await;
    assert_eq!(r.directory().lookups() - before, 2);
    assert_eq!(shape(&wrong), shape(&missing));
    assert_eq!((wrong.status, wrong.reason.as_str()), (403, "Forbidden"));
    assert_eq!(wrong.headers.len(), missing.headers.len());
    assert!(r.locations().raw().is_empty());
}

#[tokio::test]
async fn a_user_registers_only_their_own_aor() {
    let r = registrar();
    // Alice's credentials, Bob's AoR.
    let mut alice = Phone::new("1001", "alice-pw");
    let resp = alice.register(&r, Reg::new("1002").call_id("x"), T0).await;
    assert_eq!(resp.status, 403);
    assert!(r.locations().raw().is_empty());
    let ok = alice.register(&r, Reg::new("1001"), T0).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn expired_nonce_with_right_password_is_stale() {
    let r = registrar();
    let mut phone = Phone::new("1001", "alice-pw");
    assert_eq!(phone.register(&r, Reg::new("1001"), T0).await.status, 200);

    // Six minutes later the phone reuses its nonce: 401 stale=true, no password prompt.
    let later = T0 + 301;
    let mut reg = Reg::new("1001").cseq(3);
    reg.authorization = phone.authorization().into_iter().collect();
    let resp = r.handle(&reg.build(), &flow(), later).await;
    assert_eq!(resp.status, 401);
    assert!(challenges(&resp).iter().all(|c| c.stale));

    // Same old nonce with a wrong password: not stale, forbidden.
    let mut liar = Phone {
        password: "nope".into(),
        ..Phone::new("1001", "")
    };
    liar.challenge = phone.challenge.clone();
    liar.nc = 10;
    let mut reg = Reg::new("1001").cseq(4);
    reg.authorization = liar.authorization().into_iter().collect();
    assert_eq!(r.handle(&reg.build(), &flow(), later).await.status, 403);

    // Following the stale challenge works.
    let stale = r
        .handle(&Reg::new("1001").cseq(5).build(), &flow(), later)
        .await;
    phone.learn(&stale);
    assert_eq!(
        phone
            .register(&r, Reg::new("1001").cseq(6), later)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn nonce_count_replay_is_refused() {
    let r = registrar();
    let mut phone = Phone::new("1001", "alice-pw");
    assert_eq!(phone.register(&r, Reg::new("1001"), T0).await.status, 200);
    // An eavesdropper replays the phone's last Authorization (digest does not cover CSeq).
    let replayed = Credentials::answer(
        phone.challenge.as_ref().expect("challenged"),
        "1001",
        "alice-pw",
        "REGISTER",
        "sip:example.test",
        "0a4f113b",
        phone.nc,
    );
    let mut reg = Reg::new("1001")
        .cseq(10)
        .contacts(&["<sip:evil@203.0.113.66>"]);
    reg.authorization = vec![replayed.to_string()];
    let resp = r.handle(&reg.build(), &flow(), T0 + 1).await;
    assert_eq!(resp.status, 401);
    assert!(challenges(&resp).iter().all(|c| c.stale));
    assert!(
        r.locations()
            .raw()
            .iter()
            .all(|b| !b.contact.contains("evil"))
    );
    // The phone's next request with a higher nc on the same nonce is fine.
    assert_eq!(
        phone
            .register(&r, Reg::new("1001").cseq(11), T0 + 2)
            .await
            .status,
        200
    );
    assert_eq!(phone.nc, 2);
}

#[tokio::test]
async fn forged_nonce_gets_a_fresh_challenge() {
    let r = registrar();
    let other = NonceMint::new([9; 32]);
    let ch = Challenge::new(DOMAIN, other.mint(T0), Algorithm::Sha256);
    let creds = Credentials::answer(
        &ch,
        "1001",
        "alice-pw",
        "REGISTER",
        "sip:example.test",
        "c",
        1,
    );
    let mut reg = Reg::new("1001");
    reg.authorization = vec![creds.to_string()];
    let resp = r.handle(&reg.build(), &flow(), T0).await;
    assert_eq!(resp.status, 401);
    assert!(challenges(&resp).iter().all(|c| !c.stale));
}

#[tokio::test]
async fn other_realms_and_schemes_are_not_ours() {
    let r = registrar();
    let first = r.handle(&Reg::new("1001").build(), &flow(), T0).await;
    let mut ch = challenges(&first).remove(0);
    ch.realm = "elsewhere".into();
    let creds = Credentials::answer(
        &ch,
        "1001",
        "alice-pw",
        "REGISTER",
        "sip:example.test",
        "c",
        1,
    );
    let mut reg = Reg::new("1001").cseq(2);
    reg.authorization = vec![creds.to_string(), "Basic MTAwMTphbGljZS1wdw==".into()];
    assert_eq!(r.handle(&reg.build(), &flow(), T0).await.status, 401);
}

#[tokio::test]
async fn answers_without_qop_are_refused() {
    let r = registrar();
    let first = r.handle(&Reg::new("1001").build(), &flow(), T0).await;
    let mut ch = challenges(&first).remove(0);
    ch.qop = None;
    let creds = Credentials::answer(
        &ch,
        "1001",
        "alice-pw",
        "REGISTER",
        "sip:example.test",
        "c",
        1,
    );
    let mut reg = Reg::new("1001").cseq(2);
    reg.authorization = vec![creds.to_string()];
    assert_eq!(r.handle(&reg.build(), &flow(), T0).await.status, 403);
}

#[tokio::test]
async fn malformed_digest_is_a_bad_request() {
    let r = registrar();
    let mut reg = Reg::new("1001");
    reg.authorization = vec![format!("Digest username=\"1001\", realm=\"{DOMAIN}\"")];
    assert_eq!(r.handle(&reg.build(), &flow(), T0).await.status, 400);
}

#[tokio::test]
async fn directory_failure_is_a_server_error() {
    let r = registrar();
    let first = r.handle(&Reg::new("1001").build(), &flow(), T0).await;
    r.directory().set_failing(true);
    let mut phone = Phone::new("1001", "alice-pw");
    phone.learn(&first);
    let resp = phone.register(&r, Reg::new("1001").cseq(2), T0).await;
    assert_eq!(resp.status, 500);
}
