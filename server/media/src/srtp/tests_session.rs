use super::{CryptoAttribute, CryptoSuite, SrtpError, SrtpSession};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|e| panic!("{s}: {e}")))
        .collect()
}

fn attr(suite: CryptoSuite, key_salt: &[u8]) -> CryptoAttribute {
    CryptoAttribute {
        tag: 1,
        suite,
        key_salt: key_salt.to_vec(),
    }
}

fn session(ours: &CryptoAttribute, theirs: &CryptoAttribute) -> SrtpSession {
    SrtpSession::new(ours, theirs).unwrap_or_else(|e| panic!("{e}"))
}

/// Two ends of one call: SDES offer and answer, each side keyed with the swapped pair.
fn pair(suite: CryptoSuite) -> (SrtpSession, SrtpSession) {
    let mut seed = 1u8;
    let mut random = |buf: &mut [u8]| {
        for b in buf {
            seed = seed.wrapping_mul(31).wrapping_add(7);
            *b = seed;
        }
    };
    let offer = CryptoAttribute::generate(1, suite, &mut random);
    let answer = CryptoAttribute::generate(1, suite, &mut random);
    assert_ne!(offer.key_salt, answer.key_salt);
    (session(&offer, &answer), session(&answer, &offer))
}

fn rtp(seq: u16, ssrc: u32, payload_len: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x00];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq).wrapping_mul(160)).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..payload_len).map(|i| (i as u8) ^ (seq as u8)));
    p
}

/// A sender report (28 bytes) followed by an empty receiver report: a compound packet.
fn rtcp(ssrc: u32, ntp_low: u32) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0, 6];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&0xe7a1_0000u32.to_be_bytes());
    p.extend_from_slice(&ntp_low.to_be_bytes());
    p.extend_from_slice(&1600u32.to_be_bytes());
    p.extend_from_slice(&10u32.to_be_bytes());
    p.extend_from_slice(&1720u32.to_be_bytes());
    p.extend_from_slice(&[0x80, 201, 0, 1]);
    p.extend_from_slice(&ssrc.to_be_bytes());
    p
}

fn protect(s: &mut SrtpSession, packet: &[u8]) -> Vec<u8> {
    s.protect_rtp(packet)
        .unwrap_or_else(|e| panic!("protect: {e}"))
}

#[test]
fn rtp_round_trip_every_suite_both_ways() {
    for suite in CryptoSuite::ALL {
        let (mut alice, mut bob) = pair(suite);
        for seq in 1000..1050u16 {
            for forward in [true, false] {
                let (from, to, ssrc) = if forward {
                    (&mut alice, &mut bob, 0x1111)
                } else {
                    (&mut bob, &mut alice, 0x2222)
                };
                let plain = rtp(seq, ssrc, 160);
                let srtp = protect(from, &plain);
                assert_eq!(srtp.len(), plain.len() + suite.rtp_overhead(), "{suite}");
                assert_eq!(srtp.len(), plain.len() + from.rtp_overhead(), "{suite}");
                assert_eq!(srtp[..12], plain[..12], "{suite}: header stays clear");
                assert_ne!(srtp[12..172], plain[12..], "{suite}: payload encrypted");
                assert_eq!(to.unprotect_rtp(&srtp), Ok(plain), "{suite} seq {seq}");
            }
        }
    }
    let overheads: Vec<usize> = CryptoSuite::ALL.iter().map(|s| s.rtp_overhead()).collect();
    assert_eq!(overheads, [10, 4, 10, 4, 16, 16]);
}

#[test]
fn own_key_cannot_unprotect_own_packets() {
    let (mut alice, _bob) = pair(CryptoSuite::AesCm128HmacSha1_80);
    let srtp = protect(&mut alice, &rtp(1, 5, 20));
    assert_eq!(alice.unprotect_rtp(&srtp), Err(SrtpError::Auth));
}

#[test]
fn tampered_rtp_fails_and_does_not_poison_the_window() {
    for suite in CryptoSuite::ALL {
        let (mut alice, mut bob) = pair(suite);
        let plain = rtp(7, 0xabcd, 100);
        let srtp = protect(&mut alice, &plain);
        // A flipped bit in the header (timestamp), payload and tag each break authentication.
        for at in [5, 12, 60, srtp.len() - 1] {
            let mut bad = srtp.clone();
            bad[at] ^= 0x01;
            assert_eq!(
                bob.unprotect_rtp(&bad),
                Err(SrtpError::Auth),
                "{suite} byte {at}"
            );
        }
        // Truncated tag: never Ok, never a panic.
        for len in 0..srtp.len() {
            assert!(
                bob.unprotect_rtp(&srtp[..len]).is_err(),
                "{suite} len {len}"
            );
        }
        assert_eq!(bob.unprotect_rtp(&srtp), Ok(plain), "{suite}");
    }
}

