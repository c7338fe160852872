//! `/`, `/login`, `/logout`, `/phone` and the static stylesheets.

use super::*;

#[tokio::test]
async fn the_login_form_logs_in_and_goes_where_it_was_asked() {
    let app = TestApp::start(fake::standard()).await;
    let resp = app.get("/login?next=/admin/cdrs").send().await;
    assert_eq!(resp.status, 200);
    assert_has(
        &resp,
        &[
            "id=\"login-form\"",
            "id=\"username\"",
            "id=\"password\"",
            "id=\"login-submit\"",
            "name=\"next\" value=\"/admin/cdrs\"",
        ],
    );
    assert!(!resp.body.contains("logout-form"));

    let resp = app
        .post("/login")
        .form(&[
            ("username", "Admin"),
            ("password", PASSWORD),
            ("next", "/admin/cdrs"),
        ])
        .send()
        .await;
    assert_redirect(&resp, "/admin/cdrs");
    let cookie = resp.cookie().unwrap_or_default();
    assert!(cookie.starts_with("sb_session="), "{cookie}");
    let phone = app.get("/phone").cookie(&cookie).send().await;
    assert_eq!(phone.status, 200);
    assert_has(
        &phone,
        &["id=\"logout-form\"", ">admin<", "/static/softphone.js"],
    );
}

#[tokio::test]
async fn a_foreign_next_is_ignored() {
    let app = TestApp::start(fake::standard()).await;
    for next in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let resp = app
            .post("/login")
            .form(&[
                ("username", "alice"),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await;
        assert_redirect(&resp, "/phone");
    }
}

#[tokio::test]
async fn a_wrong_password_shows_the_error_and_keeps_the_name_escaped() {
    let app = TestApp::start(fake::standard()).await;
    for name in ["alice", "<script>x</script>"] {
        let resp = app
            .post("/login")
            .form(&[("username", name), ("password", "not the password")])
            .send()
            .await;
        assert_eq!(resp.status, 401);
        assert_has(
            &resp,
            &[
                "id=\"login-error\"",
                "Wrong user name or password.",
                "id=\"login-form\"",
            ],
        );
        assert!(resp.set_cookies().is_empty() || !resp.body.contains("logout-form"));
        assert!(!resp.body.contains("<script>x"), "unescaped name");
    }
    let resp = app
        .post("/login")
        .form(&[
            ("username", "<script>x</script>"),
            ("password", "nope nope nope"),
        ])
        .send()
        .await;
    assert_has(&resp, &["value=\"&#60;script&#62;x&#60;/script&#62;\""]);
}

#[tokio::test]
async fn the_root_sends_each_visitor_to_the_right_place() {
    let app = TestApp::start(fake::standard()).await;
    assert_redirect(&app.get("/").send().await, "/login");
    let s = fake::login(&app, "bob", PASSWORD).await;
    assert_redirect(&get(&app, &s, "/").await, "/phone");
    // Logged in already: the login page moves on.
    assert_redirect(&get(&app, &s, "/login").await, "/phone");
}

#[tokio::test]
async fn logging_out_ends_the_session() {
    let (app, s) = app_as("alice").await;
    let resp = post(&app, &s, "/logout", &[]).await;
    assert_redirect(&resp, "/login");
    assert!(
        resp.set_cookies().iter().any(|c| c.contains("Max-Age=0")),
        "{:?}",
        resp.headers
    );
    assert!(app.backend.state().sessions.is_empty());
    assert_eq!(get(&app, &s, "/phone").await.status, 303);
}

#[tokio::test]
async fn both_stylesheets_are_served() {
    let app = TestApp::start(fake::standard()).await;
    for path in ["/static/style.css", "/static/phone.css"] {
        let resp = app.get(path).send().await;
        assert_eq!(resp.status, 200, "{path}");
        assert_eq!(resp.header("content-type"), Some("text/css; charset=utf-8"));
    }
}
