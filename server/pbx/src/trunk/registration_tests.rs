//! The registration client on a virtual clock: every test moves `Instant`s by hand and plays
//! the provider's registrar with responses built from the requests.

use super::*;
use sip::digest;

const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

const PASSWORD: &str = "s3cret-trunk";

fn config() -> RegistrationConfig {
    RegistrationConfig {
        username: "acme".into(),
        password: PASSWORD.into(),
        host: "sip.example.net".into(),
        port: None,
        transport: TrunkTransport::Udp,
        expires: 600,
        contact: "<sip:acme@198.51.100.7:5062>".into(),
        call_id: "reg-call-1".into(),
        from_tag: "ft1".into(),
        cnonce: "cn".into(),
        jitter_seed: None,
    }
}

fn started(t0: Instant) -> TrunkRegistrar {
    started_with(config(), t0)
}

fn started_with(config: RegistrationConfig, t0: Instant) -> TrunkRegistrar {
    let mut r = TrunkRegistrar::new(config).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), RegistrationStatus::Off);
    assert_eq!(r.poll_timeout(), None);
    r.start(t0);
    r
}

fn sent(r: &mut TrunkRegistrar) -> Request {
    r.poll_request()
        .unwrap_or_else(|| panic!("no REGISTER queued: {r:?}"))
}

fn reply(req: &Request, status: u16, extra: &[(HeaderName, &str)]) -> Response {
    let mut resp = Response::for_request(req, status, "");
    for (name, value) in extra {
        resp.headers.push(name.clone(), *value);
    }
    resp
}

fn get<'a>(req: &'a Request, name: &HeaderName) -> Option<&'a str> {
    req.headers.get(name)
}

fn cseq(req: &Request) -> u32 {
    req.cseq().map(|c| c.seq).unwrap_or(0)
}

/// The credentials in `name`, checked against the password as a registrar would.
fn credentials(req: &Request, name: &HeaderName) -> Credentials {
    let value = get(req, name).unwrap_or_else(|| panic!("no {name:?} in {req:?}"));
    let c = Credentials::parse(value).unwrap_or_else(|e| panic!("{e}: {value}"));
    let ha1 = digest::ha1(c.algorithm, &c.username, &c.realm, PASSWORD);
    assert!(digest::verify(&c, "REGISTER", &ha1), "bad digest: {value}");
    assert_eq!(c.uri, req.uri.to_string());
    c
}

