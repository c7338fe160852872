//! `/admin/dialplan`.

use pbx::CallClass;
use pbx::dialplan::RuleAction;

use super::*;

#[tokio::test]
async fn rules_are_listed_added_and_deleted() {
    let app =
        TestApp::start(fake::standard().with_rule("_9X.", RuleAction::Route("trunk<1>".into())))
            .await;
    let s = fake::login(&app, "admin", PASSWORD).await;
    let resp = get(&app, &s, "/admin/dialplan").await;
    assert_has(
        &resp,
        &[
            "<table id=\"dialplan\">",
            "<code>_9X.</code>",
            "trunk&#60;1&#62;",
            "id=\"rule-add\"",
            "id=\"rule-pattern\"",
            "<select id=\"rule-action\"",
            "id=\"rule-target\"",
            "<select id=\"rule-class\"",
            "id=\"rule-position\"",
            "class=\"rule-delete\"",
        ],
    );
    let resp = post(
        &app,
        &s,
        "/admin/dialplan",
        &[
            ("pattern", "_00X."),
            ("action", "reject"),
            ("target", "403"),
            ("class", "international"),
            ("position", "0"),
        ],
    )
    .await;
    assert_redirect(&resp, "/admin/dialplan?done=added");
    let (id, rule) = {
        let st = app.backend.state();
        let rule = st
            .rules
            .first()
            .cloned()
            .unwrap_or_else(|| panic!("no rule"));
        (rule.id, rule)
    };
    assert_eq!(rule.pattern, "_00X.");
    assert_eq!(rule.action, RuleAction::Reject(403));
    assert_eq!(rule.class, Some(CallClass::International));
    let resp = post(&app, &s, &format!("/admin/dialplan/{id}/delete"), &[]).await;
    assert_redirect(&resp, "/admin/dialplan?done=deleted");
    assert_eq!(app.backend.state().rules.len(), 1);
}

#[tokio::test]
async fn a_refused_rule_is_explained_and_kept() {
    let (app, s) = admin_app().await;
    let cases: [(&str, &str, &str, &str); 5] = [
        ("", "busy", "", "Enter a pattern"),
        ("_1XX", "extension", "", "Enter the extension"),
        ("_1XX", "reject", "200", "400 to 699"),
        ("_1XX", "teleport", "", "Choose an action"),
        ("abc<", "busy", "", "not a number"),
    ];
    for (pattern, action, target, why) in cases {
        let resp = post(
            &app,
            &s,
            "/admin/dialplan",
            &[
                ("pattern", pattern),
                ("action", action),
                ("target", target),
                ("class", "local"),
            ],
        )
        .await;
        assert_eq!(resp.status, 422, "{why}");
        assert_has(
            &resp,
            &[
                "id=\"form-error\"",
                why,
                "<option value=\"local\" selected>",
            ],
        );
        assert!(!resp.body.contains("abc<"), "unescaped");
    }
    assert!(app.backend.state().rules.is_empty());
}
