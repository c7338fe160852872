//! `/api/extensions`: create (secret once), read, change, reset the secret, delete.

use serde_json::json;

use crate::fake::{PASSWORD, TestApp, login, standard};

#[tokio::test]
async fn extensions_lifecycle() {
    let app = TestApp::start(standard()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let created = app
        .post("/api/extensions")
        .session(&admin)
        .json(&json!({"number": "2000", "name": "Lobby"}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let body = created.json();
    assert_eq!(body["secret"], "secret-2000");
    assert_eq!(body["extension"]["number"], "2000");
    assert_eq!(body["extension"]["class"], "national");
    assert_eq!(body["extension"]["ring_timeout"], 20);

    // The secret is never part of a read.
    let one = app
        .get("/api/extensions/2000")
        .cookie(&admin.cookie)
        .send()
        .await;
    assert_eq!(one.status, 200);
    assert!(!one.body.contains("secret"), "{}", one.body);
    let all = app
        .get("/api/extensions")
        .cookie(&admin.cookie)
        .send()
        .await;
    assert_eq!(all.json().as_array().map(Vec::len), Some(4));
    assert!(!all.body.contains("secret"));

    let dup = app
        .post("/api/extensions")
        .session(&admin)
        .json(&json!({"number": "2000", "name": "Again"}))
        .send()
        .await;
    assert_eq!(dup.status, 409);

    let patched = app
        .patch("/api/extensions/2000")
        .session(&admin)
        .json(&json!({
            "name": "Front desk", "class": "International", "forward_busy": "1001",
            "forward_noanswer": "1002", "ring_timeout": 30, "dnd": true, "max_calls": 2
        }))
        .send()
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let p = patched.json();
    assert_eq!(p["name"], "Front desk");
    assert_eq!(p["class"], "international");
    assert_eq!(p["forward_busy"], "1001");
    assert_eq!(p["dnd"], true);
    assert_eq!(p["max_calls"], 2);

    // null (or "") clears; absent leaves.
    let cleared = app
        .patch("/api/extensions/2000")
        .session(&admin)
        .json(&json!({"forward_busy": null, "forward_noanswer": "", "max_calls": null}))
        .send()
        .await;
    let c = cleared.json();
    assert_eq!(c["forward_busy"], json!(null));
    assert_eq!(c["forward_noanswer"], json!(null));
    assert_eq!(c["max_calls"], json!(null));
    assert_eq!(c["name"], "Front desk");
    assert_eq!(c["dnd"], true);

    let secret = app
        .post("/api/extensions/2000/secret")
        .session(&admin)
        .send()
        .await;
    assert_eq!(secret.status, 200);
    assert_eq!(secret.json()["secret"], "secret-2000-new");

    assert_eq!(
        app.delete("/api/extensions/2000")
            .session(&admin)
            .send()
            .await
            .status,
        204
    );
    for resp in [
        app.get("/api/extensions/2000")
            .cookie(&admin.cookie)
            .send()
            .await,
        app.delete("/api/extensions/2000")
            .session(&admin)
            .send()
            .await,
        app.post("/api/extensions/2000/secret")
            .session(&admin)
            .send()
            .await,
        app.patch("/api/extensions/2000")
            .session(&admin)
            .json(&json!({"dnd": false}))
            .send()
            .await,
    ] {
        assert_eq!(resp.status, 404, "{}", resp.body);
        assert_eq!(resp.json()["error"], "No extension 2000.");
    }
}

#[tokio::test]
async fn bad_extension_input_is_refused_and_changes_nothing() {
    let app = TestApp::start(standard()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let before = app.backend.state().extensions.get("1001").cloned();
    for (body, status) in [
        (json!({"class": "premium"}), 422),
        (json!({"ring_timeout": -5}), 422),
        (json!({"ring_timeout": "soon"}), 422),
        (json!({"dnd": "yes"}), 422),
        (json!({"name": "x", "forward_always": "not a number"}), 422),
        (json!({"colour": "red"}), 422),
    ] {
        let resp = app
            .patch("/api/extensions/1001")
            .session(&admin)
            .json(&body)
            .send()
            .await;
        assert_eq!(resp.status, status, "{body}: {}", resp.body);
        assert!(resp.json()["error"].is_string());
    }
    assert_eq!(app.backend.state().extensions.get("1001").cloned(), before);
    let bad = app
        .post("/api/extensions")
        .session(&admin)
        .json(&json!({"number": "12a", "name": "x"}))
        .send()
        .await;
    assert_eq!(bad.status, 422);
}