fn www(nonce: &str, algorithm: &str) -> String {
    format!(r#"Digest realm="example.net", nonce="{nonce}", algorithm={algorithm}, qop="auth""#)
}

/// Start, answer the MD5 challenge, grant `granted` seconds; returns the clock after it.
fn registered(r: &mut TrunkRegistrar, t0: Instant, granted: u32) {
    let first = sent(r);
    r.handle_response(
        t0,
        &reply(
            &first,
            401,
            &[(HeaderName::WwwAuthenticate, &www("n1", "MD5"))],
        ),
    );
    let second = sent(r);
    let contact = format!("<sip:acme@198.51.100.7:5062>;expires={granted}");
    assert!(r.handle_response(t0, &reply(&second, 200, &[(HeaderName::Contact, &contact)])));
}

#[test]
fn the_first_register_is_well_formed() {
    let t0 = Instant::now();
    let mut r = started(t0);
    assert_eq!(r.status(), RegistrationStatus::Registering);
    let req = sent(&mut r);
    assert!(r.poll_request().is_none(), "one REGISTER at a time");
    assert_eq!(req.method, Method::Register);
    assert_eq!(req.uri.to_string(), "sip:sip.example.net");
    assert_eq!(
        get(&req, &HeaderName::From),
        Some("<sip:acme@sip.example.net>;tag=ft1")
    );
    assert_eq!(
        get(&req, &HeaderName::To),
        Some("<sip:acme@sip.example.net>")
    );
    assert_eq!(get(&req, &HeaderName::CallId), Some("reg-call-1"));
    assert_eq!(get(&req, &HeaderName::CSeq), Some("1 REGISTER"));
    assert_eq!(
        get(&req, &HeaderName::Contact),
        Some("<sip:acme@198.51.100.7:5062>")
    );
    assert_eq!(get(&req, &HeaderName::Expires), Some("600"));
    assert_eq!(get(&req, &HeaderName::MaxForwards), Some("70"));
    assert!(get(&req, &HeaderName::Authorization).is_none());
    assert!(
        get(&req, &HeaderName::Via).is_none(),
        "the binary adds the Via"
    );
    assert_eq!(r.poll_timeout(), Some(t0 + RESPONSE_GUARD));
    let printed = String::from_utf8_lossy(&req.to_bytes()).into_owned();
    assert!(printed.starts_with("REGISTER sip:sip.example.net SIP/2.0\r\n"));
}

#[test]
fn tcp_and_tls_trunks_say_so_in_the_request_uri() {
    let t0 = Instant::now();
    let mut c = config();
    c.transport = TrunkTransport::Tls;
    c.port = Some(5081);
    let mut r = started_with(c, t0);
    assert_eq!(
        sent(&mut r).uri.to_string(),
        "sip:sip.example.net:5081;transport=tls"
    );
}

#[test]
fn a_401_is_answered_with_md5_digest_then_200_registers() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let first = sent(&mut r);
    let challenge = reply(
        &first,
        401,
        &[(HeaderName::WwwAuthenticate, &www("nonce-1", "MD5"))],
    );
    assert!(r.handle_response(t0 + secs(1), &challenge));
    let second = sent(&mut r);
    assert_eq!(cseq(&second), 2, "CSeq goes up");
    assert_eq!(get(&second, &HeaderName::CallId), Some("reg-call-1"));
    let c = credentials(&second, &HeaderName::Authorization);
    assert_eq!(c.algorithm, digest::Algorithm::Md5);
    assert_eq!((c.nc, c.qop.as_deref()), (Some(1), Some("auth")));
    assert_eq!(c.username, "acme");
    assert_eq!(r.status(), RegistrationStatus::Registering);

    let t1 = t0 + secs(2);
    let ok = reply(
        &second,
        200,
        &[(
            HeaderName::Contact,
            "<sip:acme@198.51.100.7:5062>;expires=600",
        )],
    );
    assert!(r.handle_response(t1, &ok));
    assert_eq!(
        r.status(),
        RegistrationStatus::Registered {
            until: t1 + secs(600)
        }
    );
    assert_eq!(r.poll_timeout(), Some(t1 + secs(300)), "refresh half way");
    assert!(r.poll_request().is_none());
    assert!(r.last_error().is_none());
}

#[test]
fn sha256_is_preferred_when_both_are_offered() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let first = sent(&mut r);
    let challenge = reply(
        &first,
        401,
        &[
            (HeaderName::WwwAuthenticate, &www("n-md5", "MD5")),
            (HeaderName::WwwAuthenticate, &www("n-sha", "SHA-256")),
        ],
    );
    r.handle_response(t0, &challenge);
    let c = credentials(&sent(&mut r), &HeaderName::Authorization);
    assert_eq!(c.algorithm, digest::Algorithm::Sha256);
    assert_eq!(c.nonce, "n-sha");
}

#[test]
fn a_407_is_answered_with_proxy_authorization() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let first = sent(&mut r);
    r.handle_response(
        t0,
        &reply(
            &first,
            407,
            &[(HeaderName::ProxyAuthenticate, &www("p1", "MD5"))],
        ),
    );
    let second = sent(&mut r);
    credentials(&second, &HeaderName::ProxyAuthorization);
    assert!(get(&second, &HeaderName::Authorization).is_none());
    // A registrar behind the proxy may challenge too: both go in the next request.
    r.handle_response(
        t0,
        &reply(
            &second,
            401,
            &[(HeaderName::WwwAuthenticate, &www("w1", "MD5"))],
        ),
    );
    let third = sent(&mut r);
    credentials(&third, &HeaderName::ProxyAuthorization);
    credentials(&third, &HeaderName::Authorization);
    r.handle_response(t0, &reply(&third, 200, &[(HeaderName::Expires, "600")]));
    assert!(matches!(r.status(), RegistrationStatus::Registered { .. }));
}

