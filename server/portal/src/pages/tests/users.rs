//! `/admin/users` and `/admin/users/{id}`.

use super::*;

#[tokio::test]
async fn the_list_and_the_create_form_render() {
    let app = TestApp::start(fake::standard().with_extension("1003", "<img src=x>")).await;
    let s = fake::login(&app, "admin", PASSWORD).await;
    let resp = get(&app, &s, "/admin/users").await;
    assert_eq!(resp.status, 200);
    assert_has(
        &resp,
        &[
            "tr data-user=\"admin\"",
            "tr data-user=\"alice\"",
            "tr data-user=\"bob\"",
            "id=\"user-create\"",
            "id=\"user-name\"",
            "id=\"user-password\"",
            "<select id=\"user-extension\" name=\"extension\">",
            "<option value=\"\" selected>None</option>",
            "<option value=\"1003\">1003 · &#60;img src=x&#62;</option>",
            "id=\"user-admin\"",
            "id=\"user-create-submit\"",
        ],
    );
    assert!(!resp.body.contains("<img"));
}

#[tokio::test]
async fn creating_a_user_links_the_extension() {
    let app = TestApp::start(fake::standard().with_extension("1003", "Carol")).await;
    let s = fake::login(&app, "admin", PASSWORD).await;
    let resp = post(
        &app,
        &s,
        "/admin/users",
        &[
            ("name", "Carol"),
            ("password", "a good long password"),
            ("extension", "1003"),
            ("admin", "on"),
        ],
    )
    .await;
    assert_redirect(&resp, "/admin/users?done=created");
    let carol = app
        .backend
        .user_named("carol")
        .unwrap_or_else(|| panic!("no carol"));
    assert_eq!(
        (carol.extension.as_deref(), carol.admin),
        (Some("1003"), true)
    );
    // The new user can log in.
    fake::login(&app, "carol", "a good long password").await;
}

#[tokio::test]
async fn a_refused_user_shows_why_and_keeps_the_form() {
    let app = TestApp::start(fake::standard().with_extension("1003", "Carol")).await;
    let s = fake::login(&app, "admin", PASSWORD).await;
    let cases: [(&str, &str, &str, &str); 4] = [
        ("carol", "short", "1003", "at least 10"),
        ("bad name!", "a good long password", "1003", "not valid"),
        ("alice", "a good long password", "1003", "taken"),
        ("carol", "a good long password", "1001", "already belongs"),
    ];
    for (name, password, ext, why) in cases {
        let resp = post(
            &app,
            &s,
            "/admin/users",
            &[
                ("name", name),
                ("password", password),
                ("extension", ext),
                ("admin", "on"),
            ],
        )
        .await;
        assert_eq!(resp.status, 422, "{name}: {}", resp.body);
        assert_has(
            &resp,
            &[
                "id=\"form-error\"",
                why,
                &format!("<option value=\"{ext}\" selected>"),
                "id=\"user-admin\" name=\"admin\" type=\"checkbox\" checked",
            ],
        );
        // The password is never sent back.
        assert!(!resp.body.contains(password), "{name}");
    }
    assert!(app.backend.user_named("carol").is_none());
}

#[tokio::test]
async fn editing_a_user_changes_extension_role_and_password() {
    let (app, s) = admin_app().await;
    let resp = get(&app, &s, "/admin/users/3").await;
    assert_has(
        &resp,
        &[
            "id=\"user-edit\"",
            "<option value=\"1002\" selected>",
            "id=\"user-password\"",
            "id=\"user-delete\"",
        ],
    );
    let bob = fake::login(&app, "bob", PASSWORD).await;
    let resp = post(
        &app,
        &s,
        "/admin/users/3",
        &[
            ("extension", ""),
            ("admin", "on"),
            ("password", "another long password"),
        ],
    )
    .await;
    assert_redirect(&resp, "/admin/users/3?done=password");
    let user = app
        .backend
        .user_named("bob")
        .unwrap_or_else(|| panic!("no bob"));
    assert_eq!((user.extension, user.admin), (None, true));
    // Bob's session ended with his old password.
    assert_eq!(get(&app, &bob, "/phone").await.status, 303);
    fake::login(&app, "bob", "another long password").await;
}

#[tokio::test]
async fn an_admin_cannot_lock_themself_out_here() {
    let (app, s) = admin_app().await;
    let resp = get(&app, &s, "/admin/users/1").await;
    assert_eq!(resp.status, 200);
    assert!(!resp.body.contains("id=\"user-password\""));
    assert!(!resp.body.contains("id=\"user-delete\""));
    let resp = post(&app, &s, "/admin/users/1/delete", &[("confirm", "yes")]).await;
    assert_eq!(resp.status, 422);
    assert_has(&resp, &["id=\"form-error\"", "your own account"]);
    assert!(app.backend.user_named("admin").is_some());
}

#[tokio::test]
async fn deleting_a_user_asks_first() {
    let (app, s) = admin_app().await;
    let resp = post(&app, &s, "/admin/users/2/delete", &[]).await;
    assert_eq!(resp.status, 200);
    assert_has(&resp, &["Delete user alice?", "id=\"user-delete-confirm\""]);
    assert!(app.backend.user_named("alice").is_some());
    let resp = post(&app, &s, "/admin/users/2/delete", &[("confirm", "yes")]).await;
    assert_redirect(&resp, "/admin/users?done=deleted");
    assert!(app.backend.user_named("alice").is_none());
}
