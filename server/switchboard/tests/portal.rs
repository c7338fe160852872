//! The portal on the real server: HTTP and HTTPS listeners, the store behind it, the
//! registrar seeing what the admin pages change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/trunk.rs"]
mod trunk_helpers;

use common::http::{Client, Origin};
use common::*;
use pbx::accounts::NewUser;
use serde_json::json;

const ADMIN_PW: &str = "admin-password-1";
const ALICE_PW: &str = "alice-password-1";

async fn add_user(
    server: &switchboard::RunningServer,
    name: &str,
    pw: &str,
    admin: bool,
    ext: Option<&str>,
) {
    let user = NewUser {
        name: name.to_owned(),
        password_hash: portal::hash_password(pw).unwrap(),
        extension: ext.map(str::to_owned),
        admin,
    };
    server.store.add_user(&user).await.unwrap();
}

#[tokio::test]
async fn logins_over_http_and_https_and_the_status_page() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    add_user(&server, "admin", ADMIN_PW, true, None).await;
    let http = Origin::Http(server.http.unwrap());
    let https = Origin::https(server.https.unwrap(), server.cert_path.as_ref().unwrap());

    let health = Client::default()
        .request(&http, "GET", "/healthz", None)
        .await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    let home = Client::default().request(&https, "GET", "/", None).await;
    assert_eq!(home.status, 303, "{home:?}");
    assert_eq!(home.header("location"), Some("/login"));
    let login_page = Client::default()
        .request(&https, "GET", "/login", None)
        .await;
    assert_eq!(login_page.status, 200);
    assert!(
        login_page.body.contains("id=\"login-form\""),
        "{}",
        login_page.body
    );
    assert!(
        login_page
            .header("content-security-policy")
            .is_some_and(|c| c.contains("script-src 'self'")),
        "{login_page:?}"
    );

    // Over HTTPS the cookie is __Host- prefixed and Secure; over HTTP neither.
    let (admin, reply) = Client::login(&https, "admin", ADMIN_PW).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let (_, set_cookie) = reply.session_cookie().unwrap();
    assert!(set_cookie.starts_with("__Host-sb_session="), "{set_cookie}");
    for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(flag), "{flag} missing: {set_cookie}");
    }
    let (_, plain) = Client::login(&http, "admin", ADMIN_PW).await;
    let (_, plain_cookie) = plain.session_cookie().unwrap();
    assert!(plain_cookie.starts_with("sb_session="), "{plain_cookie}");
    assert!(!plain_cookie.contains("Secure"), "{plain_cookie}");

    let status = admin.request(&https, "GET", "/admin/status", None).await;
    assert_eq!(status.status, 200, "{status:?}");
    assert!(status.body.contains(DOMAIN), "{}", status.body);
    assert!(
        status
            .body
            .contains(&format!("wss://{}/sip", server.https.unwrap())),
        "{}",
        status.body
    );
    assert!(
        status
            .body
            .contains("id=\"bindings\" class=\"figure\">0</span>")
    );

    // Wrong password and unknown user get the same answer.
    let (_, wrong) = Client::login(&https, "admin", "not-the-password").await;
    let (_, unknown) = Client::login(&https, "nobody", "not-the-password").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        (wrong.status, wrong.body.clone()),
        (unknown.status, unknown.body.clone())
    );
    server.shutdown().await;
}