#[test]
fn refreshes_keep_call_id_raise_cseq_and_count_the_nonce() {
    let t0 = Instant::now();
    let mut r = started(t0);
    registered(&mut r, t0, 600);
    let refresh_at = t0 + secs(300);
    r.handle_timeout(refresh_at - secs(1));
    assert!(r.poll_request().is_none(), "not yet");
    r.handle_timeout(refresh_at);
    let refresh = sent(&mut r);
    assert_eq!(cseq(&refresh), 3);
    assert_eq!(get(&refresh, &HeaderName::CallId), Some("reg-call-1"));
    let c = credentials(&refresh, &HeaderName::Authorization);
    assert_eq!(
        (c.nonce.as_str(), c.nc),
        ("n1", Some(2)),
        "same nonce, next count"
    );
    assert_eq!(
        r.status(),
        RegistrationStatus::Registered {
            until: t0 + secs(600)
        },
        "still registered while the refresh is out"
    );
    r.handle_response(
        refresh_at,
        &reply(&refresh, 200, &[(HeaderName::Expires, "600")]),
    );
    assert_eq!(
        r.status(),
        RegistrationStatus::Registered {
            until: refresh_at + secs(600)
        }
    );
    assert_eq!(r.poll_timeout(), Some(refresh_at + secs(300)));
}

#[test]
fn a_new_nonce_on_refresh_is_answered_not_taken_as_refusal() {
    let t0 = Instant::now();
    let mut r = started(t0);
    registered(&mut r, t0, 600);
    let t1 = t0 + secs(300);
    r.handle_timeout(t1);
    let refresh = sent(&mut r);
    r.handle_response(
        t1,
        &reply(
            &refresh,
            401,
            &[(HeaderName::WwwAuthenticate, &www("n2", "MD5"))],
        ),
    );
    let again = sent(&mut r);
    let c = credentials(&again, &HeaderName::Authorization);
    assert_eq!((c.nonce.as_str(), c.nc), ("n2", Some(1)));
    r.handle_response(t1, &reply(&again, 200, &[(HeaderName::Expires, "600")]));
    assert!(matches!(r.status(), RegistrationStatus::Registered { .. }));
}

#[test]
fn a_stale_nonce_is_answered_again() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let first = sent(&mut r);
    r.handle_response(
        t0,
        &reply(
            &first,
            401,
            &[(HeaderName::WwwAuthenticate, &www("n1", "MD5"))],
        ),
    );
    let second = sent(&mut r);
    let stale = format!("{}, stale=true", www("n2", "MD5"));
    r.handle_response(
        t0,
        &reply(&second, 401, &[(HeaderName::WwwAuthenticate, &stale)]),
    );
    let third = sent(&mut r);
    assert_eq!(credentials(&third, &HeaderName::Authorization).nonce, "n2");
    assert_eq!(r.status(), RegistrationStatus::Registering);
}

#[test]
fn wrong_password_fails_and_backs_off() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let first = sent(&mut r);
    r.handle_response(
        t0,
        &reply(
            &first,
            401,
            &[(HeaderName::WwwAuthenticate, &www("n1", "MD5"))],
        ),
    );
    let second = sent(&mut r);
    // A registrar answers a wrong digest with a fresh challenge (not stale).
    r.handle_response(
        t0,
        &reply(
            &second,
            401,
            &[(HeaderName::WwwAuthenticate, &www("n2", "MD5"))],
        ),
    );
    assert!(r.poll_request().is_none(), "no third try in this attempt");
    let failed = RegistrationStatus::Failed {
        reason: FailReason::AuthFailed { status: 401 },
        retry_at: t0 + FIRST_RETRY,
    };
    assert_eq!(r.status(), failed);
    assert_eq!(
        r.last_error(),
        Some(&FailReason::AuthFailed { status: 401 })
    );
    assert_eq!(r.poll_timeout(), Some(t0 + FIRST_RETRY));
    r.handle_timeout(t0 + FIRST_RETRY);
    let retry = sent(&mut r);
    assert!(
        get(&retry, &HeaderName::Authorization).is_none(),
        "a refused nonce is not reused"
    );
    assert_eq!(r.status(), RegistrationStatus::Registering);
}

