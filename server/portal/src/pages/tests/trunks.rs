//! `/admin/trunks`, `/admin/trunks/{name}`, `/admin/dids`, `/admin/routes`.

use crate::backend::{TrunkRegistrationState, TrunkStatus};
use crate::fake::FakeBackend;

use super::*;

/// The standard backend with a registering trunk `acme` (password `pw-acme`), an IP trunk
/// `backup`, a DID on acme and a route through both.
pub(super) fn with_trunks() -> FakeBackend {
    fake::standard()
        .with_trunk("acme", "sip.acme.example", Some("acct-1"))
        .with_trunk("backup", "192.0.2.10", None)
        .with_did("+15551230000", "acme", &["1001"])
        .with_route("_1NXXNXXXXXX", &["acme", "backup"])
}

pub(super) async fn trunk_app() -> (TestApp, Session) {
    let app = TestApp::start(with_trunks()).await;
    let s = fake::login(&app, "admin", PASSWORD).await;
    (app, s)
}

fn stored_password(app: &TestApp, name: &str) -> Option<String> {
    let st = app.backend.state();
    let (trunk, _) = st.trunks.get(name)?;
    trunk.registration.as_ref().map(|r| r.password.clone())
}

/// Every field of the trunk form, as the add form posts it.
fn trunk_fields<'a>(name: &'a str, host: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("host", host),
        ("port", ""),
        ("transport", "udp"),
        ("register", "on"),
        ("username", "acct-9"),
        ("password", password),
        ("expires", "600"),
        ("allow", ""),
        ("codecs", "PCMA, PCMU"),
        ("srtp", "offer"),
        ("channels", "4"),
        ("options_interval", "20"),
        ("caller_id", "+15559990000"),
        ("ca_file", ""),
    ]
}

#[tokio::test]
async fn the_list_shows_each_trunk_with_its_live_status() {
    let (app, s) = trunk_app().await;
    {
        let mut st = app.backend.state();
        if let Some((trunk, status)) = st.trunks.get_mut("acme") {
            trunk.channels = Some(10);
            *status = TrunkStatus {
                registration: Some(TrunkRegistrationState::Registered { expires_in: 1200 }),
                reachable: Some(true),
                last_error: None,
                calls: 2,
            };
        }
        if let Some((_, status)) = st.trunks.get_mut("backup") {
            status.reachable = Some(false);
            status.last_error = Some("OPTIONS <unanswered>".into());
        }
    }
    let resp = get(&app, &s, "/admin/trunks").await;
    assert_eq!(resp.status, 200);
    assert_has(
        &resp,
        &[
            "<table id=\"trunks\">",
            "<tr data-trunk=\"acme\">",
            "<tr data-trunk=\"backup\">",
            "sip.acme.example:5060 (UDP)",
            ">Registered<",
            "1200 s",
            ">Up<",
            "2 / 10",
            ">Down<",
            ">IP auth<",
            "OPTIONS &#60;unanswered&#62;",
            "href=\"/admin/trunks\" aria-current=\"page\">Trunks</a>",
            "href=\"/admin/dids\"",
            "href=\"/admin/routes\"",
            "id=\"trunk-create\"",
            "id=\"trunk-name\"",
            "id=\"trunk-host\"",
            "id=\"trunk-port\"",
            "<select id=\"trunk-transport\"",
            "id=\"trunk-register\"",
            "id=\"trunk-username\"",
            "id=\"trunk-password\"",
            "id=\"trunk-expires\"",
            "id=\"trunk-allow\"",
            "id=\"trunk-codecs\"",
            "<select id=\"trunk-srtp\"",
            "id=\"trunk-channels\"",
            "id=\"trunk-options-interval\"",
            "id=\"trunk-caller-id\"",
            "id=\"trunk-ca-file\"",
            "id=\"trunk-create-submit\"",
        ],
    );
    assert!(!resp.body.contains("pw-acme"), "a password in the page");
}

