//! `/admin/extensions` and `/admin/extensions/{number}`.

use pbx::CallClass;

use super::*;

#[tokio::test]
async fn the_list_shows_each_extension_and_escapes_names() {
    let app = TestApp::start(
        fake::standard()
            .with_extension("2000", "<script>alert(1)</script>")
            .with_registration("1001", "sip:1001@127.0.0.1:5555;transport=ws"),
    )
    .await;
    let s = fake::login(&app, "admin", PASSWORD).await;
    let resp = get(&app, &s, "/admin/extensions").await;
    assert_eq!(resp.status, 200);
    assert_has(
        &resp,
        &[
            "tr data-number=\"1000\"",
            "tr data-number=\"1001\"",
            "tr data-number=\"2000\"",
            "&#60;script&#62;alert(1)&#60;/script&#62;",
            "id=\"extension-create\"",
            "id=\"ext-number\"",
            "id=\"ext-name\"",
            "id=\"ext-create\"",
            "Online",
        ],
    );
    assert!(!resp.body.contains("<script>alert"));
}

#[tokio::test]
async fn creating_shows_the_secret_once() {
    let (app, s) = admin_app().await;
    let resp = post(
        &app,
        &s,
        "/admin/extensions",
        &[("number", "2001"), ("name", "Carol")],
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_has(
        &resp,
        &[
            "<code id=\"sip-secret\">secret-2001</code>",
            "<strong id=\"sip-secret-number\">2001</strong>",
        ],
    );
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    // Not on the list nor the settings page.
    for path in ["/admin/extensions", "/admin/extensions/2001"] {
        let page = get(&app, &s, path).await;
        assert!(!page.body.contains("secret-2001"), "{path}");
    }
}

#[tokio::test]
async fn a_refused_create_shows_why_and_keeps_what_was_typed() {
    let (app, s) = admin_app().await;
    let cases: [(&str, &str, &str); 3] = [
        ("", "Dora", "Enter the extension"),
        ("1001", "Dora <b>", "exists"),
        ("12ab", "Dora <b>", "not valid"),
    ];
    for (number, name, why) in cases {
        let resp = post(
            &app,
            &s,
            "/admin/extensions",
            &[("number", number), ("name", name)],
        )
        .await;
        assert_eq!(resp.status, 422, "{number}");
        assert_has(
            &resp,
            &[
                "<p class=\"error\" id=\"form-error\"",
                why,
                "tr data-number=\"1001\"",
            ],
        );
        assert_has(
            &resp,
            &[&format!(
                "id=\"ext-number\" name=\"number\" type=\"text\" required maxlength=\"32\" value=\"{number}\""
            )],
        );
        assert!(!resp.body.contains("<b>"), "unescaped");
    }
    assert_eq!(app.backend.state().extensions.len(), 3);
}

#[tokio::test]
async fn the_settings_form_saves_every_field_at_once() {
    let (app, s) = admin_app().await;
    let resp = get(&app, &s, "/admin/extensions/1001").await;
    assert_has(
        &resp,
        &[
            "id=\"extension-edit\"",
            "id=\"ext-name\"",
            "<select id=\"ext-class\"",
            "<option value=\"national\" selected>",
            "id=\"ext-forward-always\"",
            "id=\"ext-forward-busy\"",
            "id=\"ext-forward-noanswer\"",
            "id=\"ext-ring-timeout\"",
            "id=\"ext-dnd\"",
            "id=\"ext-max-calls\"",
            "id=\"ext-save\"",
            "id=\"extension-reset-secret\"",
            "id=\"extension-delete\"",
            "<strong>alice</strong>",
        ],
    );
    let resp = post(
        &app,
        &s,
        "/admin/extensions/1001",
        &[
            ("name", "Alice A."),
            ("class", "international"),
            ("forward_always", ""),
            ("forward_busy", "1002"),
            ("forward_noanswer", " 1000 "),
            ("ring_timeout", "35"),
            ("dnd", "on"),
            ("max_calls", "2"),
        ],
    )
    .await;
    assert_redirect(&resp, "/admin/extensions/1001?done=saved");
    {
        let st = app.backend.state();
        let ext = st.extensions.get("1001").map(|(e, _)| e.clone());
        let ext = ext.unwrap_or_else(|| panic!("1001 is gone"));
        assert_eq!(ext.name, "Alice A.");
        let f = ext.features;
        assert_eq!(f.class, CallClass::International);
        assert_eq!(f.forward_always, None);
        assert_eq!(f.forward_busy.as_deref(), Some("1002"));
        assert_eq!(f.forward_noanswer.as_deref(), Some("1000"));
        assert_eq!((f.ring_timeout, f.dnd, f.max_calls), (35, true, Some(2)));
    }
    let resp = get(&app, &s, "/admin/extensions/1001?done=saved").await;
    assert_has(
        &resp,
        &[
            "Changes saved.",
            "id=\"ext-dnd\" name=\"dnd\" type=\"checkbox\" checked",
        ],
    );
    // Unticking the box turns DND off again (browsers send no field for it).
    let resp = post(
        &app,
        &s,
        "/admin/extensions/1001",
        &[
            ("name", "Alice A."),
            ("class", "local"),
            ("ring_timeout", "20"),
            ("max_calls", ""),
        ],
    )
    .await;
    assert_eq!(resp.status, 303);
    let st = app.backend.state();
    let f = st.extensions.get("1001").map(|(e, _)| e.features.clone());
    assert_eq!(
        f.map(|f| (f.dnd, f.max_calls, f.class)),
        Some((false, None, CallClass::Local))
    );
}

#[tokio::test]
async fn refused_settings_are_shown_in_place_and_nothing_is_saved() {
    let (app, s) = admin_app().await;
    let cases: [(&str, &str, &str, &str); 4] = [
        ("abc", "", "national", "ring_timeout"),
        ("20", "-1", "national", "max_calls"),
        ("20", "", "galactic", "class"),
        ("20", "", "national", "forward_busy"),
    ];
    for (ring, max, class, field) in cases {
        let busy = if field == "forward_busy" {
            "not a number"
        } else {
            ""
        };
        let resp = post(
            &app,
            &s,
            "/admin/extensions/1001",
            &[
                ("name", "Renamed <i>"),
                ("class", class),
                ("forward_busy", busy),
                ("ring_timeout", ring),
                ("dnd", "on"),
                ("max_calls", max),
            ],
        )
        .await;
        assert_eq!(resp.status, 422, "{field}: {}", resp.body);
        assert_has(
            &resp,
            &[
                "id=\"form-error\"",
                "value=\"Renamed &#60;i&#62;\"",
                &format!("value=\"{ring}\""),
                "id=\"ext-dnd\" name=\"dnd\" type=\"checkbox\" checked",
            ],
        );
        if field != "forward_busy" {
            // The field at fault is marked.
            assert!(resp.body.contains("aria-invalid=\"true\""), "{field}");
        }
    }
    let st = app.backend.state();
    let ext = st.extensions.get("1001").map(|(e, _)| e.clone());
    assert_eq!(
        ext.map(|e| (e.name, e.features.dnd)),
        Some(("alice".into(), false))
    );
}

#[tokio::test]
async fn resetting_the_secret_shows_the_new_one() {
    let (app, s) = admin_app().await;
    let resp = post(&app, &s, "/admin/extensions/1002/secret", &[]).await;
    assert_eq!(resp.status, 200);
    assert_has(
        &resp,
        &[
            "<code id=\"sip-secret\">secret-1002-new</code>",
            "New SIP secret for 1002",
        ],
    );
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    assert_eq!(
        post(&app, &s, "/admin/extensions/9999/secret", &[])
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn deleting_asks_first() {
    let (app, s) = admin_app().await;
    let resp = post(&app, &s, "/admin/extensions/1002/delete", &[]).await;
    assert_eq!(resp.status, 200);
    assert_has(
        &resp,
        &[
            "Delete extension 1002?",
            "name=\"confirm\" value=\"yes\"",
            "<strong>bob</strong>",
        ],
    );
    assert!(app.backend.state().extensions.contains_key("1002"));
    let resp = post(
        &app,
        &s,
        "/admin/extensions/1002/delete",
        &[("confirm", "yes")],
    )
    .await;
    assert_redirect(&resp, "/admin/extensions?done=deleted");
    assert!(!app.backend.state().extensions.contains_key("1002"));
    let list = get(&app, &s, "/admin/extensions?done=deleted").await;
    assert_has(&list, &["The extension was deleted."]);
    assert!(!list.body.contains("data-number=\"1002\""));
}