#[test]
fn a_403_fails_with_doubling_backoff_until_a_success_resets_it() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let mut now = t0;
    for expected in [30, 60, 120, 240, 480, 600, 600] {
        let req = sent(&mut r);
        r.handle_response(now, &reply(&req, 403, &[]));
        let RegistrationStatus::Failed { reason, retry_at } = r.status() else {
            panic!("{:?}", r.status())
        };
        assert_eq!(
            reason,
            FailReason::Rejected {
                status: 403,
                reason: "Forbidden".into()
            }
        );
        assert_eq!(reason.to_string(), "403 Forbidden");
        assert_eq!(retry_at, now + secs(expected));
        r.handle_timeout(retry_at - secs(1));
        assert!(r.poll_request().is_none());
        now = retry_at;
        r.handle_timeout(now);
    }
    let req = sent(&mut r);
    r.handle_response(now, &reply(&req, 200, &[(HeaderName::Expires, "600")]));
    assert!(matches!(r.status(), RegistrationStatus::Registered { .. }));
    assert!(r.last_error().is_some(), "the last error stays visible");
    let refresh_at = now + secs(300);
    r.handle_timeout(refresh_at);
    let req = sent(&mut r);
    r.handle_response(refresh_at, &reply(&req, 403, &[]));
    assert!(
        matches!(r.status(), RegistrationStatus::Failed { retry_at, .. } if retry_at == refresh_at + FIRST_RETRY),
        "backoff starts over after a success: {:?}",
        r.status()
    );
}

#[test]
fn a_transaction_timeout_backs_off() {
    let t0 = Instant::now();
    let mut r = started(t0);
    sent(&mut r);
    let t1 = t0 + secs(32);
    r.handle_failure(t1);
    assert_eq!(
        r.status(),
        RegistrationStatus::Failed {
            reason: FailReason::NoResponse,
            retry_at: t1 + FIRST_RETRY
        }
    );
    r.handle_failure(t1 + secs(1));
    assert!(
        matches!(r.status(), RegistrationStatus::Failed { retry_at, .. } if retry_at == t1 + FIRST_RETRY),
        "a failure report with nothing under way changes nothing"
    );
    r.handle_timeout(t1 + FIRST_RETRY);
    sent(&mut r);
    r.handle_failure(t1 + secs(62));
    assert!(
        matches!(r.status(), RegistrationStatus::Failed { retry_at, .. } if retry_at == t1 + secs(62 + 60))
    );
}

#[test]
fn an_unreported_register_is_given_up_by_the_guard() {
    let t0 = Instant::now();
    let mut r = started(t0);
    sent(&mut r);
    assert_eq!(r.poll_timeout(), Some(t0 + RESPONSE_GUARD));
    r.handle_timeout(t0 + RESPONSE_GUARD - secs(1));
    assert_eq!(r.status(), RegistrationStatus::Registering);
    r.handle_timeout(t0 + RESPONSE_GUARD);
    assert!(matches!(
        r.status(),
        RegistrationStatus::Failed {
            reason: FailReason::NoResponse,
            ..
        }
    ));
}

#[test]
fn a_refresh_that_outlives_the_registration_shows_registering() {
    let t0 = Instant::now();
    let mut r = started(t0);
    registered(&mut r, t0, 40);
    let refresh_at = t0 + secs(10);
    assert_eq!(
        r.poll_timeout(),
        Some(refresh_at),
        "40 s granted: refresh 30 s early"
    );
    r.handle_timeout(refresh_at);
    sent(&mut r);
    assert_eq!(r.poll_timeout(), Some(t0 + secs(40)), "wake when it lapses");
    r.handle_timeout(t0 + secs(40));
    assert_eq!(r.status(), RegistrationStatus::Registering);
}

#[test]
fn jitter_shortens_retries_by_at_most_a_fifth() {
    let t0 = Instant::now();
    let mut c = config();
    c.jitter_seed = Some(0xDEAD_BEEF);
    let mut r = started_with(c, t0);
    let req = sent(&mut r);
    r.handle_response(t0, &reply(&req, 500, &[]));
    let RegistrationStatus::Failed { retry_at, .. } = r.status() else {
        panic!("{:?}", r.status())
    };
    assert!(retry_at <= t0 + secs(30) && retry_at >= t0 + secs(24));
}

#[test]
fn retry_after_is_a_lower_bound_on_the_wait() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let req = sent(&mut r);
    r.handle_response(
        t0,
        &reply(&req, 503, &[(HeaderName::RetryAfter, "120 (maintenance)")]),
    );
    assert_eq!(r.poll_timeout(), Some(t0 + secs(120)));
    r.handle_timeout(t0 + secs(120));
    let req = sent(&mut r);
    r.handle_response(t0, &reply(&req, 503, &[(HeaderName::RetryAfter, "999999")]));
    assert_eq!(r.poll_timeout(), Some(t0 + MAX_RETRY_AFTER));
}

