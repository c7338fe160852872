//! Who may reach what: logged-out visitors are sent to log in, users get 403 on every admin
//! API and page, and a user reaches only their own data.

use serde_json::json;

use crate::fake::{PASSWORD, Session, TestApp, login, standard};

/// The id the fake gives the one outbound route of `with_call` (after three users, a rule
/// and a trunk).
const ROUTE_ID: i64 = 6;

/// Every admin API endpoint, with a body for the writes.
const ADMIN_API: [(&str, &str); 35] = [
    ("GET", "/api/extensions"),
    ("POST", "/api/extensions"),
    ("GET", "/api/extensions/1001"),
    ("PATCH", "/api/extensions/1001"),
    ("DELETE", "/api/extensions/1001"),
    ("POST", "/api/extensions/1001/secret"),
    ("GET", "/api/users"),
    ("POST", "/api/users"),
    ("GET", "/api/users/1"),
    ("PATCH", "/api/users/1"),
    ("DELETE", "/api/users/1"),
    ("GET", "/api/registrations"),
    ("GET", "/api/calls"),
    ("POST", "/api/calls/c1/hangup"),
    ("GET", "/api/cdrs"),
    ("GET", "/api/cdrs.csv"),
    ("GET", "/api/dialplan"),
    ("POST", "/api/dialplan"),
    ("DELETE", "/api/dialplan/1"),
    ("GET", "/api/trunks"),
    ("POST", "/api/trunks"),
    ("GET", "/api/trunks/acme"),
    ("PATCH", "/api/trunks/acme"),
    ("DELETE", "/api/trunks/acme"),
    ("GET", "/api/dids"),
    ("POST", "/api/dids"),
    ("PATCH", "/api/dids/%2B15551230000"),
    ("DELETE", "/api/dids/%2B15551230000"),
    ("GET", "/api/routes"),
    ("POST", "/api/routes"),
    ("PATCH", "/api/routes/6"),
    ("DELETE", "/api/routes/6"),
    ("GET", "/api/tokens"),
    ("POST", "/api/tokens"),
    ("DELETE", "/api/tokens/1"),
];

