//! The other admin endpoints: tokens, live state, call records, the dial plan.

use serde_json::json;

use crate::fake::{PASSWORD, TestApp, login, standard};

#[tokio::test]
async fn api_tokens_work_once_created_and_stop_when_deleted() {
    let app = TestApp::start(standard()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let created = app
        .post("/api/tokens")
        .session(&admin)
        .json(&json!({"label": " ci "}))
        .send()
        .await;
    assert_eq!(created.status, 201);
    let body = created.json();
    let token = body["token"].as_str().unwrap_or_default().to_owned();
    assert!(token.starts_with("sbt_") && token.len() == 47, "{token}");
    assert_eq!(body["label"], "ci");
    // Only the hash is kept.
    assert!(
        app.backend
            .state()
            .tokens
            .values()
            .all(|t| t.token_hash != token)
    );

    let listed = app.get("/api/tokens").cookie(&admin.cookie).send().await;
    assert!(!listed.body.contains(&token));
    assert_eq!(listed.json()[0]["label"], "ci");

    let bearer = format!("Bearer {token}");
    let users = app
        .get("/api/users")
        .header("Authorization", &bearer)
        .send()
        .await;
    assert_eq!(users.status, 200);
    assert!(
        app.backend
            .state()
            .tokens
            .values()
            .all(|t| t.last_used.is_some())
    );

    let id = body["id"].as_i64().unwrap_or_default();
    assert_eq!(
        app.delete(&format!("/api/tokens/{id}"))
            .session(&admin)
            .send()
            .await
            .status,
        204
    );
    let after = app
        .get("/api/users")
        .header("Authorization", &bearer)
        .send()
        .await;
    assert_eq!(after.status, 401);
    assert_eq!(after.header("www-authenticate"), Some("Bearer"));
    for junk in [
        "Bearer nope",
        "Bearer sbt_",
        "Basic YTpi",
        "Bearer",
        &"Bearer sbt_x".repeat(50),
    ] {
        let resp = app
            .get("/api/users")
            .header("Authorization", junk)
            .send()
            .await;
        assert_eq!(resp.status, 401, "{junk}");
    }
    let bad_label = app
        .post("/api/tokens")
        .session(&admin)
        .json(&json!({"label": ""}))
        .send()
        .await;
    assert_eq!(bad_label.status, 422);
}

#[tokio::test]
async fn a_demoted_admins_token_stops_working_and_tokens_are_per_admin() {
    let app = TestApp::start(standard().with_user("root", PASSWORD, true, None)).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let root = login(&app, "root", PASSWORD).await;
    let created = app
        .post("/api/tokens")
        .session(&root)
        .json(&json!({"label": "x"}))
        .send()
        .await;
    let token = created.json()["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let id = created.json()["id"].as_i64().unwrap_or_default();
    // Another admin neither sees nor deletes it.
    let theirs = app.get("/api/tokens").cookie(&admin.cookie).send().await;
    assert_eq!(theirs.json(), json!([]));
    assert_eq!(
        app.delete(&format!("/api/tokens/{id}"))
            .session(&admin)
            .send()
            .await
            .status,
        404
    );

    let root_id = app
        .backend
        .user_named("root")
        .map(|u| u.id)
        .unwrap_or_default();
    let demote = app
        .patch(&format!("/api/users/{root_id}"))
        .session(&admin)
        .json(&json!({"admin": false}))
        .send()
        .await;
    assert_eq!(demote.status, 200);
    let resp = app
        .get("/api/me")
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await;
    assert_eq!(resp.status, 403);
    // Bearer tokens are for the API only; pages ignore them.
    let page = app
        .get("/admin/users")
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await;
    assert_eq!(page.status, 303);
}

#[tokio::test]
async fn live_registrations_and_calls_and_hangup() {
    let backend = standard()
        .with_registration("1001", "sip:1001@127.0.0.1:5070;transport=ws")
        .with_call("c1", "1001", "1002");
    let app = TestApp::start(backend).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let regs = app
        .get("/api/registrations")
        .cookie(&admin.cookie)
        .send()
        .await
        .json();
    assert_eq!(regs[0]["extension"], "1001");
    assert_eq!(regs[0]["transport"], "wss");
    assert_eq!(regs[0]["expires_in"], 300);
    let calls = app
        .get("/api/calls")
        .cookie(&admin.cookie)
        .send()
        .await
        .json();
    assert_eq!(calls[0]["id"], "c1");
    assert_eq!(calls[0]["started"], "2023-11-14T22:13:20.000Z");
    assert_eq!(
        app.post("/api/calls/c1/hangup")
            .session(&admin)
            .send()
            .await
            .status,
        204
    );
    assert_eq!(app.backend.state().hung_up, ["c1"]);
    assert_eq!(
        app.post("/api/calls/c1/hangup")
            .session(&admin)
            .send()
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn call_records_filter_and_export() {
    let day = 1_714_521_600_000; // 2024-05-01T00:00:00Z
    let backend = standard()
        .with_record("1001", "1002", day - 1000, 5)
        .with_record("1001", "1002", day + 3_600_000, 7)
        .with_record("=cmd|x", "1000", day + 7_200_000, 9);
    let app = TestApp::start(backend).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let list = app
        .get("/api/cdrs?since=2024-05-01&until=2024-05-01")
        .cookie(&admin.cookie)
        .send()
        .await;
    assert_eq!(list.status, 200);
    let rows = list.json();
    assert_eq!(rows.as_array().map(Vec::len), Some(2));
    let first = &rows[0];
    assert_eq!(first["caller"], "=cmd|x");
    assert_eq!(first["start"], "2024-05-01T02:00:00.000Z");
    assert_eq!(first["answer"], "2024-05-01T02:00:02.000Z");
    assert_eq!(first["duration"], 11);
    assert_eq!(first["billable"], 9);
    assert_eq!(first["disposition"], "answered");
    assert_eq!(first["sip_cause"], 200);
    assert_eq!(first["codec_a"], "opus");

    let numbered = app
        .get("/api/cdrs?number=1002&limit=1&offset=1")
        .cookie(&admin.cookie)
        .send()
        .await;
    assert_eq!(numbered.json()[0]["start"], "2024-04-30T23:59:59.000Z");
    let bad = app
        .get("/api/cdrs?since=last+week")
        .cookie(&admin.cookie)
        .send()
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]
            .as_str()
            .is_some_and(|m| m.starts_with("since:"))
    );

    let csv = app
        .get("/api/cdrs.csv?since=2024-05-01")
        .cookie(&admin.cookie)
        .send()
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        csv.header("content-disposition")
            .is_some_and(|v| v.starts_with("attachment"))
    );
    let lines: Vec<&str> = csv.body.split("\r\n").collect();
    assert!(
        lines[0].starts_with("id,call_id,caller,callee,dialed,start,answer,end,duration,billable,")
    );
    assert_eq!(lines.len(), 4, "{}", csv.body);
    assert!(
        lines[1].contains(",'=cmd|x,1000,1000,2024-05-01T02:00:00.000Z,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with(",9,7,answered,200,opus,PCMU"),
        "{}",
        lines[2]
    );
}

#[tokio::test]
async fn dial_plan_rules() {
    let app = TestApp::start(standard()).await;
    let admin = login(&app, "admin", PASSWORD).await;
    let add = |body: serde_json::Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post("/api/dialplan")
                .session(&admin)
                .json(&body)
                .send()
                .await
        }
    };
    let r = add(json!({"pattern": "_1XXX", "action": "extension", "target": "1001"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = add(json!({"pattern": "911", "action": "route", "target": "emergency", "class": "emergency", "position": 0})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["position"], 0);
    let r = add(json!({"pattern": "_9.", "action": "reject", "target": 403})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = add(json!({"pattern": "_8.", "action": "busy"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let list = app
        .get("/api/dialplan")
        .cookie(&admin.cookie)
        .send()
        .await
        .json();
    let summary: Vec<String> = list
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| format!("{} {} {}", r["pattern"], r["action"], r["target"]))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        summary,
        [
            "\"911\" \"route\" \"emergency\"",
            "\"_1XXX\" \"extension\" \"1001\"",
            "\"_9.\" \"reject\" \"403\"",
            "\"_8.\" \"busy\" null",
        ]
    );
    for (body, words) in [
        (json!({"pattern": "_1X", "action": "extension"}), "target"),
        (
            json!({"pattern": "_1X", "action": "reject", "target": "200"}),
            "400 to 699",
        ),
        (
            json!({"pattern": "_1X", "action": "busy", "target": "1"}),
            "no target",
        ),
        (
            json!({"pattern": "_1X", "action": "dance", "target": "1"}),
            "action",
        ),
        (
            json!({"pattern": "_1X", "action": "busy", "class": "galactic"}),
            "class",
        ),
        (
            json!({"pattern": "_1X", "action": "busy", "position": -1}),
            "position",
        ),
        (json!({"pattern": "abc", "action": "busy"}), "pattern"),
    ] {
        let r = add(body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert!(
            r.json()["error"]
                .as_str()
                .is_some_and(|m| m.contains(words)),
            "{body}: {}",
            r.body
        );
    }
    let id = list[0]["id"].as_i64().unwrap_or_default();
    assert_eq!(
        app.delete(&format!("/api/dialplan/{id}"))
            .session(&admin)
            .send()
            .await
            .status,
        204
    );
    assert_eq!(
        app.delete(&format!("/api/dialplan/{id}"))
            .session(&admin)
            .send()
            .await
            .status,
        404
    );
    assert_eq!(app.backend.state().rules.len(), 3);
}
