use crate::dialplan::{Rule, RuleAction};
use crate::features::CallClass::{self, *};

use super::{Caller, Decision, DialPlan, normalize, route};

const EXTENSIONS: [&str; 5] = ["1001", "1002", "1003", "2000", "alice"];

fn is_extension(number: &str) -> bool {
    EXTENSIONS.contains(&number)
}

fn rule(
    id: i64,
    position: i64,
    pattern: &str,
    action: RuleAction,
    class: Option<CallClass>,
) -> Rule {
    Rule {
        id,
        position,
        pattern: pattern.into(),
        action,
        class,
    }
}

fn to_route(name: &str) -> RuleAction {
    RuleAction::Route(name.into())
}

fn ext(number: &str) -> Decision {
    Decision::Extension {
        number: number.into(),
    }
}

fn routed(route: &str, number: &str, class: CallClass) -> Decision {
    Decision::Route {
        route: route.into(),
        number: number.into(),
        class,
    }
}

fn forbidden(class: CallClass) -> Decision {
    Decision::Forbidden { class }
}

const NOT_FOUND: Decision = Decision::NotFound;

/// A typical North American plan: national and international out of one trunk, with the
/// emergency numbers on their own route (the carrier's E911 trunk).
fn plan() -> Vec<Rule> {
    vec![
        rule(1, 10, "911", to_route("e911"), None),
        rule(2, 10, "933", to_route("e911"), None),
        rule(3, 20, "_1900NXXXXXX", RuleAction::Reject(603), None),
        rule(4, 30, "_1NXXNXXXXXX", to_route("trunk"), None),
        rule(5, 30, "_NXXNXXXXXX", to_route("trunk"), None),
        rule(6, 40, "_NXXXXXX", to_route("trunk"), None),
        rule(7, 50, "_011.", to_route("trunk"), None),
        rule(8, 50, "_+.", to_route("trunk"), None),
        rule(9, 60, "0", RuleAction::Extension("2000".into()), None),
        rule(10, 60, "*99", RuleAction::Busy, None),
    ]
}

/// One rule routing `pattern` to `route`, at `position`.
fn one(id: i64, position: i64, pattern: &str, route: &str, class: Option<CallClass>) -> Rule {
    rule(id, position, pattern, to_route(route), class)
}