#[tokio::test]
async fn a_trunk_is_added_and_its_password_never_shown() {
    let (app, s) = trunk_app().await;
    let resp = post(
        &app,
        &s,
        "/admin/trunks",
        &trunk_fields("carrier", "sip.carrier.example", "Very$ecret1"),
    )
    .await;
    assert_redirect(&resp, "/admin/trunks?done=added");
    let trunk = app
        .backend
        .state()
        .trunks
        .get("carrier")
        .map(|(t, _)| t.clone())
        .unwrap_or_else(|| panic!("not added"));
    assert_eq!(trunk.codecs, ["PCMA", "PCMU"]);
    assert_eq!(trunk.channels, Some(4));
    assert_eq!(trunk.options_interval, 20);
    assert_eq!(trunk.srtp, pbx::trunk::SrtpPolicy::Offer);
    assert_eq!(
        trunk
            .registration
            .map(|r| (r.username, r.password, r.expires)),
        Some(("acct-9".into(), "Very$ecret1".into(), 600))
    );
    for path in ["/admin/trunks?done=added", "/admin/trunks/carrier"] {
        let resp = get(&app, &s, path).await;
        assert_eq!(resp.status, 200, "{path}");
        assert!(
            !resp.body.contains("Very$ecret1"),
            "{path} shows the password"
        );
    }
}

#[tokio::test]
async fn a_refused_trunk_keeps_what_was_typed_except_the_password() {
    let (app, s) = trunk_app().await;
    let cases = [
        (trunk_fields("", "h.example", "Sekrit-1"), "Enter a name"),
        (trunk_fields("x<y", "h.example", "Sekrit-1"), "name"),
        (
            trunk_fields("acme", "h.example", "Sekrit-1"),
            "already exists",
        ),
        (trunk_fields("new", "", "Sekrit-1"), "host name"),
        (
            trunk_fields("new", "h.example", ""),
            "password the provider",
        ),
    ];
    for (fields, why) in cases {
        let resp = post(&app, &s, "/admin/trunks", &fields).await;
        assert_eq!(resp.status, 422, "{why}: {}", resp.body);
        assert_has(
            &resp,
            &[
                "id=\"form-error\"",
                why,
                "value=\"acct-9\"",
                "value=\"+15559990000\"",
                "<option value=\"offer\" selected>",
            ],
        );
        assert!(!resp.body.contains("Sekrit-1"), "the password was echoed");
        assert!(!resp.body.contains("x<y"), "unescaped");
    }
    let mut bad_port = trunk_fields("new", "h.example", "Sekrit-1");
    bad_port[2] = ("port", "70000");
    let resp = post(&app, &s, "/admin/trunks", &bad_port).await;
    assert_eq!(resp.status, 422);
    assert_has(&resp, &["Port is a number", "aria-invalid"]);
    assert_eq!(app.backend.state().trunks.len(), 2);
}

#[tokio::test]
async fn editing_with_an_empty_password_keeps_it_and_a_typed_one_replaces_it() {
    let (app, s) = trunk_app().await;
    let resp = get(&app, &s, "/admin/trunks/acme").await;
    assert_eq!(resp.status, 200);
    assert_has(
        &resp,
        &[
            "id=\"trunk-edit\"",
            "id=\"trunk-save\"",
            "id=\"trunk-status\"",
            "id=\"trunk-password\" name=\"password\" type=\"password\" maxlength=\"256\" value=\"\"",
            "value=\"acct-1\"",
            "value=\"sip.acme.example\"",
            "id=\"trunk-delete\"",
        ],
    );
    assert!(!resp.body.contains("pw-acme"));
    assert!(
        !resp.body.contains("id=\"trunk-name\""),
        "the name is the key"
    );

    let mut fields = trunk_fields("ignored", "sip2.acme.example", "");
    let resp = post(&app, &s, "/admin/trunks/acme", &fields).await;
    assert_redirect(&resp, "/admin/trunks/acme?done=saved");
    assert_eq!(stored_password(&app, "acme").as_deref(), Some("pw-acme"));
    assert!(!app.backend.state().trunks.contains_key("ignored"));
    let host = app
        .backend
        .state()
        .trunks
        .get("acme")
        .map(|(t, _)| t.host.clone());
    assert_eq!(host.as_deref(), Some("sip2.acme.example"));

    fields[6] = ("password", "n3w-Password");
    let resp = post(&app, &s, "/admin/trunks/acme", &fields).await;
    assert_redirect(&resp, "/admin/trunks/acme?done=saved");
    assert_eq!(
        stored_password(&app, "acme").as_deref(),
        Some("n3w-Password")
    );

    // A refused edit shows the error, keeps the typed host, and not the typed password.
    fields[1] = ("host", "bad host");
    fields[6] = ("password", "an0ther-Password");
    let resp = post(&app, &s, "/admin/trunks/acme", &fields).await;
    assert_eq!(resp.status, 422);
    assert_has(
        &resp,
        &["id=\"form-error\"", "value=\"bad host\"", "aria-invalid"],
    );
    assert!(!resp.body.contains("an0ther-Password"));
    assert_eq!(
        stored_password(&app, "acme").as_deref(),
        Some("n3w-Password")
    );

    let resp = post(&app, &s, "/admin/trunks/nope", &fields).await;
    assert_eq!(resp.status, 404);
    assert_eq!(get(&app, &s, "/admin/trunks/nope").await.status, 404);
}