#[test]
fn replayed_and_too_old_rtp_fail_reordered_passes() {
    let (mut alice, mut bob) = pair(CryptoSuite::AesCm128HmacSha1_80);
    let packets: Vec<(Vec<u8>, Vec<u8>)> = (0..300u16)
        .map(|seq| {
            let p = rtp(seq, 9, 40);
            (protect(&mut alice, &p), p)
        })
        .collect();
    // Reordered within the window: all accepted, each once.
    for i in [1, 0, 3, 2, 5, 4] {
        assert_eq!(
            bob.unprotect_rtp(&packets[i].0),
            Ok(packets[i].1.clone()),
            "{i}"
        );
    }
    assert_eq!(bob.unprotect_rtp(&packets[3].0), Err(SrtpError::Replay));
    assert_eq!(bob.unprotect_rtp(&packets[0].0), Err(SrtpError::Replay));
    assert_eq!(
        bob.unprotect_rtp(&packets[299].0),
        Ok(packets[299].1.clone())
    );
    // 290 is 9 behind the newest: late but inside the window; 100 is 199 behind: too old.
    assert_eq!(
        bob.unprotect_rtp(&packets[290].0),
        Ok(packets[290].1.clone())
    );
    assert_eq!(bob.unprotect_rtp(&packets[100].0), Err(SrtpError::Replay));
    assert_eq!(bob.unprotect_rtp(&packets[299].0), Err(SrtpError::Replay));
}

#[test]
fn sequence_wrap_keeps_rollover_counters_in_step() {
    // The ROC enters the auth tag and the keystream: had the two ends disagreed after
    // 65535 -> 0, authentication would fail and the payload would not come back.
    let (mut alice, mut bob) = pair(CryptoSuite::AesCm128HmacSha1_80);
    let mut srtp_at_5 = Vec::new();
    for i in 0..40u16 {
        let seq = 65_520u16.wrapping_add(i);
        let plain = rtp(seq, 0x77, 60);
        let srtp = protect(&mut alice, &plain);
        if seq == 5 {
            srtp_at_5 = srtp.clone();
        }
        assert_eq!(bob.unprotect_rtp(&srtp), Ok(plain), "seq {seq}");
    }
    // The same header under ROC 0 is a different packet: the counter really moved.
    let (mut fresh_alice, _) = pair(CryptoSuite::AesCm128HmacSha1_80);
    assert_ne!(protect(&mut fresh_alice, &rtp(5, 0x77, 60)), srtp_at_5);
}

#[test]
fn rtcp_round_trip_tamper_replay_every_suite() {
    for suite in CryptoSuite::ALL {
        let (mut alice, mut bob) = pair(suite);
        let mut sent = Vec::new();
        for n in 0..5 {
            let plain = rtcp(0x1111, n);
            let srtcp = alice
                .protect_rtcp(&plain)
                .unwrap_or_else(|e| panic!("{suite}: {e}"));
            // E flag and index 1.. follow the (encrypted) packet, then the tag, if any.
            let e_at = plain.len() + if suite.rtp_overhead() == 16 { 16 } else { 0 };
            assert_eq!(
                srtcp[e_at..e_at + 4],
                (0x8000_0001u32 + n).to_be_bytes(),
                "{suite}"
            );
            assert_eq!(srtcp[..8], plain[..8], "{suite}");
            assert_ne!(srtcp[8..28], plain[8..28], "{suite}: report encrypted");
            assert_eq!(bob.unprotect_rtcp(&srtcp), Ok(plain.clone()), "{suite}");
            sent.push(srtcp);
        }
        assert_eq!(
            bob.unprotect_rtcp(&sent[2]),
            Err(SrtpError::Replay),
            "{suite}"
        );
        let next = alice.protect_rtcp(&rtcp(0x1111, 9)).unwrap_or_default();
        for at in [3, 10, next.len() - 1] {
            let mut bad = next.clone();
            bad[at] ^= 0x40;
            assert_eq!(
                bob.unprotect_rtcp(&bad),
                Err(SrtpError::Auth),
                "{suite} byte {at}"
            );
        }
        for len in 0..next.len() {
            assert!(
                bob.unprotect_rtcp(&next[..len]).is_err(),
                "{suite} len {len}"
            );
        }
        assert_eq!(bob.unprotect_rtcp(&next), Ok(rtcp(0x1111, 9)), "{suite}");
    }
}

#[test]
fn srtcp_with_e_flag_cleared_is_refused() {
    // rtc-srtp alone would return such a packet without checking its tag: an injected BYE.
    let (_, mut bob) = pair(CryptoSuite::AesCm128HmacSha1_80);
    let mut forged = vec![0x81, 203, 0, 1, 0, 0, 0x11, 0x11];
    forged.extend_from_slice(&7u32.to_be_bytes());
    forged.extend_from_slice(&[0; 10]);
    assert_eq!(bob.unprotect_rtcp(&forged), Err(SrtpError::Auth));
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let (mut alice, mut bob) = pair(CryptoSuite::AesCm128HmacSha1_80);
    let mut x = 0x1234_5678u32;
    for len in 0..200usize {
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        assert!(bob.unprotect_rtp(&junk).is_err(), "rtp {len}");
        assert!(bob.unprotect_rtcp(&junk).is_err(), "rtcp {len}");
    }
    assert!(matches!(
        alice.protect_rtp(&[0x80, 0, 1]),
        Err(SrtpError::Packet(_))
    ));
    assert!(matches!(
        alice.protect_rtcp(&[0x80, 200]),
        Err(SrtpError::Packet(_))
    ));
}