/// An extension an admin creates through the API registers at once with the secret shown,
/// the user linked to it gets that secret for the softphone, and nobody else does.
#[tokio::test]
async fn an_extension_made_in_the_portal_registers_and_only_its_user_gets_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    add_user(&server, "admin", ADMIN_PW, true, None).await;
    let http = Origin::Http(server.http.unwrap());
    let (admin, _) = Client::login(&http, "admin", ADMIN_PW).await;

    let made = admin
        .request(
            &http,
            "POST",
            "/api/extensions",
            Some(&json!({"number": "1002", "name": "Bob"})),
        )
        .await;
    assert_eq!(made.status, 201, "{made:?}");
    let secret = made.json()["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 16, "{secret}");
    let mut phone = Phone::new(Conn::udp(server.sip_udp.unwrap()).await, "1002", &secret);
    assert_eq!(phone.register(600).await.status, 200);
    let regs = admin
        .request(&http, "GET", "/api/registrations", None)
        .await;
    assert!(regs.body.contains("1002"), "{regs:?}");

    // Without the CSRF header a write is refused and changes nothing.
    let no_csrf = Client {
        csrf: None,
        ..admin.clone()
    };
    let refused = no_csrf
        .request(
            &http,
            "POST",
            "/api/extensions",
            Some(&json!({"number": "1003", "name": "X"})),
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(server.store.get_extension("1003").await.unwrap().is_none());

    let made_user = admin
        .request(
            &http,
            "POST",
            "/api/users",
            Some(&json!({"name": "alice", "password": ALICE_PW, "extension": "1002"})),
        )
        .await;
    assert_eq!(made_user.status, 201, "{made_user:?}");
    let (alice, _) = Client::login(&http, "alice", ALICE_PW).await;
    let sip = alice.request(&http, "GET", "/api/me/sip", None).await;
    assert_eq!(sip.status, 200, "{sip:?}");
    let sip = sip.json();
    assert_eq!(sip["number"], "1002");
    assert_eq!(sip["secret"], secret.as_str());
    assert_eq!(sip["domain"], DOMAIN);
    for path in [
        "/api/extensions",
        "/api/users",
        "/api/cdrs",
        "/admin/extensions",
    ] {
        let r = alice.request(&http, "GET", path, None).await;
        assert_eq!(r.status, 403, "{path}: {r:?}");
    }
    let anonymous = Client::default()
        .request(&http, "GET", "/api/me/sip", None)
        .await;
    assert_eq!(anonymous.status, 401);

    // A reset secret stops the old one at once.
    let reset = admin
        .request(&http, "POST", "/api/extensions/1002/secret", None)
        .await;
    assert_eq!(reset.status, 200, "{reset:?}");
    let mut stale = Phone::new(Conn::udp(server.sip_udp.unwrap()).await, "1002", &secret);
    let resp = stale.register(600).await;
    assert!(matches!(resp.status, 401 | 403), "{resp:?}");
    server.shutdown().await;
}

/// A trunk an admin adds through the API is stored with its password, which no answer
/// carries; a change without a password keeps it; a trunk a DID uses is not removed.
#[tokio::test]
async fn trunks_made_in_the_portal_keep_their_password_out_of_every_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    add_user(&server, "admin", ADMIN_PW, true, None).await;
    server
        .store
        .add_extension("1001", "Front desk", "secret-1001")
        .await
        .unwrap();
    let http = Origin::Http(server.http.unwrap());
    let (admin, _) = Client::login(&http, "admin", ADMIN_PW).await;
    let password = "Provider-Secret-7";

    let made = admin
        .request(
            &http,
            "POST",
            "/api/trunks",
            Some(&json!({
                "name": "acme", "host": "127.0.0.1", "port": 9, "username": "acct",
                "password": password, "codecs": ["pcma", "PCMU"], "options_interval": 0
            })),
        )
        .await;
    assert_eq!(made.status, 201, "{made:?}");
    assert!(!made.body.contains(password));
    assert_eq!(made.json()["codecs"], json!(["PCMA", "PCMU"]));
    let stored = || async {
        let trunk = server.store.get_trunk("acme").await.unwrap().unwrap();
        trunk.registration.map(|r| r.password)
    };
    assert_eq!(stored().await.as_deref(), Some(password));

    let changed = admin
        .request(
            &http,
            "PATCH",
            "/api/trunks/acme",
            Some(&json!({"channels": 2})),
        )
        .await;
    assert_eq!(changed.status, 200, "{changed:?}");
    assert_eq!(stored().await.as_deref(), Some(password));
    let bad = admin
        .request(
            &http,
            "PATCH",
            "/api/trunks/acme",
            Some(&json!({"codecs": ["OPUS"]})),
        )
        .await;
    assert_eq!(bad.status, 422, "{bad:?}");

    let did = admin
        .request(
            &http,
            "POST",
            "/api/dids",
            Some(&json!({"number": "+15551230000", "trunk": "acme", "to": ["1001"]})),
        )
        .await;
    assert_eq!(did.status, 201, "{did:?}");
    let unknown = admin
        .request(
            &http,
            "POST",
            "/api/routes",
            Some(&json!({"pattern": "_9X.", "trunks": ["nosuch"]})),
        )
        .await;
    assert_eq!(unknown.status, 422, "{unknown:?}");
    let route = admin
        .request(
            &http,
            "POST",
            "/api/routes",
            Some(&json!({"pattern": "_1NXXNXXXXXX", "trunks": ["acme"], "prepend": "+"})),
        )
        .await;
    assert_eq!(route.status, 201, "{route:?}");

    for path in [
        "/api/trunks",
        "/api/trunks/acme",
        "/admin/trunks",
        "/admin/trunks/acme",
    ] {
        let r = admin.request(&http, "GET", path, None).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
        assert!(!r.body.contains(password), "{path} shows the password");
    }
    let in_use = admin
        .request(&http, "DELETE", "/api/trunks/acme", None)
        .await;
    assert_eq!(in_use.status, 409, "{in_use:?}");
    assert!(in_use.body.contains("+15551230000"), "{in_use:?}");
    server.shutdown().await;
}