#[test]
fn a_423_raises_expires_to_min_expires() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let first = sent(&mut r);
    r.handle_response(t0, &reply(&first, 423, &[(HeaderName::MinExpires, "1800")]));
    let second = sent(&mut r);
    assert_eq!(get(&second, &HeaderName::Expires), Some("1800"));
    assert_eq!(cseq(&second), 2);
    r.handle_response(t0, &reply(&second, 200, &[(HeaderName::Expires, "1800")]));
    assert_eq!(
        r.status(),
        RegistrationStatus::Registered {
            until: t0 + secs(1800)
        }
    );
    r.handle_timeout(t0 + secs(900));
    assert_eq!(
        get(&sent(&mut r), &HeaderName::Expires),
        Some("1800"),
        "kept for refreshes"
    );
    assert_eq!(r.expires(), 1800);
}

#[test]
fn a_423_without_a_usable_min_expires_fails() {
    for min in [None, Some("600"), Some("300"), Some("soon")] {
        let t0 = Instant::now();
        let mut r = started(t0);
        let first = sent(&mut r);
        let extra: Vec<(HeaderName, &str)> = min
            .map(|m| (HeaderName::MinExpires, m))
            .into_iter()
            .collect();
        r.handle_response(t0, &reply(&first, 423, &extra));
        assert!(r.poll_request().is_none(), "{min:?}");
        assert!(
            matches!(
                r.status(),
                RegistrationStatus::Failed {
                    reason: FailReason::IntervalTooBrief,
                    ..
                }
            ),
            "{min:?}"
        );
    }
}

#[test]
fn the_granted_time_comes_from_our_contact_then_the_header() {
    let t0 = Instant::now();
    let cases: &[(&[(HeaderName, &str)], u64)] = &[
        // Our Contact's parameter wins over the header.
        (
            &[
                (HeaderName::Contact, "<sip:other@192.0.2.9>;expires=50"),
                (
                    HeaderName::Contact,
                    "<sip:acme@198.51.100.7:5062>;expires=120",
                ),
                (HeaderName::Expires, "3600"),
            ],
            120,
        ),
        // Someone else's binding only tells about theirs: use the header.
        (
            &[
                (HeaderName::Contact, "<sip:other@192.0.2.9>;expires=50"),
                (HeaderName::Contact, "<sip:third@192.0.2.10>;expires=70"),
                (HeaderName::Expires, "300"),
            ],
            300,
        ),
        // One rewritten Contact (NAT): that is ours.
        (
            &[(
                HeaderName::Contact,
                "<sip:acme@203.0.113.50:40000>;expires=90",
            )],
            90,
        ),
        // Nothing at all: what we asked.
        (&[], 600),
        // More than asked: the registrar decides.
        (&[(HeaderName::Expires, "7200")], 7200),
    ];
    for (extra, granted) in cases {
        let mut r = started(t0);
        let req = sent(&mut r);
        r.handle_response(t0, &reply(&req, 200, extra));
        assert_eq!(
            r.status(),
            RegistrationStatus::Registered {
                until: t0 + secs(*granted)
            },
            "{extra:?}"
        );
    }
}

#[test]
fn refresh_timing_is_half_or_margin_with_a_floor() {
    assert_eq!(refresh_delay(secs(3600)), secs(1800));
    assert_eq!(refresh_delay(secs(60)), secs(30));
    assert_eq!(refresh_delay(secs(50)), secs(20));
    assert_eq!(refresh_delay(secs(40)), secs(10));
    assert_eq!(refresh_delay(secs(8)), MIN_REFRESH);
    assert_eq!(refresh_delay(secs(0)), MIN_REFRESH);
}

#[test]
fn a_grant_of_zero_is_a_failure() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let req = sent(&mut r);
    r.handle_response(
        t0,
        &reply(
            &req,
            200,
            &[(
                HeaderName::Contact,
                "<sip:acme@198.51.100.7:5062>;expires=0",
            )],
        ),
    );
    assert!(matches!(
        r.status(),
        RegistrationStatus::Failed {
            reason: FailReason::NotBound,
            ..
        }
    ));
}

