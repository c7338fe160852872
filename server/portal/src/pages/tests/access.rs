//! Who may see which page.

use super::*;

const ADMIN_PAGES: [(&str, &str); 9] = [
    ("/admin/extensions", "id=\"extensions\""),
    ("/admin/extensions/1001", "id=\"extension-edit\""),
    ("/admin/users", "id=\"users\""),
    ("/admin/users/2", "id=\"user-edit\""),
    ("/admin/registrations", "id=\"registrations\""),
    ("/admin/calls", "id=\"calls\""),
    ("/admin/cdrs", "id=\"cdrs\""),
    ("/admin/dialplan", "id=\"dialplan\""),
    ("/admin/status", "id=\"bindings\""),
];

#[tokio::test]
async fn every_admin_page_renders_for_an_admin_with_the_layout() {
    let (app, s) = admin_app().await;
    for (path, marker) in ADMIN_PAGES {
        let resp = get(&app, &s, path).await;
        assert_eq!(resp.status, 200, "{path}: {}", resp.body);
        assert!(
            resp.header("content-type")
                .is_some_and(|c| c.starts_with("text/html")),
            "{path}"
        );
        assert_has(
            &resp,
            &[
                marker,
                "id=\"logout-form\"",
                &format!("name=\"csrf\" value=\"{}\"", s.csrf),
                "href=\"/admin/dialplan\"",
                "aria-current=\"page\"",
                "/static/style.css",
                "/static/phone.css",
            ],
        );
        // CSP allows no inline script or style: the pages have none.
        assert!(
            !resp.body.contains("<script>") && !resp.body.contains("style="),
            "{path}"
        );
    }
}

#[tokio::test]
async fn non_admins_get_403_on_every_admin_page_and_form() {
    let (app, s) = app_as("alice").await;
    for (path, _) in ADMIN_PAGES {
        assert_eq!(get(&app, &s, path).await.status, 403, "{path}");
    }
    for path in [
        "/admin/extensions",
        "/admin/extensions/1001",
        "/admin/extensions/1001/secret",
        "/admin/extensions/1001/delete",
        "/admin/users",
        "/admin/users/1",
        "/admin/users/1/delete",
        "/admin/calls/x/hangup",
        "/admin/dialplan",
        "/admin/dialplan/1/delete",
        "/admin/routes/1",
        "/admin/dids/%2B15551230000",
        "/account/tokens",
        "/account/tokens/1/delete",
    ] {
        let resp = post(&app, &s, path, &[("confirm", "yes"), ("name", "x")]).await;
        assert_eq!(resp.status, 403, "{path}");
    }
    // Nothing changed behind the refusals.
    let st = app.backend.state();
    assert!(st.extensions.contains_key("1001"));
    assert_eq!(st.users.len(), 3);
}

#[tokio::test]
async fn a_user_sees_their_pages_without_the_admin_nav() {
    let (app, s) = app_as("alice").await;
    for path in ["/phone", "/account"] {
        let resp = get(&app, &s, path).await;
        assert_eq!(resp.status, 200, "{path}");
        assert_has(
            &resp,
            &["id=\"logout-form\"", "href=\"/account\"", ">alice<"],
        );
        assert!(!resp.body.contains("/admin/"), "{path} shows admin links");
    }
}

#[tokio::test]
async fn pages_send_anonymous_visitors_to_the_login_page() {
    let app = TestApp::start(fake::standard()).await;
    for path in [
        "/phone",
        "/account",
        "/admin/extensions",
        "/admin/cdrs?number=1001",
    ] {
        let resp = app.get(path).send().await;
        assert_eq!(resp.status, 303, "{path}");
        let location = resp.header("location").unwrap_or_default();
        assert!(location.starts_with("/login?next=/"), "{path}: {location}");
    }
}

#[tokio::test]
async fn a_form_without_its_csrf_token_changes_nothing() {
    let (app, s) = admin_app().await;
    let resp = app
        .post("/admin/extensions")
        .cookie(&s.cookie)
        .form(&[("number", "2000"), ("name", "Nobody")])
        .send()
        .await;
    assert_eq!(resp.status, 403);
    let resp = post(
        &app,
        &s,
        "/admin/extensions",
        &[("number", "2000"), ("name", "Somebody")],
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let st = app.backend.state();
    assert_eq!(
        st.extensions.get("2000").map(|(e, _)| e.name.as_str()),
        Some("Somebody")
    );
}

#[tokio::test]
async fn unknown_things_are_404_pages() {
    let (app, s) = admin_app().await;
    for path in ["/admin/extensions/9999", "/admin/users/999"] {
        let resp = get(&app, &s, path).await;
        assert_eq!(resp.status, 404, "{path}");
        assert_has(&resp, &["id=\"error-message\"", "id=\"logout-form\""]);
    }
}