#[tokio::test]
async fn removing_asks_first_and_refuses_while_numbers_or_routes_use_it() {
    let (app, s) = trunk_app().await;
    let resp = post(&app, &s, "/admin/trunks/acme/delete", &[]).await;
    assert_eq!(resp.status, 200);
    assert_has(
        &resp,
        &[
            "Remove trunk acme?",
            "id=\"trunk-delete-confirm\"",
            "name=\"confirm\" value=\"yes\"",
        ],
    );
    assert!(app.backend.state().trunks.contains_key("acme"));

    let resp = post(&app, &s, "/admin/trunks/acme/delete", &[("confirm", "yes")]).await;
    assert_eq!(resp.status, 409);
    assert_has(
        &resp,
        &["id=\"form-error\"", "still used by", "+15551230000"],
    );
    assert!(app.backend.state().trunks.contains_key("acme"));

    let route = app
        .backend
        .state()
        .routes
        .first()
        .map(|r| r.id)
        .unwrap_or_default();
    let resp = post(&app, &s, "/admin/dids/%2B15551230000/delete", &[]).await;
    assert_redirect(&resp, "/admin/dids?done=deleted");
    let resp = post(&app, &s, &format!("/admin/routes/{route}/delete"), &[]).await;
    assert_redirect(&resp, "/admin/routes?done=deleted");
    let resp = post(&app, &s, "/admin/trunks/acme/delete", &[("confirm", "yes")]).await;
    assert_redirect(&resp, "/admin/trunks?done=deleted");
    assert!(!app.backend.state().trunks.contains_key("acme"));
    let resp = post(&app, &s, "/admin/trunks/acme/delete", &[("confirm", "yes")]).await;
    assert_redirect(&resp, "/admin/trunks?done=gone");
}

#[tokio::test]
async fn numbers_are_listed_added_and_refused_with_the_form_kept() {
    let (app, s) = trunk_app().await;
    let resp = get(&app, &s, "/admin/dids").await;
    assert_has(
        &resp,
        &[
            "<table id=\"dids\">",
            "<tr data-did=\"+15551230000\">",
            "action=\"/admin/dids/%2B15551230000/delete\"",
            "id=\"did-add\"",
            "id=\"did-number\"",
            "<select id=\"did-trunk\"",
            "<option value=\"backup\">",
            "id=\"did-to\"",
            "id=\"did-failover\"",
            "id=\"did-add-submit\"",
            "aria-current=\"page\">Inbound numbers",
        ],
    );
    let resp = post(
        &app,
        &s,
        "/admin/dids",
        &[
            ("number", "+15551230001"),
            ("trunk", "backup"),
            ("to", "1001, 1002"),
            ("failover", "+15557654321"),
        ],
    )
    .await;
    assert_redirect(&resp, "/admin/dids?done=added");
    let did = app.backend.state().dids.get("+15551230001").cloned();
    assert_eq!(
        did.map(|d| (d.to, d.failover)),
        Some((
            vec!["1001".into(), "1002".into()],
            Some("+15557654321".into())
        ))
    );

    for (fields, why) in [
        (
            [("number", ""), ("trunk", "acme"), ("to", "1001")],
            "Enter the number",
        ),
        (
            [("number", "+1555"), ("trunk", ""), ("to", "1001")],
            "Choose the trunk",
        ),
        (
            [("number", "+1555"), ("trunk", "acme"), ("to", "")],
            "extension(s) to ring",
        ),
        (
            [("number", "+1555"), ("trunk", "acme"), ("to", "7777")],
            "no extension 7777",
        ),
        (
            [
                ("number", "+15551230000"),
                ("trunk", "acme"),
                ("to", "1001"),
            ],
            "already exists",
        ),
    ] {
        let resp = post(&app, &s, "/admin/dids", &fields).await;
        assert_eq!(resp.status, 422, "{why}");
        assert_has(&resp, &["id=\"form-error\"", why]);
        if !fields[1].1.is_empty() {
            assert_has(&resp, &["<option value=\"acme\" selected>"]);
        }
    }
    assert_eq!(app.backend.state().dids.len(), 2);
}