#[test]
fn unusable_challenges_fail_the_attempt() {
    for value in [
        r#"Digest realm="x", nonce="y", algorithm=SHA-512-256"#,
        r#"Digest realm="x", nonce="y", qop="auth-int""#,
        r#"Basic realm="x""#,
    ] {
        let t0 = Instant::now();
        let mut r = started(t0);
        let req = sent(&mut r);
        r.handle_response(
            t0,
            &reply(&req, 401, &[(HeaderName::WwwAuthenticate, value)]),
        );
        assert!(
            matches!(
                r.status(),
                RegistrationStatus::Failed {
                    reason: FailReason::BadChallenge(_),
                    ..
                }
            ),
            "{value}"
        );
    }
    let t0 = Instant::now();
    let mut r = started(t0);
    let req = sent(&mut r);
    r.handle_response(t0, &reply(&req, 401, &[]));
    assert!(matches!(
        r.status(),
        RegistrationStatus::Failed {
            reason: FailReason::BadChallenge(_),
            ..
        }
    ));
}

#[test]
fn stop_unregisters_with_expires_zero() {
    let t0 = Instant::now();
    let mut r = started(t0);
    registered(&mut r, t0, 600);
    let t1 = t0 + secs(100);
    r.stop(t1);
    assert_eq!(r.status(), RegistrationStatus::Off);
    let bye = sent(&mut r);
    assert_eq!(get(&bye, &HeaderName::Expires), Some("0"));
    assert_eq!(get(&bye, &HeaderName::CallId), Some("reg-call-1"));
    assert_eq!(cseq(&bye), 3);
    assert_eq!(credentials(&bye, &HeaderName::Authorization).nc, Some(2));
    assert!(!r.is_idle());
    r.handle_response(t1, &reply(&bye, 200, &[]));
    assert!(r.is_idle());
    assert_eq!(r.poll_timeout(), None);
    r.handle_timeout(t0 + secs(10_000));
    assert!(r.poll_request().is_none(), "no refresh after stop");
}

#[test]
fn an_unregister_may_be_challenged_or_lost() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let req = sent(&mut r);
    r.handle_response(t0, &reply(&req, 200, &[(HeaderName::Expires, "600")]));
    r.stop(t0);
    let bye = sent(&mut r);
    r.handle_response(
        t0,
        &reply(
            &bye,
            401,
            &[(HeaderName::WwwAuthenticate, &www("u1", "MD5"))],
        ),
    );
    let bye2 = sent(&mut r);
    assert_eq!(get(&bye2, &HeaderName::Expires), Some("0"));
    credentials(&bye2, &HeaderName::Authorization);
    r.handle_failure(t0 + secs(32));
    assert!(
        r.is_idle(),
        "a lost unregister is not retried: the binding lapses"
    );
    assert_eq!(r.status(), RegistrationStatus::Off);
}

#[test]
fn stop_during_the_first_register_unregisters_after_it_succeeds() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let req = sent(&mut r);
    r.stop(t0);
    assert!(r.poll_request().is_none(), "never two REGISTERs at once");
    r.handle_response(t0, &reply(&req, 200, &[(HeaderName::Expires, "600")]));
    let bye = sent(&mut r);
    assert_eq!(get(&bye, &HeaderName::Expires), Some("0"));
    r.handle_response(t0, &reply(&bye, 200, &[]));
    assert!(r.is_idle());
}

#[test]
fn stop_before_any_binding_sends_nothing() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let req = sent(&mut r);
    r.handle_response(t0, &reply(&req, 403, &[]));
    r.stop(t0);
    assert!(r.poll_request().is_none());
    assert!(r.is_idle());
    // A failed first REGISTER while stopping also ends quietly.
    let mut r = started(t0);
    let req = sent(&mut r);
    r.stop(t0);
    r.handle_response(t0, &reply(&req, 500, &[]));
    assert!(r.poll_request().is_none());
    assert!(r.is_idle());
}

#[test]
fn start_during_an_unregister_registers_again_after_it() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let req = sent(&mut r);
    r.handle_response(t0, &reply(&req, 200, &[(HeaderName::Expires, "600")]));
    r.stop(t0);
    let bye = sent(&mut r);
    r.start(t0);
    assert!(r.poll_request().is_none());
    r.handle_response(t0, &reply(&bye, 200, &[]));
    let again = sent(&mut r);
    assert_eq!(get(&again, &HeaderName::Expires), Some("600"));
    assert_eq!(r.status(), RegistrationStatus::Registering);
}

