//! `PATCH /api/routes/{id}` and `PATCH /api/dids/{number}`: only the fields sent change,
//! refusals are JSON errors with nothing changed, unknown ones are 404; admins only (also
//! walked with every admin endpoint in `access.rs`), and browsers need the CSRF token.

use serde_json::json;

use super::api_trunks::with_trunks;
use crate::fake::{FakeBackend, PASSWORD, TestApp, login};

/// `with_trunks` and a second trunk and route, so that order can change.
fn two_routes() -> FakeBackend {
    with_trunks()
        .with_trunk("backup", "192.0.2.10", None)
        .with_route("_011.", &["backup"])
}

fn route_ids(app: &TestApp) -> Vec<i64> {
    app.backend.state().routes.iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn a_route_changes_only_the_fields_sent() {
    let app = TestApp::start(two_routes()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let ids = route_ids(&app);
    let (first, second) = (ids[0], ids[1]);

    let changed = app
        .patch(&format!("/api/routes/{first}"))
        .session(&admin)
        .json(&json!({"trunks": [" backup", "acme"], "prepend": "+1"}))
        .send()
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        changed.json(),
        json!({"id": first, "position": 0, "pattern": "_1NXXNXXXXXX",
               "trunks": ["backup", "acme"], "strip": 0, "prepend": "+1"})
    );

    // A new position reorders the list.
    let moved = app
        .patch(&format!("/api/routes/{first}"))
        .session(&admin)
        .json(&json!({"position": 1, "pattern": "_91NXXNXXXXXX", "strip": 1}))
        .send()
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.json()["position"], 1);
    assert_eq!(moved.json()["prepend"], "+1", "what was not sent stays");
    let listed = app.get("/api/routes").session(&admin).send().await.json();
    assert_eq!(listed[0]["id"], second);
    assert_eq!(listed[1]["pattern"], "_91NXXNXXXXXX");
}

#[tokio::test]
async fn route_refusals_are_json_errors_and_change_nothing() {
    let app = TestApp::start(two_routes()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let id = route_ids(&app)[0];
    let before = app.backend.state().routes.clone();
    for (body, status, needle) in [
        (
            json!({"trunks": ["acme", "nosuch"]}),
            422,
            "no trunk nosuch",
        ),
        (json!({"trunks": []}), 422, "at least one trunk"),
        (json!({"pattern": "1-800"}), 422, "pattern"),
        (json!({"position": -1}), 422, "position"),
        (json!({"strip": "two"}), 422, "strip"),
        (json!({"name": "x"}), 422, "name"),
    ] {
        let resp = app
            .patch(&format!("/api/routes/{id}"))
            .session(&admin)
            .json(&body)
            .send()
            .await;
        assert_eq!(resp.status, status, "{body}: {}", resp.body);
        let error = resp.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(error.contains(needle), "{body}: {error}");
    }
    assert_eq!(app.backend.state().routes, before);
    for path in ["/api/routes/999", "/api/routes/x"] {
        let resp = app
            .patch(path)
            .session(&admin)
            .json(&json!({"strip": 1}))
            .send()
            .await;
        assert_eq!(resp.status, 404, "{path}");
    }
}

#[tokio::test]
async fn a_number_changes_only_the_fields_sent() {
    let app = TestApp::start(with_trunks().with_trunk("backup", "192.0.2.10", None)).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let patch = |body: serde_json::Value| {
        app.patch("/api/dids/%2B15551230000")
            .session(&admin)
            .json(&body)
            .send()
    };
    let changed = patch(json!({"to": "1001, 1002", "failover": "1000"})).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        changed.json(),
        json!({"number": "+15551230000", "trunk": "acme", "to": ["1001", "1002"],
               "failover": "1000"})
    );
    let changed = patch(json!({"trunk": "backup"})).await;
    assert_eq!(
        changed.json()["failover"],
        "1000",
        "what was not sent stays"
    );
    let cleared = patch(json!({"failover": null, "to": ["1002"]})).await;
    assert_eq!(
        cleared.json(),
        json!({"number": "+15551230000", "trunk": "backup", "to": ["1002"], "failover": null})
    );

    let before = app.backend.state().dids.clone();
    for (body, needle) in [
        (json!({"to": "1001,7777"}), "no extension 7777"),
        (json!({"to": []}), "at least one extension"),
        (json!({"trunk": "nosuch"}), "no trunk nosuch"),
        (json!({"number": "+15550000000"}), "number"),
    ] {
        let resp = patch(body.clone()).await;
        assert_eq!(resp.status, 422, "{body}: {}", resp.body);
        assert!(resp.body.contains(needle), "{body}: {}", resp.body);
    }
    assert_eq!(app.backend.state().dids, before);
    let unknown = app
        .patch("/api/dids/%2B19999999999")
        .session(&admin)
        .json(&json!({"to": ["1001"]}))
        .send()
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"], "No DID +19999999999.");
}

#[tokio::test]
async fn only_admins_edit_and_browsers_need_the_csrf_token() {
    let app = TestApp::start(with_trunks()).await;
    let id = route_ids(&app)[0];
    let route_path = format!("/api/routes/{id}");
    let edits = [
        (route_path.as_str(), json!({"prepend": "00"})),
        ("/api/dids/%2B15551230000", json!({"to": ["1002"]})),
    ];
    let before = {
        let st = app.backend.state();
        (st.routes.clone(), st.dids.clone())
    };
    let alice = login(&app, "alice", PASSWORD).await;
    let admin = login(&app, "admin", PASSWORD).await;
    for (path, body) in &edits {
        let resp = app.patch(path).session(&alice).json(body).send().await;
        assert_eq!(resp.status, 403, "{path}");
        assert_eq!(resp.json()["error"], "Only admins may do this.");
        let anonymous = app.patch(path).json(body).send().await;
        assert_eq!(anonymous.status, 401, "{path}");
        let no_csrf = app
            .patch(path)
            .cookie(&admin.cookie)
            .json(body)
            .send()
            .await;
        assert_eq!(no_csrf.status, 403, "{path} without the CSRF token");
    }
    let st = app.backend.state();
    assert_eq!((st.routes.clone(), st.dids.clone()), before);
}
