//! `/admin/routes/{id}` and `/admin/dids/{number}`: the edit pages, reached from the lists,
//! prefilled; a save changes the stored route or number and goes back to the list; a refused
//! one comes back with 422, the form as typed and the reason; unknown ones are 404; only
//! admins, and only with the CSRF token.

use pbx::trunk::{Did, OutboundRoute};

use super::trunks::{trunk_app, with_trunks};
use super::*;

fn route(app: &TestApp) -> OutboundRoute {
    let st = app.backend.state();
    st.routes
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("no route"))
}

fn did(app: &TestApp, number: &str) -> Option<Did> {
    app.backend.state().dids.get(number).cloned()
}

#[tokio::test]
async fn a_route_is_edited_from_the_list() {
    let (app, s) = trunk_app().await;
    let before = route(&app);
    let path = format!("/admin/routes/{}", before.id);
    let list = get(&app, &s, "/admin/routes").await;
    assert_has(
        &list,
        &[
            &format!("href=\"{path}\""),
            "class=\"btn btn-small route-edit\"",
        ],
    );

    let page = get(&app, &s, &path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_has(
        &page,
        &[
            &format!("<form id=\"route-edit\" method=\"post\" action=\"{path}\""),
            &format!("name=\"csrf\" value=\"{}\"", s.csrf),
            "id=\"route-pattern\" name=\"pattern\" type=\"text\" required value=\"_1NXXNXXXXXX\"",
            "name=\"trunks\" type=\"text\" required value=\"acme, backup\"",
            "name=\"strip\" type=\"number\" min=\"0\" max=\"32\" step=\"1\" value=\"0\"",
            "name=\"position\" type=\"number\" min=\"0\" step=\"1\" value=\"0\"",
            "id=\"route-save\"",
            &format!("action=\"{path}/delete\""),
        ],
    );

    let resp = post(
        &app,
        &s,
        &path,
        &[
            ("pattern", "_91NXXNXXXXXX"),
            ("trunks", "backup, acme"),
            ("strip", "1"),
            ("prepend", "+1"),
            ("position", ""),
        ],
    )
    .await;
    assert_redirect(&resp, "/admin/routes?done=saved");
    assert_eq!(
        route(&app),
        OutboundRoute {
            id: before.id,
            pattern: "_91NXXNXXXXXX".into(),
            trunks: vec!["backup".into(), "acme".into()],
            strip: 1,
            prepend: "+1".into(),
            position: before.position,
        },
        "every field saved, an empty position keeps the place"
    );
    let list = get(&app, &s, "/admin/routes?done=saved").await;
    assert_has(&list, &["Route saved.", "<code>_91NXXNXXXXXX</code>"]);
}

#[tokio::test]
async fn a_refused_route_edit_keeps_what_was_typed() {
    let (app, s) = trunk_app().await;
    let before = route(&app);
    let path = format!("/admin/routes/{}", before.id);
    for (trunks, strip, why) in [
        ("acme", "-1", "Strip is"),
        ("", "0", "Enter the trunks"),
        ("acme nosuch", "0", "no trunk nosuch"),
    ] {
        let fields = [
            ("pattern", "_2XXX"),
            ("trunks", trunks),
            ("strip", strip),
            ("prepend", "9"),
            ("position", "3"),
        ];
        let resp = post(&app, &s, &path, &fields).await;
        assert_eq!(resp.status, 422, "{why}: {}", resp.body);
        assert_has(
            &resp,
            &[
                "id=\"form-error\"",
                why,
                "id=\"route-edit\"",
                "value=\"_2XXX\"",
                &format!("value=\"{trunks}\""),
                "value=\"3\"",
                // The heading names the route as stored.
                "<h1>Outbound route <code>_1NXXNXXXXXX</code></h1>",
            ],
        );
    }
    assert_eq!(route(&app), before, "nothing refused changed it");
}

#[tokio::test]
async fn a_number_is_edited_from_the_list() {
    let (app, s) = trunk_app().await;
    let list = get(&app, &s, "/admin/dids").await;
    assert_has(&list, &["href=\"/admin/dids/%2B15551230000\"", "did-edit"]);
    let page = get(&app, &s, "/admin/dids/%2B15551230000").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_has(
        &page,
        &[
            "<form id=\"did-edit\" method=\"post\" action=\"/admin/dids/%2B15551230000\"",
            &format!("name=\"csrf\" value=\"{}\"", s.csrf),
            "<option value=\"acme\" selected>",
            "id=\"did-to\" name=\"to\" type=\"text\" required value=\"1001\"",
            "id=\"did-failover\" name=\"failover\" type=\"text\" maxlength=\"32\" value=\"\"",
            "id=\"did-save\"",
        ],
    );
    assert!(
        !page.body.contains("id=\"did-number\""),
        "the number is the page's, not a field"
    );

    let resp = post(
        &app,
        &s,
        "/admin/dids/%2B15551230000",
        &[
            ("number", "+19999999999"),
            ("trunk", "backup"),
            ("to", "1001 1002"),
            ("failover", "+15557654321"),
        ],
    )
    .await;
    assert_redirect(&resp, "/admin/dids?done=saved");
    assert_eq!(
        did(&app, "+15551230000"),
        Some(Did {
            number: "+15551230000".into(),
            trunk: "backup".into(),
            to: vec!["1001".into(), "1002".into()],
            failover: Some("+15557654321".into()),
        })
    );
    assert!(
        did(&app, "+19999999999").is_none(),
        "a posted number is ignored"
    );
    let list = get(&app, &s, "/admin/dids?done=saved").await;
    assert_has(&list, &["Number saved."]);

    // An empty failover removes it.
    let fields = [("trunk", "backup"), ("to", "1001"), ("failover", "")];
    let resp = post(&app, &s, "/admin/dids/%2B15551230000", &fields).await;
    assert_redirect(&resp, "/admin/dids?done=saved");
    assert_eq!(did(&app, "+15551230000").and_then(|d| d.failover), None);
}

#[tokio::test]
async fn a_refused_number_edit_keeps_what_was_typed() {
    let (app, s) = trunk_app().await;
    let before = did(&app, "+15551230000");
    for (trunk, to, why) in [
        ("backup", "", "extension(s) to ring"),
        ("", "1002", "Choose the trunk"),
        ("backup", "1002, 7777", "no extension 7777"),
    ] {
        let fields = [("trunk", trunk), ("to", to), ("failover", "1003")];
        let resp = post(&app, &s, "/admin/dids/%2B15551230000", &fields).await;
        assert_eq!(resp.status, 422, "{why}: {}", resp.body);
        assert_has(
            &resp,
            &[
                "id=\"form-error\"",
                why,
                "id=\"did-edit\"",
                &format!("value=\"{to}\""),
                "value=\"1003\"",
            ],
        );
        if !trunk.is_empty() {
            assert_has(&resp, &["<option value=\"backup\" selected>"]);
        }
    }
    assert_eq!(
        did(&app, "+15551230000"),
        before,
        "nothing refused changed it"
    );
}

#[tokio::test]
async fn unknown_routes_and_numbers_are_404_pages() {
    let (app, s) = trunk_app().await;
    for path in ["/admin/routes/999", "/admin/dids/%2B19999999999"] {
        let resp = get(&app, &s, path).await;
        assert_eq!(resp.status, 404, "{path}");
        assert_has(&resp, &["id=\"error-message\""]);
        let fields = [("pattern", "_X."), ("trunks", "acme"), ("to", "1001")];
        let resp = post(&app, &s, path, &fields).await;
        assert_eq!(resp.status, 404, "{path}");
    }
    assert!(did(&app, "+19999999999").is_none());
    assert_eq!(app.backend.state().routes.len(), 1);
}

#[tokio::test]
async fn edit_pages_are_for_admins_with_the_csrf_token() {
    let app = TestApp::start(with_trunks()).await;
    let before = (route(&app), did(&app, "+15551230000"));
    let route_path = format!("/admin/routes/{}", before.0.id);
    let edits = [
        (
            route_path.as_str(),
            [("pattern", "_X."), ("trunks", "acme")],
        ),
        (
            "/admin/dids/%2B15551230000",
            [("trunk", "backup"), ("to", "1002")],
        ),
    ];
    let alice = fake::login(&app, "alice", PASSWORD).await;
    for (path, fields) in &edits {
        assert_eq!(get(&app, &alice, path).await.status, 403, "{path}");
        assert_eq!(post(&app, &alice, path, fields).await.status, 403, "{path}");
    }
    let admin = fake::login(&app, "admin", PASSWORD).await;
    for (path, fields) in &edits {
        let resp = app
            .post(path)
            .cookie(&admin.cookie)
            .form(fields)
            .send()
            .await;
        assert_eq!(resp.status, 403, "{path} without the CSRF token");
    }
    assert_eq!((route(&app), did(&app, "+15551230000")), before);
}
