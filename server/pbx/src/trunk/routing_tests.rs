use std::collections::HashMap;

use super::*;

fn route(
    id: i64,
    position: i64,
    pattern: &str,
    trunks: &[&str],
    strip: u32,
    prepend: &str,
) -> OutboundRoute {
    OutboundRoute {
        id,
        pattern: pattern.into(),
        trunks: trunks.iter().map(|t| (*t).to_owned()).collect(),
        strip,
        prepend: prepend.into(),
        position,
    }
}

fn up(calls: u32, channels: Option<u32>) -> TrunkState {
    TrunkState {
        up: true,
        calls,
        channels,
    }
}

fn down() -> TrunkState {
    TrunkState {
        up: false,
        calls: 0,
        channels: None,
    }
}

fn states(entries: &[(&str, TrunkState)]) -> HashMap<String, TrunkState> {
    entries.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect()
}

fn candidates(
    dialed: &str,
    routes: &[OutboundRoute],
    map: &HashMap<String, TrunkState>,
) -> Vec<(String, String)> {
    outbound_candidates(dialed, routes, &|t| map.get(t).copied())
        .into_iter()
        .map(|c| (c.trunk, c.number))
        .collect()
}

fn pair(t: &str, n: &str) -> (String, String) {
    (t.to_owned(), n.to_owned())
}

#[test]
fn the_first_matching_route_gives_its_trunks_in_order() {
    let routes = [
        route(1, 10, "_1NXXNXXXXXX", &["primary", "backup"], 0, "+"),
        route(2, 20, "_011.", &["intl"], 3, "+"),
        route(3, 30, "_X.", &["catchall"], 0, ""),
    ];
    let map = states(&[
        ("primary", up(0, Some(10))),
        ("backup", up(3, None)),
        ("intl", up(0, None)),
        ("catchall", up(0, None)),
    ]);
    assert_eq!(
        candidates("1-212-555-0100", &routes, &map),
        [
            pair("primary", "+12125550100"),
            pair("backup", "+12125550100")
        ]
    );
    assert_eq!(
        candidates("011442079460000", &routes, &map),
        [pair("intl", "+442079460000")]
    );
    assert_eq!(
        candidates("5550100", &routes, &map),
        [pair("catchall", "5550100")]
    );
    assert!(candidates("*97", &routes, &map).is_empty(), "no route");
}

#[test]
fn routes_are_tried_by_position_then_id_whatever_their_order_in_the_slice() {
    let routes = [
        route(7, 5, "_X.", &["late-id"], 0, ""),
        route(9, 1, "_1X.", &["first"], 0, ""),
        route(3, 5, "_X.", &["early-id"], 0, ""),
    ];
    let map = states(&[
        ("first", up(0, None)),
        ("early-id", up(0, None)),
        ("late-id", up(0, None)),
    ]);
    assert_eq!(candidates("123", &routes, &map), [pair("first", "123")]);
    assert_eq!(candidates("223", &routes, &map), [pair("early-id", "223")]);
}

#[test]
fn down_full_and_unknown_trunks_are_skipped() {
    let routes = [route(1, 1, "_X.", &["a", "b", "c", "d", "e", "a"], 0, "")];
    let map = states(&[
        ("a", down()),
        ("b", up(2, Some(2))),
        ("c", up(1, Some(2))),
        ("e", up(100, None)),
    ]);
    let plan = plan_outbound("5551234", &routes, &|t| map.get(t).copied());
    assert_eq!(
        plan,
        Some(OutboundPlan {
            route_id: 1,
            dialed: "5551234".into(),
            candidates: vec![
                Candidate {
                    trunk: "c".into(),
                    number: "5551234".into()
                },
                Candidate {
                    trunk: "e".into(),
                    number: "5551234".into()
                },
            ],
            skipped: vec![
                ("a".into(), Skip::Down),
                ("b".into(), Skip::Full),
                ("d".into(), Skip::Unknown),
            ],
        }),
        "a trunk listed twice is tried once"
    );
}

#[test]
fn all_trunks_unavailable_is_a_plan_without_candidates_not_no_route() {
    let routes = [
        route(1, 1, "_NXXXXXX", &["a"], 0, ""),
        route(2, 2, "_X.", &["b"], 0, ""),
    ];
    let map = states(&[("a", down()), ("b", up(0, None))]);
    let plan = plan_outbound("5551234", &routes, &|t| map.get(t).copied());
    assert!(
        plan.as_ref()
            .is_some_and(|p| p.route_id == 1 && p.candidates.is_empty()),
        "no silent fallback to a broader route: {plan:?}"
    );
    assert!(plan_outbound("#", &routes, &|t| map.get(t).copied()).is_none());
}