/// Routes and numbers edited in the portal land in the store and in the copy calls are
/// routed from, through the same backend calls the edit pages make; the store's checks
/// refuse bad values (422) and unknown ones are 404.
#[tokio::test]
async fn routes_and_numbers_edited_in_the_portal_reach_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let server = boot(test_config(dir.path(), None, 0)).await;
    add_user(&server, "admin", ADMIN_PW, true, None).await;
    let store = &server.store;
    for number in ["1001", "1002"] {
        store.add_extension(number, "", "pw").await.unwrap();
    }
    for name in ["acme", "backup"] {
        let host = "127.0.0.1:9".parse().unwrap();
        store
            .add_trunk(&trunk_helpers::trunk(name, host))
            .await
            .unwrap();
    }
    let acme = ["acme".to_owned()];
    let id = store
        .add_route("_1NXXNXXXXXX", &acme, 0, "+", None)
        .await
        .unwrap();
    let did = pbx::trunk::Did {
        number: "+15551230000".into(),
        trunk: "acme".into(),
        to: vec!["1001".into()],
        failover: Some("1002".into()),
    };
    store.add_did(&did).await.unwrap();
    let http = Origin::Http(server.http.unwrap());
    let (admin, _) = Client::login(&http, "admin", ADMIN_PW).await;
    let patch = |path: String, body: serde_json::Value| {
        let admin = admin.clone();
        let http = http.clone();
        async move { admin.request(&http, "PATCH", &path, Some(&body)).await }
    };

    let route_path = format!("/api/routes/{id}");
    let body = json!({"trunks": ["backup", "acme"], "prepend": "+1", "position": 5});
    let changed = patch(route_path.clone(), body).await;
    assert_eq!(changed.status, 200, "{changed:?}");
    assert_eq!(changed.json()["position"], 5);
    let routes = store.cached_routes().await.unwrap();
    assert_eq!(
        (
            routes[0].trunks.clone(),
            routes[0].prepend.as_str(),
            routes[0].strip
        ),
        (vec!["backup".to_owned(), "acme".to_owned()], "+1", 0),
        "the copy calls use, at once"
    );
    let bad = patch(route_path.clone(), json!({"prepend": "9a"})).await;
    assert_eq!(bad.status, 422, "{bad:?}");
    assert!(bad.json()["error"].as_str().unwrap().contains("prepend"));
    let unknown = patch(route_path, json!({"trunks": ["nosuch"]})).await;
    assert_eq!(unknown.status, 422, "{unknown:?}");
    assert_eq!(
        store.cached_routes().await.unwrap(),
        routes,
        "refusals change nothing"
    );
    let gone = patch("/api/routes/999".into(), json!({"strip": 1})).await;
    assert_eq!(gone.status, 404, "{gone:?}");

    let did_path = "/api/dids/%2B15551230000".to_owned();
    let body = json!({"trunk": "backup", "to": "1001, 1002", "failover": null});
    let changed = patch(did_path.clone(), body).await;
    assert_eq!(changed.status, 200, "{changed:?}");
    let expected = pbx::trunk::Did {
        trunk: "backup".into(),
        to: vec!["1001".into(), "1002".into()],
        failover: None,
        ..did
    };
    let dids = store.cached_dids().await.unwrap();
    assert_eq!(*dids, [expected]);
    let bad = patch(did_path.clone(), json!({"to": ["1009"]})).await;
    assert_eq!(bad.status, 422, "{bad:?}");
    assert_eq!(bad.json()["error"], "no extension 1009");
    assert_eq!(
        store.cached_dids().await.unwrap(),
        dids,
        "refusals change nothing"
    );
    let gone = patch("/api/dids/%2B19999999999".into(), json!({"to": ["1001"]})).await;
    assert_eq!(gone.status, 404, "{gone:?}");

    // The edit pages show what is stored.
    let page = admin
        .request(&http, "GET", &format!("/admin/routes/{id}"), None)
        .await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        page.body.contains("value=\"backup, acme\""),
        "{}",
        page.body
    );
    let page = admin
        .request(&http, "GET", "/admin/dids/%2B15551230000", None)
        .await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("value=\"1001, 1002\""), "{}", page.body);
    server.shutdown().await;
}
