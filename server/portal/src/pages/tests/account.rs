//! `/account`: password change and API tokens.

use super::*;

#[tokio::test]
async fn everyone_can_change_their_password() {
    let (app, s) = app_as("alice").await;
    let resp = get(&app, &s, "/account").await;
    assert_has(
        &resp,
        &[
            "id=\"current-password\"",
            "id=\"new-password\"",
            "id=\"confirm-password\"",
            "id=\"password-submit\"",
            "1001",
        ],
    );
    assert!(
        !resp.body.contains("id=\"token-create\""),
        "tokens are for admins"
    );

    let cases: [(&str, &str, &str, &str); 3] = [
        (
            PASSWORD,
            "a new long password",
            "a different one!",
            "differ",
        ),
        (
            "wrong password",
            "a new long password",
            "a new long password",
            "current password is wrong",
        ),
        (PASSWORD, "short", "short", "at least 10"),
    ];
    for (current, new, confirm, why) in cases {
        let resp = post(
            &app,
            &s,
            "/account/password",
            &[("current", current), ("new", new), ("confirm", confirm)],
        )
        .await;
        assert_eq!(resp.status, 422, "{why}");
        assert_has(&resp, &["id=\"form-error\"", why]);
    }

    let resp = post(
        &app,
        &s,
        "/account/password",
        &[
            ("current", PASSWORD),
            ("new", "a new long password"),
            ("confirm", "a new long password"),
        ],
    )
    .await;
    assert_redirect(&resp, "/account?done=password");
    // This browser goes on with a fresh session; the old one is over.
    let cookie = resp.cookie().unwrap_or_default();
    assert!(
        cookie.starts_with("sb_session=") && cookie != s.cookie,
        "{cookie}"
    );
    assert_eq!(get(&app, &s, "/account").await.status, 303);
    let page = app
        .get("/account?done=password")
        .cookie(&cookie)
        .send()
        .await;
    assert_has(&page, &["Password changed."]);
}

#[tokio::test]
async fn admins_create_and_revoke_api_tokens() {
    let (app, s) = admin_app().await;
    let resp = get(&app, &s, "/account").await;
    assert_has(
        &resp,
        &[
            "id=\"token-create\"",
            "id=\"token-label\"",
            "No API tokens.",
        ],
    );

    let resp = post(&app, &s, "/account/tokens", &[("label", "")]).await;
    assert_eq!(resp.status, 422);
    assert_has(&resp, &["id=\"form-error\"", "label"]);

    let resp = post(&app, &s, "/account/tokens", &[("label", "backup <script>")]).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    assert_has(
        &resp,
        &["<code id=\"api-token\">sbt_", "backup &#60;script&#62;"],
    );
    assert!(!resp.body.contains("<script>"));
    let id = app
        .backend
        .state()
        .tokens
        .keys()
        .next()
        .copied()
        .unwrap_or_default();
    assert_has(&resp, &[&format!("data-token-id=\"{id}\"")]);

    // Shown once: not on the next view.
    let again = get(&app, &s, "/account").await;
    assert!(!again.body.contains("id=\"api-token\""));

    let resp = post(&app, &s, &format!("/account/tokens/{id}/delete"), &[]).await;
    assert_redirect(&resp, "/account?done=token-deleted");
    assert!(app.backend.state().tokens.is_empty());
    assert_eq!(
        post(&app, &s, &format!("/account/tokens/{id}/delete"), &[])
            .await
            .status,
        404
    );
}