#[test]
fn broken_patterns_are_skipped_and_over_stripping_offers_nothing() {
    let routes = [
        route(1, 1, "_[", &["a"], 0, ""),
        route(2, 2, "_9X.", &["a"], 20, ""),
        route(3, 3, "_8X.", &["a"], 1, ""),
    ];
    let map = states(&[("a", up(0, None))]);
    assert!(candidates("912345", &routes, &map).is_empty());
    assert!(
        plan_outbound("912345", &routes, &|t| map.get(t).copied()).is_some_and(|p| p.route_id == 2)
    );
    assert_eq!(candidates("812345", &routes, &map), [pair("a", "12345")]);
}

#[test]
fn digit_manipulation_strips_then_prepends() {
    assert_eq!(manipulate("912125550100", 1, ""), "12125550100");
    assert_eq!(manipulate("912125550100", 1, "+"), "+12125550100");
    assert_eq!(manipulate("+442079460000", 3, "0"), "02079460000");
    assert_eq!(manipulate("5550100", 0, "1212"), "12125550100");
    assert_eq!(manipulate("123", 5, ""), "");
    assert_eq!(manipulate("123", u32::MAX, "9"), "9");
}

#[test]
fn trunk_state_full_and_available() {
    assert!(up(0, None).is_available());
    assert!(!up(0, Some(0)).is_available(), "zero channels: always full");
    assert!(up(4, Some(5)).is_available());
    assert!(up(5, Some(5)).is_full());
    assert!(!down().is_available());
}

#[test]
fn trunks_are_down_when_checks_or_registration_say_so() {
    use crate::trunk::health::Reachability;
    use crate::trunk::registration::{FailReason, RegistrationStatus};
    let now = std::time::Instant::now();
    let failed = RegistrationStatus::Failed {
        reason: FailReason::NoResponse,
        retry_at: now,
    };
    let registered = RegistrationStatus::Registered { until: now };
    assert!(trunk_up(Reachability::Unknown, None));
    assert!(trunk_up(Reachability::Up, Some(&registered)));
    assert!(trunk_up(
        Reachability::Unknown,
        Some(&RegistrationStatus::Registering)
    ));
    assert!(trunk_up(Reachability::Up, Some(&RegistrationStatus::Off)));
    assert!(!trunk_up(Reachability::Down, None));
    assert!(!trunk_up(Reachability::Down, Some(&registered)));
    assert!(!trunk_up(Reachability::Up, Some(&failed)));
}

#[test]
fn failover_statuses() {
    for status in [408, 500, 502, 503, 504, 580, 599, 401, 402, 407] {
        assert!(should_fail_over(status), "{status}");
    }
    for status in [
        180, 200, 302, 400, 403, 404, 480, 484, 486, 487, 488, 600, 603, 604,
    ] {
        assert!(!should_fail_over(status), "{status}");
    }
}

#[test]
fn e164_normalization() {
    let cases = [
        ("+1 (212) 555-0100", "1", Some("+12125550100")),
        ("2125550100", "1", Some("+12125550100")),
        ("12125550100", "+1", Some("+12125550100")),
        ("011442079460000", "1", Some("+442079460000")),
        ("1125550100", "1", None),
        ("555 0100", "1", None),
        ("911", "1", None),
        ("02079460000", "44", Some("+442079460000")),
        ("2079460000", "44", Some("+442079460000")),
        ("00442079460000", "49", Some("+442079460000")),
        ("0049 30 123456", "44", Some("+4930123456")),
        ("030 123456", "49", Some("+4930123456")),
        ("06 1234 5678", "39", Some("+390612345678")),
        ("112", "49", None),
        ("116123", "44", None),
        ("+123", "1", None),
        ("+1234567890123456", "1", None),
        ("alice", "1", None),
        ("+12a4567890", "1", None),
        ("2125550100", "", None),
        ("2125550100", "1234", None),
        ("2125550100", "x", None),
    ];
    for (number, cc, want) in cases {
        assert_eq!(e164(number, cc).as_deref(), want, "{number} in {cc}");
    }
}

#[test]
fn the_dialed_number_leaves_out_the_access_code_but_not_the_prepend() {
    let routes = [
        route(1, 1, "_9X.", &["a"], 1, "+"),
        route(2, 2, "_011.", &["a"], 0, ""),
    ];
    let map = states(&[("a", up(0, None))]);
    let dialed = |n: &str| plan_outbound(n, &routes, &|t| map.get(t).copied()).map(|p| p.dialed);
    assert_eq!(dialed("912125550199").as_deref(), Some("12125550199"));
    assert_eq!(
        dialed("9011442071234567").as_deref(),
        Some("011442071234567")
    );
    assert_eq!(
        dialed("011442071234567").as_deref(),
        Some("011442071234567")
    );
    assert_eq!(
        crate::dialplan::classify(&dialed("912125550199").unwrap_or_default()),
        crate::CallClass::National
    );
}