#[test]
fn wrong_key_length_is_refused() {
    let good = attr(CryptoSuite::AesCm128HmacSha1_80, &[1; 30]);
    let short = attr(CryptoSuite::AesCm128HmacSha1_80, &[1; 29]);
    assert!(matches!(
        SrtpSession::new(&good, &short),
        Err(SrtpError::Invalid(_))
    ));
    assert!(matches!(
        SrtpSession::new(&short, &good),
        Err(SrtpError::Invalid(_))
    ));
}

#[test]
fn session_is_send() {
    fn send<T: Send>() {}
    send::<SrtpSession>();
}

// Known answers from libsrtp's test/srtp_driver.c (srtp_validate, srtp_validate_aes_256,
// srtp_validate_gcm): SSRC 0xcafebabe, seq 0x1234, ROC 0, SRTCP index 1. The AES-CM-128
// master key and salt are RFC 3711 appendix B.3's, so this also pins B.3's key derivation.

const B3_KEY_SALT: &str = "e1f97a0d3e018be0d64fa32c06de4139 0ec675ad498afeebb6960b3aabe6";
const RTP_PLAIN: &str = "800f1234decafbadcafebabe abababababababababababababababab";
const RTCP_PLAIN: &str = "81c8000bcafebabe abababababababababababababababab";

fn known_answer(suite: CryptoSuite, key_salt: &str, plain: &str, protected: &str, rtcp: bool) {
    let key = attr(suite, &hex(key_salt));
    let (plain, protected) = (hex(plain), hex(protected));
    let mut sender = session(&key, &key);
    let mut receiver = session(&key, &key);
    if rtcp {
        assert_eq!(
            sender.protect_rtcp(&plain),
            Ok(protected.clone()),
            "{suite}"
        );
        assert_eq!(receiver.unprotect_rtcp(&protected), Ok(plain), "{suite}");
    } else {
        assert_eq!(sender.protect_rtp(&plain), Ok(protected.clone()), "{suite}");
        assert_eq!(receiver.unprotect_rtp(&protected), Ok(plain), "{suite}");
    }
}

#[test]
fn libsrtp_known_answer_aes_cm_128_hmac_sha1_80() {
    let srtp = "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb";
    known_answer(
        CryptoSuite::AesCm128HmacSha1_80,
        B3_KEY_SALT,
        RTP_PLAIN,
        srtp,
        false,
    );
    let srtcp = "81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798";
    known_answer(
        CryptoSuite::AesCm128HmacSha1_80,
        B3_KEY_SALT,
        RTCP_PLAIN,
        srtcp,
        true,
    );
}

#[test]
fn libsrtp_known_answer_aes_cm_128_hmac_sha1_32() {
    // Same keystream, tag cut to 4 bytes; SRTCP keeps its 80-bit tag (RFC 4568 §6.2).
    let srtp = "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc";
    known_answer(
        CryptoSuite::AesCm128HmacSha1_32,
        B3_KEY_SALT,
        RTP_PLAIN,
        srtp,
        false,
    );
    let srtcp = "81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798";
    known_answer(
        CryptoSuite::AesCm128HmacSha1_32,
        B3_KEY_SALT,
        RTCP_PLAIN,
        srtcp,
        true,
    );
}

#[test]
fn libsrtp_known_answer_aes_256_cm_hmac_sha1_80() {
    // RFC 6188 §7's master key and salt.
    let key = "f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6 \
               3b04803de51ee7c96423ab5b78d2";
    let srtp = "800f1234decafbadcafebabe f1d9de17ff251ff1aa007774b0b4b40d a08d9d9a5b3a55d8873b";
    known_answer(
        CryptoSuite::Aes256CmHmacSha1_80,
        key,
        RTP_PLAIN,
        srtp,
        false,
    );
}

#[test]
fn libsrtp_known_answer_aead_aes_128_gcm() {
    let key = "000102030405060708090a0b0c0d0e0f a0a1a2a3a4a5a6a7a8a9aaab";
    let srtp = "800f1234decafbadcafebabe c5002ede04cfdd2eb91159e0880aa06e \
                d2976826f796b201df3131a127e8a392";
    known_answer(CryptoSuite::AeadAes128Gcm, key, RTP_PLAIN, srtp, false);
    let srtcp = "81c8000bcafebabe c98b8b5df0392a55852b6c21ac8e7025 \
                 c52c6fbea2b3b446ea31123ba88ce61e 80000001";
    known_answer(CryptoSuite::AeadAes128Gcm, key, RTCP_PLAIN, srtcp, true);
}
