//! Registrations, active calls and the status page.

use super::*;

#[tokio::test]
async fn registrations_are_listed_per_extension() {
    let app = TestApp::start(
        fake::standard().with_registration("1001", "sip:1001@127.0.0.1:5555;transport=ws;x=<b>"),
    )
    .await;
    let s = fake::login(&app, "admin", PASSWORD).await;
    let resp = get(&app, &s, "/admin/registrations").await;
    assert_eq!(resp.status, 200);
    assert_has(
        &resp,
        &[
            "<table id=\"registrations\">",
            "tr data-extension=\"1001\"",
            "x=&#60;b&#62;",
            "JsSIP 3.13",
            "5 min 0 s",
        ],
    );
}

#[tokio::test]
async fn calls_can_be_hung_up_from_the_list() {
    let app = TestApp::start(fake::standard().with_call("call/1 x", "1001", "1002")).await;
    let s = fake::login(&app, "admin", PASSWORD).await;
    let resp = get(&app, &s, "/admin/calls").await;
    assert_has(
        &resp,
        &[
            "<table id=\"calls\">",
            "tr data-call-id=\"call/1 x\"",
            "<form class=\"hangup\" method=\"post\" action=\"/admin/calls/call%2F1%20x/hangup\">",
        ],
    );
    let resp = post(&app, &s, "/admin/calls/call%2F1%20x/hangup", &[]).await;
    assert_redirect(&resp, "/admin/calls?done=hungup");
    assert_eq!(app.backend.state().hung_up, vec!["call/1 x".to_owned()]);
    let resp = get(&app, &s, "/admin/calls?done=hungup").await;
    assert_has(&resp, &["The call was hung up.", "No calls right now."]);
    let resp = post(&app, &s, "/admin/calls/call%2F1%20x/hangup", &[]).await;
    assert_redirect(&resp, "/admin/calls?done=gone");
}

#[tokio::test]
async fn unknown_notices_are_not_echoed() {
    let (app, s) = admin_app().await;
    let resp = get(&app, &s, "/admin/calls?done=Call%20your%20bank").await;
    assert_eq!(resp.status, 200);
    assert!(!resp.body.contains("Call your bank"));
    assert!(!resp.body.contains("class=\"notice\""));
}

#[tokio::test]
async fn the_status_page_is_for_admins() {
    let (app, s) = admin_app().await;
    let resp = get(&app, &s, "/admin/status").await;
    assert_eq!(resp.status, 200);
    assert_has(
        &resp,
        &["Switchboard", "id=\"bindings\"", "id=\"listeners\""],
    );
}
