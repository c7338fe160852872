//! Client and server transaction layers over a simulated UDP network with seeded loss,
//! duplication and reordering, for hundreds of seeds: every transaction ends, the TUs see each
//! request once and each non-2xx final once, and retransmissions stay within RFC 3261 bounds.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod common;

use common::*;
use sip::transaction::{Event, TimerKind};

const SEEDS: u64 = 300;

fn lossy(loss: f64) -> NetConfig {
    NetConfig {
        loss,
        duplicate: 0.1,
        min_delay: ms(5),
        max_delay: ms(400),
    }
}

fn is_final(e: &Event<Node>, status: u16) -> bool {
    matches!(e, Event::Response { response, .. } if response.status == status)
}

fn is_timeout(e: &Event<Node>, timer: TimerKind) -> bool {
    matches!(e, Event::Timeout { timer: t, .. } if *t == timer)
}

fn sent(log: &[(std::time::Duration, String)], what: &str) -> usize {
    log.iter().filter(|(_, l)| l == what).count()
}

#[test]
fn invite_rejected_over_a_lossy_network() {
    let mut delivered = 0;
    for seed in 0..SEEDS {
        let policy = ServerPolicy {
            ringing: true,
            final_status: 486,
            answer_after: secs(1),
        };
        let mut sim = Sim::new(seed, lossy(0.2), false, policy);
        let id = sim.start(invite(&format!("z9hG4bKl{seed}")));
        sim.run(secs(300));

        let finals = sim.count_client(|e| is_final(e, 486));
        let timeouts = sim.count_client(|e| is_timeout(e, TimerKind::B));
        assert_eq!(
            finals + timeouts,
            1,
            "seed {seed}: one outcome, got {finals} finals {timeouts} timeouts"
        );
        assert!(
            sim.server_events
                .iter()
                .filter(|(_, e)| matches!(e, Event::Request { .. }))
                .count()
                <= 1,
            "seed {seed}"
        );
        assert!(
            sent(&sim.client_sent, "INVITE") <= 7,
            "seed {seed}: A fires 6 times at most"
        );
        assert!(
            sim.client_terminated(id) && sim.client.is_empty() && sim.server.is_empty(),
            "seed {seed}: all ended"
        );
        assert!(
            sent(&sim.client_sent, "ACK") >= finals,
            "seed {seed}: the final was ACKed"
        );
        // The client's transaction ends at B (32 s) or D (32 s after the final).
        let end = sim
            .client_events
            .iter()
            .find(|(_, e)| matches!(e, Event::Terminated { .. }))
            .map(|(t, _)| *t);
        assert!(
            end.is_some_and(|t| t <= secs(32 + 40)),
            "seed {seed}: ended at {end:?}"
        );
        delivered += finals;
    }
    assert!(
        delivered as u64 >= SEEDS * 95 / 100,
        "only {delivered} of {SEEDS} delivered at 20% loss"
    );
}

#[test]
fn invite_answered_over_a_lossy_network() {
    let mut delivered = 0;
    let mut acked = 0;
    for seed in 0..SEEDS {
        let policy = ServerPolicy {
            ringing: true,
            final_status: 200,
            answer_after: secs(2),
        };
        let mut sim = Sim::new(1_000 + seed, lossy(0.2), false, policy);
        sim.start(invite(&format!("z9hG4bKa{seed}")));
        sim.run(secs(300));

        let oks = sim.count_client(|e| is_final(e, 200));
        let timeouts = sim.count_client(|e| is_timeout(e, TimerKind::B));
        assert!(
            (oks > 0) != (timeouts > 0),
            "seed {seed}: {oks} 2xx, {timeouts} timeouts"
        );
        assert!(
            sim.count_server(|e| matches!(e, Event::Request { .. })) <= 1,
            "seed {seed}"
        );
        assert!(
            sim.client.is_empty() && sim.server.is_empty(),
            "seed {seed}: all ended"
        );
        // A 2xx is never ACKed by the transaction, only by the TU: one ACK per 2xx seen.
        assert_eq!(sent(&sim.client_sent, "ACK"), oks, "seed {seed}");
        delivered += usize::from(oks > 0);
        acked += usize::from(sim.acked);
    }
    assert!(
        delivered as u64 >= SEEDS * 95 / 100,
        "only {delivered} of {SEEDS} answered"
    );
    assert!(
        acked as u64 >= SEEDS * 90 / 100,
        "only {acked} of {SEEDS} ACKed"
    );
}

#[test]
fn non_invite_over_a_lossy_network() {
    let mut delivered = 0;
    for seed in 0..SEEDS {
        let policy = ServerPolicy {
            ringing: false,
            final_status: 200,
            answer_after: ms(0),
        };
        let mut sim = Sim::new(2_000 + seed, lossy(0.3), false, policy);
        sim.start(request("REGISTER", &format!("z9hG4bKr{seed}"), "reg"));
        sim.run(secs(300));

        let finals = sim.count_client(|e| is_final(e, 200));
        let timeouts = sim.count_client(|e| is_timeout(e, TimerKind::F));
        assert_eq!(
            finals + timeouts,
            1,
            "seed {seed}: {finals} finals, {timeouts} timeouts"
        );
        assert!(
            sim.count_server(|e| matches!(e, Event::Request { .. })) <= 1,
            "seed {seed}"
        );
        assert!(
            sent(&sim.client_sent, "REGISTER") <= 11,
            "seed {seed}: E bounded by F"
        );
        assert!(
            sim.client.is_empty() && sim.server.is_empty(),
            "seed {seed}: all ended"
        );
        delivered += finals;
    }
    assert!(
        delivered as u64 >= SEEDS * 95 / 100,
        "only {delivered} of {SEEDS} at 30% loss"
    );
}

#[test]
fn perfect_network_needs_no_retransmissions() {
    for (status, method) in [(486, "INVITE"), (200, "INVITE"), (200, "OPTIONS")] {
        let policy = ServerPolicy {
            ringing: method == "INVITE",
            final_status: status,
            answer_after: ms(100),
        };
        let mut sim = Sim::new(7, NetConfig::perfect(), false, policy);
        sim.start(request(method, "z9hG4bKp", "perfect"));
        sim.run(secs(300));
        assert_eq!(sent(&sim.client_sent, method), 1, "{method} {status}");
        assert_eq!(
            sim.count_client(|e| is_final(e, status)),
            1,
            "{method} {status}"
        );
        assert!(sim.client.is_empty() && sim.server.is_empty());
    }
}

#[test]
fn reliable_transport_with_reordering_only() {
    for seed in 0..50 {
        for (status, method) in [(486, "INVITE"), (200, "INVITE"), (404, "MESSAGE")] {
            let policy = ServerPolicy {
                ringing: true,
                final_status: status,
                answer_after: ms(300),
            };
            let net = NetConfig {
                loss: 0.0,
                duplicate: 0.0,
                min_delay: ms(1),
                max_delay: ms(50),
            };
            let mut sim = Sim::new(3_000 + seed, net, true, policy);
            sim.start(request(method, &format!("z9hG4bKt{seed}"), "tcp"));
            sim.run(secs(300));
            assert_eq!(
                sent(&sim.client_sent, method),
                1,
                "no retransmission on reliable transports"
            );
            assert_eq!(
                sim.count_client(|e| is_final(e, status)),
                1,
                "seed {seed} {method}"
            );
            assert!(sim.client.is_empty() && sim.server.is_empty());
        }
    }
}