#[test]
fn responses_that_are_not_ours_are_ignored() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let first = sent(&mut r);
    let mut other_call = reply(&first, 200, &[]);
    other_call.headers.set(HeaderName::CallId, "someone-else");
    assert!(!r.handle_response(t0, &other_call));
    let mut old = reply(&first, 200, &[]);
    old.headers.set(HeaderName::CSeq, "0 REGISTER");
    assert!(!r.handle_response(t0, &old));
    let mut options = reply(&first, 200, &[]);
    options.headers.set(HeaderName::CSeq, "1 OPTIONS");
    assert!(!r.handle_response(t0, &options));
    assert!(
        r.handle_response(t0, &reply(&first, 100, &[])),
        "ours but provisional"
    );
    assert_eq!(r.status(), RegistrationStatus::Registering);
    assert!(r.handle_response(t0, &reply(&first, 200, &[])));
    assert!(
        !r.handle_response(t0, &reply(&first, 200, &[])),
        "retransmission"
    );
}

#[test]
fn configuration_from_a_trunk() {
    let trunk = Trunk {
        id: 1,
        name: "acme".into(),
        host: "sip.example.net".into(),
        port: Some(5080),
        transport: TrunkTransport::Tcp,
        registration: Some(super::super::TrunkRegistration {
            username: "acme-user".into(),
            password: "pw-secret".into(),
            expires: 0,
        }),
        allow: Vec::new(),
        codecs: vec!["PCMU".into()],
        srtp: super::super::SrtpPolicy::Off,
        channels: None,
        options_interval: 0,
        caller_id: None,
        ca_file: None,
    };
    let ids = RegistrationIds {
        call_id: "c".into(),
        from_tag: "t".into(),
        cnonce: "n".into(),
        jitter_seed: Some(7),
    };
    let config = RegistrationConfig::for_trunk(&trunk, "<sip:acme-user@192.0.2.1>", ids.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!format!("{config:?}").contains("pw-secret"));
    let mut r = TrunkRegistrar::new(config).unwrap_or_else(|e| panic!("{e}"));
    assert!(!format!("{r:?}").contains("pw-secret"));
    assert_eq!(r.expires(), DEFAULT_EXPIRES, "0 would mean unregister");
    r.start(Instant::now());
    let req = sent(&mut r);
    assert_eq!(
        req.uri.to_string(),
        "sip:sip.example.net:5080;transport=tcp"
    );
    assert_eq!(get(&req, &HeaderName::Expires), Some("3600"));

    let ip_auth = Trunk {
        registration: None,
        ..trunk.clone()
    };
    assert_eq!(
        RegistrationConfig::for_trunk(&ip_auth, "<sip:x@y>", ids.clone()).err(),
        Some(TrunkConfigError::NoRegistration("acme".into()))
    );
    let bad_contact = RegistrationConfig::for_trunk(&trunk, "not a contact", ids)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        TrunkRegistrar::new(bad_contact).err(),
        Some(TrunkConfigError::BadContact(_))
    ));
}

#[test]
fn refresh_now_registers_at_once_keeping_the_call_id() {
    let t0 = Instant::now();
    let mut r = TrunkRegistrar::new(config()).unwrap_or_else(|e| panic!("{e}"));
    r.refresh_now(t0);
    assert!(r.poll_request().is_none(), "not started: nothing");
    r.start(t0);
    registered(&mut r, t0, 3600);
    let t1 = t0 + secs(60);
    r.refresh_now(t1);
    assert!(r.has_request());
    let renewal = sent(&mut r);
    assert!(!r.has_request());
    assert_eq!(get(&renewal, &HeaderName::CallId), Some("reg-call-1"));
    assert_eq!(cseq(&renewal), 3);
    let c = credentials(&renewal, &HeaderName::Authorization);
    assert_eq!(
        (c.nonce.as_str(), c.nc),
        ("n1", Some(2)),
        "the nonce is reused"
    );
    assert_eq!(
        r.status(),
        RegistrationStatus::Registered {
            until: t0 + secs(3600)
        },
        "still registered while the renewal is out"
    );
    r.handle_response(t1, &reply(&renewal, 200, &[(HeaderName::Expires, "3600")]));
    assert_eq!(
        r.status(),
        RegistrationStatus::Registered {
            until: t1 + secs(3600)
        }
    );
}