/// Every admin page and admin form target.
const ADMIN_PAGES: [(&str, &str); 33] = [
    ("GET", "/admin/extensions"),
    ("POST", "/admin/extensions"),
    ("GET", "/admin/extensions/1001"),
    ("POST", "/admin/extensions/1001"),
    ("POST", "/admin/extensions/1001/secret"),
    ("POST", "/admin/extensions/1001/delete"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users"),
    ("GET", "/admin/users/1"),
    ("POST", "/admin/users/1"),
    ("POST", "/admin/users/1/delete"),
    ("GET", "/admin/registrations"),
    ("GET", "/admin/calls"),
    ("POST", "/admin/calls/c1/hangup"),
    ("GET", "/admin/cdrs"),
    ("GET", "/admin/dialplan"),
    ("POST", "/admin/dialplan"),
    ("GET", "/admin/trunks"),
    ("POST", "/admin/trunks"),
    ("GET", "/admin/trunks/acme"),
    ("POST", "/admin/trunks/acme"),
    ("POST", "/admin/trunks/acme/delete"),
    ("GET", "/admin/dids"),
    ("POST", "/admin/dids"),
    ("GET", "/admin/dids/%2B15551230000"),
    ("POST", "/admin/dids/%2B15551230000"),
    ("POST", "/admin/dids/%2B15551230000/delete"),
    ("GET", "/admin/routes"),
    ("POST", "/admin/routes"),
    ("GET", "/admin/routes/6"),
    ("POST", "/admin/routes/6"),
    ("POST", "/admin/routes/6/delete"),
    ("GET", "/admin/status"),
];

fn with_call() -> crate::fake::FakeBackend {
    let backend = standard()
        .with_call("c1", "1001", "1002")
        .with_rule("_1XXX", pbx::dialplan::RuleAction::Busy)
        .with_trunk("acme", "sip.acme.example", None)
        .with_did("+15551230000", "acme", &["1001"])
        .with_route("_X.", &["acme"]);
    let ids: Vec<i64> = backend.state().routes.iter().map(|r| r.id).collect();
    assert_eq!(ids, [ROUTE_ID], "the paths above name the route");
    backend
}

/// Nothing an admin endpoint could change has changed.
fn assert_untouched(app: &TestApp) {
    let st = app.backend.state();
    assert_eq!(st.extensions.len(), 3);
    assert_eq!(st.users.len(), 3);
    assert_eq!(st.calls.len(), 1);
    assert_eq!(st.rules.len(), 1);
    assert_eq!(st.trunks.len(), 1);
    let dids: Vec<(&str, &[String])> = st
        .dids
        .values()
        .map(|d| (d.number.as_str(), &d.to[..]))
        .collect();
    assert_eq!(dids, [("+15551230000", &["1001".to_owned()][..])]);
    let routes: Vec<(&str, &str)> = st
        .routes
        .iter()
        .map(|r| (r.pattern.as_str(), r.prepend.as_str()))
        .collect();
    assert_eq!(routes, [("_X.", "")]);
    assert!(st.tokens.is_empty());
    assert!(st.users.values().all(|u| u.admin == (u.name == "admin")));
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    who: Option<&Session>,
) -> crate::fake::TestResponse {
    let mut req = app.request(method, path);
    if let Some(s) = who {
        req = req.session(s);
    }
    if method == "GET" {
        req.send().await
    } else if path.starts_with("/api/") {
        req.json(&json!({"number": "3000", "name": "x", "admin": true, "label": "x"}))
            .send()
            .await
    } else {
        let csrf = who.map(|s| s.csrf.clone()).unwrap_or_default();
        req.form(&[("csrf", &csrf), ("name", "x"), ("admin", "on")])
            .send()
            .await
    }
}

#[tokio::test]
async fn users_get_403_from_every_admin_api_and_page() {
    let app = TestApp::start(with_call()).await;
    let alice = login(&app, "alice", PASSWORD).await;
    for (method, path) in ADMIN_API {
        let resp = send(&app, method, path, Some(&alice)).await;
        assert_eq!(resp.status, 403, "{method} {path}: {}", resp.body);
        assert_eq!(
            resp.json()["error"],
            "Only admins may do this.",
            "{method} {path}"
        );
    }
    for (method, path) in ADMIN_PAGES {
        let resp = send(&app, method, path, Some(&alice)).await;
        assert_eq!(resp.status, 403, "{method} {path}: {}", resp.body);
    }
    assert_untouched(&app);
}

#[tokio::test]
async fn logged_out_visitors_get_401_from_the_api_and_a_login_redirect_from_pages() {
    let app = TestApp::start(with_call()).await;
    for (method, path) in ADMIN_API {
        let resp = send(&app, method, path, None).await;
        assert_eq!(resp.status, 401, "{method} {path}");
        assert!(resp.json()["error"].is_string());
    }
    for path in ["/api/me", "/api/me/sip", "/api/me/calls"] {
        assert_eq!(app.get(path).send().await.status, 401, "{path}");
    }
    for (_, path) in ADMIN_PAGES.iter().filter(|(m, _)| *m == "GET") {
        let resp = app.get(path).send().await;
        assert_eq!(resp.status, 303, "{path}");
        // The path goes into a query value: its own escapes are escaped again.
        let expected = format!("/login?next={}", path.replace('%', "%25"));
        assert_eq!(resp.header("location"), Some(expected.as_str()), "{path}");
    }
    // A form post cannot be come back to: log in, then start from the top.
    let post = app.post("/admin/users").form(&[("name", "x")]).send().await;
    assert_eq!(post.header("location"), Some("/login?next=/"));
    let query = app.get("/admin/cdrs?number=1001&x=a%20b").send().await;
    assert_eq!(
        query.header("location"),
        Some("/login?next=/admin/cdrs%3Fnumber%3D1001%26x%3Da%2520b")
    );
    assert_untouched(&app);
}

#[tokio::test]
async fn admins_reach_the_admin_pages() {
    let app = TestApp::start(with_call()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    for (_, path) in ADMIN_PAGES.iter().filter(|(m, _)| *m == "GET") {
        let resp = app.get(path).cookie(&admin.cookie).send().await;
        assert_eq!(resp.status, 200, "{path}: {}", resp.body);
    }
}

#[tokio::test]
async fn a_user_reads_only_their_own_data() {
    let backend = standard()
        .with_record("1001", "1002", 1_700_000_000_000, 30)
        .with_record("1002", "1000", 1_700_000_100_000, 40)
        .with_record("1000", "1001", 1_700_000_200_000, 50);
    let app = TestApp::start(backend).await;
    let alice = login(&app, "alice", PASSWORD).await;

    let sip = app.get("/api/me/sip").cookie(&alice.cookie).send().await;
    assert_eq!(sip.status, 200);
    assert_eq!(sip.json()["number"], "1001");
    assert_eq!(sip.json()["secret"], "secret-1001");

    let calls = app.get("/api/me/calls").cookie(&alice.cookie).send().await;
    let calls = calls.json();
    let list = calls.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 2);
    assert!(
        list.iter()
            .all(|c| c["caller"] == "1001" || c["callee"] == "1001")
    );
    // Newest first.
    assert_eq!(
        list.first().map(|c| c["caller"].clone()),
        Some(json!("1000"))
    );

    // Query parameters cannot widen it to another user: they are not read.
    let sneaky = app
        .get("/api/me/calls?number=1002&user=bob&extension=1002")
        .cookie(&alice.cookie)
        .send()
        .await;
    assert_eq!(sneaky.json().as_array().map(Vec::len), Some(2));
    assert_eq!(
        app.backend
            .state()
            .cdr_queries
            .last()
            .and_then(|f| f.party.clone()),
        Some("1001".to_owned())
    );
    // Another user's account is admin-only.
    let bob = app
        .backend
        .user_named("bob")
        .map(|u| u.id)
        .unwrap_or_default();
    let other = app
        .get(&format!("/api/users/{bob}"))
        .cookie(&alice.cookie)
        .send()
        .await;
    assert_eq!(other.status, 403);
}

#[tokio::test]
async fn a_user_without_an_extension_has_no_sip_account() {
    let backend = standard().with_user("carol", PASSWORD, false, None);
    let app = TestApp::start(backend).await;
    let carol = login(&app, "carol", PASSWORD).await;
    let sip = app.get("/api/me/sip").cookie(&carol.cookie).send().await;
    assert_eq!(sip.status, 404);
    assert!(sip.json()["error"].is_string());
    let calls = app.get("/api/me/calls").cookie(&carol.cookie).send().await;
    assert_eq!(calls.json(), json!([]));
}

#[test]
fn login_next_is_only_ever_a_local_path() {
    use crate::auth::safe_next;
    assert_eq!(safe_next(Some("/admin/cdrs?x=1")), "/admin/cdrs?x=1");
    for evil in [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/ok\\..\\",
        "javascript:alert(1)",
        "/x\r\nSet-Cookie: a=b",
        "/x\tz",
        "",
        "evil",
    ] {
        assert_eq!(safe_next(Some(evil)), "/phone", "{evil:?}");
    }
    assert_eq!(safe_next(None), "/phone");
}
