//! `/api/trunks`, `/api/dids`, `/api/routes`.

use serde_json::json;

use crate::fake::{FakeBackend, PASSWORD, TestApp, login, standard};

pub(super) fn with_trunks() -> FakeBackend {
    standard()
        .with_trunk("acme", "sip.acme.example", Some("acct-1"))
        .with_did("+15551230000", "acme", &["1001"])
        .with_route("_1NXXNXXXXXX", &["acme"])
}

fn stored_password(app: &TestApp, name: &str) -> Option<String> {
    let st = app.backend.state();
    let (trunk, _) = st.trunks.get(name)?;
    trunk.registration.as_ref().map(|r| r.password.clone())
}

#[tokio::test]
async fn trunks_are_created_changed_and_removed_without_showing_the_password() {
    let app = TestApp::start(with_trunks()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let created = app
        .post("/api/trunks")
        .session(&admin)
        .json(&json!({
            "name": "carrier", "host": "sip.carrier.example", "port": 5080,
            "username": "u1", "password": "Api-Secret-1", "codecs": ["PCMA"],
            "srtp": "require", "channels": 8, "allow": ["192.0.2.0/24"]
        }))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(!created.body.contains("Api-Secret-1"));
    let body = created.json();
    assert_eq!(body["name"], "carrier");
    assert_eq!(body["port"], 5080);
    assert_eq!(body["register"], true);
    assert_eq!(body["username"], "u1");
    assert_eq!(body["allow"], json!(["192.0.2.0/24"]));
    assert_eq!(body["status"]["calls"], 0);
    assert!(body.get("password").is_none());
    assert_eq!(
        stored_password(&app, "carrier").as_deref(),
        Some("Api-Secret-1")
    );

    let listed = app.get("/api/trunks").session(&admin).send().await;
    assert_eq!(listed.status, 200);
    assert!(!listed.body.contains("Api-Secret-1") && !listed.body.contains("pw-acme"));
    assert_eq!(listed.json().as_array().map(Vec::len), Some(2));

    // A change without a password keeps it; `channels: null` clears the limit.
    let changed = app
        .patch("/api/trunks/carrier")
        .session(&admin)
        .json(&json!({"host": "sip2.carrier.example", "channels": null}))
        .send()
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.json()["host"], "sip2.carrier.example");
    assert_eq!(changed.json()["channels"], json!(null));
    assert_eq!(
        stored_password(&app, "carrier").as_deref(),
        Some("Api-Secret-1")
    );
    let changed = app
        .patch("/api/trunks/carrier")
        .session(&admin)
        .json(&json!({"password": "Api-Secret-2"}))
        .send()
        .await;
    assert_eq!(changed.status, 200);
    assert!(!changed.body.contains("Api-Secret-2"));
    assert_eq!(
        stored_password(&app, "carrier").as_deref(),
        Some("Api-Secret-2")
    );
    // IP authentication from now on.
    let changed = app
        .patch("/api/trunks/carrier")
        .session(&admin)
        .json(&json!({"username": null}))
        .send()
        .await;
    assert_eq!(changed.json()["register"], false);

    let bad = app
        .patch("/api/trunks/carrier")
        .session(&admin)
        .json(&json!({"srtp": "sometimes"}))
        .send()
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.json()["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("srtp"))
    );

    let gone = app
        .delete("/api/trunks/carrier")
        .session(&admin)
        .send()
        .await;
    assert_eq!(gone.status, 204);
    let again = app
        .delete("/api/trunks/carrier")
        .session(&admin)
        .send()
        .await;
    assert_eq!(again.status, 404);
    assert_eq!(
        app.get("/api/trunks/carrier")
            .session(&admin)
            .send()
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn trunk_refusals_are_json_errors() {
    let app = TestApp::start(with_trunks()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    for (body, status, needle) in [
        (
            json!({"name": "acme", "host": "h.example"}),
            409,
            "already exists",
        ),
        (
            json!({"name": "x", "host": "h.example", "username": "u"}),
            422,
            "password",
        ),
        (
            json!({"name": "x", "host": "h.example", "password": "p"}),
            422,
            "username",
        ),
        (
            json!({"name": "x", "host": "h.example", "allow": ["nowhere"]}),
            422,
            "allow",
        ),
        (
            json!({"name": "x", "host": "h.example", "transport": "carrier-pigeon"}),
            422,
            "transport",
        ),
        (
            json!({"name": "x", "host": "h.example", "secret": "p"}),
            422,
            "secret",
        ),
    ] {
        let resp = app
            .post("/api/trunks")
            .session(&admin)
            .json(&body)
            .send()
            .await;
        assert_eq!(resp.status, status, "{body}: {}", resp.body);
        assert!(resp.body.contains(needle), "{body}: {}", resp.body);
    }
    let in_use = app.delete("/api/trunks/acme").session(&admin).send().await;
    assert_eq!(in_use.status, 409);
    assert!(in_use.body.contains("still used by"), "{}", in_use.body);
    assert_eq!(app.backend.state().trunks.len(), 1);
}

#[tokio::test]
async fn dids_and_routes_are_listed_added_and_removed() {
    let app = TestApp::start(with_trunks()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let dids = app.get("/api/dids").session(&admin).send().await;
    assert_eq!(
        dids.json(),
        json!([{"number": "+15551230000", "trunk": "acme", "to": ["1001"], "failover": null}])
    );
    let added = app
        .post("/api/dids")
        .session(&admin)
        .json(&json!({"number": "+15551230001", "trunk": "acme", "to": "1001,1002", "failover": "1000"}))
        .send()
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.json()["to"], json!(["1001", "1002"]));
    let dup = app
        .post("/api/dids")
        .session(&admin)
        .json(&json!({"number": "+15551230001", "trunk": "acme", "to": ["1001"]}))
        .send()
        .await;
    assert_eq!(dup.status, 409);
    let removed = app
        .delete("/api/dids/%2B15551230001")
        .session(&admin)
        .send()
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(
        app.delete("/api/dids/%2B15551230001")
            .session(&admin)
            .send()
            .await
            .status,
        404
    );

    let added = app
        .post("/api/routes")
        .session(&admin)
        .json(&json!({"pattern": "_011.", "trunks": ["acme"], "strip": 3, "prepend": "+", "position": 0}))
        .send()
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    let id = added.json()["id"].as_i64().unwrap_or_default();
    assert_eq!(added.json()["position"], 0);
    let routes = app.get("/api/routes").session(&admin).send().await.json();
    assert_eq!(routes[0]["pattern"], "_011.");
    assert_eq!(routes[1]["pattern"], "_1NXXNXXXXXX");
    let unknown = app
        .post("/api/routes")
        .session(&admin)
        .json(&json!({"pattern": "_9X.", "trunks": ["nosuch"]}))
        .send()
        .await;
    assert_eq!(unknown.status, 422);
    assert_eq!(
        app.delete(&format!("/api/routes/{id}"))
            .session(&admin)
            .send()
            .await
            .status,
        204
    );
    assert_eq!(
        app.delete("/api/routes/x")
            .session(&admin)
            .send()
            .await
            .status,
        404
    );
}

/// Who may call them at all (admins; 403 for users, 401 for strangers) is walked for every
/// admin endpoint in `tests/access.rs`.
#[tokio::test]
async fn writes_need_the_csrf_token() {
    let app = TestApp::start(with_trunks()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let no_csrf = app
        .delete("/api/dids/%2B15551230000")
        .cookie(&admin.cookie)
        .send()
        .await;
    assert_eq!(no_csrf.status, 403);
    let st = app.backend.state();
    assert_eq!((st.trunks.len(), st.dids.len(), st.routes.len()), (1, 1, 1));
}