#[test]
fn refresh_now_abandons_the_register_under_way_and_skips_a_wait() {
    let t0 = Instant::now();
    let mut r = started(t0);
    let first = sent(&mut r);
    r.refresh_now(t0 + secs(1));
    let second = sent(&mut r);
    assert_eq!(cseq(&second), cseq(&first) + 1);
    assert!(
        !r.handle_response(t0 + secs(2), &reply(&first, 200, &[])),
        "an answer to the abandoned REGISTER is not ours"
    );
    assert_eq!(r.status(), RegistrationStatus::Registering);
    r.handle_response(t0 + secs(2), &reply(&second, 403, &[]));
    assert!(matches!(r.status(), RegistrationStatus::Failed { .. }));
    let t1 = t0 + secs(3);
    r.refresh_now(t1);
    let third = sent(&mut r);
    assert_eq!(cseq(&third), cseq(&second) + 1);
    assert_eq!(r.status(), RegistrationStatus::Registering);
    assert_eq!(r.poll_timeout(), Some(t1 + RESPONSE_GUARD));
}

#[test]
fn a_lost_connection_renews_a_held_registration_at_once() {
    let t0 = Instant::now();
    let mut r = started(t0);
    registered(&mut r, t0, 3600);
    let t1 = t0 + secs(20);
    r.connection_lost(t1);
    let renewal = sent(&mut r);
    assert_eq!(get(&renewal, &HeaderName::CallId), Some("reg-call-1"));
    assert_eq!(cseq(&renewal), 3);
    assert!(matches!(r.status(), RegistrationStatus::Registered { .. }));
    r.handle_response(t1, &reply(&renewal, 200, &[(HeaderName::Expires, "3600")]));
    assert_eq!(
        r.status(),
        RegistrationStatus::Registered {
            until: t1 + secs(3600)
        }
    );
}

#[test]
fn a_connection_lost_right_after_a_success_is_renewed_after_the_floor() {
    let t0 = Instant::now();
    let mut r = started(t0);
    registered(&mut r, t0, 3600);
    r.connection_lost(t0 + secs(1));
    assert!(r.poll_request().is_none(), "not again within MIN_REFRESH");
    assert_eq!(r.poll_timeout(), Some(t0 + MIN_REFRESH));
    r.handle_timeout(t0 + MIN_REFRESH);
    assert_eq!(cseq(&sent(&mut r)), 3);
}

#[test]
fn a_lost_connection_fails_the_register_under_way_and_keeps_a_wait() {
    let t0 = Instant::now();
    let mut r = started(t0);
    sent(&mut r);
    let t1 = t0 + secs(2);
    r.connection_lost(t1);
    assert!(r.poll_request().is_none());
    assert_eq!(
        r.status(),
        RegistrationStatus::Failed {
            reason: FailReason::NoResponse,
            retry_at: t1 + FIRST_RETRY
        }
    );
    // Losing the next connection too does not cut the wait short.
    r.connection_lost(t1 + secs(3));
    assert!(
        r.poll_request().is_none(),
        "a dead provider is not hammered"
    );
    assert_eq!(r.poll_timeout(), Some(t1 + FIRST_RETRY));
    let mut stopped = TrunkRegistrar::new(config()).unwrap_or_else(|e| panic!("{e}"));
    stopped.connection_lost(t1);
    assert!(stopped.poll_request().is_none() && stopped.poll_timeout().is_none());
}

#[test]
fn a_new_contact_rebuilds_the_queued_register_and_is_matched_in_the_200() {
    let t0 = Instant::now();
    let mut r = started(t0);
    assert!(r.set_contact("not a contact <").is_err());
    r.set_contact("<sip:acme@198.51.100.7:40123;transport=tcp>")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.contact(), "<sip:acme@198.51.100.7:40123;transport=tcp>");
    let req = sent(&mut r);
    assert_eq!(cseq(&req), 1, "same CSeq: it was never sent");
    assert_eq!(
        get(&req, &HeaderName::Contact),
        Some("<sip:acme@198.51.100.7:40123;transport=tcp>")
    );
    let contacts = "<sip:other@192.0.2.1>;expires=900, \
                    <sip:acme@198.51.100.7:40123;transport=tcp>;expires=120";
    r.handle_response(t0, &reply(&req, 200, &[(HeaderName::Contact, contacts)]));
    assert_eq!(
        r.status(),
        RegistrationStatus::Registered {
            until: t0 + secs(120)
        }
    );
}