#[tokio::test]
async fn routes_are_listed_in_order_added_at_a_position_and_refused_with_the_form_kept() {
    let (app, s) = trunk_app().await;
    let resp = post(
        &app,
        &s,
        "/admin/routes",
        &[
            ("pattern", "_011."),
            ("trunks", "backup acme"),
            ("strip", "3"),
            ("prepend", "+"),
            ("position", "0"),
        ],
    )
    .await;
    assert_redirect(&resp, "/admin/routes?done=added");
    let order: Vec<String> = app
        .backend
        .state()
        .routes
        .iter()
        .map(|r| r.pattern.clone())
        .collect();
    assert_eq!(order, ["_011.", "_1NXXNXXXXXX"]);
    let resp = get(&app, &s, "/admin/routes").await;
    assert_has(
        &resp,
        &[
            "<table id=\"routes\">",
            "<code>_011.</code>",
            "backup</a> → <a href=\"/admin/trunks/acme\">acme",
            "class=\"route-delete\"",
            "id=\"route-add\"",
            "id=\"route-pattern\"",
            "id=\"route-trunks\"",
            "id=\"route-strip\"",
            "id=\"route-prepend\"",
            "id=\"route-position\"",
            "id=\"route-add-submit\"",
        ],
    );
    let first = resp.body.find("_011.").unwrap_or(usize::MAX);
    let second = resp.body.find("_1NXXNXXXXXX").unwrap_or(0);
    assert!(first < second, "listed in order");

    for (fields, why) in [
        (
            [("pattern", ""), ("trunks", "acme"), ("strip", "")],
            "Enter a pattern",
        ),
        (
            [("pattern", "_9X."), ("trunks", ""), ("strip", "")],
            "Enter the trunks",
        ),
        (
            [("pattern", "_9X."), ("trunks", "acme"), ("strip", "-1")],
            "Strip is",
        ),
        (
            [("pattern", "_9X."), ("trunks", "nosuch"), ("strip", "")],
            "no trunk nosuch",
        ),
    ] {
        let resp = post(&app, &s, "/admin/routes", &fields).await;
        assert_eq!(resp.status, 422, "{why}");
        assert_has(
            &resp,
            &[
                "id=\"form-error\"",
                why,
                &format!("value=\"{}\"", fields[1].1),
            ],
        );
    }
    assert_eq!(app.backend.state().routes.len(), 2);
}

#[tokio::test]
async fn the_trunk_pages_are_for_admins_only() {
    let app = TestApp::start(with_trunks()).await;
    let s = fake::login(&app, "alice", PASSWORD).await;
    for path in [
        "/admin/trunks",
        "/admin/trunks/acme",
        "/admin/dids",
        "/admin/dids/%2B15551230000",
        "/admin/routes",
        "/admin/routes/1",
    ] {
        assert_eq!(get(&app, &s, path).await.status, 403, "{path}");
    }
    for path in [
        "/admin/trunks",
        "/admin/trunks/acme",
        "/admin/trunks/backup/delete",
        "/admin/dids",
        "/admin/dids/%2B15551230000",
        "/admin/dids/%2B15551230000/delete",
        "/admin/routes",
        "/admin/routes/1",
        "/admin/routes/1/delete",
    ] {
        let resp = post(
            &app,
            &s,
            path,
            &[("confirm", "yes"), ("name", "x"), ("host", "h")],
        )
        .await;
        assert_eq!(resp.status, 403, "{path}");
    }
    let home = get(&app, &s, "/phone").await;
    assert!(!home.body.contains("href=\"/admin/trunks\""));
    let st = app.backend.state();
    assert_eq!((st.trunks.len(), st.dids.len(), st.routes.len()), (2, 1, 1));
}

#[tokio::test]
async fn trunk_forms_need_the_csrf_token() {
    let (app, s) = trunk_app().await;
    let resp = app
        .post("/admin/trunks/backup/delete")
        .cookie(&s.cookie)
        .form(&[("confirm", "yes")])
        .send()
        .await;
    assert_eq!(resp.status, 403);
    assert!(app.backend.state().trunks.contains_key("backup"));
}