/// (caller's class of service, number dialed, rules, decision)
type Row = (CallClass, &'static str, Vec<Rule>, Decision);

fn table() -> Vec<Row> {
    let intl = "011442079460000";
    let nat = "12125550100";
    let busy_exact = || rule(2, 10, "18005550199", RuleAction::Busy, None);
    let reject_1xxx = || vec![rule(1, 10, "_1XXX", RuleAction::Reject(403), None)];
    vec![
        // A fresh install: no rules, extensions still reach each other, whatever the class.
        (National, "1002", vec![], ext("1002")),
        (Internal, "1003", vec![], ext("1003")),
        (Internal, "alice", vec![], ext("alice")),
        (National, "1009", vec![], NOT_FOUND),
        (International, nat, vec![], NOT_FOUND),
        (Internal, "10-02", vec![], ext("1002")),
        // Class of service.
        (National, intl, plan(), forbidden(International)),
        (
            International,
            intl,
            plan(),
            routed("trunk", intl, International),
        ),
        (
            National,
            "+44 20 7946 0000",
            plan(),
            forbidden(International),
        ),
        (
            International,
            "+44 20 7946 0000",
            plan(),
            routed("trunk", "+442079460000", International),
        ),
        (
            National,
            "+1 212 555 0100",
            plan(),
            routed("trunk", "+12125550100", National),
        ),
        (Local, nat, plan(), forbidden(National)),
        (Local, "555-0100", plan(), routed("trunk", "5550100", Local)),
        (Internal, "5550100", plan(), forbidden(Local)),
        (
            International,
            "5550100",
            plan(),
            routed("trunk", "5550100", Local),
        ),
        // Emergency: always allowed, and a rule's class cannot demote it.
        (Internal, "911", plan(), routed("e911", "911", Emergency)),
        (Internal, "933", plan(), routed("e911", "933", Emergency)),
        (
            Internal,
            "112",
            vec![one(1, 10, "_X.", "trunk", Some(International))],
            routed("trunk", "112", Emergency),
        ),
        // The rule's class, else classify's (which fails closed on unknown long numbers).
        (
            National,
            "912125550100",
            vec![one(1, 10, "_9.", "trunk", Some(National))],
            routed("trunk", "912125550100", National),
        ),
        (
            National,
            "912125550100",
            vec![one(1, 10, "_9.", "trunk", None)],
            forbidden(International),
        ),
        (
            Internal,
            "*97",
            vec![one(1, 10, "_*9X", "voicemail", None)],
            routed("voicemail", "*97", Internal),
        ),
        // Separators.
        (
            National,
            "1 (212) 555-0100",
            plan(),
            routed("trunk", nat, National),
        ),
        (
            National,
            "212.555.0100",
            plan(),
            routed("trunk", "2125550100", National),
        ),
        // Actions.
        (
            International,
            "19005550100",
            plan(),
            Decision::Reject { status: 603 },
        ),
        (Internal, "*99", plan(), Decision::Busy),
        (Internal, "0", plan(), ext("2000")),
        (
            Internal,
            "0",
            vec![rule(1, 10, "0", RuleAction::Extension("1999".into()), None)],
            NOT_FOUND,
        ),
        (International, "12345", plan(), NOT_FOUND),
        (Internal, "1001", reject_1xxx(), ext("1001")),
        (
            Internal,
            "1005",
            reject_1xxx(),
            Decision::Reject { status: 403 },
        ),
        // Order: position, then id; the first match decides even when it forbids.
        (
            National,
            nat,
            vec![
                one(1, 20, "_1NXX.", "b", None),
                one(2, 10, "_1NXX.", "a", None),
            ],
            routed("a", nat, National),
        ),
        (
            National,
            nat,
            vec![
                one(5, 10, "_1NXX.", "late", None),
                one(3, 10, "_1NXX.", "early", None),
            ],
            routed("early", nat, National),
        ),
        (
            National,
            "18005550199",
            vec![one(1, 20, "_1NXXNXXXXXX", "trunk", None), busy_exact()],
            Decision::Busy,
        ),
        (
            National,
            "18005550100",
            vec![one(1, 20, "_1NXXNXXXXXX", "trunk", None), busy_exact()],
            routed("trunk", "18005550100", National),
        ),
        (
            National,
            intl,
            vec![
                one(1, 10, "_0.", "intl", None),
                one(2, 20, "_X.", "any", Some(Local)),
            ],
            forbidden(International),
        ),
        // Broken rules are skipped, the rest still works.
        (
            National,
            nat,
            vec![
                one(1, 10, "_[", "broken", None),
                one(2, 20, "_1NXX.", "good", None),
            ],
            routed("good", nat, National),
        ),
        (
            National,
            nat,
            vec![rule(1, 10, "_X.", RuleAction::Reject(200), None)],
            NOT_FOUND,
        ),
    ]
}

#[test]
fn routing_table() {
    let rows = table();
    assert!(rows.len() >= 25);
    for (i, (class, dialed, rules, expected)) in rows.into_iter().enumerate() {
        let plan = DialPlan::compile(&rules);
        let caller = Caller {
            number: "1001",
            class,
        };
        let decision = route(&caller, dialed, &plan, &is_extension);
        assert_eq!(
            decision, expected,
            "row {i}: {dialed:?} dialed by a {class} extension, rules {rules:?}"
        );
    }
}

#[test]
fn statuses_for_refusals() {
    assert_eq!(Decision::Reject { status: 603 }.status(), Some(603));
    assert_eq!(Decision::Busy.status(), Some(486));
    assert_eq!(
        Decision::Forbidden {
            class: International
        }
        .status(),
        Some(403)
    );
    assert_eq!(Decision::NotFound.status(), Some(404));
    assert_eq!(ext("1001").status(), None);
    assert_eq!(routed("trunk", "911", Emergency).status(), None);
}

#[test]
fn compile_skips_broken_rules() {
    let rules = vec![
        rule(1, 10, "_[5-1]", to_route("x"), None),
        rule(2, 10, "", to_route("x"), None),
        rule(3, 10, "_X.", RuleAction::Reject(180), None),
        rule(4, 10, "_X.", RuleAction::Reject(486), None),
    ];
    let plan = DialPlan::compile(&rules);
    assert_eq!(plan.len(), 1);
    assert!(!plan.is_empty());
    assert!(DialPlan::compile(&[]).is_empty());
    assert!(DialPlan::default().is_empty());
}

#[test]
fn normalize_only_when_dialable() {
    assert_eq!(normalize("1 (212) 555-0100"), "12125550100");
    assert_eq!(normalize("+44 20 7946 0000"), "+442079460000");
    assert_eq!(normalize("1001"), "1001");
    assert_eq!(normalize("alice.smith"), "alice.smith");
    assert_eq!(normalize("--"), "--");
    assert_eq!(normalize("+-"), "+-");
}
